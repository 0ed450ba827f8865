/**
 * Plain-TS reference of the BiLSTM-CRF (f64 arithmetic, one sentence at a time, straight from layout.ts):
 * embeddings → BiLSTM layers → dense → CRF Viterbi / marginals / k-best, plus brute-force enumeration of
 * all K^T paths for short sequences. Used by tests (and as the slow peer in the benchmark) only.
 */
import { type Architecture, DIRECTIONS, bigramSize, inputSize, lexiconSize, lstmName } from '../../src/model/layout.js';
import type { Weights } from '../../src/model/layout.js';
import { values } from './weights.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Weights pre-converted to f64 arrays (dequantised when int8). */
export interface RefModel {
  arch: Architecture;
  get(name: string): Float64Array;
}

export function refModel(arch: Architecture, w: Weights): RefModel {
  const cache = new Map<string, Float64Array>();
  return {
    arch,
    get(name) {
      let v = cache.get(name);
      if (!v) cache.set(name, (v = values(w, name)));
      return v;
    },
  };
}

/** One LSTM direction over x [T × In]; returns h [T × H]. Gates i, f, g, o (layout.ts). */
export function refLstmDir(x: Float64Array[], wih: Float64Array, whh: Float64Array, bias: Float64Array, H: number, reverse: boolean): Float64Array[] {
  const T = x.length;
  const In = T > 0 ? x[0].length : 0;
  let h = new Float64Array(H);
  let c = new Float64Array(H);
  const out: Float64Array[] = new Array(T);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const z = new Float64Array(4 * H); // [4H]
    for (let r = 0; r < 4 * H; r++) {
      let acc = bias[r];
      for (let k = 0; k < In; k++) acc += wih[r * In + k] * x[t][k];
      for (let k = 0; k < H; k++) acc += whh[r * H + k] * h[k];
      z[r] = acc;
    }
    const hn = new Float64Array(H);
    const cn = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const i = sigmoid(z[j]);
      const f = sigmoid(z[H + j]);
      const g = Math.tanh(z[2 * H + j]);
      const o = sigmoid(z[3 * H + j]);
      cn[j] = f * c[j] + i * g;
      hn[j] = o * Math.tanh(cn[j]);
    }
    h = hn;
    c = cn;
    out[t] = hn;
  }
  return out;
}

/**
 * Layer-0 input rows [T × In0]: concat(embed.char[charId_t], embed.word[wordId_t], embed.bigram[bigramId_t],
 * embed.lex[lexId_{t,0}], …, embed.lex[lexId_{t,L-1}]) (layout.ts); lexIds [T × L] is required when the model
 * has a lexicon channel, bigramIds [T] when it has a bigram channel.
 */
export function refEmbed(m: RefModel, charIds: Int32Array, wordIds: Int32Array | undefined, lexIds?: Int32Array, bigramIds?: Int32Array): Float64Array[] {
  const { charDim, wordDim } = m.arch;
  const L = lexiconSize(m.arch) > 0 ? m.arch.lexTypes! : 0;
  const lexDim = m.arch.lexDim ?? 0;
  const bigramDim = bigramSize(m.arch);
  const ce = charDim > 0 ? m.get('embed.char') : null;
  const we = wordDim > 0 ? m.get('embed.word') : null;
  const be = bigramDim > 0 ? m.get('embed.bigram') : null;
  const le = L > 0 ? m.get('embed.lex') : null;
  const bigramCol = charDim + wordDim; // the bigram columns follow the word columns
  const lexCol = bigramCol + bigramDim; // then the lexicon slots, the last columns of x_t
  if (lexCol + L * lexDim !== inputSize(m.arch)) throw new Error('refEmbed: the columns do not add up to inputSize');
  if (le && (!lexIds || lexIds.length !== charIds.length * L)) {
    throw new Error(`refEmbed: the model has a lexicon channel; expected ${charIds.length} × ${L} lexicon ids, got ${lexIds?.length ?? 'none'}`);
  }
  if (be && (!bigramIds || bigramIds.length !== charIds.length)) {
    throw new Error(`refEmbed: the model has a bigram channel; expected ${charIds.length} bigram ids, got ${bigramIds?.length ?? 'none'}`);
  }
  const rows: Float64Array[] = [];
  for (let t = 0; t < charIds.length; t++) {
    const x = new Float64Array(inputSize(m.arch));
    if (ce) for (let d = 0; d < charDim; d++) x[d] = ce[charIds[t] * charDim + d];
    if (we && wordIds) for (let d = 0; d < wordDim; d++) x[charDim + d] = we[wordIds[t] * wordDim + d];
    if (be && bigramIds) for (let d = 0; d < bigramDim; d++) x[bigramCol + d] = be[bigramIds[t] * bigramDim + d];
    if (le && lexIds) {
      for (let k = 0; k < L; k++) {
        const id = lexIds[t * L + k];
        for (let d = 0; d < lexDim; d++) x[lexCol + k * lexDim + d] = le[id * lexDim + d];
      }
    }
    rows.push(x);
  }
  return rows;
}

