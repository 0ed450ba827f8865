/**
 * Linear-chain CRF negative log-likelihood and its gradient on the GPU: the semantics of `crf_nll`
 * (assembly/train/crf.ts), computed in log space in f32 (the wasm kernel runs a scaled forward–backward in f64).
 *
 * Shapes (M = T·B rows, time-major: row t·B + b):
 *   E [M, K] emissions · tags i32 [M] gold tag ids · lengths i32 [B] (0 ≤ L ≤ T)
 *   theta: the flat parameter vector, holding start [K], end [K], trans [K, K] (trans[i, j] = score of i → j)
 *   at the float offsets given to the constructor; grads: the flat gradient vector, same layout
 *   dE [M, K] ← posterior − gold indicator (zero past each end), written
 *   grads' start / end / trans += Σ over sentences of their gradients
 *   loss[lossIndex] ← Σ_b −log p(tags_b | E_b)
 *
 * Two passes. `nll`: one workgroup per sentence, one thread per tag (K ≤ 64); the forward variables
 * α[t, k] (log Σ over the paths ending in k at t) and the backward ones β[t, k], each step normalised in log
 * space so that long sentences lose no precision in f32, go to a scratch buffer with the normalisers; the
 * sentence's gradients of start / end / trans and its loss go to its row of `part` [B, P] (P = K² + 2K + 1).
 * `sum`: one thread per column of `part` adds Σ_b part[b, ·] to the gradients and writes the loss — a
 * deterministic reduction (no atomics), so the same inputs give the same bits.
 */

import type { GpuContext } from './context.js';
import { GROUP } from './reduce.js';

/** Most tags the CRF shader handles (one thread per tag in a workgroup of 64). */
export const CRF_MAX_TAGS = 64;

