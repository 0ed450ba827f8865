// Vector exp for the LSTM gates. exp(x) = 2^t with t = x·log2(e): n = round(t) by the 1.5·2^23 trick, f = t − n
// ∈ [−½, ½], 2^f by a degree-5 polynomial (c0 = 1 exactly; max relative error 1.9e-7 in f32), 2^n built in
// the exponent bits. Callers pass t already scaled; it is clamped to [T_LO, T_HI] = [−126, 28]
// (2^28 ≈ e^19.4): so products of up to three (1 + e) factors stay finite in f32, and the sigmoid / tanh
// built from them are off by at most 4e-9 where the clamp bites. Overall error of a gate ≈ 1e-6 relative.
//
// Constants live in linear memory and are broadcast-loaded where used (one load each; V8 would otherwise
// rebuild every v128.const from immediates, three instructions, at each use inside the loop).

// [T_LO, T_HI, MAGIC, c1, c2, c3, c4, c5, 1 (= bits 127 << 23), -log2e, -2·log2e, 0]
export const GATE_CONSTS: usize = memory.data<f32>([
  -126.0, 28.0, 12582912.0,
  0.6931470036506653, 0.24022242426872253, 0.05550733581185341, 0.009671512991189957, 0.001326472731307149,
  1.0, -1.4426950408889634, -2.8853900817779268, 0.0,
], 16);

/** constant i of the table above, in all four lanes (one broadcast load: cheaper in V8 than a v128.const) */
// @ts-ignore: decorator
@inline
export function gc(i: i32): v128 {
  return v128.load32_splat(GATE_CONSTS + (<usize>i << 2));
}

/** 2^t for t (4 lanes) clamped to [T_LO, T_HI]. */
// @ts-ignore: decorator
@inline
export function exp2v(t: v128): v128 {
  const x = f32x4.pmax(f32x4.pmin(t, gc(1)), gc(0));
  const magic = gc(2);
  const r = f32x4.add(x, magic); //                 bits(r) = 0x4B400000 + round(x)
  const f = f32x4.sub(x, f32x4.sub(r, magic)); //   x − round(x) ∈ [−½, ½]
  // Estrin: p = (1 + c1 f) + f²·((c2 + c3 f) + f²·(c4 + c5 f)) — shorter dependency chain than Horner
  const f2 = f32x4.mul(f, f);
  const a = f32x4.add(f32x4.mul(gc(3), f), gc(8));
  const b = f32x4.add(f32x4.mul(gc(5), f), gc(4));
  const d = f32x4.add(f32x4.mul(gc(7), f), gc(6));
  const p = f32x4.add(a, f32x4.mul(f2, f32x4.add(b, f32x4.mul(f2, d))));
  // 2^n: (round(x) << 23) + (127 << 23); the high bits of bits(r) shift out
  const e = i32x4.add(i32x4.shl(r, 23), gc(8)); // bits of 1.0f = 127 << 23
  return f32x4.mul(p, e);
}
