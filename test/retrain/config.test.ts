/** Config validation, source merging and the data fingerprint of the retraining job (no training here). */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { recordIdOf, splitByRecord } from '../../src/corpus/index.js';
import { writeCorpus } from '../../src/io/corpus-io.js';
import { resolveConfig } from '../../src/train/config.js';
import {
  dataFingerprint,
  fingerprintNote,
  fingerprintOfEntry,
  loadRetrainConfig,
  loadSources,
  parseRetrainConfig,
  retrainSplit,
  RetrainConfigError,
} from '../../src/retrain/index.js';
import type { ManifestEntry } from '../../src/store/manifest.js';
import { synthDocs } from './synth.js';

const tmp = mkdtempSync(join(tmpdir(), 'cner-retrain-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = { data: ['corpus'], store: 'file://store' };

function fieldOf(raw: unknown): string {
  try {
    parseRetrainConfig(raw, { baseDir: tmp });
  } catch (e) {
    expect(e).toBeInstanceOf(RetrainConfigError);
    return (e as RetrainConfigError).field;
  }
  throw new Error('expected the config to be refused');
}

describe('parseRetrainConfig', () => {
  it('fills defaults and resolves paths against the base folder', () => {
    const c = parseRetrainConfig({ ...base, data: ['a', { path: 'b.jsonl', format: 'jsonl' }, 's3://bucket/annotated'], train: { epochs: 2, embeddings: { char: 'v/c.txt' }, extraTrain: ['p/pseudo.jsonl', '/abs/x.jsonl'] } }, { baseDir: tmp });
    expect(c.data).toEqual([{ location: join(tmp, 'a') }, { location: join(tmp, 'b.jsonl'), format: 'jsonl' }, { location: 's3://bucket/annotated' }]);
    expect(c.train.epochs).toBe(2);
    expect(c.train.lstm).toEqual([128, 64]); // TrainConfig defaults underneath
    expect(c.train.embeddings.char).toBe(join(tmp, 'v/c.txt'));
    expect(c.train.extraTrain).toEqual([join(tmp, 'p/pseudo.jsonl'), '/abs/x.jsonl']);
    expect(c.workDir).toBe(join(tmp, 'runs/retrain'));
    expect(c.reportDir).toBe(join(tmp, 'runs/retrain/reports'));
    expect(c.maxMinutes).toBeUndefined();
    expect(c).toMatchObject({ margin: 0, perTypeFloors: {}, lockTtlMinutes: 360, model: 'int8', consistency: true });
  });

  it('names the offending field', () => {
    expect(fieldOf(null)).toBe('(top level)');
    expect(fieldOf({ ...base, colour: 'red' })).toBe('colour');
    expect(fieldOf({ ...base, data: [] })).toBe('data');
    expect(fieldOf({ ...base, data: ['ok', 7] })).toBe('data[1]');
    expect(fieldOf({ ...base, data: [{ path: 'x', format: 'xml' }] })).toBe('data[0].format');
    expect(fieldOf({ ...base, data: ['ftp://host/x'] })).toBe('data[0]');
    expect(fieldOf({ ...base, store: 'gs://bucket' })).toBe('store');
    expect(fieldOf({ data: ['x'] })).toBe('store');
    expect(fieldOf({ ...base, format: 'docx' })).toBe('format');
    expect(fieldOf({ ...base, train: { epochs: 0 } })).toBe('train.epochs');
    expect(fieldOf({ ...base, train: { charDim: 0, wordDim: 0 } })).toBe('train');
    expect(fieldOf({ ...base, train: { learningRate: 1 } })).toBe('train.learningRate');
    expect(fieldOf({ ...base, margin: -0.1 })).toBe('margin');
    expect(fieldOf({ ...base, perTypeFloors: { BODY: 1.5 } })).toBe('perTypeFloors.BODY');
    expect(fieldOf({ ...base, lockTtlMinutes: 0 })).toBe('lockTtlMinutes');
    expect(fieldOf({ ...base, maxMinutes: 0 })).toBe('maxMinutes');
    expect(fieldOf({ ...base, model: 'fp16' })).toBe('model');
    expect(fieldOf({ ...base, segmenter: 'ltp' })).toBe('segmenter');
    expect(fieldOf({ ...base, consistency: 'yes' })).toBe('consistency');
  });

  it('reads a file: relative paths resolve against the file, errors name the file and field', async () => {
    const dir = join(tmp, 'cfg');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ ...base, workDir: 'w' }));
    const c = await loadRetrainConfig(join(dir, 'ok.json'));
    expect(c.data[0].location).toBe(join(dir, 'corpus'));
    expect(c.workDir).toBe(join(dir, 'w'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base, margin: 'small' }));
    await expect(loadRetrainConfig(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: margin: expected number, got "small"$/);
    writeFileSync(join(dir, 'broken.json'), '{ "data": ');
    await expect(loadRetrainConfig(join(dir, 'broken.json'))).rejects.toThrow(/not valid JSON/);
  });
});