const WGSL = /* wgsl */ `
struct Params {
  B: u32, T: u32, K: u32,
  start: u32, end: u32, trans: u32,  // float offsets of start [K], end [K], trans [K, K] in theta and grads
  lossIndex: u32, pad: u32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> E: array<f32>;          // [T·B, K]
@group(0) @binding(2) var<storage, read> tags: array<i32>;       // [T·B]
@group(0) @binding(3) var<storage, read> lengths: array<i32>;    // [B]
@group(0) @binding(4) var<storage, read> theta: array<f32>;      // flat parameters
@group(0) @binding(5) var<storage, read_write> dE: array<f32>;   // [T·B, K]
@group(0) @binding(6) var<storage, read_write> work: array<f32>; // per sentence α [T, K] β [T, K] S [T] d [T]; part [B, P]

const NEG = -3.0e38;

var<workgroup> raw: array<f32, 64>;   // [K] this step's unnormalised variables
var<workgroup> row: array<f32, 64>;   // [K] the previous step's α (forward) or E + β (backward)
var<workgroup> logZ: f32;

// log Σ_i exp(theta[trans + i·si + j·sj] + row[i]), i < K: the transition from / into tag j
fn lse_trans(j: u32, si: u32, sj: u32) -> f32 {
  let K = u.K;
  var mx = NEG;
  for (var i = 0u; i < K; i++) { mx = max(mx, theta[u.trans + i * si + j * sj] + row[i]); }
  var s = 0.0;
  for (var i = 0u; i < K; i++) { s += exp(theta[u.trans + i * si + j * sj] + row[i] - mx); }
  return mx + log(s);
}

// log Σ_k exp(raw[k]), k < K (every thread computes the same value)
fn lse_raw() -> f32 {
  var mx = NEG;
  for (var k = 0u; k < u.K; k++) { mx = max(mx, raw[k]); }
  var s = 0.0;
  for (var k = 0u; k < u.K; k++) { s += exp(raw[k] - mx); }
  return mx + log(s);
}

// Forward–backward in log space, each step normalised so the variables stay the size of one step's scores:
//   α[0, k] ∝ start[k] + E[0, k];  α[t, k] ∝ E[t, k] + log Σ_j exp(α[t-1, j] + trans[j, k]),
//   subtracting c_t = log Σ_k exp(·) each step, so log Z = Σ_t c_t + log Σ_k exp(α[L-1, k] + end[k]);
//   β[L-1, j] ∝ end[j];  β[t, j] ∝ log Σ_k exp(trans[j, k] + E[t+1, k] + β[t+1, k]), subtracting d_t.
// Then with S_t = log Σ_k exp(α[t, k] + β[t, k]):
//   P(y_t = k) = exp(α[t, k] + β[t, k] − S_t)
//   P(y_t = j, y_t+1 = k) = exp(α[t, j] + trans[j, k] + E[t+1, k] + β[t+1, k] − d_t − S_t)
@compute @workgroup_size(64)
fn nll(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = wid.x;
  let k = lid.x;                           // this thread's tag
  let B = u.B;
  let T = u.T;
  let K = u.K;
  let L = u32(clamp(lengths[b], 0, i32(T)));
  let alpha = b * (2u * T * K + 2u * T);   // α[t, k] at work[alpha + t·K + k]
  let beta = alpha + T * K;                // β[t, k]
  let S = beta + T * K;                    // S[t]
  let dn = S + T;                          // d[t]
  let P = K * K + 2u * K + 1u;
  let part = B * (2u * T * K + 2u * T) + b * P; // [K, K] trans | [K] start | [K] end | loss

  // forward
  var sumC = 0.0;
  for (var t = 0u; t < L; t++) {
    if (k < K) {
      let e = E[(t * B + b) * K + k];
      if (t == 0u) { raw[k] = theta[u.start + k] + e; } else { raw[k] = lse_trans(k, K, 1u) + e; }
    }
    workgroupBarrier();
    let c = lse_raw();
    sumC += c;
    if (k < K) {
      row[k] = raw[k] - c;
      work[alpha + t * K + k] = raw[k] - c;
    }
    workgroupBarrier();
  }

  // loss = log Z − score of the gold path (thread 0)
  if (k == 0u) {
    var loss = 0.0;
    if (L > 0u) {
      var mx = NEG;
      for (var j = 0u; j < K; j++) { mx = max(mx, row[j] + theta[u.end + j]); }
      var s = 0.0;
      for (var j = 0u; j < K; j++) { s += exp(row[j] + theta[u.end + j] - mx); }
      var prev = u32(tags[b]);
      var gold = theta[u.start + prev] + E[b * K + prev];
      for (var t = 1u; t < L; t++) {
        let y = u32(tags[t * B + b]);
        gold += theta[u.trans + prev * K + y] + E[(t * B + b) * K + y];
        prev = y;
      }
      gold += theta[u.end + prev];
      loss = sumC + mx + log(s) - gold;
    }
    work[part + P - 1u] = loss;
  }
  workgroupBarrier();

  // backward
  if (L > 0u) {
    if (k < K) { raw[k] = theta[u.end + k]; }
    workgroupBarrier();
    let c = lse_raw();
    if (k < K) {
      work[beta + (L - 1u) * K + k] = raw[k] - c;
      row[k] = E[((L - 1u) * B + b) * K + k] + raw[k] - c;
    }
    if (k == 0u) { work[dn + L - 1u] = c; }
    workgroupBarrier();
  }
  for (var s = 1u; s < L; s++) {
    let t = L - 1u - s;
    if (k < K) { raw[k] = lse_trans(k, 1u, K); }
    workgroupBarrier();
    let c = lse_raw();
    if (k < K) {
      work[beta + t * K + k] = raw[k] - c;
      row[k] = E[(t * B + b) * K + k] + raw[k] - c;
    }
    if (k == 0u) { work[dn + t] = c; }
    workgroupBarrier();
  }
  storageBarrier();

  // S_t, one step per thread
  for (var t = k; t < L; t += 64u) {
    var mx = NEG;
    for (var j = 0u; j < K; j++) { mx = max(mx, work[alpha + t * K + j] + work[beta + t * K + j]); }
    var s = 0.0;
    for (var j = 0u; j < K; j++) { s += exp(work[alpha + t * K + j] + work[beta + t * K + j] - mx); }
    work[S + t] = mx + log(s);
  }
  storageBarrier();

  if (k >= K) { return; }
  // dE[t, k] = P(y_t = k) − [k = gold_t]; the sentence's start / end gradients
  var gStart = 0.0;
  var gEnd = 0.0;
  for (var t = 0u; t < T; t++) {
    let r = (t * B + b) * K + k;
    if (t >= L) { dE[r] = 0.0; continue; }
    var g = exp(work[alpha + t * K + k] + work[beta + t * K + k] - work[S + t]);
    if (u32(tags[t * B + b]) == k) { g -= 1.0; }
    dE[r] = g;
    if (t == 0u) { gStart = g; }
    if (t == L - 1u) { gEnd = g; }
  }
  work[part + K * K + k] = gStart;
  work[part + K * K + K + k] = gEnd;
  // trans[j, k]: Σ_t P(y_t = j, y_t+1 = k) − [gold_t = j and gold_t+1 = k]
  for (var j = 0u; j < K; j++) {
    let tr = theta[u.trans + j * K + k];
    var g = 0.0;
    for (var t = 0u; t + 1u < L; t++) {
      let e1 = E[((t + 1u) * B + b) * K + k];
      let norm = work[dn + t] + work[S + t];
      var p = exp(work[alpha + t * K + j] + tr + e1 + work[beta + (t + 1u) * K + k] - norm);
      if (u32(tags[t * B + b]) == j && u32(tags[(t + 1u) * B + b]) == k) { p -= 1.0; }
      g += p;
    }
    work[part + j * K + k] = g;
  }
}
`;

