/**
 * Tiled f32 matrix product on WebGPU, the GPU twin of assembly/train/gemm.ts, and the column sum used for bias
 * gradients. Every operand is a strided view into a flat storage buffer (offsets and strides in floats), so one
 * shader serves the three products of training without transposing anything:
 *
 *   C[i, j] (=, +=, = bias[j] +) Σ_p A(i, p) · B(p, j)        i < M, j < N, p < K
 *   A(i, p) = A[offA + i·rsA + p·csA]    B(p, j) = B[offB + p·rsB + j·csB]    C[i, j] = C[offC + i·ldc + j]
 *
 *   Y = X · Wᵀ + b  → A = X (rsA = ldX, csA = 1), B(p, j) = W[j, p] (rsB = 1, csB = ldW), mode 'bias'
 *   dX = dY · W     → A = dY (rsA = ldDY, csA = 1), B = W (rsB = ldW, csB = 1)
 *   dW += dYᵀ · X   → A(i, p) = dY[p, i] (rsA = 1, csA = ldDY), B = X (rsB = ldX, csB = 1), mode 'add'
 *
 * `batch` > 1 runs several independent products in one dispatch (workgroup z = problem index; each operand's
 * offset advances by its z stride, which may be negative): the forward and backward LSTM directions of a layer
 * run together this way. A and B may be the same buffer; C must be a different one (WebGPU forbids a buffer bound
 * writable and read-only in one dispatch).
 *
 * Tiling: a workgroup of 16×16 threads computes a 64×64 tile of C, each thread 4×4 outputs (rows ty + 16r, columns
 * tx + 16c), walking K in slices of 16 staged in workgroup memory (2 × 16×64 floats = 8 KiB).
 */

import type { GpuContext } from './context.js';

export type MatmulMode = 'set' | 'add' | 'bias';

/** A strided operand: element (r, c) at buffer[offset + r·rowStride + c·colStride] (floats). */
export interface MatView {
  buffer: GPUBuffer;
  offset?: number;
  rowStride: number;
  colStride: number;
  /** how far (floats) the view moves for the next problem of a batch; default 0 */
  zStride?: number;
}

export interface MatmulSpec {
  M: number;
  N: number;
  K: number;
  A: MatView;
  B: MatView;
  /** C rows are contiguous: rowStride is ldc, colStride must be 1 */
  C: MatView;
  mode: MatmulMode;
  /** mode 'bias': bias[offset + zStride·z + j] added to every row */
  bias?: { buffer: GPUBuffer; offset?: number; zStride?: number };
  /** independent problems in one dispatch (default 1) */
  batch?: number;
}

const MODES: Record<MatmulMode, number> = { set: 0, add: 1, bias: 2 };
const TILE = 64;

const MATMUL_WGSL = /* wgsl */ `
struct P {
  M: u32, N: u32, K: u32, mode: u32,            // mode 0: C = AB · 1: C += AB · 2: C = bias + AB
  offA: i32, rsA: i32, csA: i32, zA: i32,
  offB: i32, rsB: i32, csB: i32, zB: i32,
  offC: i32, ldc: i32, zC: i32, offBias: i32,
  zBias: i32, _0: u32, _1: u32, _2: u32,
}
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

var<workgroup> As: array<f32, 1024>;   // [16 (k), 64 (i)]
var<workgroup> Bs: array<f32, 1024>;   // [16 (k), 64 (j)]

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let z = i32(wg.z);
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  let tid = lid.y * 16u + lid.x;
  let baseA = p.offA + z * p.zA;
  let baseB = p.offB + z * p.zB;
  var acc: array<f32, 16>;                       // [4 (r), 4 (c)] outputs (row0 + ty + 16r, col0 + tx + 16c)
  for (var q = 0u; q < 16u; q++) { acc[q] = 0.0; }
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    // stage A[row0 .. +64, k0 .. +16] and B[k0 .. +16, col0 .. +64]; 4 elements each per thread, zero outside
    for (var q = 0u; q < 4u; q++) {
      let e = tid + 256u * q;
      var ak = e % 16u; var ai = e / 16u;        // consecutive threads walk k: contiguous when csA = 1 …
      if (p.rsA == 1 && p.csA != 1) { ai = e % 64u; ak = e / 64u; }   // … or i when A is stored transposed
      let gi = row0 + ai; let gk = k0 + ak;
      var a = 0.0;
      if (gi < p.M && gk < p.K) { a = A[baseA + i32(gi) * p.rsA + i32(gk) * p.csA]; }
      As[ak * 64u + ai] = a;
      var bj = e % 64u; var bk = e / 64u;        // consecutive threads walk j: contiguous when csB = 1 …
      if (p.csB != 1 && p.rsB == 1) { bk = e % 16u; bj = e / 16u; }   // … or k when B is stored transposed
      let gj = col0 + bj; let gk2 = k0 + bk;
      var b = 0.0;
      if (gj < p.N && gk2 < p.K) { b = B[baseB + i32(gk2) * p.rsB + i32(gj) * p.csB]; }
      Bs[bk * 64u + bj] = b;
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var r = 0u; r < 4u; r++) { av[r] = As[k * 64u + lid.y + 16u * r]; }
      for (var c = 0u; c < 4u; c++) { bv[c] = Bs[k * 64u + lid.x + 16u * c]; }
      for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) { acc[r * 4u + c] = fma(av[r], bv[c], acc[r * 4u + c]); }
      }
    }
    workgroupBarrier();
  }
  let baseC = p.offC + z * p.zC;
  for (var r = 0u; r < 4u; r++) {
    let i = row0 + lid.y + 16u * r;
    if (i >= p.M) { continue; }
    for (var c = 0u; c < 4u; c++) {
      let j = col0 + lid.x + 16u * c;
      if (j >= p.N) { continue; }
      let at = baseC + i32(i) * p.ldc + i32(j);
      var v = acc[r * 4u + c];
      if (p.mode == 1u) { v += C[at]; }
      if (p.mode == 2u) { v += bias[p.offBias + z * p.zBias + i32(j)]; }
      C[at] = v;
    }
  }
}
`;