/** Emissions [T × K] of one sentence (lexIds [T × lexTypes] with a lexicon channel, bigramIds [T] with a bigram channel). */
export function refEmissions(m: RefModel, charIds: Int32Array, wordIds?: Int32Array, lexIds?: Int32Array, bigramIds?: Int32Array): Float64Array {
  const a = m.arch;
  let x = refEmbed(m, charIds, wordIds, lexIds, bigramIds);
  const T = x.length;
  a.lstm.forEach((H, l) => {
    const [fw, bw] = DIRECTIONS.map((dir) =>
      refLstmDir(x, m.get(lstmName(l, dir, 'w_ih')), m.get(lstmName(l, dir, 'w_hh')), m.get(lstmName(l, dir, 'bias')), H, dir === 'bw'),
    );
    x = Array.from({ length: T }, (_, t) => {
      const y = new Float64Array(2 * H); // [h_fw | h_bw]
      y.set(fw[t], 0);
      y.set(bw[t], H);
      return y;
    });
  });
  const K = a.tags;
  const W = m.get('dense.w');
  const b = m.get('dense.b');
  const D = T > 0 ? x[0].length : 0;
  const em = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) {
      let acc = b[k];
      for (let d = 0; d < D; d++) acc += W[k * D + d] * x[t][d];
      em[t * K + k] = acc;
    }
  }
  return em;
}

export interface Crf {
  K: number;
  trans: ArrayLike<number>; // [K × K] from → to
  start: ArrayLike<number>;
  end: ArrayLike<number>;
}

export function refCrf(m: RefModel): Crf {
  return { K: m.arch.tags, trans: m.get('crf.trans'), start: m.get('crf.start'), end: m.get('crf.end') };
}

/** Score of one path (f64). */
export function pathScore(em: ArrayLike<number>, T: number, crf: Crf, path: ArrayLike<number>): number {
  if (T === 0) return 0;
  const { K } = crf;
  let s = crf.start[path[0]] + em[path[0]];
  for (let t = 1; t < T; t++) s += crf.trans[path[t - 1] * K + path[t]] + em[t * K + path[t]];
  return s + crf.end[path[T - 1]];
}

