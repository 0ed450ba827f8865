// The wasm SIMD ceiling of this machine, for bench/kernels.bench.ts only (compiled by the bench into a temporary
// file; not part of build/kernels.wasm): multiply-accumulate throughput with the operands in registers,
// independent accumulators, no loads at all — what no matrix product with these instructions can beat:
//
//   ceil_f32(reps)   acc_(3i+j) += x_i · w_j           f32x4.mul + f32x4.add           4 MAC per pair
//   ceil_q8(reps)    acc_(3i+j) += dot_i16x8_s(x_i, w_j) i32x4.dot_i16x8_s + i32x4.add   8 MAC per pair (the int8
//                                                      kernel's arithmetic: int8 weights widened to i16 × i16)
//
// Compiled a second time with --enable relaxed-simd (ASC_FEATURE_RELAXED_SIMD) for the relaxed build's ceiling:
//   ceil_f32: acc = f32x4.relaxed_madd(x_i, w_j, acc)                                   4 MAC per pair
//   ceil_q8:  acc = i32x4.relaxed_dot_i8x16_i7x16_add_s(w_j, x_i, acc)  (the relaxed int8 kernel's arithmetic:
//             16 products of an int8 weight and a 7-bit digit, two digits per activation code) 8 MAC per pair
//
// 6 accumulators (enough for an add latency of 3 at 2 per cycle) and 13 live vectors in all, so nothing spills
// from V8's 15 allocatable xmm registers; x_0, x_1 change every iteration (two integer adds per 6 pairs) so the
// products cannot be hoisted out of the loop. Each call runs reps iterations: 24·reps MACs (f32), 48·reps MACs
// (int8). The result keeps the loop alive.

// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** c + the products of x and w: 8 i16 × i16 MACs, or (relaxed) 16 products of w (int8) and x (7-bit: x < 128) */
// @ts-ignore: decorator
@inline
function dotAdd(x: v128, w: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, c);
  return i32x4.add(c, i32x4.dot_i16x8_s(x, w));
}

export function ceil_f32(reps: i32): f32 {
  // operands from the argument, not constants: V8 would rebuild a v128.const from immediates at every use
  const v = <f32>reps;
  let x0 = f32x4.splat(v * 1e-9);
  let x1 = f32x4.splat(v * 2e-9);
  const d = i32x4.splat(reps & 1); // x_i moves by d ulp: an integer add, so the FP adds are the accumulators' only
  const w0 = f32x4.splat(v), w1 = f32x4.splat(v + 1), w2 = f32x4.splat(v + 2);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
  for (let r = 0; r < reps; r++) {
    a0 = madd(x0, w0, a0);
    a1 = madd(x0, w1, a1);
    a2 = madd(x0, w2, a2);
    a3 = madd(x1, w0, a3);
    a4 = madd(x1, w1, a4);
    a5 = madd(x1, w2, a5);
    x0 = i32x4.add(x0, d);
    x1 = i32x4.sub(x1, d);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(a4, a5));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 3);
}

export function ceil_q8(reps: i32): i32 {
  let x0 = i16x8.splat(<i16>(reps & 7));
  let x1 = i16x8.splat(<i16>(reps & 15));
  const d = i16x8.splat(<i16>((reps >> 3) & 1));
  const w0 = i16x8.splat(<i16>(reps & 127)), w1 = i16x8.splat(<i16>((reps >> 1) & 127)), w2 = i16x8.splat(<i16>((reps >> 2) & 127));
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0);
  let a3 = i32x4.splat(0), a4 = i32x4.splat(0), a5 = i32x4.splat(0);
  for (let r = 0; r < reps; r++) {
    a0 = dotAdd(x0, w0, a0);
    a1 = dotAdd(x0, w1, a1);
    a2 = dotAdd(x0, w2, a2);
    a3 = dotAdd(x1, w0, a3);
    a4 = dotAdd(x1, w1, a4);
    a5 = dotAdd(x1, w2, a5);
    x0 = i16x8.add(x0, d);
    x1 = i16x8.sub(x1, d);
  }
  const s = i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(a4, a5));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 3);
}
