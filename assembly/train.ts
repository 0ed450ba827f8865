// Training kernels → build/train.wasm (zero imports; built by scripts/build-kernels.mjs).
// Pure functions over byte addresses in this module's memory: the host (src/train/) lays out parameters,
// gradients, optimiser state and per-batch workspace above heap_base() and grows the memory itself.

export { gemm, transpose, rows_set, col_sum } from './train/gemm';
export { lstm_forward, lstm_backward } from './train/lstm';
export { embed_gather, embed_scatter, seq_copy, dropout_mask, vadd, vmul, vscale, zero, sumsq, adam } from './train/ops';
export { crf_work_size, crf_nll, softmax_xent, viterbi_work_size, viterbi, argmax_rows } from './train/crf';
export { exp1 } from './train/vmath';

/** First free byte above the module's static data; the host allocates from here. */
export function heap_base(): usize {
  return (__heap_base + 15) & ~15;
}
