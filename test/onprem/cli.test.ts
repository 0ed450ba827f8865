/**
 * `cner tag` end to end (node bin/cner.mjs as a child process) on the vector model, checked against the Node
 * library: arguments, stdin lines, JSON lines / plain text / CCKS / BRAT inputs, jsonl / tsv / ccks / brat /
 * conll outputs, worker threads (same bytes as one thread), failing lines, options, and that no message on
 * stderr ever holds the text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTagger } from '../../src/hosts/node.js';
import type { Tagger } from '../../src/tagger.js';
import { readCorpus } from '../../src/io/corpus-io.js';
import { spawn } from 'node:child_process';
import { cliPath, jsonLines, kernelsPath, readVectors, root, runCli, vectorModelPath } from './helpers.js';

let tagger: Tagger;
let dir: string;
const M = ['--model', vectorModelPath];

/** Clinical-looking texts (from the vectors) plus a secret marker no message may print. */
const SECRET = '秘密患者张三';
let TEXTS: string[];

beforeAll(async () => {
  if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
  tagger = await loadTagger({ model: vectorModelPath });
  dir = mkdtempSync(join(tmpdir(), 'cner-cli-'));
  const v = readVectors();
  const byName = (n: string) => v.cases.find((c) => c.name === n)!.text;
  TEXTS = [
    byName('clinical record'),
    byName('emoji inside and beside entities'),
    byName('full-width characters'),
    byName('ASCII and digits'),
    `${SECRET}右下腹痛三天，伴恶心呕吐。`,
  ];
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const strip = (es: readonly object[]) => JSON.parse(JSON.stringify(es));
const HEADER = 'doc\ttype\tstart\tend\ttext\tscore';
const tsvOf = (n: number, text: string, options = {}) =>
  tagger.tag(text, options).entities.map((e) => `${n}\t${e.type}\t${e.start}\t${e.end}\t${e.text}\t${e.score!.toFixed(4)}`);

describe('cner tag TEXT... and stdin lines', () => {
  it('prints the entities of each argument as tsv lines (doc, type, start, end, text, score), no colour when piped', async () => {
    const r = await runCli(['tag', ...M, TEXTS[0], TEXTS[1]]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const want = [...tsvOf(1, TEXTS[0]), ...tsvOf(2, TEXTS[1])];
    expect(want.length).toBeGreaterThan(10);
    expect(r.stdout).toBe([HEADER, ...want].join('\n') + '\n');
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('tags each stdin line as a document (line numbers in the doc column, blank lines skipped, CRLF accepted)', async () => {
    const input = `${TEXTS[0]}\r\n\r\n${TEXTS[2]}\n${TEXTS[3]}`;
    const r = await runCli(['tag', ...M], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([HEADER, ...tsvOf(1, TEXTS[0]), ...tsvOf(3, TEXTS[2]), ...tsvOf(4, TEXTS[3])].join('\n') + '\n');
  });

  it('answers each stdin line while the pipe stays open (a live pipe is not held back)', async () => {
    const child = spawn(process.execPath, [cliPath, 'tag', ...M, '--input-format', 'jsonl'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const waitFor = async (n: number) => {
      for (let i = 0; i < 600 && out.split('\n').length <= n; i++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      child.stdin.write(JSON.stringify({ id: 'live-1', text: TEXTS[0] }) + '\n');
      await waitFor(1);
      expect(jsonLines(out).map((r) => r.id)).toEqual(['live-1']);
      child.stdin.write(JSON.stringify({ id: 'live-2', text: TEXTS[1] }) + '\n');
      await waitFor(2);
      expect(jsonLines(out).map((r) => r.id)).toEqual(['live-1', 'live-2']);
    } finally {
      child.stdin.end();
    }
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
  });

  it('reads JSON lines from stdin with --input-format jsonl and writes jsonl', async () => {
    const input = TEXTS.slice(0, 2).map((text, i) => JSON.stringify({ id: `s${i}`, text })).join('\n');
    const r = await runCli(['tag', ...M, '--input-format', 'jsonl'], { input });
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows.map((x) => x.id)).toEqual(['s0', 's1']);
    expect(rows[1].entities).toEqual(strip(tagger.tag(TEXTS[1]).entities));
  });

  it('--offsets codepoint, --no-consistency, --no-scores and --kbest reach the tagger', async () => {
    const input = JSON.stringify({ id: 'a', text: TEXTS[1] });
    const r = await runCli(['tag', ...M, '--input-format', 'jsonl', '--offsets', 'codepoint', '--kbest', '3', '--no-consistency'], { input });
    expect(r.code).toBe(0);
    const [row] = jsonLines(r.stdout);
    const want = tagger.tag(TEXTS[1], { offsets: 'codepoint', kbest: 3, consistency: false });
    expect(row.entities).toEqual(strip(want.entities));
    expect(row.paths).toEqual(strip(want.paths!));
    expect((row.paths as unknown[]).length).toBe(3);
    const noScores = await runCli(['tag', ...M, '--input-format', 'jsonl', '--no-scores'], { input });
    expect(jsonLines(noScores.stdout)[0].entities).toEqual(strip(tagger.tag(TEXTS[1], { scores: false }).entities));
    expect(noScores.stdout).not.toContain('"score"');
  });
});

describe('cner tag --input (batch)', () => {
  it('JSON lines: keeps the input objects, adds entities, reports bad lines by number without their text, goes on, exits 1', async () => {
    const file = join(dir, 'mixed.jsonl');
    const lines = [
      JSON.stringify({ id: 'r1', text: TEXTS[0], extra: { keep: [1, 2] }, entities: [{ stale: true }] }),
      `{"id": "r2", "text": "${SECRET} not closed`, // bad JSON
      JSON.stringify({ id: 'r3', note: SECRET }), // no text
      '',
      JSON.stringify({ text: TEXTS[4] }), // no id
      JSON.stringify([SECRET]), // not an object
      JSON.stringify({ id: 'r6', text: 42 }),
      JSON.stringify({ id: 'r7', text: TEXTS[2] }),
    ];
    writeFileSync(file, '\uFEFF' + lines.join('\r\n') + '\r\n');
    const out = join(dir, 'mixed-out.jsonl');
    const r = await runCli(['tag', ...M, '--input', file, '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('mixed.jsonl:2: not valid JSON');
    expect(r.stderr).toContain('mixed.jsonl:3: expected a string "text", got no "text"');
    expect(r.stderr).toContain('mixed.jsonl:6: expected a JSON object, got an array');
    expect(r.stderr).toContain('mixed.jsonl:7: expected a string "text", got "text" of type number');
    expect(r.stderr).toMatch(/tagged 3 documents .*; 4 failed/);
    expect(r.stderr).not.toContain(SECRET);
    expect(r.stderr).not.toContain(TEXTS[0].slice(0, 6));
    const rows = jsonLines(readFileSync(out, 'utf8'));
    expect(rows).toEqual([
      { id: 'r1', text: TEXTS[0], extra: { keep: [1, 2] }, entities: strip(tagger.tag(TEXTS[0]).entities) },
      { text: TEXTS[4], entities: strip(tagger.tag(TEXTS[4]).entities) },
      { id: 'r7', text: TEXTS[2], entities: strip(tagger.tag(TEXTS[2]).entities) },
    ]);
  });

  it('--threads 2 writes the same bytes as one thread, in input order', async () => {
    const file = join(dir, 'many.jsonl');
    const docs = Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, text: TEXTS[i % TEXTS.length].slice(i % 7) }));
    writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
    const one = await runCli(['tag', ...M, '--input', file, '--threads', '1']);
    const two = await runCli(['tag', ...M, '--input', file, '--threads', '2']);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stderr).toMatch(/tagged 300 documents .* 2 threads/);
    expect(two.stdout === one.stdout).toBe(true);
    const rows = jsonLines(two.stdout);
    expect(rows.map((x) => x.id)).toEqual(docs.map((d) => d.id));
    expect(rows[123].entities).toEqual(strip(tagger.tag(docs[123].text).entities));
  });

  it('a CCKS folder in, CCKS / BRAT / CoNLL out: the written corpora hold the library entities', async () => {
    const ccks = join(dir, 'ccks-in');
    mkdirSync(join(ccks, '病史特点'), { recursive: true });
    mkdirSync(join(ccks, '一般项目'), { recursive: true });
    writeFileSync(join(ccks, '病史特点', '病史特点-1.txtoriginal.txt'), TEXTS[0] + '\r\n\r\n');
    writeFileSync(join(ccks, '病史特点', '病史特点-2.txtoriginal.txt'), TEXTS[2]);
    writeFileSync(join(ccks, '一般项目', '一般项目-7.txtoriginal.txt'), TEXTS[3]);
    writeFileSync(join(ccks, '一般项目', '一般项目-7.txt'), 'ignored\t0\t1\t身体部位\r\n'); // an annotation file is not needed
    const texts: Record<string, string> = { '病史特点-1': TEXTS[0] + '\r\n\r\n', '病史特点-2': TEXTS[2], '一般项目-7': TEXTS[3] };
    const check = (docs: { id: string; text: string; entities: { start: number; end: number; type: string }[] }[]) => {
      expect(docs.map((d) => d.id).sort()).toEqual(Object.keys(texts).sort());
      for (const d of docs) {
        expect(d.text).toBe(texts[d.id]);
        const want = tagger.tag(texts[d.id]).entities.map((e) => ({ start: e.start, end: e.end, type: e.type }));
        expect(d.entities).toEqual(want);
      }
    };
    for (const [fmt, out, readAs] of [
      ['ccks', join(dir, 'ccks-out'), 'ccks'],
      ['brat', join(dir, 'brat-out'), 'brat'],
      ['conll', join(dir, 'out.conll'), 'bio'],
    ] as const) {
      const r = await runCli(['tag', ...M, '--input', ccks, '--output', out, '--output-format', fmt]);
      expect(r.stderr).toMatch(/tagged 3 documents/);
      expect(r.code).toBe(0);
      const read = await readCorpus(out, { format: readAs, strict: true });
      if (fmt === 'ccks') {
        // CCKS type names are the Chinese ones on disk; the reader maps them back
        expect(readdirSync(out).sort()).toEqual(['一般项目', '病史特点']);
      }
      if (fmt === 'conll') {
        // BIO holds characters only: compare entity spans, text through the characters
        expect(read.docs.map((d) => d.id).sort()).toEqual(Object.keys(texts).sort());
        for (const d of read.docs) {
          const want = tagger.tag(texts[d.id]).entities;
          expect(d.entities.map((e) => d.text.slice(e.start, e.end))).toEqual(want.map((e) => e.text));
          expect(d.entities.map((e) => e.type)).toEqual(want.map((e) => e.type));
        }
      } else check(read.docs);
    }
  });

  it('a BRAT folder and a plain text file as input', async () => {
    const brat = join(dir, 'brat-in');
    mkdirSync(brat);
    writeFileSync(join(brat, 'note-a.txt'), TEXTS[1]);
    writeFileSync(join(brat, 'note-b.txt'), TEXTS[4]);
    const r = await runCli(['tag', ...M, '--input', brat]);
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows).toEqual([
      { id: 'note-a', text: TEXTS[1], entities: strip(tagger.tag(TEXTS[1]).entities) },
      { id: 'note-b', text: TEXTS[4], entities: strip(tagger.tag(TEXTS[4]).entities) },
    ]);
    const txt = join(dir, 'plain.txt');
    writeFileSync(txt, `${TEXTS[3]}\n\n${TEXTS[0]}\n`);
    const t = await runCli(['tag', ...M, '--input', txt]);
    expect(t.code).toBe(0);
    expect(jsonLines(t.stdout)).toEqual([
      { id: 'line-1', text: TEXTS[3], entities: strip(tagger.tag(TEXTS[3]).entities) },
      { id: 'line-3', text: TEXTS[0], entities: strip(tagger.tag(TEXTS[0]).entities) },
    ]);
    const tsv = await runCli(['tag', ...M, '--input', txt, '--output-format', 'tsv']);
    expect(tsv.stdout).toBe([HEADER, ...tsvOf(1, TEXTS[3]), ...tsvOf(3, TEXTS[0])].join('\n') + '\n');
  });

  it('a document the output format cannot hold is reported and the others are written (CCKS ids)', async () => {
    const file = join(dir, 'ids.jsonl');
    writeFileSync(file, [JSON.stringify({ id: '病史特点-3', text: TEXTS[0] }), JSON.stringify({ id: 'no-number-here', text: TEXTS[2] })].join('\n'));
    const out = join(dir, 'ids-out');
    const r = await runCli(['tag', ...M, '--input', file, '--output', out, '--output-format', 'ccks']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ids\.jsonl:2: CCKS document id must look like <section>-<record number>/);
    const read = await readCorpus(out, { format: 'ccks' });
    expect(read.docs.map((d) => d.id)).toEqual(['病史特点-3']);
  });

  it('refuses to overwrite an existing output without --force', async () => {
    const file = join(dir, 'one.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'x', text: TEXTS[3] }));
    const out = join(dir, 'exists.jsonl');
    writeFileSync(out, 'old');
    const r = await runCli(['tag', ...M, '--input', file, '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('old');
    const f = await runCli(['tag', ...M, '--input', file, '--output', out, '--force']);
    expect(f.code).toBe(0);
    expect(jsonLines(readFileSync(out, 'utf8'))[0].id).toBe('x');
  });
});

describe('cner tag errors', () => {
  it('usage errors exit 2 with a message', async () => {
    const cases: [string[], RegExp][] = [
      [['--threads', '0', 'x'], /--threads: expected 1 to 64/],
      [['--offsets', 'bytes', 'x'], /--offsets: expected utf16 or codepoint/],
      [['--output-format', 'xml', 'x'], /unknown format 'xml'/],
      [['--output-format', 'ccks', 'x'], /--output-format ccks needs --output/],
      [['--output-format', 'conll', '--output', join(dir, 'z.conll'), '--kbest', '2', 'x'], /--kbest works with jsonl output only/],
      [['--input', join(dir, 'none'), 'x'], /either TEXT arguments or --input/],
      [['--kbest', '99', 'x'], /--kbest: expected 1 to 64/],
      [['--input', join(dir, 'same.jsonl'), '--output', join(dir, '.', 'same.jsonl'), '--force'], /--output must differ from --input/],
      [['--input-format', 'csv'], /--input-format: unknown format 'csv'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['tag', ...M, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('a missing model or input fails with exit 1 and names the path', async () => {
    const r = await runCli(['tag', '--model', join(dir, 'missing.cner'), 'text']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read the model at .*missing\.cner/);
    const i = await runCli(['tag', ...M, '--input', join(dir, 'missing.jsonl')]);
    expect(i.code).toBe(1);
    expect(i.stderr).toMatch(/input .*missing\.jsonl does not exist/);
  });

  it('is listed by cner --help and has its own help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/\n\s+tag\s+tag texts/);
    const h = await runCli(['tag', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--threads N/);
    expect(h.stdout).toMatch(/enter a sent/);
  });
});
