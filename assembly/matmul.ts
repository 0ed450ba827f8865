// Matrix products Y = X · Wᵀ + b, W = [N × K] (rows = output units, layout.ts), stored PACKED in panels:
//
//   f32 panel layout: rows are taken 4 at a time (panel p = rows 4p … 4p+3, rows past N are zero) and
//     interleaved in chunks of 4 along K:  P[p][c] = [W[4p][4c..4c+3], W[4p+1][4c..], W[4p+2][4c..], W[4p+3][4c..]]
//     → one panel is K·16 bytes, panels follow each other: P is ⌈N/4⌉·K·16 bytes.
//   int8 panel layout: the same with chunks of 8 along K: P[p][c] = [W[4p][8c..8c+7], …, W[4p+3][8c..]]
//     → one panel is K·4 bytes; row scales ws[⌈N/4⌉·4] (zero past N).
//   (src/model/kernels.ts: packPanelsF32 / packPanelsI8 build these from row-major matrices.)
//
//   matmul_f32(Y, ldy, X, ldx, P, bias, M, N, K): Y[m, n] = Σ_k X[m, k]·W[n, k] + bias[n]
//   matmul_q8(Y, ldy, Xq, ldx, xs, P, ws, bias, M, N, K): Y[m, n] = (Σ_k Xq[m, k]·Wq[n, k])·xs[m]·ws[n] + bias[n]
//     Xq i16 [M × K] with per-row scales xs (quantize_rows); the i32 sums are exact.
//
// K % 8 == 0 (zero padding); X rows 16-byte aligned; strides ld* in elements; bias (if not 0) and ws must
// have ⌈N/4⌉·4 readable floats. Micro-kernel: 2 rows of X × 1 panel (4 outputs each), 8 (f32) / 16 (i16)
// values of K per iteration, horizontal sums at the end. X is tiled in ~16 KB chunks (kept in L1) while
// every panel passes over the chunk.
//
// The relaxed-SIMD build (build/kernels-relaxed.wasm: the same sources compiled with --enable relaxed-simd,
// ASC_FEATURE_RELAXED_SIMD true) differs in three places, chosen at compile time:
//   - matmul_f32 accumulates with f32x4.relaxed_madd (one fused multiply-add where the machine has FMA; each
//     product is then rounded once instead of twice, so sums differ from the plain build in the last bits);
//   - quantize_rows writes activation codes of 14 bits, |q| ≤ q_max(K) ≤ 8191, as two unsigned 7-bit digits:
//       q + 8192 = 128·hi + lo,  hi, lo ∈ [0, 127];  row m of Xq (the same 2·ldq bytes as the i16 row) holds, for
//       every chunk of 8 columns c, 16 bytes [lo(8c … 8c+7) | hi(8c … 8c+7)];
//   - matmul_q8 multiplies the int8 weights (signed) by the digits with i32x4.relaxed_dot_i8x16_i7x16_add_s,
//       whose second operand must lie in [0, 127] (its top bit clear: otherwise x86 reads it unsigned and Arm
//       signed); one dot takes 8 weights of a row (splatted to both halves) against the 8 lo and 8 hi digits
//       of one chunk, and Σ_k w·q = Σ w·lo + 128·Σ w·hi − 8192·Σ w (the offset's share, from the panel's row
//       sums). The i32 sums are exact (wrapping arithmetic; the true result is below 2^31 by q_max's bound).
//   14-bit codes against the plain build's 16: the activation rounding error is 4× larger, still far below
//   the weight rounding (test/kernels/network.test.ts pins both).

