/**
 * The moving average of the weights (config.ema, src/train/trainer.ts): replayed here step by step from the
 * trainer's own backend (onStep), each epoch is scored on the average and on the raw weights (decoded here) and the
 * better stands and is kept bit for bit, training itself must not change (raw weights bit-
 * identical to a run without the average), ema 0 must be the old behaviour, and an interrupted run resumed from
 * its checkpoint must end with the same average as an uninterrupted one. The tiny model has a bigram channel, so
 * the trainer's handling of bigram ids (batches, checkpoints, resume) runs too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture, Weights } from '../../src/model/layout.js';
import { WasmBackend } from '../../src/train/backend.js';
import type { Sentence } from '../../src/train/batch.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { type TrainConfig, resolveConfig } from '../../src/train/config.js';
import { spanF1 } from '../../src/train/metrics.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { Rng, hash32 } from '../../src/train/rng.js';
import { emaDecay } from '../../src/train/ema.js';
import { type TrainResult, train } from '../../src/train/trainer.js';
import type { EpochReport } from '../../src/train/checkpoint.js';
import { contextTask } from './tiny.js';

const LABELS = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];

/** contextTask (tiny.ts) with sentences of 3–11 characters, plus a bigram id of (c_t, c_t+1) in [1, 12). */
function synthetic(n: number, seed: number): Sentence[] {
  return contextTask(n, seed, 3, 9).map((s) => {
    const c = s.charIds;
    const T = c.length;
    return { ...s, bigramIds: Int32Array.from(c, (x, t) => 1 + ((3 * x + (t + 1 < T ? c[t + 1] : 0)) % 11)) }; // [T]
  });
}

const arch: Architecture = { charVocab: 10, charDim: 4, wordVocab: 5, wordDim: 2, bigramVocab: 12, bigramDim: 3, lstm: [5], tags: 5, crf: true };
const layout = new ParamLayout(arch);
const trainSet = synthetic(40, 1); // batchSize 8 → 5 steps an epoch
const devSet = synthetic(16, 2);
const BASE = { charDim: 4, wordDim: 2, bigramDim: 3, lstm: [5], dropout: 0.2, batchSize: 8, epochs: 4, patience: 0, workers: 1, seed: 3, optimizer: { lr: 0.05 } };
const config = (over: Partial<TrainConfig> = {}) => resolveConfig({ ...BASE, ...over } as Parameters<typeof resolveConfig>[0]);
const initial = () => initParameters(layout, new Rng(hash32(3, 1))); // what the trainer draws for seed 3

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cner-ema-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flat = (w: Weights) => layout.fromWeights(w);
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Dev F1 of flat parameters, decoded here on a fresh backend. */
function devF1(params: Float32Array): number {
  const b = new WasmBackend(layout);
  b.setParameters(params);
  return spanF1(devSet.map((s) => s.tagIds), b.decodeSync(devSet), LABELS).f1;
}

interface Replay {
  result: TrainResult;
  /** our average after each epoch, and the raw parameters then */
  emaAt: Float32Array[];
  rawAt: Float32Array[];
  reports: EpochReport[];
  best: { weights: Weights; report: EpochReport }[];
  steps: number;
}

/**
 * A run on our own backend, the average replayed after every step from the parameters the trainer's backend
 * holds then (onStep runs right after the optimiser step). `start`: the parameters the average starts from.
 */
async function replay(cfg: TrainConfig, opts: { outDir?: string; resume?: boolean; signal?: AbortSignal; maxSeconds?: number; start?: Float32Array; onStep?: (step: number) => void } = {}): Promise<Replay> {
  const backend = new WasmBackend(layout);
  const d = cfg.ema;
  const ema = (opts.start ?? initial()).slice();
  const out: Omit<Replay, 'result'> = { emaAt: [], rawAt: [], reports: [], best: [], steps: 0 };
  const result = await train(
    { arch, labels: LABELS, train: trainSet, dev: devSet, initial: opts.resume ? undefined : initial() },
    {
      config: cfg,
      backend,
      outDir: opts.outDir,
      resume: opts.resume,
      signal: opts.signal,
      maxSeconds: opts.maxSeconds,
      progress: false,
      onStep: (step) => {
        const p = backend.getFlatParameters();
        const dt = emaDecay(d, step - 1); // the update after step `step` − 1 (steps counted from 0)
        for (let i = 0; i < p.length; i++) ema[i] = dt * ema[i] + (1 - dt) * p[i];
        out.steps++;
        opts.onStep?.(step);
      },
      onEpoch: (report) => {
        out.reports.push(report);
        out.emaAt.push(ema.slice());
        out.rawAt.push(backend.getFlatParameters());
      },
      onBest: (weights, report) => {
        out.best.push({ weights, report });
      },
    },
  );
  return { result, ...out };
}