/** Viterbi in f64, same operation order and tie-breaking (lowest index) as the kernel. */
export function refViterbi(em: ArrayLike<number>, T: number, crf: Crf): { path: Int32Array; score: number } {
  const { K, trans } = crf;
  if (T === 0) return { path: new Int32Array(0), score: 0 };
  let prev = new Float64Array(K);
  for (let y = 0; y < K; y++) prev[y] = crf.start[y] + em[y];
  const bp = new Int32Array(T * K);
  for (let t = 1; t < T; t++) {
    const cur = new Float64Array(K);
    for (let y = 0; y < K; y++) {
      let best = -Infinity;
      let arg = 0;
      for (let j = 0; j < K; j++) {
        const v = prev[j] + trans[j * K + y];
        if (v > best) {
          best = v;
          arg = j;
        }
      }
      cur[y] = best + em[t * K + y];
      bp[t * K + y] = arg;
    }
    prev = cur;
  }
  let best = -Infinity;
  let arg = 0;
  for (let y = 0; y < K; y++) {
    const v = prev[y] + crf.end[y];
    if (v > best) {
      best = v;
      arg = y;
    }
  }
  const path = new Int32Array(T);
  path[T - 1] = arg;
  for (let t = T - 1; t > 0; t--) path[t - 1] = arg = bp[t * K + arg];
  return { path, score: best };
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** Forward–backward marginals [T × K] and log Z (f64). */
export function refMarginals(em: ArrayLike<number>, T: number, crf: Crf): { marginals: Float64Array; logZ: number } {
  const { K, trans } = crf;
  if (T === 0) return { marginals: new Float64Array(0), logZ: 0 };
  const alpha = new Float64Array(T * K);
  const beta = new Float64Array(T * K);
  for (let y = 0; y < K; y++) alpha[y] = crf.start[y] + em[y];
  for (let t = 1; t < T; t++) {
    for (let y = 0; y < K; y++) {
      const v: number[] = [];
      for (let j = 0; j < K; j++) v.push(alpha[(t - 1) * K + j] + trans[j * K + y]);
      alpha[t * K + y] = logSumExp(v) + em[t * K + y];
    }
  }
  const fin: number[] = [];
  for (let y = 0; y < K; y++) fin.push(alpha[(T - 1) * K + y] + crf.end[y]);
  const logZ = logSumExp(fin);
  for (let y = 0; y < K; y++) beta[(T - 1) * K + y] = crf.end[y];
  for (let t = T - 2; t >= 0; t--) {
    for (let i = 0; i < K; i++) {
      const v: number[] = [];
      for (let y = 0; y < K; y++) v.push(trans[i * K + y] + em[(t + 1) * K + y] + beta[(t + 1) * K + y]);
      beta[t * K + i] = logSumExp(v);
    }
  }
  const marginals = new Float64Array(T * K);
  for (let i = 0; i < T * K; i++) marginals[i] = Math.exp(alpha[i] + beta[i] - logZ);
  return { marginals, logZ };
}

/** Every path of a short sequence with its score, best first (K^T paths: keep T·log K small). */
export function bruteForce(em: ArrayLike<number>, T: number, crf: Crf): { path: Int32Array; score: number }[] {
  const { K } = crf;
  const total = K ** T;
  if (total > 2_000_000) throw new Error(`bruteForce: ${K}^${T} paths is too many`);
  const all: { path: Int32Array; score: number }[] = [];
  for (let code = 0; code < total; code++) {
    const path = new Int32Array(T);
    let c = code;
    for (let t = T - 1; t >= 0; t--) {
      path[t] = c % K;
      c = Math.floor(c / K);
    }
    all.push({ path, score: pathScore(em, T, crf, path) });
  }
  return all.sort((a, b) => b.score - a.score);
}

/** k-best by brute force when small, else by keeping the k best prefixes per tag (plain list Viterbi). */
export function refKbest(em: ArrayLike<number>, T: number, crf: Crf, k: number): { path: Int32Array; score: number }[] {
  const { K, trans } = crf;
  if (T === 0) return [{ path: new Int32Array(0), score: 0 }];
  // lists[y] = up to k best prefixes ending in y: { score, path }
  let lists: { score: number; path: number[] }[][] = [];
  for (let y = 0; y < K; y++) lists.push([{ score: crf.start[y] + em[y], path: [y] }]);
  for (let t = 1; t < T; t++) {
    const next: { score: number; path: number[] }[][] = [];
    for (let y = 0; y < K; y++) {
      const cand: { score: number; path: number[] }[] = [];
      for (let j = 0; j < K; j++) for (const p of lists[j]) cand.push({ score: p.score + trans[j * K + y], path: p.path });
      cand.sort((a, b) => b.score - a.score);
      next.push(cand.slice(0, k).map((c) => ({ score: c.score + em[t * K + y], path: [...c.path, y] })));
    }
    lists = next;
  }
  const fin: { score: number; path: number[] }[] = [];
  for (let y = 0; y < K; y++) for (const p of lists[y]) fin.push({ score: p.score + crf.end[y], path: p.path });
  fin.sort((a, b) => b.score - a.score);
  return fin.slice(0, k).map((p) => ({ path: Int32Array.from(p.path), score: p.score }));
}

/** Per-step softmax [T × K] (f64). */
export function refSoftmax(em: ArrayLike<number>, T: number, K: number): Float64Array {
  const out = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, em[t * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(em[t * K + k] - m);
    for (let k = 0; k < K; k++) out[t * K + k] = Math.exp(em[t * K + k] - m) / s;
  }
  return out;
}
