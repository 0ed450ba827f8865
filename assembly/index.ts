/**
 * Inference kernels of the BiLSTM-CRF (build/kernels.wasm). Built with --enable simd --runtime stub
 * --use abort= : the module has ZERO imports (`new WebAssembly.Instance(mod, {})`) and exports `memory`.
 *
 * ABI — every pointer is a byte offset into `memory` (i32 in the wasm signature; read it in JS with `>>> 0`).
 * Matrices are row-major; "ld" = row stride in ELEMENTS. Weights follow src/model/layout.ts, re-laid by the
 * TS wrapper (src/model/network.ts) once at load time:
 *   - every K dimension (the length of a row that is dotted) is zero-padded to a multiple of 8, and matrices
 *     used in products are packed in panels of 4 rows (matmul.ts);
 *   - LSTM units are padded to Hp = roundUp(H, 8); gate q ∈ {i, f, g, o} of unit j is row q·Hp + j of
 *     W_ih / W_hh / bias (padded rows zero); a layer's output row is [h_fw (Hp) | h_bw (Hp)], so the next
 *     layer's (and dense's) input columns [0,H) ↦ [0,H) and [H,2H) ↦ [Hp, Hp+H);
 *   - int8 matrices keep their per-row f32 scales ([rows], padded rows scale 0).
 *
 * Memory (memory.ts)
 *   alloc(bytes) → ptr          16-byte aligned bump allocation, NOT zeroed; 0 when memory cannot grow.
 *                               May grow memory: JS views of memory.buffer are detached afterwards.
 *   mark() → m, reset(m)        free everything allocated after mark() (stack discipline)
 *   zero(ptr, bytes)
 *
 * Embeddings (gather.ts)       out f32 [R × ldo]
 *   embed_f32(out, ldo, col, ids, R, table, dim)           out[r, col+d] = table[ids[r], d]   table f32 [V × dim]
 *   embed_i8(out, ldo, col, ids, R, table, scales, dim)    … = table[id, d] · scales[id]       table i8  [V × dim]
 *   zero_cols(out, ldo, R, c0, c1)                         out[r, c0..c1) = 0
 *   add_rows(out, ldo, R, ptrs, groups, off, n, init)      out[r, 0..n) = init[0..n) (or 0) + Σ_g the f32 row at byte
 *                                                            address ptrs[g·R + r] + off (ptrs i32 [groups × R];
 *                                                            n % 4 == 0; the folded layer-0 input, one pass over out)
 *
 * Matrix products (matmul.ts)  Y[M × N] = X[M × K] · W[N × K]ᵀ + bias[N] (bias 0 = none), K % 8 == 0
 *   W is PACKED in panels of 4 rows (layout in matmul.ts; packPanelsF32 / packPanelsI8 in src/model/kernels.ts);
 *   bias and ws must have ⌈N/4⌉·4 readable floats (zero padded).
 *   matmul_f32(Y, ldy, X, ldx, P, bias, M, N, K)
 *   matmul_q8(Y, ldy, Xq, ldx, xs, P, ws, bias, M, N, K)              Xq i16 with row scales xs[M],
 *                                                                       W i8 with row scales ws
 *   quantize_rows(Xq, ldq, xs, X, ldx, M, K, Kp)                       X f32 → Xq i16, xs[m] = max|X[m,:]| / q_max(Kp)
 *   q_max(K) → largest |q| with K·127·|q| < 2^31 (32767 for K ≤ 516)
 *
 * LSTM (lstm.ts) — one direction over a lockstep batch; see the row layout there
 *   lstm_work_bytes(B, Hp) → bytes
 *   lstm_dir(G, Y, ldy, yoff, Hp, Whh, whhScale, rowStart, lens, B, T, reverse, work)
 *       G f32 [R × 4Hp] (input projection incl. bias), rowStart i32 [T+1], lens i32 [B] (descending),
 *       Whh packed [4Hp × Hp]: f32 (whhScale 0) or i8 with f32 row scales at whhScale; h → Y[row, yoff..+Hp)
 *
 * CRF (crf.ts) — one sentence, em f32 [T × K], trans f32 [K × K], start/end f32 [K]; computed in f64
 *   viterbi_work_bytes(T, K);  viterbi(em, T, K, trans, start, end, work, outPath i32 [T]) → score (f64)
 *   kbest_work_bytes(T, K, k);  kbest(em, T, K, trans, start, end, k, work, outPaths i32 [k × T],
 *                                     outScores f64 [k]) → n found (best first, distinct)
 *   log_softmax(em, T, K, out), softmax(em, T, K, out)       per-step, f32 [T × K]
 *   lattice_work_bytes(T, K);  lattice(em, T, K, et, ett, transMax, start, end, logSoftmax, alphaTo, betaFrom,
 *                                       out, work) → log Z (f64)
 *       the scaled forward–backward lattice for the entity scores (host reference: src/model/crf.ts);
 *       et / ett f64 [K4 × K4] exp(trans − transMax) zero-padded (K4 = ⌈K/4⌉·4) and its transpose, start/end f64 [K];
 *       out f64 aHat [T × K] | bHat [T × K] | aLog [T] | bLog [T] (| log-softmax potentials [T × K] if logSoftmax)
 *   exp_f64(x) → the f64 exp of these kernels (AssemblyScript's Math.exp, ≤ 0.52 ulp), exported for its test
 *
 * No kernel validates its arguments: the TS wrapper checks shapes and ids before every call.
 */
export { alloc, mark, reset, zero } from './memory';
export { embed_f32, embed_i8, zero_cols, add_rows } from './gather';
export { matmul_f32, matmul_q8, quantize_rows, q_max } from './matmul';
export { lstm_dir, lstm_work_bytes } from './lstm';
export {
  viterbi, viterbi_work_bytes, kbest, kbest_work_bytes, log_softmax, softmax, lattice, lattice_work_bytes, exp_f64,
} from './crf';

/** ABI version of this module; bumped whenever a signature above changes (3: marginals dropped; 4: lattice, exp_f64; 5: add_rows). */
export function abi_version(): i32 {
  return 5;
}
