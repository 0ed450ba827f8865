/**
 * The interactive prompt (through streams, and in a real pseudo-terminal with util-linux `script`), the
 * colour rules and the progress bar.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { loadTagger } from '../../src/hosts/node.js';
import type { Tagger } from '../../src/tagger.js';
import { PROMPT, highlight, interactive, toUtf16Offsets } from '../../src/hosts/cli/tag/interactive.js';
import { colourCode, useColour } from '../../src/hosts/cli/tag/output.js';
import { createProgress, renderProgress } from '../../src/hosts/cli/tag/progress.js';
import { cliPath, kernelsPath, root, vectorModelPath } from './helpers.js';

let tagger: Tagger;
const TEXT = '患者😀右下腹痛🩺三天，查体：腹部压痛。';
const ANSI = /\x1b\[[0-9;]*m/g;

beforeAll(async () => {
  if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
  tagger = await loadTagger({ model: vectorModelPath });
});

async function session(lines: string, colour: boolean, tagOptions = {}): Promise<{ out: string; count: number }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (b: Buffer) => (out += b.toString('utf8')));
  input.end(lines);
  const { count } = await interactive({ tagger, input, output, colour, tagOptions });
  return { out, count };
}

describe('interactive prompt', () => {
  it('asks "enter a sent: ", shows the sentence with its entities and one line per entity', async () => {
    const { out, count } = await session(`${TEXT}\n\n${TEXT}\r\n`, false);
    expect(count).toBe(2);
    const entities = tagger.tag(TEXT).entities;
    expect(entities.length).toBeGreaterThan(2);
    const blocks = out.split(PROMPT);
    expect(blocks.length).toBe(5); // a prompt before each of the 3 lines and one at the end
    const first = blocks[1].split('\n');
    expect(first[0]).toBe(highlight(TEXT, entities, false));
    expect(first[0].replace(/[[\]]/g, '')).toBe(TEXT);
    entities.forEach((e, i) => {
      const cols = first[1 + i].trim().split(/\s+/);
      expect(cols.slice(0, 4)).toEqual([e.type, String(e.start), String(e.end), e.text]);
      expect(Number(cols[4])).toBeCloseTo(e.score!, 4);
    });
    expect(out).not.toMatch(ANSI);
    expect(blocks[2]).toBe(''); // the empty line just asks again
  });

  it('colours each entity by type, and stops at "exit"', async () => {
    const { out, count } = await session(`${TEXT}\nexit\n${TEXT}\n`, true);
    expect(count).toBe(1);
    const entities = tagger.tag(TEXT).entities;
    for (const e of entities) expect(out).toContain(`\x1b[${colourCode(e.type)}m${e.text}\x1b[0m`);
    expect(out.replace(ANSI, '').split(PROMPT)[1].split('\n')[0]).toBe(TEXT);
  });

  it('with code point offsets the lines give code point offsets and the highlight stays right', async () => {
    const { out } = await session(`${TEXT}\n`, false, { offsets: 'codepoint' });
    const cp = tagger.tag(TEXT, { offsets: 'codepoint' }).entities;
    const u16 = tagger.tag(TEXT).entities;
    expect(cp.map((e) => e.end)).not.toEqual(u16.map((e) => e.end)); // the emoji shift them
    expect(toUtf16Offsets(TEXT, cp).map((e) => [e.start, e.end])).toEqual(u16.map((e) => [e.start, e.end]));
    const lines = out.split(PROMPT)[1].split('\n');
    expect(lines[0]).toBe(highlight(TEXT, u16, false));
    cp.forEach((e, i) => expect(lines[1 + i].trim().split(/\s+/).slice(1, 3)).toEqual([String(e.start), String(e.end)]));
  });
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasScript) console.warn('[onprem interactive test] util-linux `script` not found: skipping the pseudo-terminal test');

/**
 * `cner tag` in a pseudo-terminal (stdin and stdout are TTYs) that is typed into like a person would: each step waits
 * for what the terminal shows, never for a fixed time, so a slow start on a loaded machine only makes it slower.
 * (Ending stdin instead is not enough: util-linux `script` then waits at most 2 s for the program to read and sends
 * Ctrl-D anyway; a program that starts later than that gets the Ctrl-D while the terminal is still in line mode,
 * where it turns into a NUL byte, and never ends.)
 */
