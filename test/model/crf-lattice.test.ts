/**
 * The host-side CRF lattice (src/model/crf.ts: forwardBackward, logMarginal) against brute force and the f64
 * log-space reference — the checks the wasm `marginals` kernel had before it was dropped (issue 14 point 4).
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import { type CrfParams, forwardBackward, logMarginal } from '../../src/model/crf.js';
import { bruteForce, refCrf, refMarginals, refModel } from '../reference/reference.js';
import { mulberry32, randomWeights } from '../reference/weights.js';

function setup(K: number, seed: number) {
  const arch: Architecture = { charVocab: 5, charDim: 4, wordVocab: 5, wordDim: 4, lstm: [4], tags: K, crf: true };
  const crf = refCrf(refModel(arch, randomWeights(arch, seed, { crfScale: 1.5 })));
  const params: CrfParams = {
    crf: true,
    K,
    trans: Float64Array.from(crf.trans),
    start: Float64Array.from(crf.start),
    end: Float64Array.from(crf.end),
  };
  const rnd = mulberry32(seed * 7 + 1);
  const emissions = (T: number): Float32Array => Float32Array.from({ length: T * K }, () => (rnd() * 2 - 1) * 3);
  return { crf, params, emissions };
}

describe('forwardBackward marginals', () => {
  it('sum to 1 per step and agree with brute force (T ≤ 5, K ≤ 5)', () => {
    for (let K = 1; K <= 5; K++) {
      for (let T = 1; T <= 5; T++) {
        const { crf, params, emissions } = setup(K, 100 + K * 10 + T);
        const em = emissions(T);
        const lat = forwardBackward(em, T, params);
        const all = bruteForce(em, T, crf);
        const m = Math.max(...all.map((p) => p.score));
        const bfLogZ = m + Math.log(all.reduce((s, p) => s + Math.exp(p.score - m), 0));
        expect(lat.logZ, `K=${K} T=${T}`).toBeCloseTo(bfLogZ, 9);
        const bf = new Float64Array(T * K);
        for (const p of all) for (let t = 0; t < T; t++) bf[t * K + p.path[t]] += Math.exp(p.score - bfLogZ);
        for (let t = 0; t < T; t++) {
          let s = 0;
          for (let y = 0; y < K; y++) {
            const p = Math.exp(logMarginal(lat, t, y));
            s += p;
            expect(Math.abs(p - bf[t * K + y]), `K=${K} T=${T} t=${t} y=${y}`).toBeLessThan(1e-9);
          }
          expect(s).toBeCloseTo(1, 9);
        }
      }
    }
  });

  it('match the log-space reference on long sequences and stay finite with large scores', () => {
    const { crf, params, emissions } = setup(11, 8);
    for (const T of [64, 300]) {
      const em = emissions(T).map((v) => v * 40); // scores in the hundreds: naive exp would overflow
      const lat = forwardBackward(em, T, params);
      const ref = refMarginals(em, T, crf);
      expect(lat.logZ).toBeCloseTo(ref.logZ, 6);
      let worst = 0;
      for (let t = 0; t < T; t++) {
        for (let y = 0; y < 11; y++) {
          const p = Math.exp(logMarginal(lat, t, y));
          expect(Number.isFinite(p)).toBe(true);
          worst = Math.max(worst, Math.abs(p - ref.marginals[t * 11 + y]));
        }
      }
      expect(worst).toBeLessThan(1e-6);
    }
  });
});
