// General f32 matrix product on flat row-major buffers, SIMD f32x4, register-blocked 4 rows x 8 columns.
//
//   C[i, j] (+)= Σ_p A(i, p) · B[p, j]        i < M, j < N, p < K
//
// A(i, p) is read at A + 4·(i·rsA + p·csA), so one kernel serves the three products of training:
//   Y = X · Wᵀ     → A = X (rsA = ldX, csA = 1), B = Wᵀ (transposed once per batch)
//   dX = dY · W    → A = dY (rsA = ldDY, csA = 1), B = W
//   dW += dYᵀ · X  → A = dYᵀ (rsA = 1, csA = ldDY), B = X
// B rows and C rows are contiguous (strides ldb / ldc in floats). All pointers are byte addresses.

// @ts-ignore: decorator
@inline const KC: i32 = 128; // K is walked in panels of KC rows of B so a panel stays in L1 (measured best 64–128)

/** [KC, 4] panel of A for the Aᵀ·B case */
const PACK: usize = memory.data(KC * 16, 16);

// @ts-ignore: decorator
@inline
function fma(c: v128, a: v128, b: v128): v128 {
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Zero (acc = 0) or keep (acc != 0) C, then C += A · B. */
export function gemm(
  C: usize, ldc: i32,
  A: usize, rsA: i32, csA: i32,
  B: usize, ldb: i32,
  M: i32, N: i32, K: i32, acc: i32,
): void {
  if (M <= 0 || N <= 0) return;
  if (acc == 0) {
    for (let i = 0; i < M; i++) memory.fill(C + (<usize>i * <usize>ldc << 2), 0, <usize>N << 2);
  }
  if (K <= 0) return;
  for (let p0 = 0; p0 < K; p0 += KC) {
    const kc = min(KC, K - p0);
    const Ap = A + (<usize>p0 * <usize>csA << 2);
    const Bp = B + (<usize>p0 * <usize>ldb << 2);
    let i = 0;
    if (rsA == 1 && csA != 1 && N >= 8) {
      // Aᵀ·B (weight gradients): the four rows' values are columns of A; copying each 4-row panel to
      // [kc, 4] first lets the kernel broadcast from fixed offsets (measured +20–40 % on these shapes)
      for (; i + 4 <= M; i += 4) {
        let src = Ap + (<usize>i << 2);
        let dst = PACK;
        const cs4 = <usize>csA << 2;
        for (let p = 0; p < kc; p++) {
          v128.store(dst, v128.load(src));
          src += cs4;
          dst += 16;
        }
        rows4(C + (<usize>i * <usize>ldc << 2), ldc, PACK, 1, 4, Bp, ldb, N, kc);
      }
    }
    for (; i + 4 <= M; i += 4) {
      rows4(C + (<usize>i * <usize>ldc << 2), ldc, Ap + (<usize>i * <usize>rsA << 2), rsA, csA, Bp, ldb, N, kc);
    }
    for (; i < M; i++) {
      rows1(C + (<usize>i * <usize>ldc << 2), Ap + (<usize>i * <usize>rsA << 2), csA, Bp, ldb, N, kc);
    }
  }
}

// @ts-ignore: decorator
@inline
function rows4(C: usize, ldc: i32, A: usize, rsA: i32, csA: i32, B: usize, ldb: i32, N: i32, K: i32): void {
  const ldc4 = <usize>ldc << 2;
  const ldb4 = <usize>ldb << 2;
  const rs4 = <usize>rsA << 2;
  const cs4 = <usize>csA << 2;
  const C0 = C, C1 = C + ldc4, C2 = C + 2 * ldc4, C3 = C + 3 * ldc4;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const o = <usize>j << 2;
    let c00 = v128.load(C0 + o), c01 = v128.load(C0 + o, 16);
    let c10 = v128.load(C1 + o), c11 = v128.load(C1 + o, 16);
    let c20 = v128.load(C2 + o), c21 = v128.load(C2 + o, 16);
    let c30 = v128.load(C3 + o), c31 = v128.load(C3 + o, 16);
    let a = A;
    let b = B + o;
    for (let p = 0; p < K; p++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      const a0 = v128.load32_splat(a);
      c00 = fma(c00, a0, b0); c01 = fma(c01, a0, b1);
      const a1 = v128.load32_splat(a + rs4);
      c10 = fma(c10, a1, b0); c11 = fma(c11, a1, b1);
      const a2 = v128.load32_splat(a + 2 * rs4);
      c20 = fma(c20, a2, b0); c21 = fma(c21, a2, b1);
      const a3 = v128.load32_splat(a + 3 * rs4);
      c30 = fma(c30, a3, b0); c31 = fma(c31, a3, b1);
      a += cs4;
      b += ldb4;
    }
    v128.store(C0 + o, c00); v128.store(C0 + o, c01, 16);
    v128.store(C1 + o, c10); v128.store(C1 + o, c11, 16);
    v128.store(C2 + o, c20); v128.store(C2 + o, c21, 16);
    v128.store(C3 + o, c30); v128.store(C3 + o, c31, 16);
  }
  for (; j + 4 <= N; j += 4) {
    const o = <usize>j << 2;
    let c0 = v128.load(C0 + o), c1 = v128.load(C1 + o), c2 = v128.load(C2 + o), c3 = v128.load(C3 + o);
    let a = A;
    let b = B + o;
    for (let p = 0; p < K; p++) {
      const b0 = v128.load(b);
      c0 = fma(c0, v128.load32_splat(a), b0);
      c1 = fma(c1, v128.load32_splat(a + rs4), b0);
      c2 = fma(c2, v128.load32_splat(a + 2 * rs4), b0);
      c3 = fma(c3, v128.load32_splat(a + 3 * rs4), b0);
      a += cs4;
      b += ldb4;
    }
    v128.store(C0 + o, c0); v128.store(C1 + o, c1); v128.store(C2 + o, c2); v128.store(C3 + o, c3);
  }
  for (; j < N; j++) {
    const o = <usize>j << 2;
    let s0: f32 = load<f32>(C0 + o), s1: f32 = load<f32>(C1 + o), s2: f32 = load<f32>(C2 + o), s3: f32 = load<f32>(C3 + o);
    let a = A;
    let b = B + o;
    for (let p = 0; p < K; p++) {
      const bv = load<f32>(b);
      s0 += load<f32>(a) * bv;
      s1 += load<f32>(a + rs4) * bv;
      s2 += load<f32>(a + 2 * rs4) * bv;
      s3 += load<f32>(a + 3 * rs4) * bv;
      a += cs4;
      b += ldb4;
    }
    store<f32>(C0 + o, s0); store<f32>(C1 + o, s1); store<f32>(C2 + o, s2); store<f32>(C3 + o, s3);
  }
}

