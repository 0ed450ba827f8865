// One LSTM direction over a lockstep batch, forward with cached activations and backward-through-time.
//
// Rows are time-major: row m = t·B + b of a [T·B, D] buffer holds sentence b at step t. Sentences are sorted by
// length, longest first, so the sentences still running at step t are the prefix b < active[t] (non-increasing
// in t). A backward direction is run on a time-reversed copy of its input (see seq_copy), so this file only
// ever walks t = 0 … T-1. Gate order i, f, g, o (src/model/layout.ts).

import { gemm } from './gemm';
import { vsigmoid, vtanh, sigmoid1, tanh1 } from './vmath';

/**
 * G  [T·B, 4H]  in: x_t·W_ihᵀ + bias for every row; out: the activated gates i, f, g, o (kept for backward).
 * Hs, Cs, TCs [T·B, H]  out: h_t, c_t, tanh(c_t); rows of finished sentences are zero.
 * WhhT [H, 4H]  W_hh transposed. active: i32 [T].
 */
export function lstm_forward(G: usize, Hs: usize, Cs: usize, TCs: usize, WhhT: usize, active: usize, T: i32, B: i32, H: i32): void {
  const G4 = 4 * H;
  const rowG = <usize>G4 << 2;
  const rowH = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const n = load<i32>(active + (<usize>t << 2));
    const Gt = G + <usize>t * <usize>B * rowG;
    const Ht = Hs + <usize>t * <usize>B * rowH;
    const Ct = Cs + <usize>t * <usize>B * rowH;
    const TCt = TCs + <usize>t * <usize>B * rowH;
    // gates_t += h_{t-1} · W_hhᵀ                                        [n, 4H]
    if (t > 0 && n > 0) gemm(Gt, G4, Ht - <usize>B * rowH, H, 1, WhhT, G4, n, G4, H, 1);
    for (let b = 0; b < n; b++) {
      const g = Gt + <usize>b * rowG;
      const h = Ht + <usize>b * rowH;
      const c = Ct + <usize>b * rowH;
      const tc = TCt + <usize>b * rowH;
      const cp = c - <usize>B * rowH; // c_{t-1}, only read when t > 0
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o4 = <usize>j << 2;
        const vi = vsigmoid(v128.load(g + o4));
        const vf = vsigmoid(v128.load(g + rowH + o4));
        const vg = vtanh(v128.load(g + 2 * rowH + o4));
        const vo = vsigmoid(v128.load(g + 3 * rowH + o4));
        let vc = f32x4.mul(vi, vg);
        if (t > 0) vc = f32x4.add(vc, f32x4.mul(vf, v128.load(cp + o4)));
        const vtc = vtanh(vc);
        v128.store(g + o4, vi);
        v128.store(g + rowH + o4, vf);
        v128.store(g + 2 * rowH + o4, vg);
        v128.store(g + 3 * rowH + o4, vo);
        v128.store(c + o4, vc);
        v128.store(tc + o4, vtc);
        v128.store(h + o4, f32x4.mul(vo, vtc));
      }
      for (; j < H; j++) {
        const o4 = <usize>j << 2;
        const si = sigmoid1(load<f32>(g + o4));
        const sf = sigmoid1(load<f32>(g + rowH + o4));
        const sg = tanh1(load<f32>(g + 2 * rowH + o4));
        const so = sigmoid1(load<f32>(g + 3 * rowH + o4));
        let sc = si * sg;
        if (t > 0) sc += sf * load<f32>(cp + o4);
        const stc = tanh1(sc);
        store<f32>(g + o4, si);
        store<f32>(g + rowH + o4, sf);
        store<f32>(g + 2 * rowH + o4, sg);
        store<f32>(g + 3 * rowH + o4, so);
        store<f32>(c + o4, sc);
        store<f32>(tc + o4, stc);
        store<f32>(h + o4, so * stc);
      }
    }
    if (n < B) {
      const rest = <usize>(B - n) * rowH;
      memory.fill(Ht + <usize>n * rowH, 0, rest);
      memory.fill(Ct + <usize>n * rowH, 0, rest);
      memory.fill(TCt + <usize>n * rowH, 0, rest);
    }
  }
}

