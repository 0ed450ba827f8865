/** Tiny models and sentences shared by the training tests. */

import type { Architecture } from '../../src/model/layout.js';
import type { Sentence } from '../../src/train/batch.js';
import { Rng } from '../../src/train/rng.js';

export function tinyArch(over: Partial<Architecture> = {}): Architecture {
  return { charVocab: 9, charDim: 4, wordVocab: 7, wordDim: 3, lstm: [3, 5], tags: 5, crf: true, ...over };
}

/** Random sentences of the given lengths with ids ≥ 1 (0 is <pad>). */
export function randomSentences(arch: Architecture, lengths: number[], seed: number): Sentence[] {
  const rng = new Rng(seed);
  return lengths.map((T) => ({
    charIds: Int32Array.from({ length: T }, () => 1 + rng.int(Math.max(1, arch.charVocab - 1))),
    wordIds: Int32Array.from({ length: T }, () => 1 + rng.int(Math.max(1, arch.wordVocab - 1))),
    tagIds: Int32Array.from({ length: T }, () => rng.int(arch.tags)),
  }));
}

/** Uniform random parameters in ±scale (padding floats stay 0). */
export function randomParams(total: number, slots: { offset: number; size: number }[], seed: number, scale = 0.8): Float32Array {
  const rng = new Rng(seed);
  const p = new Float32Array(total);
  for (const s of slots) for (let i = 0; i < s.size; i++) p[s.offset + i] = rng.uniform(-scale, scale);
  return p;
}
