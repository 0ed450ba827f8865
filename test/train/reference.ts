/**
 * A plain f64 reference of the BiLSTM-CRF loss, written straight from src/model/layout.ts one sentence at a
 * time (no batching, no time reversal tricks, exact exp / tanh), for finite-difference gradient checks.
 */

import { type Architecture, bigramSize, lexiconSize } from '../../src/model/layout.js';
import type { Sentence } from '../../src/train/batch.js';
import type { ParamLayout } from '../../src/train/params.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The dropout multiplier of (layer seed, sentence key, step t, unit d) — a TS twin of assembly dropout_mask. */
export function dropoutScale(seed: number, key: number, t: number, d: number, p: number): number {
  const kh = mix32((seed ^ mix32((Math.imul(key, 0x9e3779b1) + 0x632be5ab) >>> 0)) >>> 0);
  const th = mix32((kh ^ ((Math.imul(t, 0x85ebca77) + 0x165667b1) >>> 0)) >>> 0);
  const u = mix32((th + Math.imul(d, 0xc2b2ae3d)) >>> 0) >>> 8;
  const threshold = Math.floor(p * 16777216);
  return u >= threshold ? 1 / (1 - p) : 0;
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** Σ over sentences of the loss, parameters as an f64 vector in the flat layout of `layout`. */
export function referenceLoss(
  layout: ParamLayout, p: Float64Array, sentences: Sentence[],
  dropout = 0, seed = 0, keys: number[] = sentences.map((_, i) => i),
): number {
  const a: Architecture = layout.arch;
  const at = (name: string) => layout.slot(name).offset;
  // lexicon channel (layout.ts): x_t ends with embed.lex[lexId_{t,0}], …, embed.lex[lexId_{t,L-1}]
  const L = lexiconSize(a) > 0 ? a.lexTypes! : 0;
  const lexDim = a.lexDim ?? 0;
  // bigram channel (layout.ts): embed.bigram[bigramId_t] right after the word columns, before the lexicon slots
  const bigramDim = bigramSize(a);
  let total = 0;
  sentences.forEach((s, si) => {
    const T = s.charIds.length;
    if (L > 0 && s.lexIds?.length !== T * L) throw new Error(`referenceLoss: sentence ${si} needs ${T} × ${L} lexicon ids`);
    if (bigramDim > 0 && s.bigramIds?.length !== T) throw new Error(`referenceLoss: sentence ${si} needs ${T} bigram ids`);
    // embeddings
    let xs: number[][] = [];
    for (let t = 0; t < T; t++) {
      const x: number[] = [];
      for (let d = 0; d < a.charDim; d++) x.push(p[at('embed.char') + s.charIds[t] * a.charDim + d]);
      for (let d = 0; d < a.wordDim; d++) x.push(p[at('embed.word') + s.wordIds[t] * a.wordDim + d]);
      for (let d = 0; d < bigramDim; d++) x.push(p[at('embed.bigram') + s.bigramIds![t] * bigramDim + d]);
      for (let k = 0; k < L; k++) {
        const id = s.lexIds![t * L + k];
        for (let d = 0; d < lexDim; d++) x.push(p[at('embed.lex') + id * lexDim + d]);
      }
      xs.push(x);
    }
    a.lstm.forEach((H, l) => {
      const In = xs[0].length;
      const out: number[][] = Array.from({ length: T }, () => new Array(2 * H).fill(0));
      ['fw', 'bw'].forEach((dir, di) => {
        const wih = at(`lstm.${l}.${dir}.w_ih`);
        const whh = at(`lstm.${l}.${dir}.w_hh`);
        const bias = at(`lstm.${l}.${dir}.bias`);
        let h = new Array(H).fill(0);
        let c = new Array(H).fill(0);
        for (let step = 0; step < T; step++) {
          const t = di === 0 ? step : T - 1 - step;
          const z: number[] = [];
          for (let r = 0; r < 4 * H; r++) {
            let v = p[bias + r];
            for (let k = 0; k < In; k++) v += p[wih + r * In + k] * xs[t][k];
            for (let k = 0; k < H; k++) v += p[whh + r * H + k] * h[k];
            z.push(v);
          }
          const nh: number[] = [];
          const nc: number[] = [];
          for (let j = 0; j < H; j++) {
            const i = sigmoid(z[j]);
            const f = sigmoid(z[H + j]);
            const g = Math.tanh(z[2 * H + j]);
            const o = sigmoid(z[3 * H + j]);
            nc.push(f * c[j] + i * g);
            nh.push(o * Math.tanh(nc[j]));
          }
          h = nh;
          c = nc;
          for (let j = 0; j < H; j++) out[t][di * H + j] = h[j];
        }
      });
      if (dropout > 0) {
        const ls = (seed + Math.imul(l + 1, 0x9e3779b1)) >>> 0;
        for (let t = 0; t < T; t++) for (let d = 0; d < 2 * H; d++) out[t][d] *= dropoutScale(ls, keys[si], t, d, dropout);
      }
      xs = out;
    });
    const K = a.tags;
    const D = xs[0].length;
    const em = xs.map((y) => {
      const e: number[] = [];
      for (let k = 0; k < K; k++) {
        let v = p[at('dense.b') + k];
        for (let d = 0; d < D; d++) v += p[at('dense.w') + k * D + d] * y[d];
        e.push(v);
      }
      return e;
    });
    const y = s.tagIds;
    if (a.crf) {
      const start = at('crf.start');
      const end = at('crf.end');
      const trans = at('crf.trans');
      let alpha = em[0].map((e, k) => p[start + k] + e);
      for (let t = 1; t < T; t++) {
        alpha = em[t].map((e, k) => logSumExp(alpha.map((al, j) => al + p[trans + j * K + k])) + e);
      }
      const logZ = logSumExp(alpha.map((al, k) => al + p[end + k]));
      let gold = p[start + y[0]] + p[end + y[T - 1]];
      for (let t = 0; t < T; t++) gold += em[t][y[t]] + (t > 0 ? p[trans + y[t - 1] * K + y[t]] : 0);
      total += logZ - gold;
    } else {
      for (let t = 0; t < T; t++) total += logSumExp(em[t]) - em[t][y[t]];
    }
  });
  return total;
}

/** Central finite differences of referenceLoss for every parameter. */
export function numericGradient(
  layout: ParamLayout, params: Float32Array, sentences: Sentence[], dropout = 0, seed = 0, eps = 1e-6,
): Float64Array {
  const p = Float64Array.from(params);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const x = p[i];
    p[i] = x + eps;
    const up = referenceLoss(layout, p, sentences, dropout, seed);
    p[i] = x - eps;
    const down = referenceLoss(layout, p, sentences, dropout, seed);
    p[i] = x;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}
