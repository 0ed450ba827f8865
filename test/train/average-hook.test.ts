/**
 * The weight moving average as a backend capability (TrainingBackend.startAverage / updateAverage / getAverage /
 * swapAverage): the average lives beside the parameters (wasm memory's neighbour, the coordinator of the workers,
 * a GPU buffer), so the trainer folds it in after every step without reading the parameters back. Checked on
 * WasmBackend, ParallelBackend (2 workers) and WebGpuBackend (skipped with the reason when no adapter): the fold
 * is Ema's arithmetic (bit for bit on the CPU backends), the swap puts the average where decode reads it and back,
 * bad calls fail with exact messages; the trainer reads the parameters only at epoch ends; and train() runs on the
 * WebGPU backend with the average on, as the wasm backend does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture, Weights } from '../../src/model/layout.js';
import { type TrainingBackend, WasmBackend } from '../../src/train/backend.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { resolveConfig } from '../../src/train/config.js';
import { foldAverage } from '../../src/train/ema.js';
import { ParallelBackend } from '../../src/train/parallel.js';
import { ParamLayout } from '../../src/train/params.js';
import { train } from '../../src/train/trainer.js';
import { findWebGpuAdapter } from '../../src/train/webgpu/adapter.js';
import { WebGpuBackend } from '../../src/train/webgpu/backend.js';
import { GpuContext } from '../../src/train/webgpu/context.js';
import { contextTask, randomParams, randomSentences, tinyArch } from './tiny.js';
import { gpuSkip, maxRelError } from './webgpu-support.js';

const skipGpu = await gpuSkip('average-hook');

const LABELS = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];
const arch: Architecture = tinyArch({ charVocab: 10, wordVocab: 5, lstm: [5, 4] });
const layout = new ParamLayout(arch);
const n = layout.total;

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

const open: TrainingBackend[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const b of open.splice(0)) await b.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function newGpuBackend(l: ParamLayout): Promise<WebGpuBackend> {
  const found = await findWebGpuAdapter();
  if (typeof found === 'string') throw new Error(found);
  const b = new WebGpuBackend(l, await GpuContext.create(found.adapter));
  open.push(b);
  return b;
}

const kinds: { name: string; exact: boolean; skip: string | null; make: () => Promise<TrainingBackend> }[] = [
  { name: 'WasmBackend', exact: true, skip: null, make: async () => new WasmBackend(layout) },
  {
    name: 'ParallelBackend (2 workers)',
    exact: true,
    skip: null,
    make: async () => {
      const b = await ParallelBackend.create(layout, { workers: 2 });
      open.push(b);
      return b;
    },
  },
  { name: 'WebGpuBackend', exact: false, skip: skipGpu, make: () => newGpuBackend(layout) },
];

/** sync() where the backend has one (WebGpuBackend), so the getters answer. */
async function synced(b: TrainingBackend): Promise<TrainingBackend> {
  await b.sync?.();
  return b;
}

for (const kind of kinds) {
  describe.skipIf(kind.skip !== null)(`${kind.name}: the weight average beside the parameters`, () => {
    const expectSame = (got: Float32Array, want: Float32Array, what: string) => {
      if (kind.exact) expect(same(got, want), what).toBe(true);
      else expect(maxRelError(got, want), what).toBeLessThan(1e-5); // f32 on the GPU, f64 in foldAverage
    };

    it('starts at the parameters (or given weights), folds in d·avg + (1 − d)·params with the warm-up, answers copies', async () => {
      const b = await kind.make();
      const p0 = randomParams(n, layout.slots, 1);
      b.setParameters(p0);
      b.startAverage();
      expect(same((await synced(b)).getAverage(), p0), 'starts as the parameters').toBe(true);
      const want = p0.slice();
      for (const [step, seed] of [
        [0, 2],
        [1, 3],
        [7, 4],
        [5000, 5],
      ]) {
        const p = randomParams(n, layout.slots, seed);
        b.setParameters(p);
        b.updateAverage(0.99, step);
        foldAverage(want, p, 0.99, step);
      }
      expectSame((await synced(b)).getAverage(), want, 'the average after four folds');
      // the parameters are untouched by the fold, and getAverage answers a copy
      expect(same(b.getFlatParameters(), randomParams(n, layout.slots, 5))).toBe(true);
      const copy = b.getAverage();
      copy.fill(7);
      expect(b.getAverage()[0]).not.toBe(7);
      // a checkpoint's average
      const given = randomParams(n, layout.slots, 9);
      b.startAverage(given);
      given.fill(0); // a copy was taken
      expect(same((await synced(b)).getAverage(), randomParams(n, layout.slots, 9))).toBe(true);
    });

    it('swapAverage puts the average where decode reads it, and a second swap puts both back bit for bit', async () => {
      const b = await kind.make();
      const raw = randomParams(n, layout.slots, 11);
      const avg = randomParams(n, layout.slots, 12);
      b.setParameters(raw);
      b.startAverage(avg);
      const sentences = randomSentences(arch, [6, 3, 9, 1], 13);
      const ref = new WasmBackend(layout);
      ref.setParameters(avg);
      const wantAvg = ref.decodeSync(sentences);
      ref.setParameters(raw);
      const wantRaw = ref.decodeSync(sentences);
      expect(
        wantAvg.map((p) => Array.from(p)),
        'the two weight sets decode differently',
      ).not.toEqual(wantRaw.map((p) => Array.from(p)));
      b.swapAverage();
      expect(await b.decode(sentences)).toEqual(wantAvg);
      await synced(b);
      expect(same(b.getFlatParameters(), avg)).toBe(true);
      expect(same(b.getAverage(), raw)).toBe(true);
      b.swapAverage();
      expect(await b.decode(sentences)).toEqual(wantRaw);
      await synced(b);
      expect(same(b.getFlatParameters(), raw)).toBe(true);
      expect(same(b.getAverage(), avg)).toBe(true);
    });

    it('refuses bad calls with exact messages and changes nothing', async () => {
      const b = await kind.make();
      const p = randomParams(n, layout.slots, 21);
      b.setParameters(p);
      expect(() => b.updateAverage(0.9, 0)).toThrow('updateAverage: no weight average; call startAverage first');
      expect(() => b.getAverage()).toThrow('getAverage: no weight average; call startAverage first');
      expect(() => b.swapAverage()).toThrow('swapAverage: no weight average; call startAverage first');
      expect(() => b.startAverage(new Float32Array(n + 1))).toThrow(`startAverage: expected ${n} floats, got ${n + 1}`);
      b.startAverage();
      for (const d of [0, 1, -0.5, NaN]) {
        expect(() => b.updateAverage(d, 0)).toThrow(`updateAverage: expected 0 < decay < 1, got ${d}`);
      }
      for (const t of [-1, 0.5, NaN]) {
        expect(() => b.updateAverage(0.9, t)).toThrow(`updateAverage: expected a step ≥ 0, got ${t}`);
      }
      await synced(b);
      expect(same(b.getAverage(), p)).toBe(true);
      expect(same(b.getFlatParameters(), p)).toBe(true);
    });
  });
}

