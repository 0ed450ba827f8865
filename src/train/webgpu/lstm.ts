/**
 * One BiLSTM layer over a time-major lockstep batch on WebGPU, forward with cached activations and backward
 * through time: the GPU twin of the layer loop of src/train/graph.ts with lstm_forward / lstm_backward of
 * assembly/train/lstm.ts. Same gate order (i, f, g, o), same lockstep prefix (the sentences running at step t
 * are b < active[t]), the backward direction run on a time-reversed copy of the input.
 *
 * Shapes (M = T·B rows, row m = t·B + b; floats):
 *   Xf, Xb [M, In]            the layer input and its time-reversed copy (seqCopy)
 *   G      [2, M, 4H]         per direction z (0 fw, 1 bw): bias + x·W_ihᵀ, then the activated gates; in
 *                             backward overwritten with dgates (pre-activation), finished rows zero
 *   Hs, Cs, TCs [2, M, H]     h_t, c_t, tanh(c_t); finished rows zero
 *   dH     [2, M, H]          gradient arriving at every h_t (bw in its reversed time)
 *   dhn, dcn [2, B, H]        recurrent gradient carried from step t to t − 1
 *   dX     [M, In]            gradient of the layer input; dXr [M, In] scratch (bw, reversed time)
 *
 * Per time step: one batched matmul for both directions (G_t += h_{t−1}·W_hhᵀ; backward dh_{t−1} = dG_t·W_hh)
 * and one fused element-wise dispatch (gates, cell, hidden), as the wasm does with gemm + its inner loop.
 * The input projection of the whole batch, and the weight gradients, are single tiled matmuls.
 */

import type { GpuContext } from './context.js';
import { grid256 } from './embed.js';
import type { Matmul } from './matmul.js';

/** Float offsets of one layer's tensors in the flat parameter / gradient vector, index 0 fw, 1 bw. */
export interface LstmSlots {
  wih: [number, number];
  whh: [number, number];
  bias: [number, number];
}

/** The batch as the CPU knows it: shapes and the lockstep prefix sizes. */
export interface LstmBatch {
  B: number;
  T: number;
  /** [T] sentences running at step t (non-increasing) */
  active: ArrayLike<number>;
  /** i32 [B] lengths on the GPU */
  lengths: GPUBuffer;
}

export interface LstmForwardBuffers {
  params: GPUBuffer;
  Xf: GPUBuffer;
  Xb: GPUBuffer;
  G: GPUBuffer;
  Hs: GPUBuffer;
  Cs: GPUBuffer;
  TCs: GPUBuffer;
}

export interface LstmBackwardBuffers extends LstmForwardBuffers {
  grads: GPUBuffer;
  dH: GPUBuffer;
  dhn: GPUBuffer;
  dcn: GPUBuffer;
  dX: GPUBuffer;
  dXr: GPUBuffer;
}

/** A strided row view for seqCopy: row r at buffer[offset + r·ld]. */
export interface RowsAt {
  buffer: GPUBuffer;
  offset?: number;
  ld: number;
}

const ACT = /* wgsl */ `
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanh_(x: f32) -> f32 { return 2.0 / (1.0 + exp(-2.0 * x)) - 1.0; }   // = 2σ(2x) − 1, as the wasm; no NaN for large |x|
`;

const STEP_FORWARD_WGSL = /* wgsl */ `
// Step t of both directions (z): for b < n the gates of row m = t·B + b are activated in place and
// c = i·g + f·c_{t−1} (t > 0), tanh c, h = o·tanh c are stored; rows b ≥ n get h = c = tanh c = 0.
struct P { B: u32, H: u32, M: u32, t: u32, n: u32, _0: u32, _1: u32, _2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;     // [2, M, 4H]
@group(0) @binding(2) var<storage, read_write> Hs: array<f32>;    // [2, M, H]
@group(0) @binding(3) var<storage, read_write> Cs: array<f32>;    // [2, M, H]
@group(0) @binding(4) var<storage, read_write> TCs: array<f32>;   // [2, M, H]
${ACT}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let e = gid.x + gid.y * nw.x * 256u;   // (z, b, j)
  if (e >= 2u * p.B * p.H) { return; }
  let j = e % p.H;
  let b = (e / p.H) % p.B;
  let z = e / (p.B * p.H);
  let row = z * p.M + p.t * p.B + b;
  let h = row * p.H + j;
  if (b >= p.n) {
    Hs[h] = 0.0; Cs[h] = 0.0; TCs[h] = 0.0;
    return;
  }
  let g0 = row * 4u * p.H + j;
  let gi = sigmoid(G[g0]);
  let gf = sigmoid(G[g0 + p.H]);
  let gg = tanh_(G[g0 + 2u * p.H]);
  let go = sigmoid(G[g0 + 3u * p.H]);
  var c = gi * gg;
  if (p.t > 0u) { c += gf * Cs[h - p.B * p.H]; }
  let tc = tanh_(c);
  G[g0] = gi; G[g0 + p.H] = gf; G[g0 + 2u * p.H] = gg; G[g0 + 3u * p.H] = go;
  Cs[h] = c;
  TCs[h] = tc;
  Hs[h] = go * tc;
}
`;

