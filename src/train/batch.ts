/**
 * Training examples and their lockstep-batch form. A batch is time-major (row t·B + b) with its sentences
 * sorted longest first, so the sentences still running at step t are the prefix b < active[t].
 */

import { LEX_POSITIONS } from '../features/lexicon.js';
import { type Architecture, bigramSize, lexiconSize } from '../model/layout.js';

/** One training sentence as ids, all of length T (one entry per character). */
export interface Sentence {
  charIds: Int32Array;
  wordIds: Int32Array;
  tagIds: Int32Array;
  /** [T] bigram ids; required when the architecture has a bigram channel */
  bigramIds?: Int32Array;
  /** [T × lexTypes] lexicon ids (src/features/lexicon.ts); required when the architecture has a lexicon channel */
  lexIds?: Int32Array;
}

export interface PreparedBatch {
  /** sentences in the batch */
  B: number;
  /** longest length */
  T: number;
  /** characters in the batch (Σ lengths) */
  chars: number;
  /** order[b] = index in the caller's list of the sentence in lockstep slot b */
  order: Int32Array;
  /** [B] lengths, non-increasing */
  lengths: Int32Array;
  /** [T] sentences running at step t */
  active: Int32Array;
  /** [B] stable per-sentence keys (dropout masks are a function of the key) */
  keys: Int32Array;
  /** [T·B] time-major ids; 0 past a sentence's end */
  charIds: Int32Array;
  wordIds: Int32Array;
  tagIds: Int32Array;
  /** [T·B] time-major bigram ids; only with a bigram channel */
  bigramIds?: Int32Array;
  /** [T·B·lexTypes] time-major lexicon ids (row t·B + b holds lexTypes ids); only with a lexicon channel */
  lexIds?: Int32Array;
}

/** Throws unless `s` is a sentence of consistent, in-range ids for `arch`. */
export function validateSentence(s: Sentence, arch: Architecture, index = 0): void {
  const what = `sentence ${index}`;
  if (!(s.charIds instanceof Int32Array) || !(s.wordIds instanceof Int32Array) || !(s.tagIds instanceof Int32Array)) {
    throw new Error(`${what}: charIds, wordIds and tagIds must be Int32Arrays`);
  }
  const T = s.charIds.length;
  if (T === 0) throw new Error(`${what}: empty (length 0)`);
  if (s.wordIds.length !== T || s.tagIds.length !== T) {
    throw new Error(`${what}: lengths differ (charIds ${T}, wordIds ${s.wordIds.length}, tagIds ${s.tagIds.length})`);
  }
  for (let t = 0; t < T; t++) {
    if (arch.charDim > 0 && !(s.charIds[t] >= 0 && s.charIds[t] < arch.charVocab)) {
      throw new Error(`${what}: charIds[${t}] = ${s.charIds[t]} outside [0, ${arch.charVocab})`);
    }
    if (arch.wordDim > 0 && !(s.wordIds[t] >= 0 && s.wordIds[t] < arch.wordVocab)) {
      throw new Error(`${what}: wordIds[${t}] = ${s.wordIds[t]} outside [0, ${arch.wordVocab})`);
    }
    if (!(s.tagIds[t] >= 0 && s.tagIds[t] < arch.tags)) throw new Error(`${what}: tagIds[${t}] = ${s.tagIds[t]} outside [0, ${arch.tags})`);
  }
  if (bigramSize(arch) > 0) {
    if (!(s.bigramIds instanceof Int32Array)) throw new Error(`${what}: the architecture has a bigram channel: bigramIds must be an Int32Array [T]`);
    if (s.bigramIds.length !== T) throw new Error(`${what}: bigramIds has ${s.bigramIds.length} ids, expected ${T}`);
    for (let t = 0; t < T; t++) {
      if (!(s.bigramIds[t] >= 0 && s.bigramIds[t] < arch.bigramVocab!)) throw new Error(`${what}: bigramIds[${t}] = ${s.bigramIds[t]} outside [0, ${arch.bigramVocab})`);
    }
  }
  if (lexiconSize(arch) > 0) {
    const L = arch.lexTypes!;
    if (!(s.lexIds instanceof Int32Array)) throw new Error(`${what}: the architecture has a lexicon channel: lexIds must be an Int32Array [T × ${L}]`);
    if (s.lexIds.length !== T * L) throw new Error(`${what}: lexIds has ${s.lexIds.length} ids, expected ${T} × ${L}`);
    for (let i = 0; i < s.lexIds.length; i++) {
      // id of (t, k) = LEX_POSITIONS·k + position: row i = t·L + k must name a row of type k's block
      const lo = LEX_POSITIONS * (i % L);
      if (!(s.lexIds[i] >= lo && s.lexIds[i] < lo + LEX_POSITIONS)) {
        throw new Error(`${what}: lexIds[${i}] = ${s.lexIds[i]} is not an id of lexicon type ${i % L} (expected [${lo}, ${lo + LEX_POSITIONS}))`);
      }
    }
  }
}

/**
 * Lays `sentences` out as a lockstep batch. keys[i] (default: i) identifies sentence i for its dropout mask;
 * pass global indices so the masks do not depend on how a mini-batch is split between workers.
 */
export function prepareBatch(sentences: Sentence[], arch: Architecture, keys?: ArrayLike<number>): PreparedBatch {
  const B = sentences.length;
  if (B === 0) throw new Error('prepareBatch: expected at least one sentence, got 0');
  if (keys && keys.length !== B) throw new Error(`prepareBatch: expected ${B} keys, got ${keys.length}`);
  sentences.forEach((s, i) => validateSentence(s, arch, i));
  const order = Int32Array.from(sentences.keys()).sort((x, y) => sentences[y].charIds.length - sentences[x].charIds.length || x - y);
  const lengths = Int32Array.from(order, (i) => sentences[i].charIds.length); // [B]
  const T = lengths[0];
  const active = new Int32Array(T); // [T]
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) active[t]++;
  // [T·B·width] time-major: row t·B + b holds sentence order[b]'s ids of step t (zeros past its end)
  const timeMajor = (field: (s: Sentence) => Int32Array, width = 1): Int32Array => {
    const out = new Int32Array(T * B * width);
    for (let b = 0; b < B; b++) {
      const src = field(sentences[order[b]]);
      for (let t = 0; t < lengths[b]; t++) {
        for (let j = 0; j < width; j++) out[(t * B + b) * width + j] = src[t * width + j];
      }
    }
    return out;
  };
  let chars = 0;
  for (let b = 0; b < B; b++) chars += lengths[b];
  const keyArr = Int32Array.from(order, (i) => (keys ? keys[i] : i) | 0);
  const batch: PreparedBatch = {
    B, T, chars, order, lengths, active, keys: keyArr,
    charIds: timeMajor((s) => s.charIds), wordIds: timeMajor((s) => s.wordIds), tagIds: timeMajor((s) => s.tagIds),
  };
  if (bigramSize(arch) > 0) batch.bigramIds = timeMajor((s) => s.bigramIds!);
  if (lexiconSize(arch) > 0) batch.lexIds = timeMajor((s) => s.lexIds!, arch.lexTypes!); // [T·B, L]
  return batch;
}
