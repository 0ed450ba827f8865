import { beforeAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import type { Kernels } from '../../src/model/kernels.js';
import { type Network, createNetwork } from '../../src/model/network.js';
import {
  type Crf,
  bruteForce,
  pathScore,
  refCrf,
  refKbest,
  refModel,
  refSoftmax,
  refViterbi,
} from '../reference/reference.js';
import { mulberry32, randomWeights } from '../reference/weights.js';
import { describeBuilds, testKernels } from './load.js';

describeBuilds((build) => {
  let kernels: Kernels;
  beforeAll(async () => {
    kernels = await testKernels(build);
  });

  function archWith(K: number, crf = true): Architecture {
    return { charVocab: 5, charDim: 4, wordVocab: 5, wordDim: 4, lstm: [4], tags: K, crf };
  }

  /** A network (for its CRF tensors) and random emissions [T × K] with f32 values. */
  function setup(K: number, seed: number, crfScale = 1.5) {
    const arch = archWith(K);
    const w = randomWeights(arch, seed, { crfScale });
    const net = createNetwork(kernels, arch, w);
    const crf = refCrf(refModel(arch, w));
    const rnd = mulberry32(seed * 7 + 1);
    const emissions = (T: number): Float32Array => Float32Array.from({ length: T * K }, () => (rnd() * 2 - 1) * 3);
    return { net, crf, emissions };
  }

  const SMALL: [number, number][] = [];
  for (let K = 1; K <= 5; K++) for (let T = 1; T <= 5; T++) SMALL.push([K, T]);

  describe('Viterbi', () => {
    it('equals brute-force enumeration for every T ≤ 5, K ≤ 5', () => {
      for (const [K, T] of SMALL) {
        const { net, crf, emissions } = setup(K, K * 10 + T);
        for (let rep = 0; rep < 3; rep++) {
          const em = emissions(T);
          const best = bruteForce(em, T, crf)[0];
          const v = net.viterbi(em, T);
          expect(Array.from(v.path), `K=${K} T=${T}`).toEqual(Array.from(best.path));
          expect(v.score).toBeCloseTo(best.score, 9);
        }
      }
    });

    it('is identical to the reference on long sequences (11 tags)', () => {
      const { net, crf, emissions } = setup(11, 3);
      for (const T of [1, 2, 17, 64, 150, 400]) {
        const em = emissions(T);
        const v = net.viterbi(em, T);
        const r = refViterbi(em, T, crf);
        expect(Array.from(v.path)).toEqual(Array.from(r.path));
        expect(v.score).toBe(r.score); // same f64 operation order
        expect(pathScore(em, T, crf, v.path)).toBeCloseTo(v.score, 9);
      }
    });

    it('viterbiBatch = viterbi one by one; T = 0 gives the empty path', () => {
      const { net, emissions } = setup(6, 4);
      const ems = [emissions(5), emissions(0), emissions(31)];
      const batch = net.viterbiBatch(ems);
      ems.forEach((em, s) => expect(batch[s]).toEqual(net.viterbi(em, em.length / 6)));
      expect(batch[1]).toEqual({ path: new Int32Array(0), score: 0 });
    });
  });

  describe('k-best', () => {
    function checkAgainstBruteForce(net: Network, crf: Crf, em: Float32Array, T: number, k: number) {
      const got = net.kbest(em, T, k);
      const all = bruteForce(em, T, crf);
      expect(got.length).toBe(Math.min(k, all.length));
      got.forEach((p, i) => {
        expect(Array.from(p.path)).toEqual(Array.from(all[i].path));
        expect(p.score).toBeCloseTo(all[i].score, 9);
        if (i > 0) expect(p.score).toBeLessThanOrEqual(got[i - 1].score);
      });
      const keys = new Set(got.map((p) => p.path.join(',')));
      expect(keys.size).toBe(got.length); // distinct
      return got;
    }

    it('is ordered, distinct, starts with Viterbi and equals brute-force top-k (T ≤ 5, K ≤ 5)', () => {
      for (const [K, T] of SMALL) {
        const { net, crf, emissions } = setup(K, 200 + K * 10 + T);
        const em = emissions(T);
        for (const k of [1, 3, 10]) {
          const got = checkAgainstBruteForce(net, crf, em, T, k);
          expect(Array.from(got[0].path)).toEqual(Array.from(net.viterbi(em, T).path));
        }
      }
    });

    it('returns every path when k exceeds K^T', () => {
      const { net, crf, emissions } = setup(3, 9);
      const em = emissions(2);
      expect(checkAgainstBruteForce(net, crf, em, 2, 50).length).toBe(9);
    });

    it('matches the reference list Viterbi on long sequences', () => {
      const { net, crf, emissions } = setup(11, 12);
      for (const T of [20, 120]) {
        const em = emissions(T);
        const got = net.kbest(em, T, 8);
        const ref = refKbest(em, T, crf, 8);
        expect(got.map((p) => Array.from(p.path))).toEqual(ref.map((p) => Array.from(p.path)));
        got.forEach((p, i) => expect(p.score).toBeCloseTo(ref[i].score, 9));
        expect(Array.from(got[0].path)).toEqual(Array.from(net.viterbi(em, T).path));
      }
    });
  });

  describe('crf=false (softmax baseline)', () => {
    const arch = archWith(5, false);
    const w = randomWeights(arch, 3);
    it('viterbi = argmax, softmax, kbest over per-step log-probabilities', () => {
      const net = createNetwork(kernels, arch, w);
      const rnd = mulberry32(4);
      const T = 4;
      const em = Float32Array.from({ length: T * 5 }, () => (rnd() * 2 - 1) * 4);
      const sm = refSoftmax(em, T, 5);
      const v = net.viterbi(em, T);
      expect(Array.from(v.path)).toEqual(Array.from(net.argmax(em, T)));
      let lp = 0;
      for (let t = 0; t < T; t++) lp += Math.log(sm[t * 5 + v.path[t]]);
      expect(v.score).toBeCloseTo(lp, 5);
      const soft = net.softmax(em, T);
      for (let i = 0; i < T * 5; i++) expect(soft[i]).toBeCloseTo(sm[i], 6);
      const logsm = Float64Array.from(sm, Math.log);
      const zero: Crf = { K: 5, trans: new Float64Array(25), start: new Float64Array(5), end: new Float64Array(5) };
      const top = bruteForce(logsm, T, zero).slice(0, 6);
      const got = net.kbest(em, T, 6);
      expect(got.map((p) => Array.from(p.path))).toEqual(top.map((p) => Array.from(p.path)));
    });
  });

  describe('decoding input checks', () => {
    it('names the mismatch', () => {
      const { net } = setup(4, 1);
      expect(() => net.viterbi(new Float32Array(10), 3)).toThrow(/viterbi: em has 10 values, expected T × K = 3 × 4 = 12/);
      expect(() => net.kbest(new Float32Array(8), -2, 1)).toThrow(/kbest: T must be an integer ≥ 0, got -2/);
      expect(() => net.kbest(new Float32Array(8), 2, 0)).toThrow(/kbest: k must be an integer ≥ 1, got 0/);
      expect(() => net.viterbi([1, 2, 3, 4] as unknown as Float32Array, 1)).toThrow(/viterbi: em must be a Float32Array/);
      expect(() => net.viterbiBatch([new Float32Array(6)])).toThrow(/ems\[0\] must be a Float32Array whose length is a multiple of K = 4/);
    });
  });
});