const STEP_BACKWARD_WGSL = /* wgsl */ `
// Step t of both directions, backward: for b < n, from the activated gates of row m = t·B + b,
//   dh = dH[m] + dhn[b]; dc = dcn[b] + dh·o·(1 − tanh²c); dcn[b] = dc·f
//   dgates (pre-activation) i: dc·g·i(1−i) · f: dc·c_{t−1}·f(1−f) · g: dc·i·(1−g²) · o: dh·tanh c·o(1−o)
// written over G; rows b ≥ n get dgates 0. dhn is then replaced by dG_t·W_hh (a matmul, for t > 0).
struct P { B: u32, H: u32, M: u32, t: u32, n: u32, _0: u32, _1: u32, _2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;     // [2, M, 4H]
@group(0) @binding(2) var<storage, read> Cs: array<f32>;          // [2, M, H]
@group(0) @binding(3) var<storage, read> TCs: array<f32>;         // [2, M, H]
@group(0) @binding(4) var<storage, read> dH: array<f32>;          // [2, M, H]
@group(0) @binding(5) var<storage, read> dhn: array<f32>;         // [2, B, H]
@group(0) @binding(6) var<storage, read_write> dcn: array<f32>;   // [2, B, H]

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let e = gid.x + gid.y * nw.x * 256u;   // (z, b, j)
  if (e >= 2u * p.B * p.H) { return; }
  let j = e % p.H;
  let b = (e / p.H) % p.B;
  let z = e / (p.B * p.H);
  let row = z * p.M + p.t * p.B + b;
  let g0 = row * 4u * p.H + j;
  if (b >= p.n) {
    G[g0] = 0.0; G[g0 + p.H] = 0.0; G[g0 + 2u * p.H] = 0.0; G[g0 + 3u * p.H] = 0.0;
    return;
  }
  let h = row * p.H + j;
  let r = (z * p.B + b) * p.H + j;   // dhn / dcn
  let gi = G[g0];
  let gf = G[g0 + p.H];
  let gg = G[g0 + 2u * p.H];
  let go = G[g0 + 3u * p.H];
  let tc = TCs[h];
  var cp = 0.0;
  if (p.t > 0u) { cp = Cs[h - p.B * p.H]; }
  let dh = dH[h] + dhn[r];
  let dc = dcn[r] + dh * go * (1.0 - tc * tc);
  dcn[r] = dc * gf;
  G[g0] = dc * gg * gi * (1.0 - gi);
  G[g0 + p.H] = dc * cp * gf * (1.0 - gf);
  G[g0 + 2u * p.H] = dc * gi * (1.0 - gg * gg);
  G[g0 + 3u * p.H] = dh * tc * go * (1.0 - go);
}
`;

const SEQ_COPY_WGSL = /* wgsl */ `
// For every sentence b and step t < lengths[b]: dst[offD + (t·B + b)·ldD + d] (+)= src[offS + (s·B + b)·ldS + d]
// with s = t, or s = lengths[b] − 1 − t when reverse; rows past a sentence's end are zeroed when not acc.
// (seq_copy of assembly/train/ops.ts.)                                                    t < T, b < B, d < D
struct P { B: u32, T: u32, D: u32, reverse: u32, acc: u32, offD: u32, ldD: u32, offS: u32, ldS: u32, _0: u32, _1: u32, _2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> lengths: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let e = gid.x + gid.y * nw.x * 256u;   // (m, d)
  if (e >= p.B * p.T * p.D) { return; }
  let d = e % p.D;
  let m = e / p.D;
  let t = m / p.B;
  let b = m % p.B;
  let L = u32(lengths[b]);
  let at = p.offD + m * p.ldD + d;
  if (t >= L) {
    if (p.acc == 0u) { dst[at] = 0.0; }
    return;
  }
  var s = t;
  if (p.reverse != 0u) { s = L - 1u - t; }
  let v = src[p.offS + (s * p.B + b) * p.ldS + d];
  if (p.acc != 0u) { dst[at] = dst[at] + v; } else { dst[at] = v; }
}
`;

