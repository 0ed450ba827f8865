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
