/**
 * The entity scores' forward–backward on the kernels (assembly/crf.ts `lattice`, through forwardBackwardKernels in
 * src/model/crf.ts) against the host reference forwardBackward, on both builds: random lattices (T = 1 to 1,000,
 * K = 1 to 13, crf and crf=false), all-equal scores, very negative scores, the rows trimmed to some spans against
 * the whole lattice; and the kernels' f64 exp against Math.exp.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type CrfParams,
  type Lattice,
  entityLogProb,
  forwardBackward,
  forwardBackwardKernels,
  latticeNumbers,
} from '../../src/model/crf.js';
import type { Kernels } from '../../src/model/kernels.js';
import { mulberry32 } from '../reference/weights.js';
import { describeBuilds, testKernels } from './load.js';

function randomParams(K: number, seed: number, crf: boolean, scale = 1.5): CrfParams {
  const rnd = mulberry32(seed);
  const r = (n: number) => Float64Array.from({ length: n }, () => (crf ? (rnd() * 2 - 1) * scale : 0));
  return { crf, K, trans: r(K * K), start: r(K), end: r(K) };
}

function randomEmissions(T: number, K: number, seed: number, scale = 3, offset = 0): Float32Array {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: T * K }, () => (rnd() * 2 - 1) * scale + offset);
}

/**
 * The largest difference of two arrays relative to max(|b|, floor): relative for the scaled values (floor 1e-300;
 * a 0 there, e.g. a row the lattice does not hold, must be 0 in both), relative-or-absolute for the log values
 * (floor 1).
 */
function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (floor < 1 && (b[i] === 0 || a[i] === 0)) expect(a[i], `index ${i}`).toBe(b[i]);
    else worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  }
  return worst;
}

/** The largest difference seen by expectSameLattice, printed at the end */
let largest = 0;

/** Both lattices hold the same rows and agree to `tol` everywhere, log Z included. */
function expectSameLattice(got: Lattice, want: Lattice, tol: number, what: string): void {
  expect([got.alphaTo, got.betaFrom], what).toEqual([want.alphaTo, want.betaFrom]);
  expect(got.transMax, what).toBe(want.transMax);
  const d = [
    worstDifference(got.aHat, want.aHat, 1e-300),
    worstDifference(got.bHat, want.bHat, 1e-300),
    worstDifference(got.aLog, want.aLog, 1),
    worstDifference(got.bLog, want.bLog, 1),
    worstDifference(got.em, want.em, 1),
    worstDifference([got.logZ], [want.logZ], 1),
  ];
  largest = Math.max(largest, ...d);
  expect(Math.max(...d), `${what}: aHat, bHat, aLog, bLog, potentials, log Z ${d.join(' ')}`).toBeLessThan(tol);
}

