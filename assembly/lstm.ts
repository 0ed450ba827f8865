// One direction of an LSTM layer over a lockstep batch of B sentences (compact, time-major rows).
//
// Row layout ("compact"): the sentences of a batch are sorted by length, longest first, lens[0] ≥ lens[1] ≥ …;
// row(t, b) = rowStart[t] + b for b < nAct(t) = rowStart[t+1] − rowStart[t] (the sentences still running at
// step t — always a prefix of the batch). R = rowStart[T] = Σ lens rows, no padding rows at all.
//
// Units are padded to Hp (a multiple of 8): gate q of unit j lives in column q·Hp + j of G / gates. Padded units
// have zero weights and zero bias, so their h stays ≈ 0 (exactly 0 up to the exp approximation) and the next
// layer's weights for them are zero anyway.
//
//   G     f32 [R × 4Hp]   W_ih · x_row + b_ih + b_hh for every row (one matrix product for the whole batch)
//   Y     f32 [R × ldy]   h of this direction is written at Y[row, yoff + j], j < Hp
//   Whh   packed panels (matmul.ts) of W_hh [4Hp × Hp]: f32 (whhScale == 0) or i8 with row scales at whhScale
//   each step s = 0 … T−1 runs the nAct(s) sentences still going: fw at t = s; bw at t = lens[b] − 1 − s,
//   so every sentence's backward pass starts at its own last character.
//   step: gates[nAct × 4Hp] = h[nAct × Hp] · W_hhᵀ; z = gates + G[row]; i, f, o = σ(z); g = tanh(z);
//         c = f·c + i·g; h = o·tanh(c)
// Gate arithmetic with e_q = exp(−z_q) (exp(−2z) for g and tanh(c)) and two divisions per 4 units:
//   c' = c/(1+e_f) + (1−e_g)/((1+e_i)(1+e_g)) = [c(1+e_i)(1+e_g) + (1−e_g)(1+e_f)] / [(1+e_f)(1+e_i)(1+e_g)]
//   h  = (1−e_c) / ((1+e_o)(1+e_c)),  e_c = exp(−2c')
import { exp2v, gc } from './mathx';
import { matmul_f32, matmul_q8, quantize_rows } from './matmul';

// @ts-ignore: decorator
@inline
function a16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

/** Scratch bytes lstm_dir needs for a batch of B sentences and Hp padded units. */
export function lstm_work_bytes(B: i32, Hp: i32): usize {
  const bh = <usize>B * <usize>Hp;
  return a16(bh << 2) * 2 + a16(bh << 4) + a16(bh << 1) + a16(<usize>B << 2) * 2;
}

export function lstm_dir(
  G: usize, Y: usize, ldy: i32, yoff: i32, Hp: i32, Whh: usize, whhScale: usize,
  rowStart: usize, lens: usize, B: i32, T: i32, reverse: i32, work: usize,
): void {
  const bh = <usize>B * <usize>Hp;
  const h = work; //                      f32 [B × Hp]
  const c = h + a16(bh << 2); //          f32 [B × Hp]
  const gates = c + a16(bh << 2); //      f32 [B × 4Hp]
  const hq = gates + a16(bh << 4); //     i16 [B × Hp]
  const hs = hq + a16(bh << 1); //        f32 [B]
  const rows = hs + a16(<usize>B << 2); // i32 [B]
  memory.fill(h, 0, bh << 2);
  memory.fill(c, 0, bh << 2);
  const H4 = Hp << 2;
  const gStride = <usize>H4 << 2; // bytes per row of G / gates
  const hStride = <usize>Hp << 2;
  const q1 = <usize>Hp << 2; // byte offset between gate blocks
  const q2 = q1 << 1;
  const q3 = q1 + q2;
  for (let s = 0; s < T; s++) {
    const nAct = load<i32>(rowStart + (<usize>(s + 1) << 2)) - load<i32>(rowStart + (<usize>s << 2));
    for (let b = 0; b < nAct; b++) {
      const t = reverse ? load<i32>(lens + (<usize>b << 2)) - 1 - s : s;
      store<i32>(rows + (<usize>b << 2), load<i32>(rowStart + (<usize>t << 2)) + b);
    }
    const rec = s > 0;
    if (rec) {
      if (whhScale == 0) {
        matmul_f32(gates, H4, h, Hp, Whh, 0, nAct, H4, Hp); // [nAct × 4Hp] = h · W_hhᵀ
      } else {
        quantize_rows(hq, Hp, hs, h, Hp, nAct, Hp, Hp);
        matmul_q8(gates, H4, hq, Hp, hs, Whh, whhScale, 0, nAct, H4, Hp);
      }
    }
    for (let b = 0; b < nAct; b++) {
      const row = <usize>load<i32>(rows + (<usize>b << 2));
      const g = G + row * gStride;
      const r = gates + <usize>b * gStride;
      const cb = c + <usize>b * hStride;
      const hb = h + <usize>b * hStride;
      const yb = Y + ((row * <usize>ldy + <usize>yoff) << 2);
      for (let j: usize = 0; j < hStride; j += 16) {
        let zi = v128.load(g + j);
        let zf = v128.load(g + j + q1);
        let zg = v128.load(g + j + q2);
        let zo = v128.load(g + j + q3);
        if (rec) {
          zi = f32x4.add(zi, v128.load(r + j));
          zf = f32x4.add(zf, v128.load(r + j + q1));
          zg = f32x4.add(zg, v128.load(r + j + q2));
          zo = f32x4.add(zo, v128.load(r + j + q3));
        }
        const one = gc(8);
        const pi = f32x4.add(one, exp2v(f32x4.mul(zi, gc(9))));
        const pf = f32x4.add(one, exp2v(f32x4.mul(zf, gc(9))));
        const eg = exp2v(f32x4.mul(zg, gc(10)));
        const pg = f32x4.add(one, eg);
        const pig = f32x4.mul(pi, pg);
        const num = f32x4.add(f32x4.mul(v128.load(cb + j), pig), f32x4.mul(f32x4.sub(one, eg), pf));
        const cn = f32x4.div(num, f32x4.mul(pf, pig));
        const po = f32x4.add(one, exp2v(f32x4.mul(zo, gc(9))));
        const ec = exp2v(f32x4.mul(cn, gc(10)));
        const hn = f32x4.div(f32x4.sub(one, ec), f32x4.mul(po, f32x4.add(one, ec)));
        v128.store(cb + j, cn);
        v128.store(hb + j, hn);
        v128.store(yb + j, hn);
      }
    }
  }
}