// @ts-ignore: decorator
@inline
function rows1(C: usize, A: usize, csA: i32, B: usize, ldb: i32, N: i32, K: i32): void {
  const ldb4 = <usize>ldb << 2;
  const cs4 = <usize>csA << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    const o = <usize>j << 2;
    let c0 = v128.load(C + o), c1 = v128.load(C + o, 16), c2 = v128.load(C + o, 32), c3 = v128.load(C + o, 48);
    let a = A;
    let b = B + o;
    for (let p = 0; p < K; p++) {
      const av = v128.load32_splat(a);
      c0 = fma(c0, av, v128.load(b)); c1 = fma(c1, av, v128.load(b, 16));
      c2 = fma(c2, av, v128.load(b, 32)); c3 = fma(c3, av, v128.load(b, 48));
      a += cs4;
      b += ldb4;
    }
    v128.store(C + o, c0); v128.store(C + o, c1, 16); v128.store(C + o, c2, 32); v128.store(C + o, c3, 48);
  }
  for (; j + 4 <= N; j += 4) {
    const o = <usize>j << 2;
    let c0 = v128.load(C + o);
    let a = A;
    let b = B + o;
    for (let p = 0; p < K; p++) {
      c0 = fma(c0, v128.load32_splat(a), v128.load(b));
      a += cs4;
      b += ldb4;
    }
    v128.store(C + o, c0);
  }
  for (; j < N; j++) {
    const o = <usize>j << 2;
    let s: f32 = load<f32>(C + o);
    let a = A;
    let b = B + o;
    for (let p = 0; p < K; p++) {
      s += load<f32>(a) * load<f32>(b);
      a += cs4;
      b += ldb4;
    }
    store<f32>(C + o, s);
  }
}

/** dst[N, M] = srcᵀ where src is [M, N] row-major. */
export function transpose(dst: usize, src: usize, M: i32, N: i32): void {
  // 8x8 tiles keep both the reads and the writes within a few cache lines
  for (let i0 = 0; i0 < M; i0 += 8) {
    const i1 = min(i0 + 8, M);
    for (let j0 = 0; j0 < N; j0 += 8) {
      const j1 = min(j0 + 8, N);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<f32>(dst + ((<usize>j * <usize>M + <usize>i) << 2), load<f32>(src + ((<usize>i * <usize>N + <usize>j) << 2)));
        }
      }
    }
  }
}

/** Every row of C [M, N] (stride ldc) = bias [N]. */
export function rows_set(C: usize, ldc: i32, bias: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) memory.copy(C + (<usize>i * <usize>ldc << 2), bias, <usize>N << 2);
}

/** db[j] += Σ_i dY[i, j] for dY [M, N] (stride ld). */
export function col_sum(db: usize, dY: usize, ld: i32, M: i32, N: i32): void {
  const ld4 = <usize>ld << 2;
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const o = <usize>j << 2;
    let s = f32x4.splat(0);
    let p = dY + o;
    for (let i = 0; i < M; i++) {
      s = f32x4.add(s, v128.load(p));
      p += ld4;
    }
    v128.store(db + o, f32x4.add(v128.load(db + o), s));
  }
  for (; j < N; j++) {
    const o = <usize>j << 2;
    let s: f32 = 0;
    let p = dY + o;
    for (let i = 0; i < M; i++) {
      s += load<f32>(p);
      p += ld4;
    }
    store<f32>(db + o, load<f32>(db + o) + s);
  }
}
