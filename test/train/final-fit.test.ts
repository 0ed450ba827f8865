/**
 * A final fit (config.trainOn 'train+dev'): the trainer, given no dev sentences, keeps the LAST epoch's weights
 * (averaged with ema) and patience never stops it; runTraining moves the dev records into the training data
 * (feature space, consistency table, sentences) and keeps the test split exactly as the record split made it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConsistencyTable } from '../../src/consistency/index.js';
import type { Architecture, Weights } from '../../src/model/layout.js';
import { readModel } from '../../src/model/format.js';
import { WasmBackend } from '../../src/train/backend.js';
import { identityOf, resolveConfig } from '../../src/train/config.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { Rng, hash32 } from '../../src/train/rng.js';
import { readSplit, runTraining } from '../../src/train/run.js';
import { emaDecay } from '../../src/train/ema.js';
import { train } from '../../src/train/trainer.js';
import { ccksLikeDocs, writeJsonl } from '../pipeline/fixture.js';
import { contextTask } from './tiny.js';

const LABELS = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];
const arch: Architecture = { charVocab: 10, charDim: 4, wordVocab: 5, wordDim: 2, lstm: [5], tags: 5, crf: true };
const layout = new ParamLayout(arch);
const trainSet = contextTask(40, 1, 3, 9); // batchSize 8 → 5 steps an epoch
const BASE = { charDim: 4, wordDim: 2, lstm: [5], dropout: 0.2, batchSize: 8, epochs: 4, workers: 1, seed: 3, optimizer: { lr: 0.05 } };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const flat = (w: Weights) => layout.fromWeights(w);
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('config.trainOn', () => {
  it("defaults to 'train'; only 'train', 'train+dev' and 'all' are accepted; at its default it leaves config identities alone", () => {
    expect(resolveConfig().trainOn).toBe('train');
    expect(resolveConfig({ trainOn: 'train+dev' }).trainOn).toBe('train+dev');
    expect(resolveConfig({ trainOn: 'all' }).trainOn).toBe('all');
    for (const bad of ['dev', 'train+test', 'ALL', '', null, true, 1]) {
      expect(() => resolveConfig({ trainOn: bad as 'train' }), String(bad)).toThrow(/^config: trainOn: expected one of "train", "train\+dev", "all", got /);
    }
    expect(identityOf(resolveConfig())).not.toHaveProperty('trainOn');
    expect(identityOf(resolveConfig({ trainOn: 'train+dev' }))).toHaveProperty('trainOn', 'train+dev');
  });
});

describe('the trainer with no dev sentences', () => {
  it('keeps the last epoch (raw weights without ema), reports every epoch as kept, and patience never stops it', async () => {
    const kept: number[] = [];
    let lastKept: Weights | undefined;
    const r = await train(
      { arch, labels: LABELS, train: trainSet, dev: [] },
      { config: resolveConfig({ ...BASE, patience: 1 }), backend: new WasmBackend(layout), progress: false, onBest: (w, rep) => { kept.push(rep.epoch); lastKept = w; } },
    );
    expect(r.stoppedBy).toBe('epochs');
    expect(r.history).toHaveLength(4);
    expect(kept).toEqual([1, 2, 3, 4]);
    expect(r.best.epoch).toBe(4);
    expect(same(flat(r.best.weights), flat(r.final))).toBe(true);
    expect(same(flat(lastKept!), flat(r.final))).toBe(true);
  });

  it('with ema: keeps the average at the end of the last epoch (replayed here bit for bit), not the raw weights', async () => {
    const backend = new WasmBackend(layout);
    const d = 0.8;
    const init = initParameters(layout, new Rng(hash32(3, 1)));
    const ema = init.slice();
    const r = await train(
      { arch, labels: LABELS, train: trainSet, dev: [], initial: init },
      {
        config: resolveConfig({ ...BASE, ema: d, patience: 1 }),
        backend,
        progress: false,
        onStep: (step) => {
          const p = backend.getFlatParameters();
          const dt = emaDecay(d, step - 1);
          for (let i = 0; i < p.length; i++) ema[i] = dt * ema[i] + (1 - dt) * p[i];
        },
      },
    );
    expect(r.best.epoch).toBe(4);
    const best = flat(r.best.weights);
    expect(same(best, ema)).toBe(true);
    expect(best.some((v, i) => Math.abs(v - flat(r.final)[i]) > 1e-3)).toBe(true);
  });
});

describe('runTraining with trainOn train+dev', () => {
  it('trains on the train and dev records, builds the consistency table from both, keeps the test split, and keeps the last epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cner-finalfit-'));
    dirs.push(dir);
    const corpus = join(dir, 'corpus.jsonl');
    writeJsonl(corpus, ccksLikeDocs(40, 7));
    const { split } = await readSplit(corpus);
    expect(split.dev.length).toBeGreaterThan(0);
    expect(split.test.length).toBeGreaterThan(0);
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [8], dropout: 0, epochs: 3, patience: 1, workers: 1, batchSize: 8, trainOn: 'train+dev', optimizer: { lr: 0.02 } });
    const logs: string[] = [];
    const s = await runTraining({ data: corpus, out: join(dir, 'run'), config, progress: false, log: (l) => logs.push(l), evaluate: true });
    expect((s.data.train as { docs: number }).docs).toBe(split.train.length + split.dev.length);
    expect((s.data.dev as { docs: number }).docs).toBe(0);
    expect((s.data.test as { docs: number }).docs).toBe(split.test.length);
    expect(s.split.test).toEqual(split.manifest.test.records);
    expect(s.split.dev).toEqual(split.manifest.dev.records);
    expect(s.history).toHaveLength(3);
    expect(s.best.epoch).toBe(3);
    expect(s.stoppedBy).toBe('epochs');
    expect(s.evaluation?.int8.withConsistency.docs).toBe(split.test.length);
    expect(logs.some((l) => /final fit: \d+ dev documents join the training data/.test(l))).toBe(true);
    for (const path of [s.models.f32, s.models.int8]) {
      const h = readModel(new Uint8Array(readFileSync(path))).header;
      expect(h.training?.config).toMatchObject({ trainOn: 'train+dev', epochs: 3 });
      // no dev figures: nothing was scored on dev
      expect((h.training?.metrics as { dev?: unknown }).dev).toBeUndefined();
      const expected = buildConsistencyTable([...split.train, ...split.dev], h.normalization);
      expect(h.consistency).toEqual(expected);
      expect(h.consistency).not.toEqual(buildConsistencyTable(split.train, h.normalization));
    }
  }, 120_000);
});

describe('runTraining with trainOn all', () => {
  it('trains on every record (train, dev and test), scores nothing, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cner-fitall-'));
    dirs.push(dir);
    const corpus = join(dir, 'corpus.jsonl');
    const docs = ccksLikeDocs(40, 7);
    writeJsonl(corpus, docs);
    const { split } = await readSplit(corpus);
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [8], dropout: 0, epochs: 2, patience: 1, workers: 1, batchSize: 8, trainOn: 'all', optimizer: { lr: 0.02 } });
    const logs: string[] = [];
    const s = await runTraining({ data: corpus, out: join(dir, 'run'), config, progress: false, log: (l) => logs.push(l), evaluate: true });
    expect((s.data.train as { docs: number }).docs).toBe(docs.length);
    expect((s.data.dev as { docs: number }).docs).toBe(0);
    expect((s.data.test as { docs: number }).docs).toBe(0);
    expect(s.best.epoch).toBe(2);
    expect(s.test).toBeNull();
    expect(s.evaluation).toBeUndefined();
    expect(logs.some((l) => /final fit on every record: \d+ dev and \d+ test documents join the training data/.test(l))).toBe(true);
    const h = readModel(new Uint8Array(readFileSync(s.models.int8))).header;
    expect(h.training?.config).toMatchObject({ trainOn: 'all', epochs: 2 });
    expect(h.consistency).toEqual(buildConsistencyTable([...split.train, ...split.dev, ...split.test], h.normalization));
  }, 120_000);
});
