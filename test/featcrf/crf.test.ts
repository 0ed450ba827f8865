import { describe, expect, it } from 'vitest';
import {
  CrfScratch,
  checkSequence,
  logPartition,
  paramCount,
  paramOffsets,
  scorePath,
  sequenceNll,
  viterbi,
  type CrfSequence,
  type CrfShape,
} from '../../scripts/featcrf/crf.js';
import { lbfgs } from '../../scripts/featcrf/lbfgs.js';
import { mulberry32 } from '../../scripts/featcrf/model.js';

/** A random sequence with 0–3 active features per position. */
function randomSeq(rand: () => number, shape: CrfShape, T: number, withLabels = true): CrfSequence {
  const featStart = new Int32Array(T + 1);
  const ids: number[] = [];
  for (let t = 0; t < T; t++) {
    const n = Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) ids.push(Math.floor(rand() * shape.numFeatures));
    featStart[t + 1] = ids.length;
  }
  const labels = Int32Array.from({ length: T }, () => Math.floor(rand() * shape.numLabels));
  return { featStart, featIds: Int32Array.from(ids), labels: withLabels ? labels : undefined };
}

function randomTheta(rand: () => number, shape: CrfShape, scale = 1): Float64Array {
  return Float64Array.from({ length: paramCount(shape) }, () => (rand() * 2 - 1) * scale);
}

/** Every path of length T over K labels. */
function allPaths(T: number, K: number): number[][] {
  let paths: number[][] = [[]];
  for (let t = 0; t < T; t++) paths = paths.flatMap((p) => Array.from({ length: K }, (_, y) => [...p, y]));
  return paths;
}

function bruteLogZ(theta: Float64Array, shape: CrfShape, seq: CrfSequence): number {
  const T = seq.featStart.length - 1;
  const scores = allPaths(T, shape.numLabels).map((p) => scorePath(theta, shape, seq, p));
  const m = Math.max(...scores);
  return m + Math.log(scores.reduce((s, v) => s + Math.exp(v - m), 0));
}

