/** The raw kernels: module shape, allocator, matrix products and quantisation against naive loops. */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Kernels, loadInferenceKernels, packPanelsF32, packPanelsI8 } from '../../src/model/kernels.js';
import { mulberry32 } from '../reference/weights.js';
import { activationCodes, CODE_CAP, describeBuilds, kernelBytes, testKernels } from './load.js';

describeBuilds((build) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await testKernels(build);
  });

  describe('kernels.wasm', () => {
    it('has zero imports, fits in 64 KB and instantiates synchronously with {}', () => {
      const bytes = kernelBytes(build);
      expect(bytes.byteLength).toBeLessThanOrEqual(64 * 1024);
      const mod = new WebAssembly.Module(bytes);
      expect(WebAssembly.Module.imports(mod)).toEqual([]);
      const inst = new WebAssembly.Instance(mod, {});
      expect(typeof inst.exports.matmul_f32).toBe('function');
    });

    it('loadInferenceKernels accepts a Module, an ArrayBuffer and a Uint8Array, and rejects anything else', async () => {
      const bytes = kernelBytes(build);
      const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      for (const src of [new WebAssembly.Module(bytes), ab, new Uint8Array(bytes)]) {
        const kk = await loadInferenceKernels(src);
        expect(kk.exports.abi_version()).toBe(5);
      }
      await expect(loadInferenceKernels('kernels.wasm' as unknown as Uint8Array)).rejects.toThrow(/expected a WebAssembly.Module, ArrayBuffer or Uint8Array, got string/);
      await expect(loadInferenceKernels(new Uint8Array(0))).rejects.toThrow(/bytes are empty/);
    });
  });

  describe('allocator', () => {
    it('aligns to 16, grows memory, and frees back to a mark', () => {
      const m = k.mark();
      const a = k.alloc(3);
      const b = k.alloc(100);
      expect(a % 16).toBe(0);
      expect(b % 16).toBe(0);
      expect(b - a).toBe(16);
      const pagesBefore = k.memory.buffer.byteLength;
      const big = k.alloc(pagesBefore + 65536); // forces growth
      expect(k.memory.buffer.byteLength).toBeGreaterThan(pagesBefore);
      k.f32(big, 4).set([1, 2, 3, 4]); // fresh view after growth works
      expect(Array.from(k.f32(big, 4))).toEqual([1, 2, 3, 4]);
      k.reset(m);
      expect(k.mark()).toBe(m);
      expect(k.alloc(8)).toBe(a);
      k.reset(m);
    });

    it('reports exhaustion as a clear error', () => {
      expect(() => k.alloc(2 ** 32)).toThrow(/4 GiB/);
    });
  });

  function randArray(n: number, rnd: () => number, scale = 1): Float32Array {
    return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  }

  describe('matmul_f32 / matmul_q8 against naive loops', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 8], [1, 4, 8], [2, 3, 16], [3, 5, 24], [7, 11, 104], [5, 17, 256], [33, 9, 8], [64, 130, 64], [300, 12, 40],
    ];
    for (const [M, N, K] of shapes) {
      it(`M=${M} N=${N} K=${K}`, () => {
        const rnd = mulberry32(M * 1000 + N * 10 + K);
        const ldx = K + 8; // strides larger than K are honoured
        const ldy = N + 3;
        const X = randArray(M * ldx, rnd);
        const W = randArray(N * K, rnd); // [N × K]
        const bias = randArray(Math.ceil(N / 4) * 4, rnd);
        // int8 copy of W per row
        const Wq = new Int8Array(N * K);
        const ws = new Float32Array(Math.ceil(N / 4) * 4);
        for (let n = 0; n < N; n++) {
          let mx = 0;
          for (let c = 0; c < K; c++) mx = Math.max(mx, Math.abs(W[n * K + c]));
          ws[n] = mx / 127;
          for (let c = 0; c < K; c++) Wq[n * K + c] = Math.round(W[n * K + c] / ws[n]);
        }
        const m = k.mark();
        try {
          const pX = k.allocCopy(X);
          const pW = k.allocCopy(packPanelsF32(W, N, K));
          const pb = k.allocCopy(bias);
          const pY = k.alloc(4 * M * ldy);
          const pWq = k.allocCopy(packPanelsI8(Wq, N, K));
          const pws = k.allocCopy(ws);
          const pXq = k.alloc(2 * M * K);
          const pxs = k.alloc(4 * M);
          const pYq = k.alloc(4 * M * ldy);
          const pY0 = k.alloc(4 * M * ldy);
          k.f32(pY, M * ldy).fill(99); // sentinels in the stride gap must survive
          k.exports.matmul_f32(pY, ldy, pX, ldx, pW, pb, M, N, K);
          k.exports.matmul_f32(pY0, ldy, pX, ldx, pW, 0, M, N, K); // no bias
          k.exports.quantize_rows(pXq, K, pxs, pX, ldx, M, K, K);
          k.exports.matmul_q8(pYq, ldy, pXq, K, pxs, pWq, pws, pb, M, N, K);
          const Y = k.f32(pY, M * ldy);
          const Y0 = k.f32(pY0, M * ldy);
          const Yq = k.f32(pYq, M * ldy);
          const Xq = activationCodes(k, build, pXq, M, K, K);
          const xs = k.f32(pxs, M);
          for (let i = 0; i < M; i++) {
            for (let c = N; c < ldy && i * ldy + c < M * ldy; c++) expect(Y[i * ldy + c]).toBe(99);
            for (let n = 0; n < N; n++) {
              let acc = 0;
              let accq = 0;
              for (let c = 0; c < K; c++) {
                acc += X[i * ldx + c] * W[n * K + c];
                accq += Xq[i * K + c] * Wq[n * K + c];
              }
              const tol = 1e-5 * Math.sqrt(K);
              expect(Math.abs(Y[i * ldy + n] - (acc + bias[n]))).toBeLessThan(tol);
              expect(Math.abs(Y0[i * ldy + n] - acc)).toBeLessThan(tol);
              // the int8 kernel is exact integer arithmetic, then one f32 scaling
              expect(Math.abs(Yq[i * ldy + n] - (accq * xs[i] * ws[n] + bias[n]))).toBeLessThan(tol);
              expect(Math.abs(Yq[i * ldy + n] - (acc + bias[n]))).toBeLessThan(0.02 * Math.sqrt(K));
            }
          }
        } finally {
          k.reset(m);
        }
      });
    }

    it('packing checks its arguments', () => {
      expect(() => packPanelsF32(new Float32Array(12), 2, 6)).toThrow(/K a positive multiple of 8, got N=2 K=6/);
      expect(() => packPanelsI8(new Int8Array(15), 2, 8)).toThrow(/matrix has 15 values, expected N × K = 16/);
    });

    it('quantize_rows: per-row scale max|x|/qmax, round to nearest, zero rows and zero padding', () => {
      const M = 3;
      const K = 12;
      const Kp = 16;
      const X = Float32Array.from([
        ...[0.5, -1, 0.25, 0, 0.1, 0.2, -0.3, 0.4, 0.9, -0.9, 0.7, 1e-6],
        ...new Array(12).fill(0),
        ...[3, -3, 1.5, 0, 0, 0, 0, 0, 0, 0, 0, -1.5],
      ]);
      const m = k.mark();
      try {
        const pX = k.allocCopy(X);
        const pq = k.alloc(2 * M * Kp);
        k.i16(pq, M * Kp).fill(123); // garbage that must be overwritten
        const ps = k.alloc(4 * M);
        k.exports.quantize_rows(pq, Kp, ps, pX, K, M, K, Kp);
        if (build === 'relaxed') {
          // the digits are the second operand of relaxed_dot_i8x16_i7x16_add_s: their top bit must be clear
          expect(Math.max(...new Uint8Array(k.memory.buffer, pq, 2 * M * Kp))).toBeLessThan(128);
        }
        const q = activationCodes(k, build, pq, M, Kp, Kp);
        const s = k.f32(ps, M);
        const qmax = k.exports.q_max(Kp);
        expect(qmax).toBe(CODE_CAP[build]);
        expect(s[0]).toBeCloseTo(1 / qmax, 10);
        expect(q[1]).toBe(-qmax);
        expect(q[0]).toBe(Math.round(0.5 * qmax));
        expect(s[1]).toBe(0);
        expect(Array.from(q.subarray(Kp, 2 * Kp))).toEqual(new Array(Kp).fill(0));
        expect(q[2 * Kp]).toBe(qmax);
        for (let r = 0; r < M; r++) for (let c = K; c < Kp; c++) expect(q[r * Kp + c]).toBe(0);
        expect(k.exports.q_max(1024)).toBe(Math.min(CODE_CAP[build], Math.floor(2147483647 / (127 * 1024))));
        expect(k.exports.q_max(4096)).toBe(Math.floor(2147483647 / (127 * 4096)));
      } finally {
        k.reset(m);
      }
    });
  });

  describe('embedding gather', () => {
    it('f32 and int8 tables write the right rows at the right columns', () => {
      const V = 6;
      const dim = 5;
      const rnd = mulberry32(3);
      const table = randArray(V * dim, rnd);
      const q = Int8Array.from({ length: V * dim }, () => Math.floor(rnd() * 255) - 127);
      const sc = Float32Array.from({ length: V }, () => rnd());
      const ids = Int32Array.from([5, 0, 3, 3]);
      const ldo = 16;
      const m = k.mark();
      try {
        const pt = k.allocCopy(table);
        const pq = k.allocCopy(q);
        const ps = k.allocCopy(sc);
        const pi = k.allocCopy(ids);
        const out = k.alloc(4 * ids.length * ldo);
        k.f32(out, ids.length * ldo).fill(7);
        k.exports.embed_f32(out, ldo, 1, pi, ids.length, pt, dim);
        k.exports.embed_i8(out, ldo, 1 + dim, pi, ids.length, pq, ps, dim);
        k.exports.zero_cols(out, ldo, ids.length, 1 + 2 * dim, ldo);
        const o = k.f32(out, ids.length * ldo);
        ids.forEach((id, r) => {
          expect(o[r * ldo]).toBe(7);
          for (let d = 0; d < dim; d++) {
            expect(o[r * ldo + 1 + d]).toBe(table[id * dim + d]);
            expect(o[r * ldo + 1 + dim + d]).toBe(Math.fround(q[id * dim + d] * sc[id]));
          }
          for (let c = 1 + 2 * dim; c < ldo; c++) expect(o[r * ldo + c]).toBe(0);
        });
      } finally {
        k.reset(m);
      }
    });
  });
});