describe('the trainer and the average hook', () => {
  const trainSet = contextTask(48, 1, 3, 9); // batchSize 6 → 8 steps an epoch
  const devSet = contextTask(16, 2, 3, 9);
  const config = (over: Record<string, unknown> = {}) =>
    resolveConfig({
      charDim: 4, wordDim: 3, lstm: [5, 4], dropout: 0.2, batchSize: 6, epochs: 3, patience: 0, workers: 1, seed: 3,
      optimizer: { lr: 0.05 }, ema: 0.9, ...over,
    } as Parameters<typeof resolveConfig>[0]); // prettier-ignore

  /** A real WasmBackend that counts the reads of its parameters. */
  class CountingBackend extends WasmBackend {
    reads = 0;
    override getFlatParameters(): Float32Array {
      this.reads++;
      return super.getFlatParameters();
    }
    override getParameters(): Weights {
      this.reads++;
      return super.getParameters();
    }
  }

  it('reads the parameters back only at epoch ends (best weights, checkpoint, result), not after every step', async () => {
    const backend = new CountingBackend(layout);
    const outDir = mkdtempSync(join(tmpdir(), 'cner-avg-hook-'));
    dirs.push(outDir);
    const r = await train(
      { arch, labels: LABELS, train: trainSet, dev: devSet },
      { config: config(), backend, outDir, progress: false },
    );
    expect(r.steps).toBe(24);
    // per epoch at most the best weights and the checkpoint, then the result
    expect(backend.reads).toBeLessThanOrEqual(2 * 3 + 1);
    expect(readCheckpoint(join(outDir, 'checkpoint.bin')).ema?.length).toBe(n);
  });

  it.skipIf(skipGpu !== null)(
    'train() with the average on runs on the WebGPU backend as on the wasm backend',
    async () => {
      const dirW = mkdtempSync(join(tmpdir(), 'cner-avg-hook-w-'));
      const dirG = mkdtempSync(join(tmpdir(), 'cner-avg-hook-g-'));
      dirs.push(dirW, dirG);
      const input = {
        arch,
        labels: LABELS,
        train: trainSet,
        dev: devSet,
        initial: randomParams(n, layout.slots, 31, 0.3),
      };
      const wasm = await train(input, {
        config: config(),
        backend: new WasmBackend(layout),
        outDir: dirW,
        progress: false,
      });
      const gpu = await train(input, {
        config: config(),
        backend: await newGpuBackend(layout),
        outDir: dirG,
        progress: false,
      });
      expect(gpu.steps).toBe(wasm.steps);
      gpu.history.forEach((h, i) => {
        const w = wasm.history[i];
        expect(Math.abs(h.loss - w.loss) / w.loss, `epoch ${i + 1} loss`).toBeLessThan(1e-3);
        expect(h.devF1Average, `epoch ${i + 1} dev F1 of the average`).toBeCloseTo(w.devF1Average!, 6);
      });
      const ckW = readCheckpoint(join(dirW, 'checkpoint.bin'));
      const ckG = readCheckpoint(join(dirG, 'checkpoint.bin'));
      expect(maxRelError(ckG.ema!, ckW.ema!, 0.05), 'the averages at the end').toBeLessThan(1e-2);
      expect(maxRelError(ckG.params, ckW.params, 0.05), 'the raw weights at the end').toBeLessThan(1e-2);
      const flat = (w: Weights) => layout.fromWeights(w);
      expect(maxRelError(flat(gpu.best.weights), flat(wasm.best.weights), 0.05)).toBeLessThan(1e-2);
    },
  );
});
