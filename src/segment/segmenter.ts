/**
 * The runtime segmenter: built from the SegmenterSpec in the model header, identical in Node, workerd and
 * browsers (no platform APIs). Words always concatenate back to exactly the input text.
 */

import { JiebaDictionary } from './jieba.js';
import { type DictSegmenterSpec, type SegmenterSpec, validateSegmenterSpec } from './spec.js';
import { sortedTrieOfCheckedWords } from './trie.js';

export interface Segmenter {
  /** the validated spec this segmenter was made from */
  readonly spec: SegmenterSpec;
  /** number of dictionary words (0 for kind 'none') */
  readonly dictionarySize: number;
  /** The words of `text`; `cut(text).join('') === text` for every string, lone surrogates included. */
  cut(text: string): string[];
  /** UTF-16 end offset of each word, ascending, the last one text.length; empty for ''.   [words] */
  cutEnds(text: string): Int32Array;
}

function checkText(text: unknown, fn: string): asserts text is string {
  if (typeof text !== 'string') {
    throw new TypeError(`segmenter.${fn}: expected a string, got ${text === null ? 'null' : typeof text}`);
  }
}

function endsToWords(text: string, ends: Int32Array): string[] {
  const words = new Array<string>(ends.length);
  let start = 0;
  for (let w = 0; w < ends.length; w++) {
    words[w] = text.slice(start, ends[w]);
    start = ends[w];
  }
  return words;
}

/** One word per code point (a lone surrogate is a one-unit word). */
function codePointEnds(text: string): Int32Array {
  const ends = new Int32Array(text.length);
  let count = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) len = 2;
    }
    i += len;
    ends[count++] = i;
  }
  return ends.slice(0, count);
}

/**
 * Builds the dictionary of a 'dict' spec. The trie is filled lazily (CodeUnitTrie.fromSorted: a first code unit's
 * words enter it when a text first needs them), so building costs little more than copying the word list.
 */
export function dictionaryFromSpec(spec: SegmenterSpec): JiebaDictionary {
  const s = validateSegmenterSpec(spec);
  if (s.kind !== 'dict') throw new Error(`dictionaryFromSpec: expected kind 'dict', got '${s.kind}'`);
  return buildDictionary(s);
}

/** The dictionary of a validated 'dict' spec (validateSegmenterSpec checked what fromSorted would check again). */
function buildDictionary(s: DictSegmenterSpec): JiebaDictionary {
  return new JiebaDictionary(sortedTrieOfCheckedWords(s.words, s.freqs), s.total);
}

/** Creates the segmenter a spec describes; throws if the spec is malformed (see validateSegmenterSpec). */
export function createSegmenter(spec: SegmenterSpec): Segmenter {
  const s = validateSegmenterSpec(spec);
  if (s.kind === 'none') {
    return {
      spec: s,
      dictionarySize: 0,
      cut(text: string): string[] {
        checkText(text, 'cut');
        return endsToWords(text, codePointEnds(text));
      },
      cutEnds(text: string): Int32Array {
        checkText(text, 'cutEnds');
        return codePointEnds(text);
      },
    };
  }
  const dict = buildDictionary(s); // validated above
  return {
    spec: s,
    dictionarySize: s.words.length,
    cut(text: string): string[] {
      checkText(text, 'cut');
      return endsToWords(text, dict.cutEnds(text));
    },
    cutEnds(text: string): Int32Array {
      checkText(text, 'cutEnds');
      return dict.cutEnds(text);
    },
  };
}
