/**
 * The dense charLm channel (src/features/channels.ts CHAR_LM): the frozen char LMs' states as input columns, in
 * the training graph (src/train/graph.ts) and the inference network (src/model/network.ts) alike, against an
 * f64 reference; no gradient flows into the LMs; the WebGPU backend refuses the channel.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHAR_LM_DIRECTIONS, charLmTensor } from '../../src/features/channels.js';
import type { Architecture, Weights } from '../../src/model/layout.js';
import { loadInferenceKernels } from '../../src/model/kernels.js';
import { createNetwork } from '../../src/model/network.js';
import { WasmBackend } from '../../src/train/backend.js';
import { prepareBatch } from '../../src/train/batch.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { quantizeWeights } from '../../src/train/quantize.js';
import { Rng } from '../../src/train/rng.js';
import { createWebGpuBackend } from '../../src/train/webgpu/backend.js';
import { randomParams, randomSentences, tinyArch } from './tiny.js';

const kernelsWasm = new URL('../../build/kernels.wasm', import.meta.url);
const lmArch = (over: Partial<Architecture> = {}) => tinyArch({ charLmHidden: 8, charLmDim: 3, ...over });

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** h of one char LM direction at every position of `ids`, in reading order, in f64 (the layout.ts LSTM). */
function referenceStates(w: Weights, dir: 'fw' | 'bw', ids: Int32Array): Float64Array[] {
  const get = (part: 'embed' | 'w_ih' | 'w_hh' | 'bias') => w.get(charLmTensor(dir, part))!;
  const embed = get('embed');
  const E = embed.shape[1];
  const H = get('w_hh').shape[1];
  const [wih, whh, bias] = [get('w_ih').data, get('w_hh').data, get('bias').data];
  const T = ids.length;
  const out: Float64Array[] = new Array(T);
  let h = new Float64Array(H);
  let c = new Float64Array(H);
  for (let s = 0; s < T; s++) {
    const t = dir === 'fw' ? s : T - 1 - s;
    const x = embed.data.subarray(ids[t] * E, ids[t] * E + E);
    const z = new Float64Array(4 * H);
    for (let r = 0; r < 4 * H; r++) {
      let v = bias[r];
      for (let j = 0; j < E; j++) v += wih[r * E + j] * x[j];
      for (let j = 0; j < H; j++) v += whh[r * H + j] * h[j];
      z[r] = v;
    }
    const h2 = new Float64Array(H);
    const c2 = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      c2[j] = sigmoid(z[H + j]) * c[j] + sigmoid(z[j]) * Math.tanh(z[2 * H + j]);
      h2[j] = sigmoid(z[3 * H + j]) * Math.tanh(c2[j]);
    }
    h = h2;
    c = c2;
    out[t] = h;
  }
  return out;
}

function worstDiff(a: Float32Array[], b: ArrayLike<number>[]): number {
  let worst = 0;
  a.forEach((e, i) => {
    expect(b[i].length).toBe(e.length);
    for (let j = 0; j < e.length; j++) worst = Math.max(worst, Math.abs(e[j] - b[i][j]));
  });
  return worst;
}

