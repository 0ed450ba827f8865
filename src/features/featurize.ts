/**
 * A sentence's ids of every input channel (./channels.ts). The trainer and the tagger both call
 * featurizeSentence, so features cannot drift.
 */

import {
  CHANNELS,
  type ChannelIds,
  type FeatureOptions,
  type FeatureSources,
  type MoreFeatureSources,
} from './channels.js';
import type { Lexicon } from './lexicon.js';
import { UNK_ID, type VocabLookup } from './vocab.js';

/**
 * Per channel [T × idsPerToken]: charIds [T] (char id of each token), wordIds [T] (id of the word, from the
 * segmenter, that contains each token), bigramIds [T] when the vocabulary has bigrams, lexIds [T × K] when a
 * lexicon was given, and the ids of each channel whose source `more` gives.
 */
export type SentenceFeatures = ChannelIds;

/**
 * Features of one sentence: `tokens` are its normalised code points (one per position), `words` the
 * segmenter's words, which must concatenate to tokens.join(''); `more`: the sources of later channels
 * (MoreFeatureSources, ./channels.ts).
 */
export function featurize(
  tokens: readonly string[],
  words: readonly string[],
  lookup: VocabLookup,
  options: FeatureOptions = {},
  lexicon: Lexicon | null = null,
  more: MoreFeatureSources = {},
): SentenceFeatures {
  if (!Array.isArray(tokens))
    throw new TypeError(`featurize: tokens must be an array of strings, got ${typeof tokens}`);
  if (!Array.isArray(words)) throw new TypeError(`featurize: words must be an array of strings, got ${typeof words}`);
  if (more === null || typeof more !== 'object')
    throw new TypeError(
      `featurize: more must be an object of feature sources, got ${more === null ? 'null' : typeof more}`,
    );
  if (!lookup || !(lookup.chars instanceof Map) || !(lookup.words instanceof Map)) {
    throw new TypeError('featurize: expected a lookup from createLookup(vocab)');
  }
  const T = tokens.length;
  const charIds = new Int32Array(T); // [T]
  const wordIds = new Int32Array(T); // [T]
  const unitChars = lookup.unitChars;
  const wordIndex = lookup.wordIndex;
  for (let t = 0; t < T; t++) {
    const token = tokens[t];
    charIds[t] =
      unitChars !== undefined && token.length === 1
        ? unitChars[token.charCodeAt(0)]
        : (lookup.chars.get(token) ?? UNK_ID);
  }
  let pos = 0;
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    if (typeof word !== 'string') throw new TypeError(`featurize: word ${w} is ${typeof word}, expected a string`);
    const id = (wordIndex !== undefined ? wordIndex.get(word) : lookup.words.get(word)) ?? UNK_ID;
    // walk the word's code points against the tokens, so a segmenter that splits differently is caught
    const first = pos;
    let u = 0;
    while (u < word.length) {
      const tok = tokens[pos];
      const same =
        tok !== undefined && (tok.length === 1 ? tok.charCodeAt(0) === word.charCodeAt(u) : word.startsWith(tok, u));
      if (!same) {
        throw new RangeError(`featurize: the words do not concatenate to the tokens (word ${w}, token ${pos} of ${T})`);
      }
      wordIds[pos++] = id;
      u += tok.length;
    }
    if (options.wordPositions) {
      // row = 4·id + B 0 / M 1 / E 2 / S 3
      const n = pos - first;
      for (let t = first; t < pos; t++) {
        const p = n === 1 ? 3 : t === first ? 0 : t === pos - 1 ? 2 : 1;
        wordIds[t] = 4 * id + p;
      }
    }
  }
  if (pos !== T) throw new RangeError(`featurize: the words cover ${pos} of ${T} tokens`);
  const out: SentenceFeatures = { charIds, wordIds };
  // the other channels build their ids from the tokens and their source (bigram: lookup.bigrams, lexicon: the matcher)
  // (Object.assign, not an object spread: on Node 20 the spread took twice featurize's time over the CCKS texts)
  const sources: FeatureSources = Object.assign({}, more, { lookup, lexicon });
  for (const ch of CHANNELS) {
    const ids = ch.build?.(tokens, sources);
    if (ids !== undefined) out[ch.field] = ids;
  }
  return out;
}

/** Anything with the segmenter's cut (src/segment: createSegmenter(spec)). */
export interface WordCutter {
  cut(text: string): string[];
}

/**
 * Features of one normalised sentence: its words come from `segmenter.cut(tokens.join(''))`. This is the one
 * function both the trainer and the tagger call per sentence.
 */
export function featurizeSentence(
  tokens: readonly string[],
  segmenter: WordCutter,
  lookup: VocabLookup,
  options: FeatureOptions = {},
  lexicon: Lexicon | null = null,
  more: MoreFeatureSources = {},
): SentenceFeatures {
  if (!Array.isArray(tokens))
    throw new TypeError(`featurizeSentence: tokens must be an array of strings, got ${typeof tokens}`);
  return featurize(tokens, segmenter.cut(tokens.join('')), lookup, options, lexicon, more);
}
