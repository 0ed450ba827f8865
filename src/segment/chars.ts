/**
 * From words to characters: for each character, the index of its word and its position in that word
 * (B begin, M middle, E end, S single-character word). "Character" is a code point by default (a lone surrogate
 * counts as one); with unit 'utf16' it is a UTF-16 code unit, so a two-unit emoji word is B, E.
 */

export const POSITION_TAGS = ['B', 'M', 'E', 'S'] as const;
export type PositionTag = (typeof POSITION_TAGS)[number];
export const TAG_B = 0;
export const TAG_M = 1;
export const TAG_E = 2;
export const TAG_S = 3;

export type CharUnit = 'codepoint' | 'utf16';

export interface CharWords {
  /** index of the word each character belongs to                  [chars] */
  word: Int32Array;
  /** position tag of each character: TAG_B, TAG_M, TAG_E or TAG_S  [chars] */
  tag: Uint8Array;
}

function checkUnit(unit: unknown, fn: string): asserts unit is CharUnit {
  if (unit !== 'codepoint' && unit !== 'utf16') {
    throw new Error(`${fn}: expected unit 'codepoint' or 'utf16', got ${JSON.stringify(String(unit))}`);
  }
}

/** Number of code points in text[start, end) (a lone surrogate counts as one). */
function countCodePoints(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Per character word index and B/M/E/S tag from a segmentation given as UTF-16 word end offsets
 * (Segmenter.cutEnds). `ends` must be strictly ascending and finish at text.length.
 */
export function endsToChars(text: string, ends: ArrayLike<number>, unit: CharUnit = 'codepoint'): CharWords {
  if (typeof text !== 'string') throw new TypeError(`endsToChars: expected text to be a string, got ${typeof text}`);
  checkUnit(unit, 'endsToChars');
  const n = ends.length;
  if (n === 0 ? text.length !== 0 : ends[n - 1] !== text.length) {
    throw new Error(`endsToChars: expected the last end to be the text length ${text.length}, got ${n === 0 ? 'no ends' : ends[n - 1]}`);
  }
  const lengths = new Int32Array(n); // characters per word   [words]
  let total = 0;
  let start = 0;
  for (let w = 0; w < n; w++) {
    const end = ends[w];
    if (!(end > start)) throw new Error(`endsToChars: expected ascending ends, ends[${w}] = ${end} after ${start}`);
    lengths[w] = unit === 'utf16' ? end - start : countCodePoints(text, start, end);
    total += lengths[w];
    start = end;
  }
  const word = new Int32Array(total); // [chars]
  const tag = new Uint8Array(total); // [chars]
  let c = 0;
  for (let w = 0; w < n; w++) {
    const len = lengths[w];
    if (len === 1) {
      word[c] = w;
      tag[c++] = TAG_S;
      continue;
    }
    for (let k = 0; k < len; k++) {
      word[c] = w;
      tag[c++] = k === 0 ? TAG_B : k === len - 1 ? TAG_E : TAG_M;
    }
  }
  return { word, tag };
}

/** Per character word index and B/M/E/S tag of a list of words (e.g. Segmenter.cut's result). */
export function wordsToChars(words: readonly string[], unit: CharUnit = 'codepoint'): CharWords {
  if (!Array.isArray(words)) throw new TypeError(`wordsToChars: expected an array of strings, got ${typeof words}`);
  checkUnit(unit, 'wordsToChars');
  const ends = new Int32Array(words.length); // [words]
  let end = 0;
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    if (typeof word !== 'string' || word.length === 0) {
      throw new TypeError(`wordsToChars: expected words[${w}] to be a non-empty string, got ${typeof word === 'string' ? 'an empty string' : typeof word}`);
    }
    end += word.length;
    ends[w] = end;
  }
  // countCodePoints never pairs surrogates across word boundaries because each word is counted on its own
  return endsToChars(words.join(''), ends, unit);
}

/** The tag letters of a CharWords result, e.g. ['B', 'E', 'S']. */
export function tagLetters(tags: Uint8Array): PositionTag[] {
  return Array.from(tags, (t) => POSITION_TAGS[t]);
}
