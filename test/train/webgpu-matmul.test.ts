import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainKernels, loadTrainingModule } from '../../src/train/kernels.js';
import { Rng } from '../../src/train/rng.js';
import type { GpuContext } from '../../src/train/webgpu/context.js';
import { Matmul } from '../../src/train/webgpu/matmul.js';
import { gpuSkip, maxRelError, newContext, randomF32 } from './webgpu-support.js';

const skip = await gpuSkip('webgpu-matmul');
const k = new TrainKernels(loadTrainingModule());
const ex = k.exports;

/** The wasm gemm on copies: C (acc ? += : =) A(i,p)·B[p,j] with A strides (rsA, csA), B rows contiguous [K, N]. */
function wasmGemm(
  A: Float32Array,
  rsA: number,
  csA: number,
  B: Float32Array,
  C0: Float32Array,
  M: number,
  N: number,
  K: number,
  acc: number,
): Float32Array {
  const mark = k.mark();
  try {
    const pa = k.allocF32(A.length);
    const pb = k.allocF32(B.length);
    const pc = k.allocF32(C0.length);
    k.f32(pa, A.length).set(A);
    k.f32(pb, B.length).set(B);
    k.f32(pc, C0.length).set(C0);
    ex.gemm(pc, N, pa, rsA, csA, pb, N, M, N, K, acc);
    return k.f32(pc, M * N).slice();
  } finally {
    k.reset(mark);
  }
}

function transpose(X: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(X.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = X[i * cols + j];
  return out;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 65],
  [70, 9, 130],
  [65, 129, 31],
  [5, 200, 0],
];