describeBuilds((build) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await testKernels(build);
  });
  afterAll(() =>
    console.log(`${build} build: the largest difference to the reference lattice ${largest.toExponential(2)}`),
  );

  it('exp_f64 is within 1e-12 (relative) of Math.exp over the range the lattice uses, and exact at the edges', () => {
    const rnd = mulberry32(17);
    let worst = 0;
    // the lattice takes exp of differences to a row maximum (≤ 0), down to where exp underflows; a little above 0 too
    for (let i = 0; i < 200_000; i++) {
      const x = i < 100_000 ? -rnd() * 708 : (rnd() * 2 - 1) * 40;
      worst = Math.max(worst, Math.abs(k.exports.exp_f64(x) - Math.exp(x)) / Math.exp(x));
    }
    expect(worst).toBeLessThan(1e-12);
    expect(k.exports.exp_f64(0)).toBe(1);
    expect(k.exports.exp_f64(-Infinity)).toBe(0);
    expect(k.exports.exp_f64(-800)).toBe(0);
    expect(k.exports.exp_f64(800)).toBe(Infinity);
    expect(Number.isNaN(k.exports.exp_f64(NaN))).toBe(true);
  });

  it('gives the reference lattice on random sentences (T = 1 to 1,000, K = 1 to 13, crf and crf=false)', () => {
    let seed = 1;
    for (const crf of [true, false]) {
      for (const K of [1, 2, 3, 4, 5, 8, 9, 13]) {
        const p = randomParams(K, seed++, crf);
        for (const T of [1, 2, 3, 7, 64, 300, 1000]) {
          const em = randomEmissions(T, K, seed++);
          expectSameLattice(
            forwardBackwardKernels(k, em, T, p),
            forwardBackward(em, T, p),
            1e-12,
            `crf=${crf} K=${K} T=${T}`,
          );
        }
      }
    }
  });

  it('gives the reference lattice for all-equal scores and very negative scores', () => {
    for (const crf of [true, false]) {
      const K = 9;
      // all equal: every path equally likely, log Z = T·log K (crf=false: every potential −log K)
      const flat: CrfParams = {
        crf,
        K,
        trans: new Float64Array(K * K),
        start: new Float64Array(K),
        end: new Float64Array(K),
      };
      for (const T of [1, 5, 200]) {
        const em = new Float32Array(T * K).fill(crf ? 0 : 2.5);
        const got = forwardBackwardKernels(k, em, T, flat);
        expectSameLattice(got, forwardBackward(em, T, flat), 1e-12, `flat crf=${crf} T=${T}`);
        expect(got.logZ).toBeCloseTo(crf ? T * Math.log(K) : 0, 9);
      }
      // very negative: emissions around −1e4 with spreads of hundreds (naive exp would underflow to 0)
      const p = randomParams(K, 50, crf, 40);
      for (const T of [1, 64, 500]) {
        const em = randomEmissions(T, K, 51 + T, 300, -1e4);
        const got = forwardBackwardKernels(k, em, T, p);
        expect(Number.isFinite(got.logZ)).toBe(true);
        expectSameLattice(got, forwardBackward(em, T, p), 1e-12, `negative crf=${crf} T=${T}`);
      }
    }
  });

  it('trims the rows to the spans as the reference does, and scores them as the whole lattice does', () => {
    const K = 9; // O, then B-X / I-X for four types
    const p = randomParams(K, 77, true);
    const T = 60;
    const em = randomEmissions(T, K, 78);
    const full = forwardBackwardKernels(k, em, T, p);
    expectSameLattice(full, forwardBackward(em, T, p), 1e-12, 'full');
    const cases: { start: number; end: number }[][] = [
      [],
      [{ start: 0, end: 1 }],
      [{ start: 5, end: 8 }],
      [{ start: 57, end: 60 }],
      [
        { start: 30, end: 33 },
        { start: 2, end: 4 },
      ],
      [
        { start: 10, end: 12 },
        { start: 11, end: 20 },
        { start: 40, end: 59 },
      ],
    ];
    for (const spans of cases) {
      const what = JSON.stringify(spans);
      const part = forwardBackwardKernels(k, em, T, p, spans);
      expectSameLattice(part, forwardBackward(em, T, p, spans), 1e-12, what);
      for (const s of spans) {
        for (let type = 0; type < 4; type++) {
          const [b, i] = [1 + 2 * type, 2 + 2 * type];
          const got = entityLogProb(part, s.start, s.end, b, i);
          expect(Math.abs(Math.exp(got) - Math.exp(entityLogProb(full, s.start, s.end, b, i))), what).toBeLessThan(
            1e-13,
          );
        }
      }
    }
  });

  it('rejects what the reference rejects, with its own name, and leaves the kernels memory as it found it', () => {
    const p = randomParams(5, 3, true);
    const em = randomEmissions(6, 5, 4);
    forwardBackwardKernels(k, em, 6, p); // the first call places the CRF parameters in the kernels' memory
    const before = k.mark();
    forwardBackwardKernels(k, em, 6, p, [{ start: 1, end: 3 }]);
    expect(k.mark()).toBe(before);
    expect(() => forwardBackwardKernels(k, em, 5, p)).toThrow(
      new RangeError('forwardBackwardKernels: expected T ≥ 1 and T × K = 5 × 5 emissions, got 30'),
    );
    expect(() => forwardBackwardKernels(k, new Float32Array(0), 0, p)).toThrow(
      new RangeError('forwardBackwardKernels: expected T ≥ 1 and T × K = 0 × 5 emissions, got 0'),
    );
    expect(() => forwardBackwardKernels(k, em, 6, p, [{ start: 4, end: 7 }])).toThrow(
      new RangeError('forwardBackwardKernels: expected spans with 0 ≤ start < end ≤ 6, got [4, 7)'),
    );
    expect(k.mark()).toBe(before);
  });

  it('copies the lattice into a caller scratch (into) with the same numbers, and refuses one too small', () => {
    for (const crf of [true, false]) {
      const p = randomParams(7, 11, crf);
      const T = 9;
      const em = randomEmissions(T, 7, 12);
      const spans = [{ start: 2, end: 4 }];
      const own = forwardBackwardKernels(k, em, T, p, spans);
      const into = new Float64Array(latticeNumbers(T, p) + 50).fill(Number.NaN); // larger than needed, dirty
      const lat = forwardBackwardKernels(k, em, T, p, spans, into);
      for (const key of ['aHat', 'bHat', 'aLog', 'bLog', 'em'] as const) {
        expect([...lat[key]], `${key}, crf ${crf}`).toEqual([...own[key]]);
        if (key !== 'em' || !crf) expect(lat[key].buffer, key).toBe(into.buffer);
      }
      expect(lat.logZ).toBe(own.logZ);
      expect(entityLogProb(lat, 2, 4, 1, 2)).toBe(entityLogProb(own, 2, 4, 1, 2));
      const before = k.mark();
      expect(() => forwardBackwardKernels(k, em, T, p, spans, new Float64Array(latticeNumbers(T, p) - 1))).toThrow(
        new RangeError(
          `forwardBackwardKernels: into holds ${latticeNumbers(T, p) - 1} numbers, the lattice needs ${latticeNumbers(T, p)}`,
        ),
      );
      expect(k.mark()).toBe(before);
    }
  });
});