describe('configs/retrain.example.json', () => {
  it('is a valid config', async () => {
    const file = fileURLToPath(new URL('../../configs/retrain.example.json', import.meta.url));
    const c = await loadRetrainConfig(file);
    expect(c.data.length).toBeGreaterThan(0);
    expect(c.perTypeFloors).toEqual({ BODY: 0.9 });
    // it trains the shipped recipe (configs/default.json): plain jieba and the weight average
    expect(c.segmenter).toBe('jieba');
    expect(c.train).toMatchObject({ ema: 0.999, batchSize: 16, epochs: 40, patience: 6 });
  });
});

describe('loadSources', () => {
  it('merges sources of different formats; a later source wins on a duplicate id and is reported', async () => {
    const a = synthDocs(6, { seed: 1 }); // rec1..rec6
    const b = synthDocs(4, { seed: 2, first: 5 }); // rec5..rec8: rec5, rec6 duplicate
    await writeCorpus(join(tmp, 'a.jsonl'), a, { format: 'jsonl' });
    await writeCorpus(join(tmp, 'b-brat'), b, { format: 'brat' });
    const data = await loadSources([{ location: join(tmp, 'a.jsonl') }, { location: join(tmp, 'b-brat') }]);
    expect(data.docs.map((d) => d.id)).toEqual(['rec1', 'rec2', 'rec3', 'rec4', 'rec5', 'rec6', 'rec7', 'rec8']);
    expect(data.duplicates).toEqual([
      { id: 'rec5', from: 0, to: 1 },
      { id: 'rec6', from: 0, to: 1 },
    ]);
    expect(data.docs.find((d) => d.id === 'rec5')).toEqual(b[0]);
    expect(data.sources.map((s) => [s.format, s.docs, s.replacing])).toEqual([
      ['jsonl', 6, 0],
      ['brat', 4, 2],
    ]);
    // swapped order: the other copy wins
    const swapped = await loadSources([{ location: join(tmp, 'b-brat') }, { location: join(tmp, 'a.jsonl') }]);
    expect(swapped.docs.find((d) => d.id === 'rec5')).toEqual(a[4]);
  });

  it('fails naming the source that cannot be read', async () => {
    await expect(loadSources([{ location: join(tmp, 'a.jsonl') }, { location: join(tmp, 'missing') }])).rejects.toThrow(/source 1 \(/);
  });
});

describe('dataFingerprint', () => {
  const train = resolveConfig({ charDim: 8, wordDim: 8, lstm: [8], epochs: 1, workers: 1 });
  const docs = synthDocs(8, { seed: 3 });
  const fp = (d = docs, t = train, model: 'int8' | 'f32' = 'int8') => dataFingerprint(d, { train: t, model });

  it('depends on the documents and settings, not on their order or the checkpoint interval', async () => {
    const ref = await fp();
    expect(ref).toMatch(/^[0-9a-f]{64}$/);
    expect(await fp([...docs].reverse())).toBe(ref);
    expect(await fp(docs.map((d) => ({ ...d, entities: [...d.entities].reverse() })))).toBe(ref);
    expect(await fp(docs, { ...train, checkpointMinutes: 99 })).toBe(ref);
    // any change of data or a setting that changes the model changes it
    expect(await fp(docs.slice(1))).not.toBe(ref);
    const moved = docs.map((d, i) => (i === 2 ? { ...d, entities: d.entities.map((e, k) => (k === 0 ? { ...e, type: 'SIGNS' } : e)) } : d));
    expect(await fp(moved)).not.toBe(ref);
    expect(await fp(docs.map((d, i) => (i === 0 ? { ...d, text: d.text.replace('。', '，') } : d)))).not.toBe(ref);
    expect(await fp(docs, { ...train, epochs: 2 })).not.toBe(ref);
    expect(await fp(docs, train, 'f32')).not.toBe(ref);
    // fields added later count only when set: a job fingerprinted before they existed is not retrained for them
    const before: Record<string, unknown> = { ...train };
    for (const f of ['lexDim', 'lexiconFolds', 'bigramDim', 'bigramMinCount', 'ema', 'trainOn', 'extraTrain']) delete before[f];
    expect(await fp(docs, before as unknown as typeof train)).toBe(ref);
    for (const over of [{ ema: 0.999 }, { lexDim: 4 }, { bigramDim: 8 }, { trainOn: 'train+dev' as const }]) expect(await fp(docs, resolveConfig({ ...train, ...over }))).not.toBe(ref);
    // the bigram vector file is part of it, by content
    const vec = join(tmp, 'bigram.vec');
    writeFileSync(vec, '1 2\nab 0.1 0.2\n');
    const withVec = await fp(docs, resolveConfig({ ...train, bigramDim: 2, embeddings: { bigram: vec } }));
    writeFileSync(vec, '1 2\nab 0.1 0.3\n');
    expect(await fp(docs, resolveConfig({ ...train, bigramDim: 2, embeddings: { bigram: vec } }))).not.toBe(withVec);
    // so are extra training corpora, by their documents, not their path
    const extra = join(tmp, 'extra.jsonl');
    const extraDoc = (type: string) => JSON.stringify({ id: 'p-1', text: '患者腹痛。', entities: [{ start: 2, end: 4, type }] }) + '\n';
    writeFileSync(extra, extraDoc('SIGNS'));
    const withExtra = await fp(docs, resolveConfig({ ...train, extraTrain: [extra] }));
    expect(withExtra).not.toBe(ref);
    const elsewhere = join(tmp, 'elsewhere.jsonl');
    writeFileSync(elsewhere, extraDoc('SIGNS'));
    expect(await fp(docs, resolveConfig({ ...train, extraTrain: [elsewhere] }))).toBe(withExtra);
    writeFileSync(extra, extraDoc('DISEASE'));
    expect(await fp(docs, resolveConfig({ ...train, extraTrain: [extra] }))).not.toBe(withExtra);
  });

  it('is kept in the manifest note and read back from an entry', () => {
    const hex = 'ab'.repeat(32);
    const note = fingerprintNote(hex, 12, 'nightly');
    expect(note).toBe(`nightly; cner-retrain fingerprint=${hex} docs=12`);
    const entry = { note } as ManifestEntry;
    expect(fingerprintOfEntry(entry)).toBe(hex);
    expect(fingerprintOfEntry({ note: 'manual publish' } as ManifestEntry)).toBeNull();
    expect(fingerprintOfEntry(null)).toBeNull();
  });

  it('the split is the record split with seed 2017 (CCKS ids group by record)', () => {
    const ccks = ['一般项目', '病史特点'].flatMap((s) => synthDocs(10, { prefix: `${s}-` }));
    const split = retrainSplit(ccks);
    expect(split.manifest.seed).toBe(2017);
    expect(split.manifest.recordKey).toBe('ccks-record');
    expect(split.manifest.records).toBe(10);
    const side = (id: string) => (split.train.some((d) => d.id === id) ? 'train' : split.dev.some((d) => d.id === id) ? 'dev' : 'test');
    for (let n = 1; n <= 10; n++) expect(side(`一般项目-${n}`)).toBe(side(`病史特点-${n}`));
  });

  it("a config's blocked split is the one the job scores and reports (the split runTraining trains on)", () => {
    const ccks = ['一般项目', '病史特点'].flatMap((s) => synthDocs(10, { prefix: `${s}-` }));
    const split = retrainSplit(ccks, 'blocked');
    const expected = splitByRecord(ccks, { mode: 'blocked', recordKey: recordIdOf });
    expect(split.test.map((d) => d.id).sort()).toEqual(expected.test.map((d) => d.id).sort());
    expect(split.test.map((d) => d.id).sort()).not.toEqual(retrainSplit(ccks).test.map((d) => d.id).sort());
  });
});