const SUM = /* wgsl */ `
struct Params {
  B: u32, T: u32, K: u32,
  start: u32, end: u32, trans: u32,
  lossIndex: u32, pad: u32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> work: array<f32>;        // part [B, P] after the sentences' α, β, S, d
@group(0) @binding(2) var<storage, read_write> grads: array<f32>; // flat gradients
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

// column i of part: i < K² → trans, then start [K], end [K], then the loss
@compute @workgroup_size(${GROUP})
fn sum(@builtin(global_invocation_id) gid: vec3u) {
  let K = u.K;
  let P = K * K + 2u * K + 1u;
  let i = gid.x;
  if (i >= P) { return; }
  let part = u.B * (2u * u.T * K + 2u * u.T);
  var s = 0.0;
  for (var b = 0u; b < u.B; b++) { s += work[part + b * P + i]; }
  if (i < K * K) {
    grads[u.trans + i] += s;
  } else if (i < K * K + K) {
    grads[u.start + i - K * K] += s;
  } else if (i < K * K + 2u * K) {
    grads[u.end + i - K * K - K] += s;
  } else {
    loss[u.lossIndex] = s;
  }
}
`;

export interface CrfSlots {
  /** float offsets of crf.start [K], crf.end [K] and crf.trans [K, K] in the flat parameter and gradient vectors */
  start: number;
  end: number;
  trans: number;
}

export interface CrfInputs {
  /** emissions [T·B, K] */
  E: GPUBuffer;
  /** gold tag ids i32 [T·B] */
  tags: GPUBuffer;
  /** sentence lengths i32 [B], each ≤ T */
  lengths: GPUBuffer;
  /** flat parameters (read) and gradients (start / end / trans added to) */
  params: GPUBuffer;
  grads: GPUBuffer;
  /** ∂loss/∂E [T·B, K], written */
  dE: GPUBuffer;
  /** loss[lossIndex] ← Σ of the sentences' NLL */
  loss: GPUBuffer;
  lossIndex: number;
  B: number;
  T: number;
}

export class CrfNll {
  private work: GPUBuffer | null = null;

  constructor(
    private readonly ctx: GpuContext,
    readonly K: number,
    readonly slots: CrfSlots,
  ) {
    if (!(Number.isInteger(K) && K >= 1 && K <= CRF_MAX_TAGS))
      throw new Error(`CrfNll: expected 1 ≤ tags ≤ ${CRF_MAX_TAGS}, got ${K}`);
    for (const [name, v] of Object.entries(slots)) {
      if (!(Number.isInteger(v) && v >= 0))
        throw new Error(`CrfNll: expected a float offset ≥ 0 for ${name}, got ${v}`);
    }
  }

  /** Floats of scratch for B sentences of at most T steps: α, β [B, T, K], S, d [B, T], part [B, K² + 2K + 1]. */
  static workSize(B: number, T: number, K: number): number {
    return B * (2 * T * K + 2 * T) + B * (K * K + 2 * K + 1);
  }

  encode(encoder: GPUCommandEncoder, a: CrfInputs): void {
    const { B, T } = a;
    const K = this.K;
    if (!(Number.isInteger(B) && B >= 0 && Number.isInteger(T) && T >= 0))
      throw new Error(`CrfNll: expected B, T ≥ 0, got ${B}, ${T}`);
    const need = CrfNll.workSize(B, T, K);
    if (!this.work || this.work.size < 4 * need) this.work = this.ctx.f32('crf.work', need);
    const s = this.slots;
    const u = this.ctx.params([B, T, K, s.start, s.end, s.trans, a.lossIndex, 0]);
    const nll = this.ctx.pipeline('crf', WGSL, 'nll');
    this.ctx.dispatch(encoder, nll, [u, a.E, a.tags, a.lengths, a.params, a.dE, this.work], B);
    const sum = this.ctx.pipeline('crf-sum', SUM, 'sum');
    this.ctx.dispatch(encoder, sum, [u, this.work, a.grads, a.loss], Math.ceil((K * K + 2 * K + 1) / GROUP));
  }
}
