import { describe, expect, it } from 'vitest';
import {
  aliasTable, buildVocabulary, countCooccurrences, meanCosine, nearest, sharedMemoryModule, trainGloVe, trainWord2Vec,
} from '../../src/train/embed/index.js';
import { embedKernelBytes } from '../../src/train/embed/kernel.js';

/** Two disjoint "topics": every sequence draws its tokens from one topic only. */
function topics(n: number, len: number, seed: number): { A: string[]; B: string[]; seqs: string[][] } {
  const A = 'abcdefgh'.split('');
  const B = 'pqrstuvw'.split('');
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const seqs: string[][] = [];
  for (let i = 0; i < n; i++) {
    const T = rnd() < 0.5 ? A : B;
    seqs.push(Array.from({ length: len }, () => T[Math.floor(rnd() * T.length)]));
  }
  return { A, B, seqs };
}

describe('trainWord2Vec', () => {
  const { A, B, seqs } = topics(1500, 20, 7);

  it('puts tokens of one topic nearer each other than across topics', async () => {
    const e = await trainWord2Vec(seqs, { iterations: 3, minCount: 1, dim: 16, seed: 5 });
    expect(e.dim).toBe(16);
    expect(e.vocab).toHaveLength(16);
    expect(e.vectors).toHaveLength(16 * 16);
    const within = (meanCosine(e, A, A) + meanCosine(e, B, B)) / 2;
    const across = meanCosine(e, A, B);
    expect(within).toBeGreaterThan(across + 0.3);
    for (const t of A) expect(nearest(e, t, 7).every((n) => A.includes(n.token))).toBe(true);
  });

  it('is deterministic given the seed on one thread, and the seed matters', async () => {
    const o = { iterations: 2, minCount: 1, dim: 10 };
    const a = await trainWord2Vec(seqs, { ...o, seed: 3 });
    const b = await trainWord2Vec(seqs, { ...o, seed: 3 });
    const c = await trainWord2Vec(seqs, { ...o, seed: 4 });
    expect(Buffer.from(a.vectors.buffer).equals(Buffer.from(b.vectors.buffer))).toBe(true);
    expect(Buffer.from(a.vectors.buffer).equals(Buffer.from(c.vectors.buffer))).toBe(false);
  });

  it('trains Hogwild on 2 worker threads sharing one memory, and on the generic negative-count path', async () => {
    const progress: number[] = [];
    const e = await trainWord2Vec(seqs, { iterations: 3, minCount: 1, dim: 16, threads: 2, onProgress: (p) => progress.push(p.fraction) });
    expect(meanCosine(e, A, A)).toBeGreaterThan(meanCosine(e, A, B) + 0.3);
    expect(progress.at(-1)).toBe(1);
    const g = await trainWord2Vec(seqs, { iterations: 3, minCount: 1, dim: 10, negative: 3 });
    expect(meanCosine(g, B, B)).toBeGreaterThan(meanCosine(g, A, B) + 0.3);
  });

  it('orders the vocabulary by count and applies minCount', async () => {
    const seqs2 = [['x', 'y', 'x', 'z', 'x', 'y', 'w']];
    const v = buildVocabulary(seqs2, 2);
    expect(v.tokens).toEqual(['x', 'y']);
    expect(v.counts).toEqual([3, 2]);
    // ties in code-unit order
    const e = await trainWord2Vec([...seqs2, ...seqs2], { minCount: 2, iterations: 1, dim: 4 });
    expect(e.vocab).toEqual(['x', 'y', 'w', 'z']);
    expect(e.counts).toEqual([6, 4, 2, 2]);
  });

  it('validates its input', async () => {
    await expect(trainWord2Vec('abc' as unknown as string[][])).rejects.toThrow(/expected sequences as string\[\]\[\], got string/);
    await expect(trainWord2Vec([['a', '']])).rejects.toThrow(/sequence 0, position 1, got an empty string/);
    await expect(trainWord2Vec([['a', 'b']], { dim: 0 })).rejects.toThrow(/dim to be an integer in \[1, 4096\], got 0/);
    await expect(trainWord2Vec([['a', 'b']], { minCount: 5 })).rejects.toThrow(/at least 2 tokens occurring ≥ minCount \(5\) times, got 0/);
    await expect(trainWord2Vec([['a', 'b']], { sample: -1, minCount: 1 })).rejects.toThrow(/sample/);
  });
});

describe('trainGloVe', () => {
  const { A, B, seqs } = topics(1500, 20, 11);

  it('puts tokens of one topic nearer each other than across topics', async () => {
    const e = await trainGloVe(seqs, { iterations: 15, minCount: 1, dim: 16, seed: 2 });
    expect(meanCosine(e, A, A)).toBeGreaterThan(meanCosine(e, A, B) + 0.3);
    expect(meanCosine(e, B, B)).toBeGreaterThan(meanCosine(e, A, B) + 0.3);
  });

  it('lowers its cost, is deterministic on one thread, and runs on 2 threads', async () => {
    const costs: number[] = [];
    const o = { iterations: 8, minCount: 1, dim: 8, seed: 9 };
    const a = await trainGloVe(seqs, { ...o, onProgress: (p) => { if (!Number.isNaN(p.value)) costs.push(p.value); } });
    const b = await trainGloVe(seqs, o);
    expect(Buffer.from(a.vectors.buffer).equals(Buffer.from(b.vectors.buffer))).toBe(true);
    expect(costs.at(-1)!).toBeLessThan(costs[0] * 0.8);
    const t = await trainGloVe(seqs, { ...o, iterations: 15, threads: 2 });
    expect(meanCosine(t, A, A)).toBeGreaterThan(meanCosine(t, A, B) + 0.3);
  });

  it('counts co-occurrences with 1/distance weights, symmetric, not across sequences', () => {
    // ids: 0 1 2 | 0 0
    const co = countCooccurrences(Int32Array.from([0, 1, 2, -1, 0, 0, -1]), 2);
    const got = new Map<string, number>();
    for (let r = 0; r < co.n; r++) got.set(`${co.i[r]},${co.j[r]}`, co.x[r]);
    expect(Object.fromEntries(got)).toEqual({ '0,1': 1, '1,0': 1, '1,2': 1, '2,1': 1, '0,2': 0.5, '2,0': 0.5, '0,0': 2 });
  });
});

describe('kernel plumbing', () => {
  it('samples from the alias table with the right frequencies', () => {
    const w = Float64Array.from([1, 2, 3, 4, 0.5, 9.5]);
    const { prob, alias } = aliasTable(w);
    const hits = new Float64Array(w.length);
    let s = 1;
    const N = 200000;
    for (let k = 0; k < N; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const u = (s / 4294967296) * w.length;
      const b = Math.floor(u);
      hits[u - b < prob[b] ? b : alias[b]]++;
    }
    for (let i = 0; i < w.length; i++) expect(hits[i] / N).toBeCloseTo(w[i] / 20, 2);
  });

  it('rewrites the module to import a shared memory', () => {
    const bytes = sharedMemoryModule(embedKernelBytes(), 3, 5);
    const mod = new WebAssembly.Module(bytes as BufferSource);
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const memory = new WebAssembly.Memory({ initial: 3, maximum: 5, shared: true });
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    expect((inst.exports.memory as WebAssembly.Memory).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => sharedMemoryModule(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 1, 1)).toThrow(/expected a WebAssembly binary/);
  });
});
