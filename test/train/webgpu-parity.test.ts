/**
 * The WebGPU training backend against WasmBackend on tiny shapes: loss and every gradient (all input channels,
 * CRF and softmax, dropout on, same seed and keys), Adam with clipping step for step, three epochs of a small
 * corpus, and a checkpoint resumed across backends. Skips with the reason when no WebGPU adapter can be had
 * (lavapipe, Mesa's software Vulkan, gives one on a CPU-only machine: VK_ICD_FILENAMES=…/lvp_icd.json).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBio, parseYidu } from '../../src/corpus/index.js';
import type { Architecture } from '../../src/model/layout.js';
import { type AdamOptions, type TrainingBackend, WasmBackend } from '../../src/train/backend.js';
import type { Sentence } from '../../src/train/batch.js';
import { type Checkpoint, type TrainerState, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { buildFeatureSpace, docsToSentences, lexiconOf } from '../../src/train/data.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { Rng, hash32 } from '../../src/train/rng.js';
import { makeBatches, train } from '../../src/train/trainer.js';
import { resolveConfig } from '../../src/train/config.js';
import { findWebGpuAdapter } from '../../src/train/webgpu/adapter.js';
import { WebGpuBackend, createWebGpuBackend } from '../../src/train/webgpu/backend.js';
import { GpuContext } from '../../src/train/webgpu/context.js';
import { gpuSkip, maxRelError } from './webgpu-support.js';
import { contextTask, randomParams, randomSentences, tinyArch } from './tiny.js';

const skip = await gpuSkip('webgpu-parity');

/** Every channel on: char, word (B/M/E/S rows not needed here), bigram, a 2-type lexicon; two layers. */
const allChannels = (over: Partial<Architecture> = {}) =>
  tinyArch({ bigramVocab: 8, bigramDim: 3, lexTypes: 2, lexDim: 3, lstm: [6, 5], ...over });

let gpuBackends: WebGpuBackend[] = [];

async function newGpuBackend(layout: ParamLayout): Promise<WebGpuBackend> {
  const found = await findWebGpuAdapter();
  if (typeof found === 'string') throw new Error(found);
  const b = new WebGpuBackend(layout, await GpuContext.create(found.adapter));
  gpuBackends.push(b);
  return b;
}

/** Loss and gradients of both backends for the same parameters, sentences, keys and dropout seed. */
async function bothGradients(arch: Architecture, opts: { dropout: number; seed: number; lengths: number[] }) {
  const layout = new ParamLayout(arch);
  const params = randomParams(layout.total, layout.slots, 11, 0.5);
  const sentences = randomSentences(arch, opts.lengths, 5);
  const keys = sentences.map((_, i) => 1000 + 7 * i);
  const wasm = new WasmBackend(layout);
  wasm.setParameters(params);
  const w = wasm.forwardBackwardSync(sentences, { dropout: opts.dropout, seed: opts.seed, keys });
  const gpu = await newGpuBackend(layout);
  gpu.setParameters(params);
  gpu.zeroGrad();
  const g = await gpu.forwardBackward(sentences, { dropout: opts.dropout, seed: opts.seed, keys });
  await gpu.sync();
  return {
    layout,
    wasm: { loss: w.loss, grads: wasm.getGradients() },
    gpu: { loss: g.loss, grads: gpu.getGradients(), chars: g.chars },
  };
}

function expectGradientsMatch(r: Awaited<ReturnType<typeof bothGradients>>): void {
  expect(Math.abs(r.gpu.loss - r.wasm.loss) / Math.abs(r.wasm.loss), 'loss').toBeLessThan(1e-4);
  for (const s of r.layout.slots) {
    const want = r.wasm.grads.subarray(s.offset, s.offset + s.size);
    const got = r.gpu.grads.subarray(s.offset, s.offset + s.size);
    let norm = 0;
    for (const x of want) norm += x * x;
    expect(Math.sqrt(norm), `${s.name}: the wasm gradient is not zero (the check can fail)`).toBeGreaterThan(1e-6);
    expect(maxRelError(got, want), `${s.name}: WebGPU vs wasm gradient`).toBeLessThan(1e-4);
  }
}

