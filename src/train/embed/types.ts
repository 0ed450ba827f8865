/** Pre-trained token embeddings: row r of `vectors` (dim floats) belongs to vocab[r]. */
export interface Embeddings {
  /** tokens, most frequent first */
  vocab: string[];
  /** corpus count of each token (0 when read from a file, which does not store counts) */
  counts: number[];
  /** f32[V × dim], row-major */
  vectors: Float32Array;
  dim: number;
}

export interface EmbedProgress {
  method: 'word2vec' | 'glove';
  /** iterations finished by the slowest thread (0 … iterations) */
  iteration: number;
  iterations: number;
  /** fraction of the whole run done, 0 … 1 */
  fraction: number;
  /** word2vec: corpus tokens read so far, all threads; glove: co-occurrence records visited */
  processed: number;
  elapsedMs: number;
  /** glove: mean weighted cost of the last finished iteration; word2vec: learning rate now */
  value: number;
}

export interface CommonEmbedOptions {
  /** vector size (default 50, the paper's) */
  dim?: number;
  /** context window on each side (default 4) */
  window?: number;
  /** passes over the corpus (default 100) */
  iterations?: number;
  /** tokens seen fewer times are dropped from the vocabulary (default 5, as in word2vec) */
  minCount?: number;
  /** random seed (default 1); single-thread runs are bit-for-bit deterministic given it */
  seed?: number;
  /** worker threads (default 1); more than 1 trains Hogwild-style on a shared memory, not deterministic */
  threads?: number;
  /** build/embed.wasm bytes or its path (default: found above this file) */
  kernel?: Uint8Array | string;
  onProgress?: (p: EmbedProgress) => void;
}

export interface Word2VecOptions extends CommonEmbedOptions {
  /** negative samples per context pair (default 5) */
  negative?: number;
  /** subsampling threshold of frequent tokens (default 1e-3; 0 disables) */
  sample?: number;
  /** starting learning rate, decayed linearly to alpha·1e-4 (default 0.025) */
  alpha?: number;
}

export interface GloVeOptions extends CommonEmbedOptions {
  /** weighting cut-off (default 100) */
  xMax?: number;
  /** weighting exponent (default 0.75) */
  alpha?: number;
  /** AdaGrad initial learning rate (default 0.05) */
  eta?: number;
}