const COLSUM_WGSL = /* wgsl */ `
// dst[offD + zD·z + j] += Σ_{m < M} src[offS + zS·z + m·ld + j]     j < N
// A workgroup sums 64 columns: 4 slices of rows (m ≡ s mod 4), then adds the slices in workgroup memory.
struct P { M: u32, N: u32, ld: u32, _0: u32, offS: i32, zS: i32, offD: i32, zD: i32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
var<workgroup> part: array<f32, 256>;   // [4 (slice), 64 (column)]

@compute @workgroup_size(64, 4)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let z = i32(wg.z);
  let j = wg.x * 64u + lid.x;
  var s = 0.0;
  if (j < p.N) {
    for (var m = lid.y; m < p.M; m += 4u) { s += src[p.offS + z * p.zS + i32(m * p.ld + j)]; }
  }
  part[lid.y * 64u + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && j < p.N) {
    let at = p.offD + z * p.zD + i32(j);
    dst[at] += part[lid.x] + part[64u + lid.x] + part[128u + lid.x] + part[192u + lid.x];
  }
}
`;

function whole(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`matmul: expected ${what} to be an integer ≥ 0, got ${n}`);
  return n;
}

export class Matmul {
  private readonly gemm: GPUComputePipeline;
  private readonly colsum: GPUComputePipeline;

  constructor(private readonly ctx: GpuContext) {
    this.gemm = ctx.pipeline('matmul', MATMUL_WGSL);
    this.colsum = ctx.pipeline('colsum', COLSUM_WGSL);
  }

  /** C (=, +=, = bias +) A·B, see the file comment. */
  encode(target: GPUCommandEncoder | GPUComputePassEncoder, s: MatmulSpec): void {
    const M = whole(s.M, 'M');
    const N = whole(s.N, 'N');
    const K = whole(s.K, 'K');
    const batch = whole(s.batch ?? 1, 'batch');
    if (s.C.colStride !== 1) throw new Error(`matmul: C must have contiguous rows (colStride 1), got ${s.C.colStride}`);
    if (s.C.buffer === s.A.buffer || s.C.buffer === s.B.buffer)
      throw new Error(`matmul: C (${s.C.buffer.label}) must not be an input buffer`);
    if (s.mode === 'bias' && !s.bias) throw new Error("matmul: mode 'bias' needs a bias");
    if (M === 0 || N === 0 || batch === 0) return;
    const a = s.A;
    const b = s.B;
    const c = s.C;
    // prettier-ignore
    const words = [
      M, N, K, MODES[s.mode],
      a.offset ?? 0, a.rowStride, a.colStride, a.zStride ?? 0,
      b.offset ?? 0, b.rowStride, b.colStride, b.zStride ?? 0,
      c.offset ?? 0, c.rowStride, c.zStride ?? 0, s.bias?.offset ?? 0,
      s.bias?.zStride ?? 0, 0, 0, 0,
    ];
    const biasBuf = s.bias?.buffer ?? a.buffer;
    this.ctx.dispatch(
      target,
      this.gemm,
      [this.ctx.params(words), a.buffer, b.buffer, c.buffer, biasBuf],
      [Math.ceil(N / TILE), Math.ceil(M / TILE), batch],
    );
  }

  /**
   * dst[j] += Σ_{m < M} src[m, j] (j < N) for `batch` problems: src rows at src.offset + m·ld (+ z·src.zStride),
   * dst at dst.offset (+ z·dst.zStride). The bias gradient of a dense or LSTM layer.
   */
  encodeColSum(
    target: GPUCommandEncoder | GPUComputePassEncoder,
    s: {
      M: number;
      N: number;
      ld: number;
      src: { buffer: GPUBuffer; offset?: number; zStride?: number };
      dst: { buffer: GPUBuffer; offset?: number; zStride?: number };
      batch?: number;
    },
  ): void {
    const M = whole(s.M, 'M');
    const N = whole(s.N, 'N');
    const batch = whole(s.batch ?? 1, 'batch');
    if (s.src.buffer === s.dst.buffer)
      throw new Error(`colsum: dst (${s.dst.buffer.label}) must not be the source buffer`);
    if (M === 0 || N === 0 || batch === 0) return;
    const words = [M, N, s.ld, 0, s.src.offset ?? 0, s.src.zStride ?? 0, s.dst.offset ?? 0, s.dst.zStride ?? 0];
    this.ctx.dispatch(
      target,
      this.colsum,
      [this.ctx.params(words), s.src.buffer, s.dst.buffer],
      [Math.ceil(N / 64), 1, batch],
    );
  }
}