describe.skipIf(skip !== null)('WebGPU backend against the wasm backend', () => {
  afterAll(async () => {
    for (const b of gpuBackends) await b.dispose();
    gpuBackends = [];
  });

  it('every gradient with all channels, CRF, dropout on (B = 5, lengths 1 … 9)', async () => {
    expectGradientsMatch(await bothGradients(allChannels(), { dropout: 0.3, seed: 77, lengths: [4, 9, 1, 6, 9] }));
  });

  it('every gradient with 130 units (the recurrence over 3 workgroups of 3 sentences, 2 units per thread)', async () => {
    const arch = allChannels({ lstm: [130, 9], charDim: 3, wordDim: 2 });
    expectGradientsMatch(await bothGradients(arch, { dropout: 0.1, seed: 5, lengths: [3, 7, 1, 5, 7, 2, 4] }));
  });

  it('refuses a layer wider than its recurrence kernel holds, with the limit', async () => {
    const found = await findWebGpuAdapter();
    if (typeof found === 'string') throw new Error(found);
    const layout = new ParamLayout(tinyArch({ lstm: [4, 513] }));
    await expect(createWebGpuBackend(layout, { adapter: found.adapter })).rejects.toThrow(
      'LstmLayer: at most 512 units per direction, got 513',
    );
  });

  it('is deterministic: the same step twice gives the same bits (the scatter-add needs no atomics)', async () => {
    const arch = allChannels();
    const layout = new ParamLayout(arch);
    const gpu = await newGpuBackend(layout);
    gpu.setParameters(randomParams(layout.total, layout.slots, 4, 0.5));
    const sentences = randomSentences(arch, [6, 3, 8, 8, 1], 9);
    const run = async () => {
      gpu.zeroGrad();
      const st = await gpu.forwardBackward(sentences, { dropout: 0.3, seed: 12 });
      await gpu.sync();
      return { loss: st.loss, grads: gpu.getGradients() };
    };
    const [a, b] = [await run(), await run()];
    expect(b.loss).toBe(a.loss);
    expect(Buffer.from(b.grads.buffer).equals(Buffer.from(a.grads.buffer))).toBe(true);
  });

  it('every gradient with the softmax loss, one layer, no dropout', async () => {
    expectGradientsMatch(
      await bothGradients(allChannels({ crf: false, lstm: [7] }), { dropout: 0, seed: 0, lengths: [3, 8, 5] }),
    );
  });
});

/** The hand-written corpus fixtures (yidu and bio samples) through the real featurization, every channel on. */
function fixtureCorpus(): { arch: Architecture; sentences: Sentence[] } {
  const dir = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));
  const docs = [
    ...parseYidu(readFileSync(join(dir, 'yidu/sample.txt'), 'utf8'), { file: 'sample.txt' }).docs,
    ...parseBio(readFileSync(join(dir, 'bio/sample.bio'), 'utf8'), { file: 'sample.bio' }).docs,
  ];
  const space = buildFeatureSpace(docs, { bigramMinCount: 1 });
  const types = (space.labels.length - 1) / 2;
  const { sentences } = docsToSentences(docs, space, undefined, lexiconOf(docs, space));
  const arch: Architecture = {
    charVocab: space.vocab.chars.length, charDim: 4, wordVocab: space.vocab.words.length, wordDim: 3,
    bigramVocab: space.vocab.bigrams!.length, bigramDim: 3, lexTypes: types, lexDim: 2,
    lstm: [6, 4], tags: space.labels.length, crf: true,
  }; // prettier-ignore
  return { arch, sentences };
}

const ADAM: AdamOptions = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 1 };

/** One epoch as the trainer runs it (same batches, keys, dropout seeds); answers Σ loss and the step results. */
async function runEpoch(b: TrainingBackend, sentences: Sentence[], epoch: number, step0: number) {
  const rng = new Rng(hash32(9, epoch));
  let loss = 0;
  const updates: { gradNorm: number; clipped: boolean }[] = [];
  for (const idx of makeBatches(
    sentences.map((s) => s.charIds.length),
    3,
    rng,
  )) {
    b.zeroGrad();
    const st = await b.forwardBackward(
      idx.map((i) => sentences[i]),
      { dropout: 0.2, seed: hash32(9, 3, step0 + updates.length), keys: idx },
    );
    loss += st.loss;
    updates.push(await b.step(ADAM, idx.length));
  }
  return { loss, updates };
}