// @ts-ignore: decorator
@inline
function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  // [Σa0, Σa1, Σa2, Σa3]
  const s01 = f32x4.add(f32x4.shuffle(a0, a1, 0, 4, 1, 5), f32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(f32x4.shuffle(a2, a3, 0, 4, 1, 5), f32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(s01, s23, 0, 1, 4, 5), f32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

/** c + a·b in every lane: f32x4.relaxed_madd in the relaxed build, a multiply then an add in the plain one. */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline
function hsum4i(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = i32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const s23 = i32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(s01, s23, 0, 1, 4, 5), i32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

/** Stores the first `n` (1…4) lanes of v at p. */
// @ts-ignore: decorator
@inline
function storeLanes(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
  } else {
    store<f32>(p, f32x4.extract_lane(v, 0));
    if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
    if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  }
}

// @ts-ignore: decorator
@inline const CHUNK_BYTES: i32 = 16384;

/** Y[M × N] = X[M × K] · Wᵀ + bias, W packed f32 panels at P. */
export function matmul_f32(Y: usize, ldy: i32, X: usize, ldx: i32, P: usize, bias: usize, M: i32, N: i32, K: i32): void {
  const kb = <usize>K << 2; //        bytes of K floats
  const sx = <usize>ldx << 2;
  const sy = <usize>ldy << 2;
  const panelBytes = <usize>K << 4;
  const panels = (N + 3) >> 2;
  let mc = CHUNK_BYTES / max(K << 2, 1);
  mc = max(2, mc & ~1);
  for (let m0 = 0; m0 < M; m0 += mc) {
    const m1 = min(M, m0 + mc);
    for (let p = 0; p < panels; p++) {
      const w0 = P + <usize>p * panelBytes;
      const n = p << 2;
      const valid = min(4, N - n);
      const bv = bias != 0 ? v128.load(bias + (<usize>n << 2)) : f32x4.splat(0);
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        let x0 = X + <usize>m * sx;
        let x1 = x0 + sx;
        let w = w0;
        const end = x0 + kb;
        let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
        let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
        while (x0 < end) {
          const u = v128.load(x0);
          const v = v128.load(x1);
          let t = v128.load(w);
          a00 = madd(u, t, a00);
          a10 = madd(v, t, a10);
          t = v128.load(w, 16);
          a01 = madd(u, t, a01);
          a11 = madd(v, t, a11);
          t = v128.load(w, 32);
          a02 = madd(u, t, a02);
          a12 = madd(v, t, a12);
          t = v128.load(w, 48);
          a03 = madd(u, t, a03);
          a13 = madd(v, t, a13);
          x0 += 16;
          x1 += 16;
          w += 64;
        }
        const y0 = Y + <usize>m * sy + (<usize>n << 2);
        storeLanes(y0, f32x4.add(hsum4(a00, a01, a02, a03), bv), valid);
        storeLanes(y0 + sy, f32x4.add(hsum4(a10, a11, a12, a13), bv), valid);
      }
      if (m < m1) {
        let x0 = X + <usize>m * sx;
        let w = w0;
        const end = x0 + kb;
        let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
        while (x0 < end) {
          const u0 = v128.load(x0);
          a00 = madd(u0, v128.load(w), a00);
          a01 = madd(u0, v128.load(w, 16), a01);
          a02 = madd(u0, v128.load(w, 32), a02);
          a03 = madd(u0, v128.load(w, 48), a03);
          x0 += 16;
          w += 64;
        }
        storeLanes(Y + <usize>m * sy + (<usize>n << 2), f32x4.add(hsum4(a00, a01, a02, a03), bv), valid);
      }
    }
  }
}

/** Y[M × N] = dequant(Xq · Wqᵀ) + bias, Wq packed int8 panels at P with row scales ws. */
export function matmul_q8(
  Y: usize, ldy: i32, X: usize, ldx: i32, xs: usize, P: usize, ws: usize, bias: usize, M: i32, N: i32, K: i32,
): void {
  // per iteration: 16 bytes of X (8 i16 codes, or 8 columns of lo and hi digits) × 4 rows of 8 weights (32 bytes)
  const kb = <usize>K << 1; //        bytes of K i16 values
  const sx = <usize>ldx << 1;
  const sy = <usize>ldy << 2;
  const panelBytes = <usize>K << 2;
  const panels = (N + 3) >> 2;
  let mc = CHUNK_BYTES / max(K << 1, 1);
  mc = max(2, mc & ~1);
  for (let m0 = 0; m0 < M; m0 += mc) {
    const m1 = min(M, m0 + mc);
    for (let p = 0; p < panels; p++) {
      const w0 = P + <usize>p * panelBytes;
      const n = p << 2;
      const valid = min(4, N - n);
      const bv = bias != 0 ? v128.load(bias + (<usize>n << 2)) : f32x4.splat(0);
      const wsv = v128.load(ws + (<usize>n << 2));
      const off = ASC_FEATURE_RELAXED_SIMD ? panelOffset(w0, K) : i32x4.splat(0);
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        let x0 = X + <usize>m * sx;
        let x1 = x0 + sx;
        let w = w0;
        const end = x0 + kb;
        let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a02 = i32x4.splat(0), a03 = i32x4.splat(0);
        let a10 = i32x4.splat(0), a11 = i32x4.splat(0), a12 = i32x4.splat(0), a13 = i32x4.splat(0);
        while (x0 < end) {
          const u = v128.load(x0);
          const v = v128.load(x1);
          let t = ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w) : v128.load8x8_s(w);
          a00 = dotAdd(u, t, a00);
          a10 = dotAdd(v, t, a10);
          t = ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w, 8) : v128.load8x8_s(w, 8);
          a01 = dotAdd(u, t, a01);
          a11 = dotAdd(v, t, a11);
          t = ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w, 16) : v128.load8x8_s(w, 16);
          a02 = dotAdd(u, t, a02);
          a12 = dotAdd(v, t, a12);
          t = ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w, 24) : v128.load8x8_s(w, 24);
          a03 = dotAdd(u, t, a03);
          a13 = dotAdd(v, t, a13);
          x0 += 16;
          x1 += 16;
          w += 32;
        }
        const y0 = Y + <usize>m * sy + (<usize>n << 2);
        const s0 = f32x4.mul(wsv, v128.load32_splat(xs + (<usize>m << 2)));
        const s1 = f32x4.mul(wsv, v128.load32_splat(xs + (<usize>m << 2), 4));
        storeLanes(y0, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(sums4(a00, a01, a02, a03, off)), s0), bv), valid);
        storeLanes(y0 + sy, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(sums4(a10, a11, a12, a13, off)), s1), bv), valid);
      }
      if (m < m1) {
        let x0 = X + <usize>m * sx;
        let w = w0;
        const end = x0 + kb;
        let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a02 = i32x4.splat(0), a03 = i32x4.splat(0);
        while (x0 < end) {
          const u0 = v128.load(x0);
          a00 = dotAdd(u0, ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w) : v128.load8x8_s(w), a00);
          a01 = dotAdd(u0, ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w, 8) : v128.load8x8_s(w, 8), a01);
          a02 = dotAdd(u0, ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w, 16) : v128.load8x8_s(w, 16), a02);
          a03 = dotAdd(u0, ASC_FEATURE_RELAXED_SIMD ? v128.load64_splat(w, 24) : v128.load8x8_s(w, 24), a03);
          x0 += 16;
          w += 32;
        }
        const s0 = f32x4.mul(wsv, v128.load32_splat(xs + (<usize>m << 2)));
        storeLanes(
          Y + <usize>m * sy + (<usize>n << 2),
          f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(sums4(a00, a01, a02, a03, off)), s0), bv),
          valid,
        );
      }
    }
  }
}