describe('moving average of the weights (config.ema)', () => {
  it('config: ema defaults to 0; it must be a number in [0, 1)', () => {
    expect(resolveConfig().ema).toBe(0);
    expect(resolveConfig({ ema: 0.999 }).ema).toBe(0.999);
    expect(resolveConfig({ ema: 0 }).ema).toBe(0);
    for (const bad of [-0.1, 1, 1.5, NaN, Infinity, '0.9', null, true]) {
      expect(() => resolveConfig({ ema: bad as number }), String(bad)).toThrow(/^config: ema: (must be ≥ 0|must be < 1|expected number), got /);
    }
  });

  it('checkpoints carry the average (and files without one read back without one)', () => {
    const dir = tmp();
    const path = join(dir, 'ck.bin');
    const st = { arch, labels: LABELS, dataKey: 'x', epoch: 0, batchIndex: 0, epochRng: new Rng(1).getState(), step: 0, adamStep: 0, epochLoss: 0, epochSentences: 0, epochChars: 0, epochSeconds: 0, bestF1: -1, bestEpoch: 0, badEpochs: 0, history: [], elapsedSeconds: 0 };
    const n = layout.total;
    const v = (k: number) => Float32Array.from({ length: n }, (_, i) => i * k + 0.5);
    writeCheckpoint(path, { state: st, params: v(1), m: v(2), v: v(3), best: v(4), ema: v(5) });
    const ck = readCheckpoint(path);
    expect(same(ck.ema!, v(5))).toBe(true);
    expect(same(ck.best!, v(4))).toBe(true);
    expect(same(ck.params, v(1))).toBe(true);
    writeCheckpoint(path, { state: st, params: v(1), m: v(2), v: v(3) });
    expect(readCheckpoint(path).ema).toBeUndefined();
    expect(readCheckpoint(path).best).toBeUndefined();
  });

  it('ema 0 is the run without the field: same best, final weights and history, bit for bit; best = the raw weights of the best epoch', async () => {
    const a = await replay(resolveConfig({ ...BASE } as Parameters<typeof resolveConfig>[0]));
    const b = await replay(config({ ema: 0 }));
    expect(resolveConfig({ ...BASE } as Parameters<typeof resolveConfig>[0])).toEqual(config({ ema: 0 }));
    expect(a.result.steps).toBe(20);
    expect(b.result.history).toEqual(a.result.history.map((h, i) => ({ ...h, seconds: b.result.history[i].seconds, charsPerSec: b.result.history[i].charsPerSec })));
    expect(same(flat(b.result.best.weights), flat(a.result.best.weights))).toBe(true);
    expect(same(flat(b.result.final), flat(a.result.final))).toBe(true);
    const e = b.result.best.epoch;
    expect(e).toBeGreaterThan(0);
    expect(same(flat(b.result.best.weights), b.rawAt[e - 1])).toBe(true);
    // the F1 reported is that of the raw weights
    b.reports.forEach((r, i) => expect(r.devF1, `epoch ${i + 1}`).toBe(devF1(b.rawAt[i])));
    // and the checkpoint holds no average
    const out = tmp();
    await train({ arch, labels: LABELS, train: trainSet, dev: devSet }, { config: config({ ema: 0, epochs: 1 }), outDir: out, progress: false });
    expect(readCheckpoint(join(out, 'checkpoint.bin')).ema).toBeUndefined();
  });

  it('ema 0.8: each epoch is scored on the average we replay and on the raw weights, the better stands (ties: the average) and is kept bit for bit; training itself is unchanged', async () => {
    const d = 0.8;
    const r = await replay(config({ ema: d }));
    const plain = await replay(config({ ema: 0 }));
    expect(r.steps).toBe(20);
    expect(r.result.steps).toBe(20);
    // training follows the raw weights: the same trajectory as without an average (dev evaluation does not disturb it)
    expect(same(flat(r.result.final), flat(plain.result.final))).toBe(true);
    r.rawAt.forEach((raw, i) => expect(same(raw, plain.rawAt[i]), `raw weights after epoch ${i + 1}`).toBe(true));
    expect(r.result.history.map((h) => h.loss)).toEqual(plain.result.history.map((h) => h.loss));
    // the average is not the raw weights of any epoch, and moves every epoch
    r.emaAt.forEach((m, i) => {
      expect(maxDiff(m, r.rawAt[i]), `epoch ${i + 1}`).toBeGreaterThan(1e-3);
      if (i > 0) expect(maxDiff(m, r.emaAt[i - 1])).toBeGreaterThan(1e-4);
    });
    // every epoch's report: both scores, decoded here, and the better one stands
    const emaF1 = r.emaAt.map(devF1);
    const rawF1 = r.rawAt.map(devF1);
    expect(rawF1, 'raw and averaged weights score differently in some epoch (so the checks mean something)').not.toEqual(emaF1);
    r.reports.forEach((rep, i) => {
      expect(rep.devF1Average, `epoch ${i + 1}`).toBe(emaF1[i]);
      expect(rep.devF1Raw, `epoch ${i + 1}`).toBe(rawF1[i]);
      expect(rep.kept).toBe(rawF1[i] > emaF1[i] ? 'raw' : 'average');
      expect(rep.devF1).toBe(Math.max(rawF1[i], emaF1[i]));
    });
    expect(r.reports.some((rep) => rep.kept === 'average'), 'the average stands in some epoch').toBe(true);
    // best = the weights that stood for the best epoch, bit for bit (onBest got the same)
    const e = r.result.best.epoch;
    expect(e).toBeGreaterThan(0);
    expect(r.result.best.f1).toBe(Math.max(...emaF1, ...rawF1));
    const stood = r.reports[e - 1].kept === 'raw' ? r.rawAt[e - 1] : r.emaAt[e - 1];
    expect(same(flat(r.result.best.weights), stood), 'best weights = the weights that stood').toBe(true);
    const last = r.best[r.best.length - 1];
    expect(last.report.epoch).toBe(e);
    expect(same(flat(last.weights), stood)).toBe(true);
    console.log(`ema ${d}: dev F1 averaged ${emaF1.map((f) => f.toFixed(3)).join(' ')} · raw ${rawF1.map((f) => f.toFixed(3)).join(' ')} · kept ${r.reports.map((rep) => rep.kept).join(' ')}`);
  });

  it('the decay warms up: min(d, (1 + t) / (10 + t)) at step t', () => {
    expect(emaDecay(0.999, 0)).toBeCloseTo(0.1, 12);
    expect(emaDecay(0.999, 80)).toBeCloseTo(0.9, 12);
    expect(emaDecay(0.999, 890)).toBeCloseTo(0.99, 12);
    expect(emaDecay(0.999, 8990)).toBe(0.999);
    expect(emaDecay(0.999, 100000)).toBe(0.999);
    expect(emaDecay(0.5, 0)).toBeCloseTo(0.1, 12);
    expect(emaDecay(0.5, 8)).toBe(0.5);
  });

  it('the average starts from the initial weights: after one step it is e·init + (1 − e)·params with e = min(d, 1/10), rounded to f32', async () => {
    const d = 0.75;
    const e = emaDecay(d, 0);
    expect(e).toBeCloseTo(0.1, 12);
    const init = initial();
    const backend = new WasmBackend(layout);
    let afterOne: Float32Array | undefined;
    const ac = new AbortController();
    const out = tmp();
    await train(
      { arch, labels: LABELS, train: trainSet, dev: devSet, initial: init },
      { config: config({ ema: d }), backend, outDir: out, progress: false, signal: ac.signal, onStep: () => {
        afterOne = backend.getFlatParameters();
        ac.abort();
      } },
    );
    const ck = readCheckpoint(join(out, 'checkpoint.bin'));
    expect(ck.state.step).toBe(1);
    const want = Float32Array.from(init, (x, i) => e * x + (1 - e) * afterOne![i]);
    expect(same(ck.ema!, want)).toBe(true);
    expect(same(ck.params, afterOne!)).toBe(true);
    expect(maxDiff(ck.ema!, ck.params)).toBeGreaterThan(1e-4);
  });

  it('an interrupted run (abort mid-epoch, a time limit, abort at an epoch end) resumed from its checkpoint ends with the same average', async () => {
    const cfg = config({ ema: 0.9 });
    const straightDir = tmp();
    const straight = await replay(cfg, { outDir: straightDir });
    const straightCk = readCheckpoint(join(straightDir, 'checkpoint.bin'));
    expect(straightCk.ema).toBeDefined();
    expect(same(straightCk.ema!, straight.emaAt[3])).toBe(true);

    const dir = tmp();
    // 1. abort after step 7 (epoch 2, batch 3 of 5)
    const ac1 = new AbortController();
    const part1 = await replay(cfg, { outDir: dir, signal: ac1.signal, onStep: (s) => s === 7 && ac1.abort() });
    expect(part1.result.stoppedBy).toBe('abort');
    const ck1 = readCheckpoint(join(dir, 'checkpoint.bin'));
    expect(ck1.state.step).toBe(7);
    expect(ck1.state.batchIndex).toBe(2);
    // 2. resumed with no time at all: stops at once, rewriting the checkpoint with the same average
    const part2 = await replay(cfg, { outDir: dir, resume: true, maxSeconds: 0, start: ck1.ema });
    expect(part2.result.stoppedBy).toBe('time');
    expect(part2.steps).toBe(0);
    const ck2 = readCheckpoint(join(dir, 'checkpoint.bin'));
    expect(same(ck2.ema!, ck1.ema!)).toBe(true);
    // 3. resumed, aborted again at an epoch's end (step 15: the check falls after epoch 3's dev evaluation)
    const ac3 = new AbortController();
    const part3 = await replay(cfg, { outDir: dir, resume: true, signal: ac3.signal, start: ck2.ema, onStep: (s) => s === 15 && ac3.abort() });
    expect(part3.result.stoppedBy).toBe('abort');
    expect(part3.steps).toBe(8);
    // 4. resumed to the end
    const ck3 = readCheckpoint(join(dir, 'checkpoint.bin'));
    expect(ck3.state.epoch).toBe(3);
    const part4 = await replay(cfg, { outDir: dir, resume: true, start: ck3.ema });
    expect(part4.result.stoppedBy).toBe('epochs');
    expect(part4.result.steps).toBe(20);

    const endCk = readCheckpoint(join(dir, 'checkpoint.bin'));
    expect(same(endCk.ema!, straightCk.ema!), 'the average at the end').toBe(true);
    expect(same(endCk.params, straightCk.params)).toBe(true);
    expect(same(endCk.best!, straightCk.best!)).toBe(true);
    expect(same(flat(part4.result.best.weights), flat(straight.result.best.weights))).toBe(true);
    expect(part4.result.best.epoch).toBe(straight.result.best.epoch);
    expect(part4.result.history.map((h) => h.devF1)).toEqual(straight.result.history.map((h) => h.devF1));
    // our replays, stitched across the interruptions, agree with the trainer's checkpoints
    expect(same(part4.emaAt[0], straight.emaAt[3])).toBe(true);
  });

  it('resuming with another ema than the checkpoint\'s is refused; one from before the field starts the average from its weights', async () => {
    const dir = tmp();
    const ac = new AbortController();
    await replay(config({ ema: 0 }), { outDir: dir, signal: ac.signal, onStep: (s) => s === 6 && ac.abort() });
    const ck = readCheckpoint(join(dir, 'checkpoint.bin'));
    expect(ck.ema).toBeUndefined();
    expect(ck.state.ema).toBe(0);
    // its best weights and dev scores were chosen without an average: a resume that changes that is refused
    await expect(replay(config({ ema: 0.7 }), { outDir: dir, resume: true, start: ck.params })).rejects.toThrow(/made with ema 0, the config says 0.7/);
    // a checkpoint written before the field existed carries no decay: the average starts from its weights
    const { ema: _decay, emaWarmup: _warmup, ...older } = ck.state;
    writeCheckpoint(join(dir, 'checkpoint.bin'), { ...ck, state: older });
    const resumed = await replay(config({ ema: 0.7 }), { outDir: dir, resume: true, start: ck.params });
    expect(resumed.steps).toBe(14);
    const e = resumed.result.best.epoch;
    expect(e).toBeGreaterThan(1);
    // the replayed average (from ck.params at step 6) is the kept best — epochs 1 was scored before the average existed
    const i = resumed.reports.findIndex((r) => r.epoch === e);
    expect(resumed.reports[i].kept).toBeDefined();
    expect(same(flat(resumed.result.best.weights), resumed.reports[i].kept === 'raw' ? resumed.rawAt[i] : resumed.emaAt[i])).toBe(true);
    expect(same(readCheckpoint(join(dir, 'checkpoint.bin')).ema!, resumed.emaAt[resumed.emaAt.length - 1])).toBe(true);
  });

  it('a checkpoint with an average from before the warm-up is refused with a clear message; its state says so', async () => {
    const dir = tmp();
    const ac = new AbortController();
    await replay(config({ ema: 0.9 }), { outDir: dir, signal: ac.signal, onStep: (s) => s === 3 && ac.abort() });
    const ck = readCheckpoint(join(dir, 'checkpoint.bin'));
    expect(ck.state.emaWarmup).toBe(true);
    expect(ck.state.step).toBe(3);
    const { emaWarmup: _warmup, ...older } = ck.state;
    writeCheckpoint(join(dir, 'checkpoint.bin'), { ...ck, state: older });
    await expect(replay(config({ ema: 0.9 }), { outDir: dir, resume: true, start: ck.ema })).rejects.toThrow(
      'resume: the checkpoint was made by an older cner whose weight average (ema 0.9) had no warm-up; start the run over (--force)',
    );
    // nothing lost: the checkpoint is still there, unchanged
    expect(same(readCheckpoint(join(dir, 'checkpoint.bin')).ema!, ck.ema!)).toBe(true);
  });
});
