/** Tiny models and sentences shared by the training tests. */

import { LEX_POSITIONS } from '../../src/features/lexicon.js';
import { type Architecture, bigramSize, lexiconSize } from '../../src/model/layout.js';
import type { Sentence } from '../../src/train/batch.js';
import { Rng } from '../../src/train/rng.js';

export function tinyArch(over: Partial<Architecture> = {}): Architecture {
  return { charVocab: 9, charDim: 4, wordVocab: 7, wordDim: 3, lstm: [3, 5], tags: 5, crf: true, ...over };
}

/**
 * Random sentences of the given lengths with ids ≥ 1 (0 is <pad>). With a lexicon channel each sentence also
 * gets lexIds [T × lexTypes]: id of (t, k) = 5k + a random position in [0, 5) — valid rows of embed.lex (drawn
 * from a second generator, so the other ids are those of the same arch without the channel). With a bigram
 * channel each sentence gets bigramIds [T] in [1, bigramVocab) (a third generator, same reason).
 */
export function randomSentences(arch: Architecture, lengths: number[], seed: number): Sentence[] {
  const rng = new Rng(seed);
  const sentences: Sentence[] = lengths.map((T) => ({
    charIds: Int32Array.from({ length: T }, () => 1 + rng.int(Math.max(1, arch.charVocab - 1))),
    wordIds: Int32Array.from({ length: T }, () => 1 + rng.int(Math.max(1, arch.wordVocab - 1))),
    tagIds: Int32Array.from({ length: T }, () => rng.int(arch.tags)),
  }));
  if (lexiconSize(arch) > 0) {
    const L = arch.lexTypes!;
    const lexRng = new Rng(seed + 7919);
    for (const s of sentences) {
      const T = s.charIds.length;
      s.lexIds = Int32Array.from({ length: T * L }, (_, i) => LEX_POSITIONS * (i % L) + lexRng.int(LEX_POSITIONS)); // [T × L]
    }
  }
  if (bigramSize(arch) > 0) {
    const bigramRng = new Rng(seed + 104729);
    for (const s of sentences) {
      s.bigramIds = Int32Array.from({ length: s.charIds.length }, () => 1 + bigramRng.int(Math.max(1, arch.bigramVocab! - 1))); // [T]
    }
  }
  return sentences;
}

/** Uniform random parameters in ±scale (padding floats stay 0). */
export function randomParams(total: number, slots: { offset: number; size: number }[], seed: number, scale = 0.8): Float32Array {
  const rng = new Rng(seed);
  const p = new Float32Array(total);
  for (const s of slots) for (let i = 0; i < s.size; i++) p[s.offset + i] = rng.uniform(-scale, scale);
  return p;
}

/**
 * A learnable task that needs context (tags O, B-X, I-X, B-Y, I-Y): char 2 starts an X entity that runs over the
 * following 3s; a 5 right after a 4 makes "4 5" a Y entity, a 5 anywhere else is O. Sentence lengths are
 * minLength + [0, spread); chars in [1, 9), words = char % 3 + 1.
 */
export function contextTask(n: number, seed: number, minLength: number, spread: number): Sentence[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const T = minLength + rng.int(spread);
    const c = Int32Array.from({ length: T }, () => 1 + rng.int(8));
    const tags = new Int32Array(T);
    for (let t = 0; t < T; t++) {
      if (c[t] === 2) tags[t] = 1;
      else if (c[t] === 3 && t > 0 && (tags[t - 1] === 1 || tags[t - 1] === 2)) tags[t] = 2;
      else if (c[t] === 4 && t + 1 < T && c[t + 1] === 5) tags[t] = 3;
      else if (c[t] === 5 && t > 0 && c[t - 1] === 4) tags[t] = 4;
    }
    return { charIds: c, wordIds: Int32Array.from(c, (x) => (x % 3) + 1), tagIds: tags };
  });
}
