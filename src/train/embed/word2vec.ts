/**
 * word2vec skip-gram with negative sampling (Mikolov et al. 2013), as in the original C tool:
 * unigram^0.75 noise distribution (sampled here with a Walker alias table: exact, V entries),
 * subsampling of frequent tokens, random reduced window, linear learning-rate decay to alpha·1e-4,
 * syn0 initialised uniform in ±0.5/dim, output vectors at 0. The passes run in build/embed.wasm (SIMD).
 */
import { createRunner, embedKernelBytes, Layout, mulberry32, probeKernel, threadSeeds } from './kernel.js';
import type { Embeddings, Word2VecOptions } from './types.js';
import { buildVocabulary, commonOptions, encodeCorpus, intOption, numOption, splitRanges, validateSequences } from './vocab.js';

const WHO = 'trainWord2Vec';
/** Corpus entries per kernel call: small enough for regular progress, large enough to hide call costs. */
const PIECE = 1 << 18;

/** Walker/Vose alias table for sampling index i with probability weights[i] / Σ weights. */
export function aliasTable(weights: Float64Array): { prob: Float32Array; alias: Int32Array } {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i];
  const scaled = new Float64Array(n); // [V]
  for (let i = 0; i < n; i++) scaled[i] = (weights[i] * n) / sum;
  const prob = new Float32Array(n); // [V]
  const alias = new Int32Array(n); // [V]
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) (scaled[i] < 1 ? small : large).push(i);
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large[large.length - 1];
    prob[s] = scaled[s];
    alias[s] = l;
    scaled[l] -= 1 - scaled[s];
    if (scaled[l] < 1) {
      large.pop();
      small.push(l);
    }
  }
  for (const i of [...small, ...large]) {
    prob[i] = 1;
    alias[i] = i;
  }
  return { prob, alias };
}

export async function trainWord2Vec(sequences: string[][], opts: Word2VecOptions = {}): Promise<Embeddings> {
  validateSequences(sequences, WHO);
  const { dim, window, iterations, minCount, seed, threads } = commonOptions(WHO, opts);
  const negative = intOption(WHO, 'negative', opts.negative, 5, 1, 100);
  const sample = numOption(WHO, 'sample', opts.sample, 1e-3, 0, 1);
  const alpha = numOption(WHO, 'alpha', opts.alpha, 0.025, 1e-9, 10);

  const vocab = buildVocabulary(sequences, minCount);
  const V = vocab.tokens.length;
  if (V < 2) throw new Error(`${WHO}: expected at least 2 tokens occurring ≥ minCount (${minCount}) times, got ${V}`);
  const { ids, tokens: trainTokens } = encodeCorpus(sequences, vocab);
  const stride = (dim + 3) & ~3;

  // subsampling: keep probability (√(c/(s·N)) + 1)·(s·N)/c, as in word2vec.c; ≥ 1 keeps always
  const keep = new Float32Array(V).fill(2); // [V]
  if (sample > 0) {
    const sn = sample * trainTokens;
    for (let i = 0; i < V; i++) keep[i] = (Math.sqrt(vocab.counts[i] / sn) + 1) * (sn / vocab.counts[i]);
  }
  const noise = new Float64Array(V); // [V] unigram^0.75
  for (let i = 0; i < V; i++) noise[i] = Math.pow(vocab.counts[i], 0.75);
  const { prob, alias } = aliasTable(noise);

  const bytes = embedKernelBytes(opts.kernel);
  const probe = probeKernel(bytes, stride);
  const layout = new Layout(probe.heapBase);
  const scratch = Array.from({ length: threads }, () => layout.take(probe.scratchBytes));
  const pSyn0 = layout.take(V * stride * 4); // f32[V × stride]
  const pSyn1 = layout.take(V * stride * 4); // f32[V × stride]
  const pCorpus = layout.take(ids.length * 4); // i32[n]
  const pKeep = layout.take(V * 4); // f32[V]
  const pProb = layout.take(V * 4); // f32[V]
  const pAlias = layout.take(V * 4); // i32[V]
  if (layout.end > 4 * 2 ** 30 - 65536) throw new Error(`${WHO}: needs ${layout.end} bytes of wasm memory, over the 4 GiB limit`);

  const runner = createRunner(bytes, layout.pages, scratch, threadSeeds(seed, threads));
  try {
    const buf = runner.memory.buffer;
    const syn0 = new Float32Array(buf, pSyn0, V * stride); // [V × stride]
    const rand = mulberry32(seed);
    for (let r = 0; r < V; r++) for (let k = 0; k < dim; k++) syn0[r * stride + k] = (rand() - 0.5) / dim;
    new Float32Array(buf, pSyn1, V * stride).fill(0);
    new Int32Array(buf, pCorpus, ids.length).set(ids);
    new Float32Array(buf, pKeep, V).set(keep);
    new Float32Array(buf, pProb, V).set(prob);
    new Int32Array(buf, pAlias, V).set(alias);

    const isCut = (i: number) => ids[i - 1] === -1;
    const ranges = splitRanges(ids.length, threads, isCut);
    const started = Date.now();
    const epochsDone = new Array<number>(threads).fill(0);
    let processed = 0;
    const total = trainTokens * iterations;

    const threadLoop = async (t: number) => {
      const [from, to] = ranges[t];
      const pieces = splitRanges(to - from, Math.max(1, Math.ceil((to - from) / PIECE)), (i) => isCut(from + i));
      let threadTokens = 0;
      for (let i = from; i < to; i++) if (ids[i] >= 0) threadTokens++;
      const threadTotal = Math.max(1, threadTokens * iterations);
      let done = 0;
      for (let epoch = 0; epoch < iterations; epoch++) {
        for (const [s, e] of pieces) {
          if (e <= s) continue;
          const read = await runner.call(t, 'w2v_pass', [
            pSyn0, pSyn1, stride, V, pCorpus, from + s, from + e, pKeep, pProb, pAlias,
            window, negative, alpha, done, threadTotal,
          ]);
          done += read;
          processed += read;
          if (opts.onProgress) {
            opts.onProgress({
              method: 'word2vec', iteration: Math.min(...epochsDone), iterations, fraction: processed / total,
              processed, elapsedMs: Date.now() - started, value: alpha * Math.max(1e-4, 1 - done / threadTotal),
            });
          }
        }
        epochsDone[t] = epoch + 1;
      }
    };
    await Promise.all(ranges.map((_, t) => threadLoop(t)));
    opts.onProgress?.({
      method: 'word2vec', iteration: iterations, iterations, fraction: 1, processed,
      elapsedMs: Date.now() - started, value: alpha * 1e-4,
    });

    const out = new Float32Array(runner.memory.buffer, pSyn0, V * stride); // [V × stride]
    const vectors = new Float32Array(V * dim); // [V × dim]
    for (let r = 0; r < V; r++) vectors.set(out.subarray(r * stride, r * stride + dim), r * dim);
    return { vocab: vocab.tokens, counts: vocab.counts, vectors, dim };
  } finally {
    await runner.close();
  }
}