describe('linear-chain CRF core', () => {
  it('log Z equals brute-force enumeration', () => {
    const rand = mulberry32(7);
    const shape = { numFeatures: 6, numLabels: 3 };
    for (let trial = 0; trial < 20; trial++) {
      const T = 1 + (trial % 5);
      const seq = randomSeq(rand, shape, T);
      const theta = randomTheta(rand, shape, 2);
      expect(logPartition(theta, shape, seq)).toBeCloseTo(bruteLogZ(theta, shape, seq), 9);
    }
  });

  it('stays exact when transitions are far outside exp range (log-space fallback)', () => {
    const rand = mulberry32(8);
    const shape = { numFeatures: 4, numLabels: 3 };
    const seq = randomSeq(rand, shape, 5);
    const theta = randomTheta(rand, shape);
    const off = paramOffsets(shape);
    // every transition into label 1 and out of label 2 is (numerically) forbidden for exp()
    for (let p = 0; p < 3; p++) theta[off.trans + p * 3 + 1] = -900;
    for (let n = 0; n < 3; n++) theta[off.trans + 2 * 3 + n] = -1000;
    const got = logPartition(theta, shape, seq);
    expect(Number.isFinite(got)).toBe(true);
    expect(got).toBeCloseTo(bruteLogZ(theta, shape, seq), 8);
    const g = new Float64Array(theta.length);
    const nll = sequenceNll(theta, shape, seq, g, new CrfScratch());
    expect(Number.isFinite(nll)).toBe(true);
    expect(g.every(Number.isFinite)).toBe(true);
  });

  it('gradient of the NLL matches central finite differences', () => {
    const rand = mulberry32(11);
    const shape = { numFeatures: 5, numLabels: 3 };
    const seqs = [randomSeq(rand, shape, 4), randomSeq(rand, shape, 1), randomSeq(rand, shape, 6)];
    const theta = randomTheta(rand, shape, 1.5);
    const sc = new CrfScratch();
    const total = (th: Float64Array, g: Float64Array | null) =>
      seqs.reduce((s, q) => s + sequenceNll(th, shape, q, g, sc), 0);
    const grad = new Float64Array(theta.length);
    total(theta, grad);
    const h = 1e-5;
    let maxErr = 0;
    for (let i = 0; i < theta.length; i++) {
      const plus = Float64Array.from(theta);
      const minus = Float64Array.from(theta);
      plus[i] += h;
      minus[i] -= h;
      const fd = (total(plus, null) - total(minus, null)) / (2 * h);
      maxErr = Math.max(maxErr, Math.abs(fd - grad[i]) / Math.max(1, Math.abs(fd)));
    }
    expect(maxErr).toBeLessThan(1e-6);
    // the gradient is not trivially zero
    expect(grad.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('NLL equals log Z minus the gold path score and is positive', () => {
    const rand = mulberry32(12);
    const shape = { numFeatures: 5, numLabels: 4 };
    const seq = randomSeq(rand, shape, 4);
    const theta = randomTheta(rand, shape);
    const nll = sequenceNll(theta, shape, seq, null, new CrfScratch());
    expect(nll).toBeCloseTo(bruteLogZ(theta, shape, seq) - scorePath(theta, shape, seq, seq.labels!), 9);
    expect(nll).toBeGreaterThan(0);
  });

  it('Viterbi finds the brute-force best path', () => {
    const rand = mulberry32(13);
    for (let trial = 0; trial < 40; trial++) {
      const shape = { numFeatures: 6, numLabels: 2 + (trial % 3) };
      const T = 1 + (trial % 6);
      const seq = randomSeq(rand, shape, T, false);
      const theta = randomTheta(rand, shape, 2);
      let best = -Infinity;
      let bestPath: number[] = [];
      for (const p of allPaths(T, shape.numLabels)) {
        const s = scorePath(theta, shape, seq, p);
        if (s > best) {
          best = s;
          bestPath = p;
        }
      }
      const got = viterbi(theta, shape, seq);
      expect(Array.from(got)).toEqual(bestPath);
    }
  });

  it('handles empty sequences and rejects malformed ones', () => {
    const shape = { numFeatures: 3, numLabels: 2 };
    const theta = new Float64Array(paramCount(shape));
    const empty = { featStart: new Int32Array([0]), featIds: new Int32Array(0), labels: new Int32Array(0) };
    expect(viterbi(theta, shape, empty).length).toBe(0);
    expect(sequenceNll(theta, shape, empty, null, new CrfScratch())).toBe(0);
    const bad = { featStart: new Int32Array([0, 1]), featIds: new Int32Array([3]), labels: new Int32Array([0]) };
    expect(() => checkSequence(shape, bad)).toThrow(/feature id at 0 must be in \[0, 3\), got 3/);
    const badLab = { featStart: new Int32Array([0, 0]), featIds: new Int32Array(0), labels: new Int32Array([5]) };
    expect(() => checkSequence(shape, badLab)).toThrow(/label at 0 must be in \[0, 2\), got 5/);
    expect(() => sequenceNll(theta, shape, { featStart: new Int32Array([0, 0]), featIds: new Int32Array(0) }, null, new CrfScratch())).toThrow(
      /no gold labels/,
    );
  });
});

describe('L-BFGS', () => {
  it('minimises the Rosenbrock function', () => {
    const f = (x: Float64Array, g: Float64Array) => {
      const [a, b] = [x[0], x[1]];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const res = lbfgs(f, Float64Array.from([-1.2, 1]), { maxIterations: 500, gradTolerance: 1e-10, relTolerance: 0 });
    expect(res.x[0]).toBeCloseTo(1, 4);
    expect(res.x[1]).toBeCloseTo(1, 4);
    expect(res.fx).toBeLessThan(1e-8);
  });

  it('reaches the optimum of a convex CRF problem (gradient ~ 0)', () => {
    const rand = mulberry32(21);
    const shape = { numFeatures: 8, numLabels: 3 };
    const seqs = Array.from({ length: 6 }, () => randomSeq(rand, shape, 5));
    const sc = new CrfScratch();
    const obj = (x: Float64Array, g: Float64Array) => {
      g.fill(0);
      let s = 0;
      for (const q of seqs) s += sequenceNll(x, shape, q, g, sc);
      for (let i = 0; i < x.length; i++) {
        s += 0.5 * x[i] * x[i];
        g[i] += x[i];
      }
      return s;
    };
    const res = lbfgs(obj, new Float64Array(paramCount(shape)), { maxIterations: 300, gradTolerance: 1e-8, relTolerance: 0 });
    const g = new Float64Array(paramCount(shape));
    obj(res.x, g);
    expect(Math.sqrt(g.reduce((s, v) => s + v * v, 0))).toBeLessThan(1e-5);
  });
});
