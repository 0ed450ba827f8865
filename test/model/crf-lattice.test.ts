/**
 * The host-side CRF lattice (src/model/crf.ts: forwardBackward, logMarginal) against brute force and the f64
 * log-space reference — the checks the wasm `marginals` kernel had before it was dropped (issue 14 point 4) — and
 * the lattice built only for some spans (forwardBackward's `spans`) against the whole one and brute force.
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import { type CrfParams, entityLogProb, forwardBackward, logMarginal } from '../../src/model/crf.js';
import { tagsToSpans } from '../../src/tags/bio.js';
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

describe('forwardBackward for some spans only', () => {
  // K = 5: O, B-A, I-A, B-B, I-B
  const labels = ['O', 'B-A', 'I-A', 'B-B', 'I-B'];
  const ids = { A: { b: 1, i: 2 }, B: { b: 3, i: 4 } };

  it('gives every span the probability of the whole lattice and of brute force (T ≤ 6, one span or two)', () => {
    for (let T = 1; T <= 6; T++) {
      const { crf, params, emissions } = setup(5, 300 + T);
      const em = emissions(T);
      const full = forwardBackward(em, T, params);
      // brute force: the probability mass of each entity, over every path whose decoding holds it
      const mass = new Map<string, number>();
      for (const p of bruteForce(em, T, crf)) {
        for (const x of tagsToSpans(Array.from(p.path, (y) => labels[y]))) {
          const key = `${x.start} ${x.end} ${x.type}`;
          mass.set(key, (mass.get(key) ?? 0) + Math.exp(p.score - full.logZ));
        }
      }
      const spans: { start: number; end: number }[] = [];
      for (let s = 0; s < T; s++) for (let e = s + 1; e <= T; e++) spans.push({ start: s, end: e });
      for (const one of spans) {
        // the span alone, and with every other span beside it (the lattice then covers both)
        for (const other of [null, ...spans]) {
          const wanted = other === null ? [one] : [one, other];
          const part = forwardBackward(em, T, params, wanted);
          expect(Math.abs(part.logZ - full.logZ), `T=${T}`).toBeLessThan(1e-12);
          for (const w of wanted) {
            for (const [type, { b, i }] of Object.entries(ids)) {
              const got = Math.exp(entityLogProb(part, w.start, w.end, b, i));
              const whole = Math.exp(entityLogProb(full, w.start, w.end, b, i));
              expect(Math.abs(got - whole), `T=${T} [${w.start}, ${w.end}) ${type}`).toBeLessThan(1e-13);
              const want = mass.get(`${w.start} ${w.end} ${type}`) ?? 0;
              expect(Math.abs(got - want), `T=${T} [${w.start}, ${w.end}) ${type} vs brute force`).toBeLessThan(1e-12);
            }
          }
        }
      }
    }
  });

  it('computes only the rows the spans need, log Z alone for no spans, and refuses the others', () => {
    const { params, emissions } = setup(11, 9);
    const T = 40;
    const em = emissions(T);
    const full = forwardBackward(em, T, params);
    expect([full.alphaTo, full.betaFrom]).toEqual([T - 1, 0]);
    // one entity [5, 8): forward rows 0..8 (carried on to meet the backward), backward rows 8..39
    const part = forwardBackward(em, T, params, [{ start: 5, end: 8 }]);
    expect([part.alphaTo, part.betaFrom]).toEqual([8, 8]);
    expect(part.aHat.subarray(9 * 11).every((v) => v === 0)).toBe(true);
    expect(part.bHat.subarray(0, 8 * 11).every((v) => v === 0)).toBe(true);
    expect(Math.abs(part.logZ - full.logZ)).toBeLessThan(1e-12 * Math.abs(full.logZ));
    expect(Math.abs(logMarginal(part, 8, 3) - logMarginal(full, 8, 3))).toBeLessThan(1e-12);
    expect(() => entityLogProb(part, 9, 12, 1, 2)).toThrow(
      /^entityLogProb: the lattice holds rows \.\.8 forward and 8\.\. backward, not the span \[9, 12\)$/,
    );
    expect(() => entityLogProb(part, 2, 4, 1, 2)).toThrow(/not the span \[2, 4\)/);
    expect(() => logMarginal(part, 7, 0)).toThrow(
      /^logMarginal: the lattice holds rows \.\.8 forward and 8\.\. backward, not row 7$/,
    );
    // two entities far apart: the forward to the last start, the backward to the first end
    const two = forwardBackward(em, T, params, [
      { start: 30, end: 33 },
      { start: 2, end: 4 },
    ]);
    expect([two.alphaTo, two.betaFrom]).toEqual([30, 4]);
    // no spans: the forward alone, log Z at the end as in the whole lattice (the same bits)
    const none = forwardBackward(em, T, params, []);
    expect([none.alphaTo, none.betaFrom]).toEqual([T - 1, T - 1]);
    expect(none.logZ).toBe(full.logZ);
    // an entity that ends the sentence needs no backward row but the last
    const last = forwardBackward(em, T, params, [{ start: 37, end: 40 }]);
    expect([last.alphaTo, last.betaFrom]).toEqual([T - 1, T - 1]);
    expect(entityLogProb(last, 37, 40, 1, 2)).toBe(entityLogProb(full, 37, 40, 1, 2));
  });

  it('rejects spans outside the sentence', () => {
    const { params, emissions } = setup(5, 4);
    const em = emissions(6);
    for (const bad of [
      { start: -1, end: 2 },
      { start: 3, end: 3 },
      { start: 4, end: 7 },
      { start: 0.5, end: 2 },
    ]) {
      expect(() => forwardBackward(em, 6, params, [bad])).toThrow(
        new RangeError(`forwardBackward: expected spans with 0 ≤ start < end ≤ 6, got [${bad.start}, ${bad.end})`),
      );
    }
  });
});