async function synced(b: TrainingBackend): Promise<TrainingBackend> {
  await (b as { sync?: () => Promise<void> }).sync?.();
  return b;
}

describe.skipIf(skip !== null)('WebGPU backend training against the wasm backend', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const b of gpuBackends) await b.dispose();
    gpuBackends = [];
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('Adam with global-norm clipping, step for step: norms, clipping, parameters and moments', async () => {
    const arch = allChannels();
    const layout = new ParamLayout(arch);
    const params = initParameters(layout, new Rng(3));
    const sentences = randomSentences(arch, [5, 2, 7, 4], 8);
    const wasm = new WasmBackend(layout);
    const gpu = await newGpuBackend(layout);
    wasm.setParameters(params);
    gpu.setParameters(params);
    let clippedSeen = 0;
    for (let step = 0; step < 4; step++) {
      const adam = { ...ADAM, clip: step % 2 === 0 ? 0.5 : 0 }; // clipping on and off
      for (const b of [wasm, gpu] as TrainingBackend[]) {
        b.zeroGrad();
        await b.forwardBackward(sentences, { dropout: 0.2, seed: 40 + step });
      }
      const w = await wasm.step(adam, sentences.length);
      const g = await gpu.step(adam, sentences.length);
      expect(Math.abs(g.gradNorm - w.gradNorm) / w.gradNorm, `step ${step}: gradient norm`).toBeLessThan(1e-4);
      expect(g.clipped, `step ${step}: clipped`).toBe(w.clipped);
      if (w.clipped) clippedSeen++;
      await gpu.sync();
      expect(maxRelError(gpu.getFlatParameters(), wasm.getFlatParameters()), `step ${step}: parameters`).toBeLessThan(
        1e-4,
      );
      const [ws, gs] = [wasm.getOptimizerState(), gpu.getOptimizerState()];
      expect(gs.step).toBe(ws.step);
      expect(maxRelError(gs.m, ws.m), `step ${step}: first moments`).toBeLessThan(1e-4);
      expect(maxRelError(gs.v, ws.v), `step ${step}: second moments`).toBeLessThan(1e-4);
      expect(Array.from(gpu.getGradients().subarray(0, 16)), 'the step zeroes the gradient').toEqual(
        new Array(16).fill(0),
      );
    }
    expect(clippedSeen, 'the clip of 0.5 was reached').toBeGreaterThan(0);
  });

  it('three epochs of the fixture corpus (every channel, dropout 0.2) give the same losses', async () => {
    const { arch, sentences } = fixtureCorpus();
    expect(sentences.length).toBeGreaterThan(3);
    const layout = new ParamLayout(arch);
    const params = initParameters(layout, new Rng(5));
    const wasm = new WasmBackend(layout);
    const gpu = await newGpuBackend(layout);
    wasm.setParameters(params);
    gpu.setParameters(params);
    const losses: [number, number][] = [];
    let steps = 0;
    for (let epoch = 0; epoch < 3; epoch++) {
      const w = await runEpoch(wasm, sentences, epoch, steps);
      const g = await runEpoch(gpu, sentences, epoch, steps);
      steps += w.updates.length;
      losses.push([w.loss, g.loss]);
      g.updates.forEach((u, i) => expect(u.clipped, `epoch ${epoch} step ${i}: clipped`).toBe(w.updates[i].clipped));
    }
    for (const [w, g] of losses) expect(Math.abs(g - w) / w, `losses ${JSON.stringify(losses)}`).toBeLessThan(1e-3);
    expect(losses[2][0], 'training lowers the loss').toBeLessThan(losses[0][0]);
    await gpu.sync();
    expect(maxRelError(gpu.getFlatParameters(), wasm.getFlatParameters(), 0.05)).toBeLessThan(1e-2);
  });

  it('train() runs the same on both backends (weight average on the GPU, dropout): losses, dev F1, weights', async () => {
    const arch: Architecture = { charVocab: 10, charDim: 8, wordVocab: 5, wordDim: 4, lstm: [12], tags: 5, crf: true };
    const layout = new ParamLayout(arch);
    const config = resolveConfig({
      charDim: 8,
      wordDim: 4,
      lstm: [12],
      dropout: 0.1,
      batchSize: 10,
      epochs: 4,
      patience: 0,
      workers: 1,
      ema: 0.9,
      optimizer: { lr: 0.02 },
    });
    const input = {
      arch,
      labels: ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'],
      train: contextTask(200, 1, 4, 12),
      dev: contextTask(40, 2, 4, 12),
    };
    const w = await train(input, { config, backend: new WasmBackend(layout), progress: false });
    const g = await train(input, { config, backend: await newGpuBackend(layout), progress: false });
    const summary = (r: typeof w) => r.history.map((h) => [h.loss, h.devF1, h.kept]);
    g.history.forEach((h, i) => {
      const wh = w.history[i];
      expect(
        Math.abs(h.loss - wh.loss) / wh.loss,
        `epoch ${i + 1}: ${JSON.stringify([summary(w), summary(g)])}`,
      ).toBeLessThan(1e-3);
      expect(Math.abs(h.devF1 - wh.devF1), `epoch ${i + 1} dev F1`).toBeLessThan(0.02);
    });
    expect(g.history[g.history.length - 1].devF1, 'it learns the task').toBeGreaterThan(0.8);
    const flat = (r: typeof w) => layout.fromWeights(r.best.weights);
    expect(maxRelError(flat(g), flat(w), 0.05)).toBeLessThan(1e-2);
  });

  it('a checkpoint written by one backend resumes on the other, and continues as the writer would', async () => {
    const { arch, sentences } = fixtureCorpus();
    const layout = new ParamLayout(arch);
    const dir = mkdtempSync(join(tmpdir(), 'cner-webgpu-ck-'));
    dirs.push(dir);
    const state = {
      arch,
      labels: [],
      dataKey: 'fixture',
      epoch: 1,
      batchIndex: 0,
      step: 0,
      adamStep: 0,
    } as unknown as TrainerState;
    const save = async (b: TrainingBackend, file: string) => {
      await synced(b);
      const opt = b.getOptimizerState();
      const ck: Checkpoint = {
        state: { ...state, adamStep: opt.step },
        params: b.getFlatParameters(),
        m: opt.m,
        v: opt.v,
      };
      writeCheckpoint(join(dir, file), ck);
      return readCheckpoint(join(dir, file));
    };
    const load = (b: TrainingBackend, ck: Checkpoint) => {
      b.setParameters(ck.params);
      b.setOptimizerState({ step: ck.state.adamStep, m: ck.m, v: ck.v });
    };
    for (const [writer, reader] of [
      ['wasm', 'webgpu'],
      ['webgpu', 'wasm'],
    ] as const) {
      const make = async (kind: 'wasm' | 'webgpu'): Promise<TrainingBackend> =>
        kind === 'wasm' ? new WasmBackend(layout) : newGpuBackend(layout);
      const first = await make(writer);
      first.setParameters(initParameters(layout, new Rng(6)));
      const e0 = await runEpoch(first, sentences, 0, 0);
      const ck = await save(first, `${writer}.bin`);
      expect(ck.state.adamStep).toBe(e0.updates.length);
      const resumed = await make(reader);
      load(resumed, ck);
      const cont = await runEpoch(first, sentences, 1, e0.updates.length); // the writer goes on
      const other = await runEpoch(resumed, sentences, 1, e0.updates.length); // the reader takes over
      expect(Math.abs(other.loss - cont.loss) / cont.loss, `${writer} → ${reader}: epoch 2 loss`).toBeLessThan(1e-3);
      await synced(first);
      await synced(resumed);
      expect(resumed.getOptimizerState().step).toBe(first.getOptimizerState().step);
      expect(
        maxRelError(resumed.getFlatParameters(), first.getFlatParameters(), 0.05),
        `${writer} → ${reader}: parameters`,
      ).toBeLessThan(1e-2);
    }
  });
});
