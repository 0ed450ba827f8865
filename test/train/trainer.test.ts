import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import type { Sentence } from '../../src/train/batch.js';
import { resolveConfig } from '../../src/train/config.js';
import { tagAccuracy } from '../../src/train/metrics.js';
import { WasmBackend } from '../../src/train/backend.js';
import { ParamLayout } from '../../src/train/params.js';
import { Rng } from '../../src/train/rng.js';
import { makeBatches, splitLongSentences, train } from '../../src/train/trainer.js';
import { contextTask } from './tiny.js';

const LABELS = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];

/** contextTask (tiny.ts) with sentences of 4–15 characters. */
const synthetic = (n: number, seed: number): Sentence[] => contextTask(n, seed, 4, 12);

const arch: Architecture = { charVocab: 10, charDim: 8, wordVocab: 5, wordDim: 4, lstm: [12], tags: 5, crf: true };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cner-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('trainer', () => {
  const trainSet = synthetic(300, 1);
  const devSet = synthetic(60, 2);

  it('learns a small contextual task: loss falls, dev F1 and tag accuracy reach ~100%', async () => {
    const out = tmp();
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [12], dropout: 0, batchSize: 10, epochs: 12, patience: 0, workers: 1, optimizer: { lr: 0.02 } });
    const r = await train({ arch, labels: LABELS, train: trainSet, dev: devSet }, { config, outDir: out, progress: false });
    const first = r.history[0];
    const last = r.history[r.history.length - 1];
    expect(last.loss).toBeLessThan(first.loss / 5);
    expect(r.best.f1).toBeGreaterThan(0.99);
    const b = new WasmBackend(new ParamLayout(arch));
    b.setParameters(r.best.weights);
    const paths = await b.decode(devSet);
    expect(tagAccuracy(devSet.map((s) => s.tagIds), paths)).toBeGreaterThan(0.99);
    // curve and checkpoint written
    expect(JSON.parse(readFileSync(join(out, 'curve.json'), 'utf8'))).toHaveLength(12);
    expect(readFileSync(join(out, 'curve.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>$/);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
  });

  it('the softmax baseline (crf = false) and 2 workers also learn it', async () => {
    const a2 = { ...arch, crf: false };
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [12], crf: false, dropout: 0.1, batchSize: 10, epochs: 10, patience: 0, workers: 2, optimizer: { lr: 0.02 } });
    const r = await train({ arch: a2, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    expect(r.best.f1).toBeGreaterThan(0.95);
  });

  it('an interrupted run resumed from its checkpoint ends bit-identical to an uninterrupted one (1 thread)', async () => {
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [6], dropout: 0.5, batchSize: 16, epochs: 3, patience: 0, workers: 1, seed: 5 });
    const straight = await train({ arch: { ...arch, lstm: [6] }, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    const out = tmp();
    const ac = new AbortController();
    const first = await train(
      { arch: { ...arch, lstm: [6] }, labels: LABELS, train: trainSet, dev: devSet },
      { config, outDir: out, progress: false, signal: ac.signal, onStep: (s) => s === 25 && ac.abort() }, // mid-epoch 2
    );
    expect(first.stoppedBy).toBe('abort');
    expect(first.steps).toBe(25);
    const resumed = await train({ arch: { ...arch, lstm: [6] }, labels: LABELS, train: trainSet, dev: devSet }, { config, outDir: out, progress: false, resume: true });
    expect(resumed.steps).toBe(straight.steps);
    expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
    for (const [name, t] of straight.final) expect(Array.from(resumed.final.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('two runs with 2 workers are bit-identical', async () => {
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [6], dropout: 0.5, batchSize: 16, epochs: 1, workers: 2, seed: 9 });
    const a6 = { ...arch, lstm: [6] };
    const r1 = await train({ arch: a6, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    const r2 = await train({ arch: a6, labels: LABELS, train: trainSet, dev: devSet }, { config, progress: false });
    for (const [name, t] of r1.final) expect(Array.from(r2.final.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('refuses to resume on different data', async () => {
    const out = tmp();
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [4], batchSize: 50, epochs: 1, workers: 1 });
    await train({ arch: { ...arch, lstm: [4] }, labels: LABELS, train: trainSet, dev: devSet }, { config, outDir: out, progress: false });
    await expect(
      train({ arch: { ...arch, lstm: [4] }, labels: LABELS, train: trainSet.slice(1), dev: devSet }, { config: { ...config, epochs: 2 }, outDir: out, progress: false, resume: true }),
    ).rejects.toThrow(/different training data/);
  });

  it('refuses to resume when only the lexicon ids changed (e.g. another lexiconFolds)', async () => {
    const out = tmp();
    const L = (LABELS.length - 1) / 2;
    const lexArch = { ...arch, lstm: [4], lexTypes: L, lexDim: 2 };
    const withLex = (shift: number) => trainSet.map((s) => ({ ...s, lexIds: Int32Array.from({ length: s.charIds.length * L }, (_, i) => 5 * (i % L) + ((i + shift) % 5)) }));
    const devLex = devSet.map((s) => ({ ...s, lexIds: Int32Array.from({ length: s.charIds.length * L }, (_, i) => 5 * (i % L)) }));
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [4], lexDim: 2, batchSize: 50, epochs: 1, workers: 1 });
    await train({ arch: lexArch, labels: LABELS, train: withLex(0), dev: devLex }, { config, outDir: out, progress: false });
    await expect(
      train({ arch: lexArch, labels: LABELS, train: withLex(1), dev: devLex }, { config: { ...config, epochs: 2 }, outDir: out, progress: false, resume: true }),
    ).rejects.toThrow(/different training data/);
    // the same ids resume
    const again = await train({ arch: lexArch, labels: LABELS, train: withLex(0), dev: devLex }, { config: { ...config, epochs: 2 }, outDir: out, progress: false, resume: true });
    expect(again.history).toHaveLength(2);
  });
});

describe('batching and sentence splitting', () => {
  it('makeBatches covers every sentence once, with little padding', () => {
    const rng = new Rng(1);
    const lengths = Array.from({ length: 1000 }, () => 1 + rng.int(100));
    const batches = makeBatches(lengths, 32, rng);
    const seen = batches.flat().sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    let padded = 0;
    let real = 0;
    for (const b of batches) {
      const T = Math.max(...b.map((i) => lengths[i]));
      padded += T * b.length;
      real += b.reduce((s, i) => s + lengths[i], 0);
    }
    expect(real / padded).toBeGreaterThan(0.9);
  });

  it('splitLongSentences keeps every character and avoids cutting inside an entity', () => {
    const T = 25;
    const tags = new Int32Array(T);
    tags.set([1, 2, 2, 2], 8); // entity over 8..11
    const s: Sentence = { charIds: Int32Array.from({ length: T }, (_, i) => i + 1), wordIds: new Int32Array(T).fill(1), tagIds: tags };
    const parts = splitLongSentences([s], 10, (t) => t === 2);
    expect(parts.every((p) => p.charIds.length <= 10)).toBe(true);
    expect(parts.flatMap((p) => Array.from(p.charIds))).toEqual(Array.from(s.charIds));
    expect(parts[0].charIds.length).toBe(8); // cut moved before the entity
    expect(parts.every((p) => p.tagIds[0] !== 2)).toBe(true);
  });
});