function ptySession(env: Record<string, string | undefined>) {
  const cmd = `'${process.execPath}' '${cliPath}' tag --model '${vectorModelPath}'`;
  const e: Record<string, string | undefined> = { ...process.env, ...env, TERM: 'xterm' };
  for (const [k, v] of Object.entries(e)) if (v === undefined) delete e[k];
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: root, env: e, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let ended = false;
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      ended = true;
      resolve(code);
    });
  });
  return {
    get out() {
      return out;
    },
    closed,
    type: (keys: string) => child.stdin.write(keys),
    /** Waits until `n` prompts have been shown (bounded: 2,400 checks 50 ms apart, or until the program ends). */
    async prompts(n: number): Promise<void> {
      for (let i = 0; i < 2400 && out.split(PROMPT).length <= n && !ended; i++) await new Promise((r) => setTimeout(r, 50));
      expect(out.split(PROMPT).length - 1, `prompts shown (the program ${ended ? 'ended' : 'still runs'})`).toBeGreaterThanOrEqual(n);
    },
  };
}

/** Types one line at the prompt, waits for the answer and the next prompt, then ends the input with Ctrl-D. */
async function inPty(line: string, env: Record<string, string | undefined>): Promise<string> {
  const pty = ptySession(env);
  await pty.prompts(1);
  pty.type(`${line}\r`);
  await pty.prompts(2);
  pty.type('\x04');
  expect(await pty.closed).toBe(0);
  return pty.out;
}

// each session starts the CLI (a second or two alone; much longer while the whole suite loads the machine)
describe.skipIf(!hasScript)('cner tag in a terminal', () => {
  it('prompts, colours by type, and leaves colour out with NO_COLOR', { timeout: 300_000 }, async () => {
    const entities = tagger.tag(TEXT).entities;
    const coloured = await inPty(TEXT, { NO_COLOR: undefined });
    expect(coloured).toContain(PROMPT);
    for (const e of entities) expect(coloured).toContain(`\x1b[${colourCode(e.type)}m${e.text}\x1b[0m`);
    const plain = await inPty(TEXT, { NO_COLOR: '1' });
    expect(plain).toContain(PROMPT);
    expect(plain).toContain(highlight(TEXT, entities, false));
    expect(plain.replace(/\x1b\[\d*[GJK]/g, '')).not.toMatch(ANSI); // readline's cursor moves aside, no colour
  });
});

describe.skipIf(!hasScript)('Ctrl-C at the prompt', () => {
  it('leaves with exit code 130, as shells expect of an interrupted program', { timeout: 150_000 }, async () => {
    const pty = ptySession({ NO_COLOR: '1' });
    await pty.prompts(1);
    pty.type(`${TEXT}\r`);
    // the answer and the next prompt, so Ctrl-C reaches the running prompt
    await pty.prompts(2);
    pty.type('\x03');
    expect(await pty.closed).toBe(130);
  });
});

describe('colour rules and progress bar', () => {
  it('colour only on a TTY, never with NO_COLOR or TERM=dumb', () => {
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(useColour({}, {})).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(useColour({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(new Set(['BODY', 'SIGNS', 'CHECK', 'DISEASE', 'TREATMENT'].map(colourCode)).size).toBe(5);
    expect(colourCode('解剖部位')).toBe(colourCode('解剖部位'));
  });

  it('renders counts, percentage and speed, and draws nothing when stderr is not a TTY', () => {
    const s = renderProgress({ done: 50, total: 200, docs: 1234, chars: 100_000, failed: 0, seconds: 2 }, 20);
    expect(s).toBe('[#####---------------]   25%  1,234 docs  50,000 chars/s');
    expect(renderProgress({ done: 5, total: 0, docs: 5, chars: 10, failed: 2, seconds: 0 })).toBe('5 docs  0 chars/s  2 failed');
    expect(renderProgress({ done: 300, total: 200, docs: 1, chars: 1, failed: 0, seconds: 1 }, 4)).toMatch(/^\[####\]  100%/);
    const writes: string[] = [];
    const fake = { isTTY: false, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const p = createProgress(fake);
    p.update({ done: 1, total: 2, docs: 1, chars: 1, failed: 0 });
    p.done();
    expect(writes).toEqual([]);
    const tty = { isTTY: true, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const q = createProgress(tty);
    q.update({ done: 1, total: 2, docs: 1, chars: 1, failed: 0 });
    q.done();
    expect(writes.join('')).toMatch(/\r\x1b\[2K\[#+-+\]\s+50%  1 docs/);
    expect(writes[writes.length - 1]).toBe('\n');
  });
});