/**
 * Backward through time. dHs [T·B, H] is the gradient arriving at every h_t from above (read only).
 * G holds the activated gates from lstm_forward and is overwritten with dgates (pre-activation) [T·B, 4H];
 * rows of finished sentences become zero. Whh [4H, H] (not transposed). dhn, dcn: scratch [B, H].
 * The caller then forms dW_ih += dGᵀ·X, dW_hh += dG[1:]ᵀ·H[:-1], dbias += Σ dG, dX = dG·W_ih.
 */
export function lstm_backward(G: usize, Cs: usize, TCs: usize, dHs: usize, Whh: usize, active: usize, T: i32, B: i32, H: i32, dhn: usize, dcn: usize): void {
  const G4 = 4 * H;
  const rowG = <usize>G4 << 2;
  const rowH = <usize>H << 2;
  memory.fill(dhn, 0, <usize>B * rowH);
  memory.fill(dcn, 0, <usize>B * rowH);
  const one = f32x4.splat(1.0);
  for (let t = T - 1; t >= 0; t--) {
    const n = load<i32>(active + (<usize>t << 2));
    const Gt = G + <usize>t * <usize>B * rowG;
    const Ct = Cs + <usize>t * <usize>B * rowH;
    const TCt = TCs + <usize>t * <usize>B * rowH;
    const dHt = dHs + <usize>t * <usize>B * rowH;
    for (let b = 0; b < n; b++) {
      const g = Gt + <usize>b * rowG;
      const tc = TCt + <usize>b * rowH;
      const cp = Ct + <usize>b * rowH - <usize>B * rowH; // c_{t-1}, only read when t > 0
      const dh0 = dHt + <usize>b * rowH;
      const dhr = dhn + <usize>b * rowH;
      const dcr = dcn + <usize>b * rowH;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o4 = <usize>j << 2;
        const vi = v128.load(g + o4);
        const vf = v128.load(g + rowH + o4);
        const vg = v128.load(g + 2 * rowH + o4);
        const vo = v128.load(g + 3 * rowH + o4);
        const vtc = v128.load(tc + o4);
        const vcp = t > 0 ? v128.load(cp + o4) : f32x4.splat(0);
        const dh = f32x4.add(v128.load(dh0 + o4), v128.load(dhr + o4));
        const dc = f32x4.add(v128.load(dcr + o4), f32x4.mul(f32x4.mul(dh, vo), f32x4.sub(one, f32x4.mul(vtc, vtc))));
        const dO = f32x4.mul(f32x4.mul(dh, vtc), f32x4.mul(vo, f32x4.sub(one, vo)));
        const dI = f32x4.mul(f32x4.mul(dc, vg), f32x4.mul(vi, f32x4.sub(one, vi)));
        const dG = f32x4.mul(f32x4.mul(dc, vi), f32x4.sub(one, f32x4.mul(vg, vg)));
        const dF = f32x4.mul(f32x4.mul(dc, vcp), f32x4.mul(vf, f32x4.sub(one, vf)));
        v128.store(dcr + o4, f32x4.mul(dc, vf));
        v128.store(g + o4, dI);
        v128.store(g + rowH + o4, dF);
        v128.store(g + 2 * rowH + o4, dG);
        v128.store(g + 3 * rowH + o4, dO);
      }
      for (; j < H; j++) {
        const o4 = <usize>j << 2;
        const si = load<f32>(g + o4);
        const sf = load<f32>(g + rowH + o4);
        const sg = load<f32>(g + 2 * rowH + o4);
        const so = load<f32>(g + 3 * rowH + o4);
        const stc = load<f32>(tc + o4);
        const scp: f32 = t > 0 ? load<f32>(cp + o4) : 0;
        const dh = load<f32>(dh0 + o4) + load<f32>(dhr + o4);
        const dc = load<f32>(dcr + o4) + dh * so * (1 - stc * stc);
        store<f32>(dcr + o4, dc * sf);
        store<f32>(g + o4, dc * sg * si * (1 - si));
        store<f32>(g + rowH + o4, dc * scp * sf * (1 - sf));
        store<f32>(g + 2 * rowH + o4, dc * si * (1 - sg * sg));
        store<f32>(g + 3 * rowH + o4, dh * stc * so * (1 - so));
      }
    }
    if (n < B) memory.fill(Gt + <usize>n * rowG, 0, <usize>(B - n) * rowG);
    // dh_{t-1} (recurrent part) = dgates_t · W_hh                          [n, H]
    if (t > 0 && n > 0) gemm(dhn, H, Gt, G4, 1, Whh, H, n, H, G4, 0);
  }
}
