/**
 * The CLI behaves like the tools its users know: `-` for stdin/stdout, a TSV header, --encoding, a per-line limit
 * and invalid bytes reported by line while the run goes on, did-you-mean, `cner info`, lazy command loading, clear
 * messages for missing paths and n/a for figures that have no value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest, editDistance } from '../../src/hosts/cli/command.js';
import { loadTagger } from '../../src/hosts/node.js';
import type { Tagger } from '../../src/tagger.js';
import { type OutsideLexiconSpec, segmenterMaskOf } from '../../src/features/outside-lexicon.js';
import { writeModel } from '../../src/model/format.js';
import { type Weights, tensorSpecs } from '../../src/model/layout.js';
import type { SegmenterSpec } from '../../src/segment/spec.js';
import { randomModel } from '../helpers/random-model.js';
import { cliPath, jsonLines, root, runCli, vectorModelPath } from '../onprem/helpers.js';

const M = ['--model', vectorModelPath];
const TEXT = '患者右下腹痛三天，伴恶心呕吐。';
const FIX = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));
let dir = '';
let tagger: Tagger;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cner-unix-'));
  tagger = await loadTagger({ model: vectorModelPath });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('stdin and stdout as -', () => {
  it('--input - reads stdin (text and jsonl) and --output - writes stdout', async () => {
    const text = await runCli(['tag', ...M, '--input', '-', '--output', '-', '--output-format', 'jsonl'], { input: `${TEXT}\n` });
    expect(text.code, text.stderr).toBe(0);
    expect(jsonLines(text.stdout)).toEqual([{ id: 'line-1', text: TEXT, entities: JSON.parse(JSON.stringify(tagger.tag(TEXT).entities)) }]);
    const jsonl = await runCli(['tag', ...M, '--input', '-', '--input-format', 'jsonl'], { input: JSON.stringify({ id: 'a', text: TEXT }) + '\n' });
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonLines(jsonl.stdout)[0].id).toBe('a');
  });

  it('CoNLL goes to stdout; BRAT and CCKS (two files a document) are refused there with the alternative named', async () => {
    const conll = await runCli(['tag', ...M, '--output-format', 'conll', '--output', '-', TEXT]);
    expect(conll.code, conll.stderr).toBe(0);
    expect(conll.stdout.startsWith('-DOCSTART- arg-1\n')).toBe(true);
    expect(conll.stdout.trim().split('\n')).toHaveLength(1 + [...TEXT].length);
    for (const format of ['brat', 'ccks']) {
      const r = await runCli(['tag', ...M, '--output-format', format, '--output', '-', TEXT]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot go to stdout; give --output FOLDER, or use --output-format jsonl or conll/);
    }
  });

  it('--output-format html writes one standalone page (a file, or stdout) with the entities typed inline', async () => {
    const file = join(dir, 'view.html');
    const r = await runCli(['tag', ...M, '--output-format', 'html', '--output', file, TEXT, '<b>&']);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link /);
    expect(html).not.toContain('<b>'); // the text is escaped
    expect(html).toContain('&lt;');
    const entities = tagger.tag(TEXT).entities;
    expect(html.match(/<mark /g)?.length ?? 0).toBeGreaterThanOrEqual(entities.length > 0 ? 1 : 0);
    for (const e of entities) expect(html).toContain(`data-type="${e.type}"`);
    for (const t of ['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT']) expect(html).toContain(t); // the legend: the model's labels
    const stdout = await runCli(['tag', ...M, '--output-format', 'html', TEXT]);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout.startsWith('<!doctype html>')).toBe(true);
    const cp = await runCli(['tag', ...M, '--output-format', 'html', '--offsets', 'codepoint', TEXT]);
    expect(cp.code).toBe(2);
  });

  it('a reader that closes the pipe early (| head) ends the run quietly with 141, no stack trace', async () => {
    const file = join(dir, 'many.txt');
    writeFileSync(file, Array.from({ length: 3000 }, () => TEXT).join('\n'));
    const child = spawn(process.execPath, [cliPath, 'tag', ...M, '--input', file, '--output-format', 'tsv'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.stdout.once('data', () => child.stdout.destroy()); // read the first chunk, then hang up like head
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
  });

  it('TSV starts with a header line', async () => {
    const r = await runCli(['tag', ...M, TEXT]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('doc\ttype\tstart\tend\ttext\tscore');
    expect(lines).toHaveLength(1 + tagger.tag(TEXT).entities.length);
  });
});

describe('corpus commands read stdin and write stdout as -', () => {
  it('convert: - in, - out (one-file formats); a folder format on stdout is refused naming the alternatives', async () => {
    const toBio = await runCli(['convert', '--to', 'bio', join(FIX, 'ccks'), '-']);
    expect(toBio.code, toBio.stderr).toBe(0);
    expect(toBio.stdout.startsWith('-DOCSTART- ')).toBe(true);
    expect(toBio.stderr).toMatch(/converted 4 documents \(8 entities\) from ccks to bio/);
    const back = await runCli(['convert', '--to', 'jsonl', '-', '-'], { input: toBio.stdout });
    expect(back.code, back.stderr).toBe(0);
    expect(jsonLines(back.stdout)).toHaveLength(4);
    const brat = await runCli(['convert', '--to', 'brat', join(FIX, 'ccks'), '-']);
    expect(brat.code).toBe(2);
    expect(brat.stderr).toMatch(/brat is a folder of files and cannot go to stdout; give a folder, or use one of yidu, bio, jsonl/);
  });

  it('eval --pred - scores a piped prediction; split - reads stdin', async () => {
    const gold = join(dir, 'gold.jsonl');
    expect((await runCli(['convert', '--to', 'jsonl', join(FIX, 'ccks'), gold])).code).toBe(0);
    const r = await runCli(['eval', '--gold', gold, '--pred', '-'], { input: readFileSync(gold) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^micro\s+8\s+8\s+8\s+100\.00\s+100\.00\s+100\.00$/m);
    expect((await runCli(['eval', '--gold', '-', '--pred', '-'])).code).toBe(2);
    const out = join(dir, 'split-stdin');
    const split = await runCli(['split', '-', '--out', out], { input: readFileSync(gold) });
    expect(split.code, split.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'split-manifest.json'), 'utf8'))).toMatchObject({ input: 'stdin', format: 'jsonl', records: 2 });
  });
});

describe('input encodings and bad lines', () => {
  // 右下腹痛 in GBK
  const GBK = Buffer.from([0xd3, 0xd2, 0xcf, 0xc2, 0xb8, 0xb9, 0xcd, 0xb4]);

  it('--encoding gbk / gb18030 decodes a file and stdin; an unknown encoding is a usage error', async () => {
    const file = join(dir, 'gbk.txt');
    writeFileSync(file, Buffer.concat([GBK, Buffer.from('\n')]));
    for (const encoding of ['gbk', 'gb18030']) {
      const r = await runCli(['tag', ...M, '--encoding', encoding, '--input', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(jsonLines(r.stdout)[0].text).toBe('右下腹痛');
    }
    const stdin = await runCli(['tag', ...M, '--encoding', 'gb18030', '--output-format', 'jsonl'], { input: GBK });
    expect(stdin.code, stdin.stderr).toBe(0);
    expect(jsonLines(stdin.stdout)[0].text).toBe('右下腹痛');
    const bad = await runCli(['tag', ...M, '--encoding', 'latin9', TEXT]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--encoding: unknown encoding 'latin9'; expected one of utf-8, gb18030, gbk/);
  });

  it('convert and eval read GB-encoded corpora with --encoding (files and stdin)', async () => {
    // {"id":"g","text":"右下腹痛","entities":[{"start":0,"end":3,"type":"BODY"}]} with the text in GBK
    const json = (text: Buffer) => Buffer.concat([Buffer.from('{"id":"g","text":"'), text, Buffer.from('","entities":[{"start":0,"end":3,"type":"BODY"}]}\n')]);
    const file = join(dir, 'gbk.jsonl');
    writeFileSync(file, json(GBK));
    const out = join(dir, 'from-gbk.jsonl');
    const r = await runCli(['convert', '--encoding', 'gbk', '--to', 'jsonl', file, out]);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(readFileSync(out, 'utf8'))[0]).toMatchObject({ id: 'g', text: '右下腹痛', entities: [{ start: 0, end: 3, type: 'BODY', text: '右下腹' }] });
    const e = await runCli(['eval', '--encoding', 'gb18030', '--gold', file, '--pred', '-'], { input: json(GBK) });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^micro\s+1\s+1\s+1\s+100\.00/m);
    const utf8 = await runCli(['convert', '--to', 'jsonl', file, join(dir, 'x.jsonl')]);
    expect(utf8.code).toBe(1);
    expect(utf8.stderr).toMatch(/not valid UTF-8/);
  });

  it('an invalid UTF-8 line is reported by number and the run goes on (exit 1, the other lines written)', async () => {
    const file = join(dir, 'mixed.txt');
    writeFileSync(file, Buffer.concat([Buffer.from(`${TEXT}\n`), Buffer.from([0xe6, 0x82, 0x0a]), Buffer.from(`${TEXT}\n`)]));
    const out = join(dir, 'mixed.jsonl');
    const r = await runCli(['tag', ...M, '--input', file, '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mixed\.txt:2: not valid utf-8/);
    expect(jsonLines(readFileSync(out, 'utf8')).map((d) => d.id)).toEqual(['line-1', 'line-3']);
  });

  it('--max-line-chars: a longer line is reported by number and skipped, the run goes on', async () => {
    const file = join(dir, 'long.txt');
    writeFileSync(file, [TEXT, TEXT.repeat(10), TEXT].join('\n'));
    const r = await runCli(['tag', ...M, '--input', file, '--max-line-chars', String(TEXT.length * 2)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/long\.txt:2: line longer than 30 characters/);
    expect(jsonLines(r.stdout).map((d) => d.id)).toEqual(['line-1', 'line-3']);
    expect((await runCli(['tag', ...M, '--max-line-chars', '0', TEXT])).code).toBe(2);
    expect((await runCli(['tag', '--help'])).stdout).toMatch(/--max-line-chars N[\s\S]*default 1,000,000 characters/);
  });
});

describe('the dispatcher', () => {
  it('suggests the nearest command and option for a typo', async () => {
    const command = await runCli(['tga', 'x']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'tga'; did you mean 'tag'?");
    const option = await runCli(['tag', '--modle', 'x', 'y']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/'--modle'.*did you mean --model\?/);
    expect((await runCli(['frobnicate'])).stderr).not.toContain('did you mean');
  });

  it('the suggestion: a near typo (swaps count 1), else the shortest name the word begins, else none', () => {
    expect(editDistance('tga', 'tag')).toBe(1);
    expect(editDistance('trian', 'train')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    const names = ['convert', 'split', 'eval', 'info', 'tag', 'train', 'retrain', 'serve'];
    expect(closest('tga', names)).toBe('tag');
    expect(closest('evla', names)).toBe('eval');
    expect(closest('tr', names)).toBe('train');
    expect(closest('out', ['output', 'output-format', 'input'])).toBe('output');
    expect(closest('x', names)).toBeUndefined();
    expect(closest('frobnicate', names)).toBeUndefined();
  });

  it('loads only the module of the command that runs (cner tag never imports the store, S3 or training code)', async () => {
    const log = join(dir, 'loads.txt');
    const hook = join(root, 'test', 'cli', 'fixtures', 'log-loads.mjs');
    const loaded = async (args: string[]) => {
      writeFileSync(log, '');
      const r = await runCli(args, { env: { CNER_LOAD_LOG: log, NODE_OPTIONS: `--import ${hook}` } });
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(log, 'utf8');
    };
    // the sources (.ts) or the compiled package (.js), whichever bin/cner.mjs runs
    const tag = await loaded(['tag', ...M, TEXT]);
    expect(tag).toMatch(/\/src\/hosts\/cli\/commands\/tag\.[jt]s$/m);
    for (const heavy of [/\/src\/store\//, /\/src\/train\//, /@aws-sdk/, /\/commands\/(publish|train|serve|retrain)\.[jt]s$/m]) expect(tag).not.toMatch(heavy);
    const help = await loaded(['convert', '--help']);
    expect(help).toMatch(/\/commands\/convert\.[jt]s$/m);
    expect(help).not.toMatch(/\/commands\/tag\.[jt]s$/m);
  });
});

describe('cner info', () => {
  it('prints the model card summary: name, version, short sha256, labels, metrics, size, channels', async () => {
    const r = await runCli(['info', vectorModelPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^name\s+test-vectors-model 1\.0\.0$/m);
    expect(r.stdout).toMatch(/^sha256\s+[0-9a-f]{12} /m);
    expect(r.stdout).toMatch(/^labels\s+BODY CHECK DISEASE SIGNS TREATMENT \(11 BIO tags\)$/m);
    expect(r.stdout).toMatch(/^size\s+19,500 bytes/m);
    expect(r.stdout).toMatch(/^channels\s+char 127×12, word 114×6$/m);
    expect(r.stdout).toMatch(/^metrics\s+not recorded$/m);
    const json = JSON.parse((await runCli(['info', vectorModelPath, '--json'])).stdout);
    expect(json.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(json.types).toEqual(['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT']);
    const bundled = await runCli(['info']);
    expect(bundled.code, bundled.stderr).toBe(0);
    // the bundled model is a refit on every record (trainOn all): no held-out figure of its own, and info says where they are
    expect(bundled.stdout).toMatch(/^metrics\s+none of its own: trained on every record \(trainOn all\); its model card states the selection runs' figures$/m);
    expect(bundled.stdout).toMatch(/^trained on\s+every record \(trainOn all\)$/m);
    expect(bundled.stdout).toMatch(/^trained\s+\d{4}-\d\d-\d\dT/m);
    expect(bundled.stdout).toMatch(/^terms\s+.*research use only/m);
  });

  /** A model file with the charLm and outsideLex channels (small weights, written through writeModel's checks). */
  function channelModel(file: string, outsideLexicon: OutsideLexiconSpec, words: number, segmenter?: SegmenterSpec): string {
    const base = randomModel({ segmenter });
    const architecture = { ...base.header.architecture, charLmHidden: 8, charLmDim: 3, outsideLexWords: words, outsideLexDim: 2 };
    const weights: Weights = new Map();
    for (const spec of tensorSpecs(architecture)) {
      const data = new Float32Array(spec.shape.reduce((p, d) => p * d, 1)).fill(0.01); // [shape]
      weights.set(spec.name, { dtype: 'f32', shape: spec.shape, data });
    }
    writeFileSync(file, writeModel({ ...base.header, architecture, outsideLexicon }, weights));
    return file;
  }

  it('prints every input channel the model has: charLm hidden/dim, outsideLex words and where its list is kept', async () => {
    const own = channelModel(join(dir, 'own.cner'), { words: ['腹痛', '恶心', '阑尾炎'] }, 3);
    const r = await runCli(['info', own]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^channels\s+char 29×8, word 29×4, charLm hidden 8, dim 3, outsideLex 3 words×2 \(its own list\)$/m);
    const json = JSON.parse((await runCli(['info', own, '--json'])).stdout);
    expect(json.channels).toEqual({
      char: { vocabulary: 29, dim: 8 },
      word: { vocabulary: 29, dim: 4 },
      bigram: null,
      lexicon: null,
      charLm: { hidden: 8, dim: 3 },
      outsideLex: { words: 3, dim: 2, sharedWithSegmenter: false },
    });
    // the list marked in the segmenter's dictionary (stored once)
    const dictWords = ['呕吐', '腹痛', '腹部', '阑尾炎'];
    const segmenter: SegmenterSpec = { kind: 'dict', variant: 'jieba', total: 40, words: dictWords, freqs: [10, 10, 10, 10] };
    const shared = channelModel(join(dir, 'shared.cner'), segmenterMaskOf(dictWords, ['腹痛', '阑尾炎']).spec, 2, segmenter);
    const s = await runCli(['info', shared]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/, outsideLex 2 words×2 \(marked in the segmenter's dictionary\)$/m);
    expect(JSON.parse((await runCli(['info', shared, '--json'])).stdout).channels.outsideLex).toEqual({
      words: 2,
      dim: 2,
      sharedWithSegmenter: true,
    });
  });

  it('a missing or broken model file is a clear failure', async () => {
    const missing = await runCli(['info', join(dir, 'none.cner')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the model .*none\.cner: no such file/);
    const broken = join(dir, 'broken.cner');
    writeFileSync(broken, 'not a model');
    const b = await runCli(['info', broken]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/broken\.cner is not a usable model file/);
  });
});

describe('corpus commands: missing paths and empty evaluations', () => {
  it('eval, convert and split name a missing path in words, not as a raw ENOENT', async () => {
    const none = join(dir, 'no-such-corpus');
    const cases: [string[], RegExp][] = [
      [['eval', '--gold', none, '--pred', join(FIX, 'ccks')], /cannot read the gold corpus .*no-such-corpus: no such file or folder/],
      [['eval', '--gold', join(FIX, 'ccks'), '--pred', none], /cannot read the predicted corpus .*no-such-corpus: no such file or folder/],
      [['convert', '--to', 'jsonl', none, join(dir, 'c.jsonl')], /cannot read the input .*no-such-corpus: no such file or folder/],
      [['split', none, '--out', join(dir, 's')], /cannot read the input .*no-such-corpus: no such file or folder/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('ENOENT');
    }
  });

  it('an evaluation with no gold and no predicted entities prints n/a, not 0.00', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, JSON.stringify({ id: 'a', text: TEXT, entities: [] }) + '\n');
    const r = await runCli(['eval', '--gold', empty, '--pred', empty, '--relaxed']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^micro\s+0\s+0\s+0\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+n\/a$/m);
    expect(r.stdout).toMatch(/^macro\s+n\/a\s+n\/a\s+n\/a/m);
    expect(r.stdout).not.toMatch(/0\.00/);
  });
});
