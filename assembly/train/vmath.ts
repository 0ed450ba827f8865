// Vectorised exp / sigmoid / tanh on f32x4 (Cephes-style range reduction + degree-6 polynomial, |rel err| < 2e-7).
// The scalar forms run the same vector code on lane 0, so tails of a row compute exactly what the SIMD body does.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;

/** e^x per lane; x clamped to [-87, 88] (results below ~1.6e-38 flush to a small normal, never NaN / Inf). */
// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E))); // [4] round(x / ln 2)
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO))); // x - n ln2, |r| <= ln2 / 2
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  p = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1.0)); // e^r
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23); // 2^n as float bits
  return f32x4.mul(p, e);
}

/** 1 / (1 + e^-x) per lane. */
// @ts-ignore: decorator
@inline
export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/** tanh(x) = 2 sigmoid(2x) - 1 per lane. */
// @ts-ignore: decorator
@inline
export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const s = f32x4.div(one, f32x4.add(one, vexp(f32x4.mul(x, f32x4.splat(-2.0)))));
  return f32x4.sub(f32x4.add(s, s), one);
}

// @ts-ignore: decorator
@inline
export function sigmoid1(x: f32): f32 {
  return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline
export function tanh1(x: f32): f32 {
  return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0);
}

/** exp for one f32 through the vector path. */
export function exp1(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}