describe.skipIf(skip !== null)('WebGPU matmul against the wasm gemm', () => {
  let ctx: GpuContext;
  let mm: Matmul;
  beforeAll(async () => {
    ctx = await newContext();
    mm = new Matmul(ctx);
  });
  afterAll(() => ctx?.destroy());

  it('Y = X·Wᵀ + b, dX = dY·W and dW += dYᵀ·X on odd shapes', async () => {
    const rng = new Rng(11);
    for (const [M, N, K] of SHAPES) {
      const X = randomF32(M * K, rng); // [M, K]
      const W = randomF32(N * K, rng); // [N, K] (a weight, as stored)
      const bias = randomF32(N, rng);
      const dY = randomF32(M * N, rng); // [M, N]
      const dW0 = randomF32(N * K, rng);
      const pad = 3; // operands start at an odd offset inside their buffers
      const withPad = (v: Float32Array) => Float32Array.from([...new Float32Array(pad), ...v]);
      const gX = ctx.storage('X', withPad(X));
      const gW = ctx.storage('W', withPad(W));
      const gB = ctx.storage('b', withPad(bias));
      const gdY = ctx.storage('dY', withPad(dY));
      const gY = ctx.f32('Y', M * N + pad);
      const gdX = ctx.f32('dX', M * K + pad);
      const gdW = ctx.storage('dW', withPad(dW0));
      const enc = ctx.encoder();
      mm.encode(enc, {
        M,
        N,
        K,
        mode: 'bias',
        A: { buffer: gX, offset: pad, rowStride: K, colStride: 1 },
        B: { buffer: gW, offset: pad, rowStride: 1, colStride: K },
        C: { buffer: gY, offset: pad, rowStride: N, colStride: 1 },
        bias: { buffer: gB, offset: pad },
      });
      mm.encode(enc, {
        M,
        N: K,
        K: N,
        mode: 'set',
        A: { buffer: gdY, offset: pad, rowStride: N, colStride: 1 },
        B: { buffer: gW, offset: pad, rowStride: K, colStride: 1 },
        C: { buffer: gdX, offset: pad, rowStride: K, colStride: 1 },
      });
      mm.encode(enc, {
        M: N,
        N: K,
        K: M,
        mode: 'add',
        A: { buffer: gdY, offset: pad, rowStride: 1, colStride: N },
        B: { buffer: gX, offset: pad, rowStride: K, colStride: 1 },
        C: { buffer: gdW, offset: pad, rowStride: K, colStride: 1 },
      });
      ctx.submit(enc);
      const Yw = wasmGemm(X, K, 1, transpose(W, N, K), new Float32Array(M * N), M, N, K, 0);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) Yw[i * N + j] += bias[j];
      const dXw = wasmGemm(dY, N, 1, W, new Float32Array(M * K), M, K, N, 0);
      const dWw = wasmGemm(dY, 1, N, X, dW0, N, K, M, 1);
      const shape = `[${M}, ${N}, ${K}]`;
      expect(maxRelError(await ctx.readF32(gY, M * N, pad), Yw), `Y ${shape}`).toBeLessThan(1e-4);
      expect(maxRelError(await ctx.readF32(gdX, M * K, pad), dXw), `dX ${shape}`).toBeLessThan(1e-4);
      expect(maxRelError(await ctx.readF32(gdW, N * K, pad), dWw), `dW ${shape}`).toBeLessThan(1e-4);
    }
  });

  it('runs a batch of problems with a negative z stride, and column sums', async () => {
    const rng = new Rng(12);
    const [M, N, K] = [19, 70, 23];
    const A = randomF32(2 * M * K, rng); // problems 0, 1: [M, K] each
    const B = randomF32(2 * K * N, rng);
    const gA = ctx.storage('A', A);
    const gB = ctx.storage('B', B);
    const gC = ctx.f32('C', 2 * M * N);
    const gS = ctx.storage('S', Float32Array.of(0.5, 0.5, ...new Float32Array(2 * N)));
    const enc = ctx.encoder();
    // problem z reads A block 1 - z (offset M·K, z stride −M·K) and B block z, writes C block z
    mm.encode(enc, {
      M,
      N,
      K,
      mode: 'set',
      batch: 2,
      A: { buffer: gA, offset: M * K, rowStride: K, colStride: 1, zStride: -M * K },
      B: { buffer: gB, rowStride: N, colStride: 1, zStride: K * N },
      C: { buffer: gC, rowStride: N, colStride: 1, zStride: M * N },
    });
    ctx.submit(enc);
    const enc2 = ctx.encoder();
    mm.encodeColSum(enc2, {
      M,
      N,
      ld: N,
      batch: 2,
      src: { buffer: gC, zStride: M * N },
      dst: { buffer: gS, offset: 2, zStride: N },
    });
    ctx.submit(enc2);
    const C = await ctx.readF32(gC);
    const S = await ctx.readF32(gS);
    for (let z = 0; z < 2; z++) {
      const want = wasmGemm(
        A.subarray((1 - z) * M * K, (2 - z) * M * K),
        K,
        1,
        B.subarray(z * K * N, (z + 1) * K * N),
        new Float32Array(M * N),
        M,
        N,
        K,
        0,
      );
      expect(maxRelError(C.subarray(z * M * N, (z + 1) * M * N), want)).toBeLessThan(1e-4);
      const sums = new Float32Array(N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) sums[j] += want[i * N + j];
      expect(maxRelError(S.subarray(2 + z * N, 2 + (z + 1) * N), sums)).toBeLessThan(1e-4);
    }
    expect(Array.from(S.subarray(0, 2))).toEqual([0.5, 0.5]);
  });

  it('rejects C aliasing an input and a bias mode without a bias', () => {
    const g = ctx.f32('g', 4);
    const v = { buffer: g, rowStride: 1, colStride: 1 };
    expect(() =>
      mm.encode(ctx.encoder(), { M: 1, N: 1, K: 1, mode: 'set', A: v, B: { ...v, buffer: ctx.f32('h', 4) }, C: v }),
    ).toThrow('matmul: C (g) must not be an input buffer');
    expect(() =>
      mm.encode(ctx.encoder(), {
        M: 1,
        N: 1,
        K: 1,
        mode: 'bias',
        A: { ...v, buffer: ctx.f32('a', 4) },
        B: { ...v, buffer: ctx.f32('b', 4) },
        C: v,
      }),
    ).toThrow("matmul: mode 'bias' needs a bias");
  });
});
