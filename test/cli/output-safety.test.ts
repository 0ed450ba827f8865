/**
 * The CLI never destroys input: an output that is the input through a symbolic or hard link is refused (tag and
 * convert), a killed or interrupted run leaves no partial file under the final name, and Ctrl-C exits 130 after
 * removing its temporary files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, root, runCli, vectorModelPath } from '../onprem/helpers.js';

const M = ['--model', vectorModelPath];
let dir = '';
const LINE = '患者右下腹痛三天，伴恶心呕吐，查体腹软。';
const BIG_LINES = 6000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cner-safety-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function jsonlInput(name: string, n = 3): { file: string; content: string } {
  const file = join(dir, name);
  const content = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `d${i}`, text: LINE })).join('\n') + '\n';
  writeFileSync(file, content);
  return { file, content };
}

describe('an output that is the input is refused', () => {
  it('cner tag: a symbolic link and a hard link to the input, --force or not', async () => {
    const { file, content } = jsonlInput('in.jsonl');
    const sym = join(dir, 'sym.jsonl');
    const hard = join(dir, 'hard.jsonl');
    symlinkSync(file, sym);
    linkSync(file, hard);
    for (const out of [sym, hard]) {
      const r = await runCli(['tag', ...M, '--input', file, '--output', out, '--force']);
      expect(r.code, out).not.toBe(0);
      expect(r.stderr).toMatch(/is the input .*in\.jsonl/);
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
    // the link given as input, the real file as output
    const r = await runCli(['tag', ...M, '--input', sym, '--output', file, '--force']);
    expect(r.code).not.toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('cner tag: the model file (or a link to it) as output is refused', async () => {
    const model = join(dir, 'model.cner');
    copyFileSync(vectorModelPath, model);
    const before = readFileSync(model);
    const link = join(dir, 'model-link.jsonl');
    symlinkSync(model, link);
    for (const out of [model, link]) {
      const r = await runCli(['tag', '--model', model, '--output', out, '--force', LINE]);
      expect(r.code, out).not.toBe(0);
      expect(r.stderr).toMatch(/is the input .*model\.cner/);
      expect(readFileSync(model).equals(before)).toBe(true);
    }
  });

  it('cner tag: an output folder inside the input folder is refused', async () => {
    const folder = join(dir, 'brat-in');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), LINE);
    writeFileSync(join(folder, 'a.ann'), 'T1\tSIGNS 2 5\t右下腹\n');
    const r = await runCli(['tag', ...M, '--input', folder, '--output', join(folder, 'tagged'), '--output-format', 'brat', '--force']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/overlap/);
    expect(readdirSync(folder).sort()).toEqual(['a.ann', 'a.txt']);
    expect(readFileSync(join(folder, 'a.ann'), 'utf8')).toBe('T1\tSIGNS 2 5\t右下腹\n');
  });

  it('cner convert: a link to the input as OUTPUT', async () => {
    const file = join(dir, 'gold.jsonl');
    const content = JSON.stringify({ id: 'g1', text: LINE, entities: [{ start: 2, end: 5, type: 'BODY' }] }) + '\n';
    writeFileSync(file, content);
    const sym = join(dir, 'gold-link.jsonl');
    symlinkSync(file, sym);
    const r = await runCli(['convert', '--to', 'jsonl', file, sym, '--force']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is the input/);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });
});

/** Starts a long batch run writing over `out` (which holds "old"); resolves once its output is being written. */
async function startBigRun(name: string): Promise<{ child: ChildProcess; out: string; closed: Promise<{ code: number | null; signal: string | null }> }> {
  const input = join(dir, `${name}.txt`);
  writeFileSync(input, Array.from({ length: BIG_LINES }, () => LINE.repeat(3)).join('\n'));
  const folder = join(dir, `${name}-out`);
  mkdirSync(folder);
  const out = join(folder, 'result.jsonl');
  writeFileSync(out, 'old');
  const child = spawn(process.execPath, [cliPath, 'tag', ...M, '--input', input, '--output', out, '--force'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let exited = false;
  void closed.then(() => (exited = true));
  // wait (bounded) until something beside the old content has been written: a temporary file, or the output itself
  for (let i = 0; i < 1200 && !exited; i++) {
    const written = readdirSync(folder).some((f) => f !== 'result.jsonl' && statSync(join(folder, f)).size > 0) || readFileSync(out, 'utf8') !== 'old';
    if (written) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(exited, 'the run ended before it could be interrupted').toBe(false);
  return { child, out, closed };
}

describe('interrupted runs', () => {
  it('SIGKILL during a batch leaves the old file under the final name', async () => {
    const { child, out, closed } = await startBigRun('kill');
    child.kill('SIGKILL');
    await closed;
    expect(readFileSync(out, 'utf8')).toBe('old');
    // the temporary file the killed run left (it may hold clinical text) is removed by the next run to that output
    const folder = join(dir, 'kill-out');
    expect(readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
    const { file } = jsonlInput('small.jsonl', 1);
    const again = await runCli(['tag', ...M, '--input', file, '--output', out, '--force']);
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(folder)).toEqual(['result.jsonl']);
    expect(readFileSync(out, 'utf8')).toContain('"id":"d0"');
  });

  for (const [signal, exit] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : signal} exits ${exit}, keeps the old file and removes the temporary one`, async () => {
      const { child, out, closed } = await startBigRun(signal);
      child.kill(signal);
      const { code } = await closed;
      expect(code).toBe(exit);
      expect(readFileSync(out, 'utf8')).toBe('old');
      expect(readdirSync(join(dir, `${signal}-out`))).toEqual(['result.jsonl']);
    });
  }
});
