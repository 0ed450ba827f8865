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
 *   WT     [2, H, 4H]         W_hhᵀ per direction (scratch, made per batch)
 *   dX     [M, In]            gradient of the layer input; dXr [M, In] scratch (bw, reversed time)
 *
 * The input projection of the whole batch, the weight gradients and dX are single tiled matmuls (matmul.ts);
 * the recurrence runs step by step with fused gates inside one dispatch per layer and pass, both directions
 * at once (see RECUR_FORWARD_WGSL): the step's h_{t−1}·W_hhᵀ (backward: dgates_{t+1}·W_hh) and the gate
 * arithmetic of lstm_forward / lstm_backward, with no dispatch per time step.
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
  /** i32 [T] sentences running at step t (non-increasing), on the GPU */
  active: GPUBuffer;
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
  /** [2, H, 4H] scratch: W_hhᵀ per direction */
  WT: GPUBuffer;
}

export interface LstmBackwardBuffers extends LstmForwardBuffers {
  grads: GPUBuffer;
  dH: GPUBuffer;
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

/**
 * The recurrence runs as one dispatch per layer and pass (forward, backward): sentences are independent, so a
 * workgroup owns SB sentences of one direction for the whole sequence and walks t inside the shader, keeping the
 * state it passes from step to step (h_{t−1} forward, dgates_{t+1} backward) in workgroup memory and c / dc in
 * registers. Its 256 threads own the (sentence, unit) pairs e = tid + 256·r (r < PAIRS): b = e / H, j = e % H.
 * SB = max(1, 512 / H) sentences: about two pairs per thread, so a batch spreads over several workgroups.
 */
const PAIRS = 8;
const SHARED = 2048; // floats of workgroup memory: h [SB, H] forward, dgates [SB, 4H] backward (8 KiB)
/** The largest H: backward keeps dgates [SB, 4H] of at least one sentence in SHARED floats. */
const MAX_UNITS = SHARED / 4;

/** Sentences per workgroup of the recurrence for H units. */
function sentencesPerGroup(H: number): number {
  return Math.max(1, Math.floor(512 / H));
}

const TRANSPOSE_WGSL = /* wgsl */ `
// WT[z] [H, 4H] = W_hh[z]ᵀ (W_hh[z] [4H, H] at params[off_z]), so the recurrence reads it coalesced.
struct P { H: u32, off0: u32, off1: u32, _0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read_write> WT: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let e = gid.x + gid.y * nw.x * 256u;   // (z, k, r): WT[z][k, r]
  let n = 4u * p.H * p.H;
  if (e >= 2u * n) { return; }
  let z = e / n;
  let k = (e % n) / (4u * p.H);
  let r = e % (4u * p.H);
  let off = select(p.off0, p.off1, z == 1u);
  WT[e] = W[off + r * p.H + k];
}
`;

const RECUR_FORWARD_WGSL = /* wgsl */ `
// Forward recurrence of one direction z = workgroup y over sentences b0 … b0 + SB − 1 (b0 = SB · workgroup x):
// for t = 0 … T−1, for running pairs (b < active[t]) of row m = t·B + b:
//   gates = G[z][m] (x·W_ihᵀ + bias) + h_{t−1}[b] · W_hhᵀ; i, f, o = σ(·), g = tanh(·), stored activated
//   c = i·g + f·c_{t−1}; Cs, TCs = c, tanh c; Hs = h = o·tanh c.      Finished rows: h = c = tanh c = 0.
struct P { B: u32, T: u32, H: u32, M: u32, SB: u32, _0: u32, _1: u32, _2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;     // [2, M, 4H]
@group(0) @binding(2) var<storage, read_write> Hs: array<f32>;    // [2, M, H]
@group(0) @binding(3) var<storage, read_write> Cs: array<f32>;    // [2, M, H]
@group(0) @binding(4) var<storage, read_write> TCs: array<f32>;   // [2, M, H]
@group(0) @binding(5) var<storage, read> WT: array<f32>;          // [2, H, 4H] W_hhᵀ
@group(0) @binding(6) var<storage, read> running: array<i32>;     // [T] active[t]
var<workgroup> hprev: array<f32, ${SHARED}>;                      // [SB, H] h_{t−1}
${ACT}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let z = wg.y;
  let b0 = wg.x * p.SB;
  let H = p.H;
  let w0 = z * H * 4u * H;
  var c: array<f32, ${PAIRS}>;
  var h: array<f32, ${PAIRS}>;
  for (var t = 0u; t < p.T; t++) {
    let n = u32(running[t]);
    for (var r = 0u; r < ${PAIRS}u; r++) {
      let e = lid.x + 256u * r;
      let b = e / H;
      let j = e % H;
      if (b >= p.SB || b0 + b >= p.B) { continue; }
      let row = z * p.M + t * p.B + b0 + b;
      let o = row * H + j;
      if (b0 + b >= n) {
        Hs[o] = 0.0; Cs[o] = 0.0; TCs[o] = 0.0;
        h[r] = 0.0;
        continue;
      }
      let g0 = row * 4u * H + j;
      var si = G[g0];
      var sf = G[g0 + H];
      var sg = G[g0 + 2u * H];
      var so = G[g0 + 3u * H];
      if (t > 0u) {
        for (var k = 0u; k < H; k++) {
          let hk = hprev[b * H + k];
          let w = w0 + k * 4u * H + j;
          si = fma(hk, WT[w], si);
          sf = fma(hk, WT[w + H], sf);
          sg = fma(hk, WT[w + 2u * H], sg);
          so = fma(hk, WT[w + 3u * H], so);
        }
      }
      let gi = sigmoid(si);
      let gf = sigmoid(sf);
      let gg = tanh_(sg);
      let go = sigmoid(so);
      var cc = gi * gg;
      if (t > 0u) { cc += gf * c[r]; }
      let tc = tanh_(cc);
      G[g0] = gi; G[g0 + H] = gf; G[g0 + 2u * H] = gg; G[g0 + 3u * H] = go;
      Cs[o] = cc;
      TCs[o] = tc;
      Hs[o] = go * tc;
      c[r] = cc;
      h[r] = go * tc;
    }
    workgroupBarrier();
    for (var r = 0u; r < ${PAIRS}u; r++) {
      let e = lid.x + 256u * r;
      if (e < p.SB * H) { hprev[e] = h[r]; }
    }
    workgroupBarrier();
  }
}
`;

const RECUR_BACKWARD_WGSL = /* wgsl */ `
// Backward through time of one direction z = workgroup y over sentences b0 … b0 + SB − 1, t = T−1 … 0:
// for running pairs (b < active[t]) of row m = t·B + b, from the activated gates in G,
//   dh = dH[z][m] + dhn (dhn = dgates_{t+1}[b] · W_hh, column j; 0 at the last step or a finished next row)
//   dc = dcn + dh·o·(1 − tanh²c); dcn = dc·f
//   dgates i: dc·g·i(1−i) · f: dc·c_{t−1}·f(1−f) · g: dc·i·(1−g²) · o: dh·tanh c·o(1−o), written over G;
// finished rows get dgates 0 (lstm_backward of assembly/train/lstm.ts, with its gemm folded in).
struct P { B: u32, T: u32, H: u32, M: u32, SB: u32, _0: u32, _1: u32, _2: u32, off0: u32, off1: u32, _3: u32, _4: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;     // [2, M, 4H]
@group(0) @binding(2) var<storage, read> Cs: array<f32>;          // [2, M, H]
@group(0) @binding(3) var<storage, read> TCs: array<f32>;         // [2, M, H]
@group(0) @binding(4) var<storage, read> dH: array<f32>;          // [2, M, H]
@group(0) @binding(5) var<storage, read> W: array<f32>;           // flat parameters: W_hh[z] [4H, H] at off_z
@group(0) @binding(6) var<storage, read> running: array<i32>;     // [T] active[t]
var<workgroup> dgn: array<f32, ${SHARED}>;                        // [SB, 4H] dgates of step t + 1

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let z = wg.y;
  let b0 = wg.x * p.SB;
  let H = p.H;
  let H4 = 4u * H;
  let w0 = select(p.off0, p.off1, z == 1u);
  var dcn: array<f32, ${PAIRS}>;
  var dg: array<vec4f, ${PAIRS}>;
  for (var e = lid.x; e < p.SB * H4; e += 256u) { dgn[e] = 0.0; }
  workgroupBarrier();
  for (var s = 0u; s < p.T; s++) {
    let t = p.T - 1u - s;
    let n = u32(running[t]);
    for (var r = 0u; r < ${PAIRS}u; r++) {
      let e = lid.x + 256u * r;
      let b = e / H;
      let j = e % H;
      dg[r] = vec4f(0.0);
      if (b >= p.SB || b0 + b >= p.B) { continue; }
      let row = z * p.M + t * p.B + b0 + b;
      let g0 = row * H4 + j;
      if (b0 + b >= n) {
        G[g0] = 0.0; G[g0 + H] = 0.0; G[g0 + 2u * H] = 0.0; G[g0 + 3u * H] = 0.0;
        continue;
      }
      let o = row * H + j;
      var dhn = 0.0;
      for (var q = 0u; q < H4; q++) { dhn = fma(dgn[b * H4 + q], W[w0 + q * H + j], dhn); }
      let gi = G[g0];
      let gf = G[g0 + H];
      let gg = G[g0 + 2u * H];
      let go = G[g0 + 3u * H];
      let tc = TCs[o];
      var cp = 0.0;
      if (t > 0u) { cp = Cs[o - p.B * H]; }
      let dh = dH[o] + dhn;
      let dc = dcn[r] + dh * go * (1.0 - tc * tc);
      dcn[r] = dc * gf;
      dg[r] = vec4f(dc * gg * gi * (1.0 - gi), dc * cp * gf * (1.0 - gf), dc * gi * (1.0 - gg * gg), dh * tc * go * (1.0 - go));
      G[g0] = dg[r].x; G[g0 + H] = dg[r].y; G[g0 + 2u * H] = dg[r].z; G[g0 + 3u * H] = dg[r].w;
    }
    workgroupBarrier();
    for (var r = 0u; r < ${PAIRS}u; r++) {
      let e = lid.x + 256u * r;
      if (e < p.SB * H) {
        let b = e / H;
        let j = e % H;
        dgn[b * H4 + j] = dg[r].x; dgn[b * H4 + H + j] = dg[r].y; dgn[b * H4 + 2u * H + j] = dg[r].z; dgn[b * H4 + 3u * H + j] = dg[r].w;
      }
    }
    workgroupBarrier();
  }
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
    WT: 2 * H * 4 * H,
    dX: M * inDim,
    dXr: M * inDim,
  };
}

export class LstmLayer {
  private readonly transpose: GPUComputePipeline;
  private readonly recurForward: GPUComputePipeline;
  private readonly recurBackward: GPUComputePipeline;

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
    if (H > MAX_UNITS) throw new Error(`LstmLayer: at most ${MAX_UNITS} units per direction, got ${H}`);
    this.transpose = ctx.pipeline('lstm-whh-transpose', TRANSPOSE_WGSL);
    this.recurForward = ctx.pipeline('lstm-forward', RECUR_FORWARD_WGSL);
    this.recurBackward = ctx.pipeline('lstm-backward', RECUR_BACKWARD_WGSL);
  }

  /** Xb ← reverse(Xf); G ← bias + X·W_ihᵀ per direction; then the recurrence step by step. */
  encodeForward(enc: GPUCommandEncoder, batch: LstmBatch, buf: LstmForwardBuffers): void {
    const { B, T, lengths } = batch;
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
    // WT [2, H, 4H] = W_hhᵀ per direction, then the whole recurrence in one dispatch
    this.ctx.dispatch(
      enc,
      this.transpose,
      [this.ctx.params([H, slots.whh[0], slots.whh[1], 0]), buf.params, buf.WT],
      grid256(2 * G4 * H),
    );
    const SB = sentencesPerGroup(H);
    this.ctx.dispatch(
      enc,
      this.recurForward,
      [this.ctx.params([B, T, H, M, SB, 0, 0, 0]), buf.G, buf.Hs, buf.Cs, buf.TCs, buf.WT, batch.active],
      [Math.ceil(B / SB), 2],
    );
  }

  /**
   * Backward through time from dH (filled by the caller), then the weight gradients (added to grads) and
   * dX = dG_fw·W_ih,fw + reverse(dG_bw·W_ih,bw).
   */
  encodeBackward(enc: GPUCommandEncoder, batch: LstmBatch, buf: LstmBackwardBuffers): void {
    const { B, T, lengths } = batch;
    const { inDim, H, slots } = this;
    const M = B * T;
    const G4 = 4 * H;
    const SB = sentencesPerGroup(H);
    this.ctx.dispatch(
      enc,
      this.recurBackward,
      [
        this.ctx.params([B, T, H, M, SB, 0, 0, 0, slots.whh[0], slots.whh[1], 0, 0]),
        buf.G,
        buf.Cs,
        buf.TCs,
        buf.dH,
        buf.params,
        batch.active,
      ],
      [Math.ceil(B / SB), 2],
    );
    const whhZ = slots.whh[1] - slots.whh[0];
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