describe('the charLm channel', () => {
  it('its columns are the LMs’ states: emissions of a model without an LSTM against the f64 reference, in training and at tagging', async () => {
    // x_t = [word | h_fw | h_bw], emissions = dense.w · x_t + dense.b (no BiLSTM: the channel shows through)
    const arch = lmArch({ charDim: 0, lstm: [] });
    const layout = new ParamLayout(arch);
    const backend = new WasmBackend(layout);
    backend.setParameters(randomParams(layout.total, layout.slots, 23, 0.7));
    const w = backend.getParameters();
    const sentences = randomSentences(arch, [7, 3, 12, 1, 5], 8);
    const K = arch.tags;
    const D = arch.wordDim + 16;
    const dense = w.get('dense.w')!.data;
    const reference = sentences.map((s) => {
      const T = s.charIds.length;
      const fw = referenceStates(w, 'fw', s.charIds);
      const bw = referenceStates(w, 'bw', s.charIds);
      const e = new Float64Array(T * K);
      for (let t = 0; t < T; t++) {
        const x = [
          ...w.get('embed.word')!.data.subarray(s.wordIds[t] * arch.wordDim, (s.wordIds[t] + 1) * arch.wordDim),
          ...fw[t],
          ...bw[t],
        ];
        for (let k = 0; k < K; k++) {
          let v = w.get('dense.b')!.data[k];
          for (let j = 0; j < D; j++) v += dense[k * D + j] * x[j];
          e[t * K + k] = v;
        }
      }
      return e;
    });
    const graph = backend.graph.emissions(prepareBatch(sentences, arch));
    expect(worstDiff(graph, reference), 'training graph vs f64').toBeLessThan(1e-5);
    const kernels = await loadInferenceKernels(readFileSync(kernelsWasm));
    const net = createNetwork(kernels, arch, w);
    const tagged = net.emissions({
      charIds: sentences.map((s) => s.charIds),
      wordIds: sentences.map((s) => s.wordIds),
    });
    expect(worstDiff(tagged, reference), 'inference network vs f64').toBeLessThan(1e-4);
    // the check can fail: the states matter (zeroing an LM changes the emissions)
    const noBw = new Map(w);
    noBw.set(charLmTensor('bw', 'w_ih'), {
      ...w.get(charLmTensor('bw', 'w_ih'))!,
      data: new Float32Array(w.get(charLmTensor('bw', 'w_ih'))!.data.length),
    });
    const moved = createNetwork(kernels, arch, noBw).emissions({
      charIds: sentences.map((s) => s.charIds),
      wordIds: sentences.map((s) => s.wordIds),
    });
    expect(worstDiff(moved, reference)).toBeGreaterThan(1e-2);
  });

  it('the BiLSTM-CRF with the channel: the same emissions and paths in the graph and the network, int8 close', async () => {
    const arch = lmArch({ lstm: [5, 8] });
    const layout = new ParamLayout(arch);
    const backend = new WasmBackend(layout);
    backend.setParameters(randomParams(layout.total, layout.slots, 21, 0.5));
    const sentences = randomSentences(arch, [7, 3, 12, 1, 5], 8);
    const mine = backend.graph.emissions(prepareBatch(sentences, arch));
    const kernels = await loadInferenceKernels(readFileSync(kernelsWasm));
    const net = createNetwork(kernels, arch, backend.getParameters());
    const batch = { charIds: sentences.map((s) => s.charIds), wordIds: sentences.map((s) => s.wordIds) };
    expect(worstDiff(mine, net.emissions(batch))).toBeLessThan(1e-4);
    const paths = await backend.decode(sentences);
    net
      .emissions(batch)
      .forEach((em, i) => expect([...net.viterbi(em, sentences[i].charIds.length).path]).toEqual([...paths[i]]));
    const q = quantizeWeights(backend.getParameters(), arch);
    expect(q.get(charLmTensor('fw', 'w_hh'))!.dtype).toBe('i8');
    expect(worstDiff(mine, createNetwork(kernels, arch, q).emissions(batch))).toBeLessThan(0.1);
  });

  it('is frozen: the LMs’ tensors get exactly zero gradient, the network’s a gradient that matches central differences', () => {
    const arch = lmArch({ lstm: [4] });
    const layout = new ParamLayout(arch);
    const params = initParameters(layout, new Rng(3));
    const backend = new WasmBackend(layout);
    backend.setParameters(params);
    const sentences = randomSentences(arch, [6, 4, 2], 5);
    backend.forwardBackwardSync(sentences, { dropout: 0, seed: 0 });
    const g = backend.getGradients().slice();
    for (const dir of CHAR_LM_DIRECTIONS) {
      for (const part of ['embed', 'w_ih', 'w_hh', 'bias'] as const) {
        const s = layout.slot(charLmTensor(dir, part));
        expect(
          g.subarray(s.offset, s.offset + s.size).every((v) => v === 0),
          `${s.name} gradient`,
        ).toBe(true);
      }
    }
    // layer 0's W_ih over the channel's columns: central differences of the loss in f32
    const wih = layout.slot('lstm.0.fw.w_ih');
    const In = wih.shape[1];
    const lossAt = (i: number, v: number) => {
      const p = params.slice();
      p[i] = v;
      backend.setParameters(p);
      return backend.forwardBackwardSync(sentences, { dropout: 0, seed: 0 }).loss;
    };
    let worst = 0;
    let norm = 0;
    for (let r = 0; r < wih.shape[0]; r += 3) {
      for (let c = In - 16; c < In; c += 2) {
        const i = wih.offset + r * In + c;
        const eps = 1e-2;
        const numeric = (lossAt(i, params[i] + eps) - lossAt(i, params[i] - eps)) / (2 * eps);
        worst = Math.max(worst, Math.abs(g[i] - numeric) / (2e-3 + 2e-2 * Math.abs(numeric)));
        norm += numeric * numeric;
      }
    }
    expect(Math.sqrt(norm)).toBeGreaterThan(1e-2);
    expect(worst).toBeLessThan(1);
  });

  it('the WebGPU backend refuses it, naming the channel and the way out', async () => {
    const layout = new ParamLayout(lmArch());
    await expect(createWebGpuBackend(layout, { adapter: null as never })).rejects.toThrow(
      'WebGPU backend: the charLm channel (computed by frozen char language models) is not supported on the GPU; train with the wasm backend',
    );
  });
});
