import { describe, expect, it } from 'vitest';
import { TrainKernels, loadTrainingModule } from '../../src/train/kernels.js';
import { Rng } from '../../src/train/rng.js';

const k = new TrainKernels(loadTrainingModule());
const ex = k.exports;

function rand(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

describe('train.wasm kernels', () => {
  it('has no imports', () => {
    expect(WebAssembly.Module.imports(loadTrainingModule())).toEqual([]);
  });

  it('gemm matches a plain product for NN and TN strides, every tail size, acc on and off', () => {
    const rng = new Rng(3);
    for (const [M, N, K] of [[1, 1, 1], [3, 5, 7], [4, 8, 130], [9, 17, 3], [13, 12, 260], [5, 11, 128]]) {
      for (const tn of [false, true]) {
        for (const acc of [0, 1]) {
          const mark = k.mark();
          const A = rand(M * K, rng); // NN: [M, K]; TN: stored [K, M]
          const B = rand(K * N, rng); // [K, N]
          const C0 = rand(M * N, rng);
          const pa = k.allocF32(A.length);
          const pb = k.allocF32(B.length);
          const pc = k.allocF32(C0.length);
          k.f32(pa, A.length).set(A);
          k.f32(pb, B.length).set(B);
          k.f32(pc, C0.length).set(C0);
          ex.gemm(pc, N, pa, tn ? 1 : K, tn ? M : 1, pb, N, M, N, K, acc);
          const C = k.f32(pc, M * N);
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = acc ? C0[i * N + j] : 0;
              for (let p = 0; p < K; p++) s += (tn ? A[p * M + i] : A[i * K + p]) * B[p * N + j];
              expect(Math.abs(C[i * N + j] - s)).toBeLessThan(1e-4 * Math.sqrt(K) + 1e-5);
            }
          }
          k.reset(mark);
        }
      }
    }
  });

  it('transpose, col_sum, vadd, vmul, vscale, sumsq', () => {
    const rng = new Rng(4);
    const mark = k.mark();
    const M = 7;
    const N = 10;
    const X = rand(M * N, rng);
    const px = k.allocF32(M * N);
    const pt = k.allocF32(M * N);
    k.f32(px, M * N).set(X);
    ex.transpose(pt, px, M, N);
    const XT = k.f32(pt, M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) expect(XT[j * M + i]).toBe(X[i * N + j]);
    const pb = k.allocF32(N);
    k.f32(pb, N).fill(1);
    ex.col_sum(pb, px, N, M, N);
    for (let j = 0; j < N; j++) {
      let s = 1;
      for (let i = 0; i < M; i++) s += X[i * N + j];
      expect(k.f32(pb, N)[j]).toBeCloseTo(s, 5);
    }
    let ss = 0;
    for (const v of X) ss += v * v;
    expect(ex.sumsq(px, M * N)).toBeCloseTo(ss, 4);
    ex.vscale(px, M * N, 2);
    expect(k.f32(px, M * N)[5]).toBeCloseTo(2 * X[5], 6);
    ex.vadd(px, pt, 9);
    expect(k.f32(px, M * N)[8]).toBeCloseTo(2 * X[8] + XT[8], 5);
    ex.vmul(px, pt, 3);
    expect(k.f32(px, M * N)[2]).toBeCloseTo((2 * X[2] + XT[2]) * XT[2], 5);
    k.reset(mark);
  });

  it('exp approximation is within 3e-7 relative', () => {
    for (let x = -80; x <= 80; x += 0.37) {
      const xf = Math.fround(x); // the kernel sees the f32 input
      const e = ex.exp1(xf);
      expect(Math.abs(e - Math.exp(xf)) / Math.exp(xf)).toBeLessThan(3e-7);
    }
  });

  it('dropout masks: rate close to p, scale 1/(1-p), zero past each end, independent of batch position', () => {
    const mark = k.mark();
    const T = 50;
    const D = 37;
    const lengths = k.alloc(8);
    const keys = k.alloc(8);
    k.i32(lengths, 2).set([50, 20]);
    k.i32(keys, 2).set([7, 9]);
    const m1 = k.allocF32(T * 2 * D);
    ex.dropout_mask(m1, lengths, keys, T, 2, D, 0.5, 123);
    const a = k.f32(m1, T * 2 * D).slice();
    let zeros = 0;
    for (let t = 0; t < 50; t++) {
      for (let d = 0; d < D; d++) {
        const v = a[(t * 2) * D + d];
        expect(v === 0 || v === 2).toBe(true);
        if (v === 0) zeros++;
      }
    }
    expect(zeros / (50 * D)).toBeGreaterThan(0.45);
    expect(zeros / (50 * D)).toBeLessThan(0.55);
    for (let t = 20; t < T; t++) for (let d = 0; d < D; d++) expect(a[(t * 2 + 1) * D + d]).toBe(0);
    // the same sentence (key 9, length 20) alone in a batch gets the same mask
    k.i32(lengths, 1).set([20]);
    k.i32(keys, 1).set([9]);
    const m2 = k.allocF32(20 * D);
    ex.dropout_mask(m2, lengths, keys, 20, 1, D, 0.5, 123);
    const b = k.f32(m2, 20 * D);
    for (let t = 0; t < 20; t++) for (let d = 0; d < D; d++) expect(b[t * D + d]).toBe(a[(t * 2 + 1) * D + d]);
    k.reset(mark);
  });
});