/** Time reversal and column copies of time-major rows (seq_copy); also used for the concat of h_fw and h_bw. */
export class SeqCopy {
  private readonly pipe: GPUComputePipeline;

  constructor(private readonly ctx: GpuContext) {
    this.pipe = ctx.pipeline('seq-copy', SEQ_COPY_WGSL);
  }

  /** dst (+)= src row by row for D columns, optionally time-reversed per sentence (see the shader). */
  encode(
    target: GPUCommandEncoder | GPUComputePassEncoder,
    s: {
      dst: RowsAt;
      src: RowsAt;
      lengths: GPUBuffer;
      B: number;
      T: number;
      D: number;
      reverse: boolean;
      acc: boolean;
    },
  ): void {
    if (s.dst.buffer === s.src.buffer)
      throw new Error(`seqCopy: dst and src must be different buffers (${s.dst.buffer.label})`);
    const words = [
      s.B,
      s.T,
      s.D,
      s.reverse ? 1 : 0,
      s.acc ? 1 : 0,
      s.dst.offset ?? 0,
      s.dst.ld,
      s.src.offset ?? 0,
      s.src.ld,
      0,
      0,
      0,
    ];
    this.ctx.dispatch(
      target,
      this.pipe,
      [this.ctx.params(words), s.dst.buffer, s.src.buffer, s.lengths],
      grid256(s.B * s.T * s.D),
    );
  }
}

/** Floats of each buffer for a layer of `inDim` inputs and H units over B sentences of at most T steps. */
export function lstmBufferSizes(
  inDim: number,
  H: number,
  B: number,
  T: number,
): Record<keyof Omit<LstmBackwardBuffers, 'params' | 'grads'>, number> {
  const M = B * T;
  return {
    Xf: M * inDim,
    Xb: M * inDim,
    G: 2 * M * 4 * H,
    Hs: 2 * M * H,
    Cs: 2 * M * H,
    TCs: 2 * M * H,
    dH: 2 * M * H,
    dhn: 2 * B * H,
    dcn: 2 * B * H,
    dX: M * inDim,
    dXr: M * inDim,
  };
}

export class LstmLayer {
  private readonly stepForward: GPUComputePipeline;
  private readonly stepBackward: GPUComputePipeline;

  constructor(
    private readonly ctx: GpuContext,
    private readonly mm: Matmul,
    private readonly seq: SeqCopy,
    readonly inDim: number,
    readonly H: number,
    readonly slots: LstmSlots,
  ) {
    if (!(Number.isInteger(inDim) && inDim >= 1 && Number.isInteger(H) && H >= 1))
      throw new Error(`LstmLayer: expected inDim, H ≥ 1, got ${inDim}, ${H}`);
    this.stepForward = ctx.pipeline('lstm-step-forward', STEP_FORWARD_WGSL);
    this.stepBackward = ctx.pipeline('lstm-step-backward', STEP_BACKWARD_WGSL);
  }

  /** Xb ← reverse(Xf); G ← bias + X·W_ihᵀ per direction; then the recurrence step by step. */
  encodeForward(enc: GPUCommandEncoder, batch: LstmBatch, buf: LstmForwardBuffers): void {
    const { B, T, active, lengths } = batch;
    const { inDim, H, slots } = this;
    const M = B * T;
    const G4 = 4 * H;
    this.seq.encode(enc, {
      dst: { buffer: buf.Xb, ld: inDim },
      src: { buffer: buf.Xf, ld: inDim },
      lengths,
      B,
      T,
      D: inDim,
      reverse: true,
      acc: false,
    });
    [buf.Xf, buf.Xb].forEach((X, z) => {
      // G[z] [M, 4H] = bias + X · W_ihᵀ
      this.mm.encode(enc, {
        M,
        N: G4,
        K: inDim,
        mode: 'bias',
        A: { buffer: X, rowStride: inDim, colStride: 1 },
        B: { buffer: buf.params, offset: slots.wih[z], rowStride: 1, colStride: inDim },
        C: { buffer: buf.G, offset: z * M * G4, rowStride: G4, colStride: 1 },
        bias: { buffer: buf.params, offset: slots.bias[z] },
      });
    });
    const whhZ = slots.whh[1] - slots.whh[0];
    for (let t = 0; t < T; t++) {
      const n = active[t];
      if (t > 0 && n > 0) {
        // G[z][t·B .. +n] += h_{t−1} · W_hhᵀ        [n, 4H], both directions
        this.mm.encode(enc, {
          M: n,
          N: G4,
          K: H,
          mode: 'add',
          batch: 2,
          A: { buffer: buf.Hs, offset: (t - 1) * B * H, rowStride: H, colStride: 1, zStride: M * H },
          B: { buffer: buf.params, offset: slots.whh[0], rowStride: 1, colStride: H, zStride: whhZ },
          C: { buffer: buf.G, offset: t * B * G4, rowStride: G4, colStride: 1, zStride: M * G4 },
        });
      }
      const words = [B, H, M, t, n, 0, 0, 0];
      this.ctx.dispatch(
        enc,
        this.stepForward,
        [this.ctx.params(words), buf.G, buf.Hs, buf.Cs, buf.TCs],
        grid256(2 * B * H),
      );
    }
  }