/**
 * Largest activation code qmax such that K products of |q| ≤ qmax with |w| ≤ 127 never overflow i32
 * (and at most 8191 in the relaxed build, whose codes are two 7-bit digits).
 */
export function q_max(K: i32): i32 {
  const lim = <i32>(<f64>2147483647 / (<f64>127 * <f64>max(K, 1)));
  return min(ASC_FEATURE_RELAXED_SIMD ? 8191 : 32767, lim);
}

/**
 * Per-row symmetric quantisation of activations: Xq[m, k] = round(X[m, k] / xs[m]), xs[m] = max|X[m, :]| / qmax
 * (qmax = q_max(Kp)). X f32 [M × K] row stride ldx; Xq i16 [M × Kp] row stride ldq, columns K..Kp-1 zeroed.
 * K % 4 == 0, Kp % 8 == 0, Kp ≥ K.
 */
export function quantize_rows(Xq: usize, ldq: i32, xs: usize, X: usize, ldx: i32, M: i32, K: i32, Kp: i32): void {
  const qmax = <f32>q_max(Kp);
  for (let m = 0; m < M; m++) {
    const x = X + (<usize>m * <usize>ldx << 2);
    const q = Xq + (<usize>m * <usize>ldq << 1);
    let mx = f32x4.splat(0);
    for (let k = 0; k < K; k += 4) mx = f32x4.pmax(mx, f32x4.abs(v128.load(x + (<usize>k << 2))));
    mx = f32x4.pmax(mx, f32x4.shuffle(mx, mx, 2, 3, 0, 1));
    const amax = max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1));
    const scale: f32 = amax > 0 ? amax / qmax : 0;
    const inv = f32x4.splat(amax > 0 ? qmax / amax : 0);
    store<f32>(xs + (<usize>m << 2), scale);
    // round to nearest by adding 1.5·2^23 (|x·inv| ≤ qmax < 2^22): the low mantissa bits hold the integer
    const magic = f32x4.splat(12582912.0);
    const mbits = i32x4.splat(0x4b400000);
    let k = 0;
    for (; k + 8 <= K; k += 8) {
      const lo = i32x4.sub(f32x4.add(f32x4.mul(v128.load(x + (<usize>k << 2)), inv), magic), mbits);
      const hi = i32x4.sub(f32x4.add(f32x4.mul(v128.load(x + (<usize>k << 2), 16), inv), magic), mbits);
      v128.store(q + (<usize>k << 1), codes8(i16x8.narrow_i32x4_s(lo, hi)));
    }
    if (k < K) {
      // K % 8 == 4: last four values, then zero padding
      const lo = i32x4.sub(f32x4.add(f32x4.mul(v128.load(x + (<usize>k << 2)), inv), magic), mbits);
      v128.store(q + (<usize>k << 1), codes8(i16x8.narrow_i32x4_s(lo, i32x4.splat(0))));
      k += 8;
    }
    for (; k < Kp; k += 8) v128.store(q + (<usize>k << 1), codes8(i32x4.splat(0)));
  }
}

