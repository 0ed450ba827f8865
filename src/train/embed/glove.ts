/**
 * GloVe (Pennington et al. 2014), as in the reference C tool: symmetric co-occurrence counts weighted
 * 1/distance within the window (sequences are not crossed), records shuffled once, AdaGrad on
 * Σ f(x)·(wᵢ·w̃ⱼ + bᵢ + b̃ⱼ − log x)² with f(x) = min(1, (x/xMax)^alpha); the output vector of a token
 * is w + w̃. The passes run in build/embed.wasm (SIMD).
 */
import { createRunner, embedKernelBytes, Layout, mulberry32, probeKernel, threadSeeds } from './kernel.js';
import type { Embeddings, GloVeOptions } from './types.js';
import { buildVocabulary, commonOptions, encodeCorpus, numOption, splitRanges, validateSequences } from './vocab.js';

const WHO = 'trainGloVe';
/** Records per kernel call. */
const PIECE = 1 << 19;

export interface Cooccurrences {
  /** row token id, column token id, weighted count; n records, no duplicates */
  i: Int32Array;
  j: Int32Array;
  x: Float64Array;
  n: number;
}

/**
 * Weighted co-occurrence counts over an id corpus (-1 = sequence break): for tokens at distance
 * d ≤ window, X[a][b] and X[b][a] each gain 1/d. Open-addressing hash over (i, j).
 */
export function countCooccurrences(ids: Int32Array, window: number): Cooccurrences {
  let cap = 1 << 16;
  let keysI = new Int32Array(cap).fill(-1); // [cap]
  let keysJ = new Int32Array(cap); // [cap]
  let vals = new Float64Array(cap); // [cap]
  let n = 0;
  const slot = (a: number, b: number): number => {
    const mask = cap - 1;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
    h = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const k = keysI[h];
      if (k === -1 || (k === a && keysJ[h] === b)) return h;
      h = (h + 1) & mask;
    }
  };
  const add = (a: number, b: number, w: number) => {
    let h = slot(a, b);
    if (keysI[h] === -1) {
      if ((n + 1) * 2 > cap) {
        const oi = keysI, oj = keysJ, ov = vals;
        cap *= 2;
        keysI = new Int32Array(cap).fill(-1);
        keysJ = new Int32Array(cap);
        vals = new Float64Array(cap);
        for (let s = 0; s < oi.length; s++) {
          if (oi[s] === -1) continue;
          const t = slot(oi[s], oj[s]);
          keysI[t] = oi[s];
          keysJ[t] = oj[s];
          vals[t] = ov[s];
        }
        h = slot(a, b);
      }
      keysI[h] = a;
      keysJ[h] = b;
      n++;
    }
    vals[h] += w;
  };
  let sentenceStart = 0;
  for (let p = 0; p < ids.length; p++) {
    const b = ids[p];
    if (b < 0) {
      sentenceStart = p + 1;
      continue;
    }
    for (let d = 1; d <= window && p - d >= sentenceStart; d++) {
      const a = ids[p - d];
      add(a, b, 1 / d);
      add(b, a, 1 / d);
    }
  }
  const out: Cooccurrences = { i: new Int32Array(n), j: new Int32Array(n), x: new Float64Array(n), n };
  let q = 0;
  for (let s = 0; s < cap; s++) {
    if (keysI[s] === -1) continue;
    out.i[q] = keysI[s];
    out.j[q] = keysJ[s];
    out.x[q] = vals[s];
    q++;
  }
  return out;
}

