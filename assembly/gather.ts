// Embedding gather: writes one slice of the concatenated layer-0 input, row by row.
//   out f32 [R × ldo]; out[r, col + d] = table[ids[r], d] for d < dim
//   f32 table [V × dim]; int8 table [V × dim] with per-row scales [V]: value = q · scale
// ids are checked by the TS wrapper (0 ≤ id < V) before the call.

export function embed_f32(out: usize, ldo: i32, col: i32, ids: usize, R: i32, table: usize, dim: i32): void {
  const rowBytes = <usize>dim << 2;
  for (let r = 0; r < R; r++) {
    const id = <usize>load<i32>(ids + (<usize>r << 2));
    memory.copy(out + ((<usize>r * <usize>ldo + <usize>col) << 2), table + id * rowBytes, rowBytes);
  }
}

export function embed_i8(
  out: usize, ldo: i32, col: i32, ids: usize, R: i32, table: usize, scales: usize, dim: i32,
): void {
  for (let r = 0; r < R; r++) {
    const id = <usize>load<i32>(ids + (<usize>r << 2));
    const s = load<f32>(scales + (id << 2));
    const q = table + id * <usize>dim;
    const o = out + ((<usize>r * <usize>ldo + <usize>col) << 2);
    const sv = f32x4.splat(s);
    let d = 0;
    for (; d + 4 <= dim; d += 4) {
      // 4 × i8 → i32x4 → f32x4
      const v = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(q + <usize>d)));
      v128.store(o + (<usize>d << 2), f32x4.mul(f32x4.convert_i32x4_s(v), sv));
    }
    for (; d < dim; d++) store<f32>(o + (<usize>d << 2), <f32>load<i8>(q + <usize>d) * s);
  }
}

/** out[r, c0 .. c1) = 0 for r < R (zero padding columns). */
export function zero_cols(out: usize, ldo: i32, R: i32, c0: i32, c1: i32): void {
  if (c1 <= c0) return;
  const n = <usize>(c1 - c0) << 2;
  for (let r = 0; r < R; r++) memory.fill(out + ((<usize>r * <usize>ldo + <usize>c0) << 2), 0, n);
}

/**
 * Rows picked by address, summed (the folded layer-0 input projection, src/model/network.ts FoldGroup):
 *   out[r, 0 .. n) = init[0 .. n) + Σ_{g < groups} src_{g,r}[0 .. n),  src_{g,r} = f32 at ptrs[g·R + r] + off
 * out f32 [R × ldo]; ptrs i32 [groups × R] byte addresses; init (a bias) f32 [n] or 0 (none). One pass over
 * out (each row written once, while it is in L1). n % 4 == 0, rows 16-byte aligned, groups ≥ 1.
 */
export function add_rows(out: usize, ldo: i32, R: i32, ptrs: usize, groups: i32, off: i32, n: i32, init: usize): void {
  const bytes = <usize>n << 2;
  const so = <usize>ldo << 2;
  const sg = <usize>R << 2; // bytes between two groups' pointer rows
  for (let r = 0; r < R; r++) {
    const o = out + <usize>r * so;
    const p = ptrs + (<usize>r << 2);
    const s0 = <usize>load<i32>(p) + <usize>off;
    if (init != 0) {
      for (let j: usize = 0; j < bytes; j += 16) v128.store(o + j, f32x4.add(v128.load(init + j), v128.load(s0 + j)));
    } else {
      memory.copy(o, s0, bytes);
    }
    let g = 1;
    for (; g + 2 <= groups; g += 2) {
      const s1 = <usize>load<i32>(p + <usize>g * sg) + <usize>off;
      const s2 = <usize>load<i32>(p + <usize>(g + 1) * sg) + <usize>off;
      for (let j: usize = 0; j < bytes; j += 16) {
        v128.store(o + j, f32x4.add(v128.load(o + j), f32x4.add(v128.load(s1 + j), v128.load(s2 + j))));
      }
    }
    if (g < groups) {
      const s1 = <usize>load<i32>(p + <usize>g * sg) + <usize>off;
      for (let j: usize = 0; j < bytes; j += 16) v128.store(o + j, f32x4.add(v128.load(o + j), v128.load(s1 + j)));
    }
  }
}