// ------------------------------------------------------------------ the int8 product's build-specific steps
// (the relaxed build's digits are described at the top of this file)

/**
 * 8 activation codes (i16) as quantize_rows stores them: as they are (plain); relaxed (|q| ≤ 8191), as 16 bytes
 * [lo × 8 | hi × 8] of q + 8192 = 128·hi + lo.
 */
// @ts-ignore: decorator
@inline
function codes8(q: v128): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD) return q;
  const o = i16x8.add(q, i16x8.splat(8192)); // 1 … 16383
  return i8x16.narrow_i16x8_u(v128.and(o, i16x8.splat(127)), i16x8.shr_u(o, 7));
}

/** 8192·Σ_k W[n, k] for the 4 rows n of one int8 panel (the share of the digits' offset 8192 in the products). */
// @ts-ignore: decorator
@inline
function panelOffset(w0: usize, K: i32): v128 {
  let s01 = i32x4.splat(0); // [row 0, row 0, row 1, row 1] partial sums
  let s23 = i32x4.splat(0); // [row 2, row 2, row 3, row 3]
  const end = w0 + (<usize>K << 2);
  for (let w = w0; w < end; w += 32) {
    s01 = i32x4.add(s01, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(w))));
    s23 = i32x4.add(s23, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(w, 16))));
  }
  return i32x4.shl(i32x4.add(i32x4.shuffle(s01, s23, 0, 2, 4, 6), i32x4.shuffle(s01, s23, 1, 3, 5, 7)), 13);
}

/**
 * Σ_k W[n, k]·q[k] for the 4 rows of a panel from the digit products: a_r = [Σ w·lo (k ≡ 0…3), Σ w·lo (4…7),
 * Σ w·hi (0…3), Σ w·hi (4…7)] → Σ lo-part + 128·Σ hi-part − offset.
 */
// @ts-ignore: decorator
@inline
function combineDigits(a0: v128, a1: v128, a2: v128, a3: v128, offset: v128): v128 {
  const p01 = i32x4.add(i32x4.shuffle(a0, a1, 0, 4, 2, 6), i32x4.shuffle(a0, a1, 1, 5, 3, 7)); // [L0, L1, H0, H1]
  const p23 = i32x4.add(i32x4.shuffle(a2, a3, 0, 4, 2, 6), i32x4.shuffle(a2, a3, 1, 5, 3, 7)); // [L2, L3, H2, H3]
  const lo = i32x4.shuffle(p01, p23, 0, 1, 4, 5);
  const hi = i32x4.shuffle(p01, p23, 2, 3, 6, 7);
  return i32x4.sub(i32x4.add(lo, i32x4.shl(hi, 7)), offset);
}

/**
 * acc + the products of 16 bytes of X (u) with 8 weights of one panel row (t): plain, 8 i16 codes × the weights
 * widened to i16; relaxed, the weights splatted to both halves × [lo × 8 | hi × 8] → lanes [Σ w·lo (k ≡ 0…3),
 * Σ w·lo (4…7), Σ w·hi (0…3), Σ w·hi (4…7)].
 */
// @ts-ignore: decorator
@inline
function dotAdd(u: v128, t: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(t, u, acc);
  return i32x4.add(acc, i32x4.dot_i16x8_s(u, t));
}

/** The 4 outputs of a panel from its accumulators (dotAdd): horizontal sums; relaxed, with the digits combined. */
// @ts-ignore: decorator
@inline
function sums4(a0: v128, a1: v128, a2: v128, a3: v128, offset: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return combineDigits(a0, a1, a2, a3, offset);
  return hsum4i(a0, a1, a2, a3);
}