export async function trainGloVe(sequences: string[][], opts: GloVeOptions = {}): Promise<Embeddings> {
  validateSequences(sequences, WHO);
  const { dim, window, iterations, minCount, seed, threads } = commonOptions(WHO, opts);
  const xMax = numOption(WHO, 'xMax', opts.xMax, 100, 1e-9, 1e12);
  const alpha = numOption(WHO, 'alpha', opts.alpha, 0.75, 0, 10);
  const eta = numOption(WHO, 'eta', opts.eta, 0.05, 1e-9, 10);

  const vocab = buildVocabulary(sequences, minCount);
  const V = vocab.tokens.length;
  if (V < 2) throw new Error(`${WHO}: expected at least 2 tokens occurring ≥ minCount (${minCount}) times, got ${V}`);
  const { ids } = encodeCorpus(sequences, vocab);
  const co = countCooccurrences(ids, window);
  if (co.n === 0) throw new Error(`${WHO}: expected co-occurring tokens, got none (every sequence shorter than 2 in-vocabulary tokens)`);
  const n = co.n;
  const stride = (dim + 3) & ~3;

  // shuffle once (Fisher–Yates, seeded), as the reference tool's shuffle step
  const rand = mulberry32(seed);
  const order = new Int32Array(n); // [n]
  for (let r = 0; r < n; r++) order[r] = r;
  for (let r = n - 1; r > 0; r--) {
    const s = Math.floor(rand() * (r + 1));
    const t = order[r];
    order[r] = order[s];
    order[s] = t;
  }

  const bytes = embedKernelBytes(opts.kernel);
  const probe = probeKernel(bytes, stride);
  const layout = new Layout(probe.heapBase);
  const scratch = Array.from({ length: threads }, () => layout.take(probe.scratchBytes));
  const pW = layout.take(2 * V * stride * 4); // f32[2V × stride]: w rows then w̃ rows
  const pB = layout.take(2 * V * 4); // f32[2V]
  const pGW = layout.take(2 * V * stride * 4); // f32[2V × stride]
  const pGB = layout.take(2 * V * 4); // f32[2V]
  const pI = layout.take(n * 4); // i32[n]
  const pJ = layout.take(n * 4); // i32[n]
  const pLog = layout.take(n * 4); // f32[n]
  const pWt = layout.take(n * 4); // f32[n]
  if (layout.end > 4 * 2 ** 30 - 65536) throw new Error(`${WHO}: needs ${layout.end} bytes of wasm memory, over the 4 GiB limit`);

  const runner = createRunner(bytes, layout.pages, scratch, threadSeeds(seed, threads));
  try {
    const buf = runner.memory.buffer;
    const w = new Float32Array(buf, pW, 2 * V * stride); // [2V × stride]
    const b = new Float32Array(buf, pB, 2 * V); // [2V]
    w.fill(0);
    for (let r = 0; r < 2 * V; r++) {
      for (let k = 0; k < dim; k++) w[r * stride + k] = (rand() - 0.5) / dim;
      b[r] = (rand() - 0.5) / dim;
    }
    new Float32Array(buf, pGW, 2 * V * stride).fill(1);
    new Float32Array(buf, pGB, 2 * V).fill(1);
    const ri = new Int32Array(buf, pI, n); // [n]
    const rj = new Int32Array(buf, pJ, n); // [n]
    const rl = new Float32Array(buf, pLog, n); // [n]
    const rw = new Float32Array(buf, pWt, n); // [n]
    for (let r = 0; r < n; r++) {
      const s = order[r];
      const x = co.x[s];
      ri[r] = co.i[s];
      rj[r] = co.j[s];
      rl[r] = Math.log(x);
      rw[r] = x < xMax ? Math.pow(x / xMax, alpha) : 1;
    }

    const ranges = splitRanges(n, threads, () => true);
    const started = Date.now();
    const epochsDone = new Array<number>(threads).fill(0);
    const epochCost = new Array<number>(threads).fill(0);
    let lastCost = NaN;
    let processed = 0;
    const total = n * iterations;

    const threadLoop = async (t: number) => {
      const [from, to] = ranges[t];
      const pieces = splitRanges(to - from, Math.max(1, Math.ceil((to - from) / PIECE)), () => true);
      for (let epoch = 0; epoch < iterations; epoch++) {
        let cost = 0;
        for (const [s, e] of pieces) {
          if (e <= s) continue;
          cost += await runner.call(t, 'glove_pass', [pW, pB, pGW, pGB, stride, V, pI, pJ, pLog, pWt, from + s, from + e, eta]);
          processed += e - s;
          opts.onProgress?.({
            method: 'glove', iteration: Math.min(...epochsDone), iterations, fraction: processed / total,
            processed, elapsedMs: Date.now() - started, value: lastCost,
          });
        }
        epochCost[t] = cost;
        epochsDone[t] = epoch + 1;
        if (Math.min(...epochsDone) === epoch + 1) lastCost = epochCost.reduce((x, y) => x + y, 0) / n;
      }
    };
    await Promise.all(ranges.map((_, t) => threadLoop(t)));
    opts.onProgress?.({
      method: 'glove', iteration: iterations, iterations, fraction: 1, processed, elapsedMs: Date.now() - started,
      value: lastCost,
    });

    const out = new Float32Array(runner.memory.buffer, pW, 2 * V * stride); // [2V × stride]
    const vectors = new Float32Array(V * dim); // [V × dim] = w + w̃
    for (let r = 0; r < V; r++) {
      for (let k = 0; k < dim; k++) vectors[r * dim + k] = out[r * stride + k] + out[(V + r) * stride + k];
    }
    return { vocab: vocab.tokens, counts: vocab.counts, vectors, dim };
  } finally {
    await runner.close();
  }
}