  /**
   * Backward through time from dH (filled by the caller), then the weight gradients (added to grads) and
   * dX = dG_fw·W_ih,fw + reverse(dG_bw·W_ih,bw).
   */
  encodeBackward(enc: GPUCommandEncoder, batch: LstmBatch, buf: LstmBackwardBuffers): void {
    const { B, T, active, lengths } = batch;
    const { inDim, H, slots } = this;
    const M = B * T;
    const G4 = 4 * H;
    enc.clearBuffer(buf.dhn, 0, 4 * 2 * B * H);
    enc.clearBuffer(buf.dcn, 0, 4 * 2 * B * H);
    const whhZ = slots.whh[1] - slots.whh[0];
    for (let t = T - 1; t >= 0; t--) {
      const n = active[t];
      const words = [B, H, M, t, n, 0, 0, 0];
      this.ctx.dispatch(
        enc,
        this.stepBackward,
        [this.ctx.params(words), buf.G, buf.Cs, buf.TCs, buf.dH, buf.dhn, buf.dcn],
        grid256(2 * B * H),
      );
      if (t > 0 && n > 0) {
        // dhn[z][0 .. n] = dG[z][t·B .. +n] · W_hh        [n, H]
        this.mm.encode(enc, {
          M: n,
          N: H,
          K: G4,
          mode: 'set',
          batch: 2,
          A: { buffer: buf.G, offset: t * B * G4, rowStride: G4, colStride: 1, zStride: M * G4 },
          B: { buffer: buf.params, offset: slots.whh[0], rowStride: H, colStride: 1, zStride: whhZ },
          C: { buffer: buf.dhn, rowStride: H, colStride: 1, zStride: B * H },
        });
      }
    }
    if (T > 1) {
      // dW_hh[z] [4H, H] += dG[z][B ..]ᵀ · Hs[z][.. (T−1)·B]
      this.mm.encode(enc, {
        M: G4,
        N: H,
        K: (T - 1) * B,
        mode: 'add',
        batch: 2,
        A: { buffer: buf.G, offset: B * G4, rowStride: 1, colStride: G4, zStride: M * G4 },
        B: { buffer: buf.Hs, rowStride: H, colStride: 1, zStride: M * H },
        C: { buffer: buf.grads, offset: slots.whh[0], rowStride: H, colStride: 1, zStride: whhZ },
      });
    }
    // dbias[z] [4H] += Σ_m dG[z][m]
    this.mm.encodeColSum(enc, {
      M,
      N: G4,
      ld: G4,
      batch: 2,
      src: { buffer: buf.G, zStride: M * G4 },
      dst: { buffer: buf.grads, offset: slots.bias[0], zStride: slots.bias[1] - slots.bias[0] },
    });
    [buf.Xf, buf.Xb].forEach((X, z) => {
      // dW_ih[z] [4H, In] += dG[z]ᵀ · X
      this.mm.encode(enc, {
        M: G4,
        N: inDim,
        K: M,
        mode: 'add',
        A: { buffer: buf.G, offset: z * M * G4, rowStride: 1, colStride: G4 },
        B: { buffer: X, rowStride: inDim, colStride: 1 },
        C: { buffer: buf.grads, offset: slots.wih[z], rowStride: inDim, colStride: 1 },
      });
      // dX (fw) or dXr (bw) [M, In] = dG[z] · W_ih[z]
      this.mm.encode(enc, {
        M,
        N: inDim,
        K: G4,
        mode: 'set',
        A: { buffer: buf.G, offset: z * M * G4, rowStride: G4, colStride: 1 },
        B: { buffer: buf.params, offset: slots.wih[z], rowStride: inDim, colStride: 1 },
        C: { buffer: z === 0 ? buf.dX : buf.dXr, rowStride: inDim, colStride: 1 },
      });
    });
    this.seq.encode(enc, {
      dst: { buffer: buf.dX, ld: inDim },
      src: { buffer: buf.dXr, ld: inDim },
      lengths,
      B,
      T,
      D: inDim,
      reverse: true,
      acc: true,
    });
  }
}
