/**
 * Vocabularies: characters, words and bigrams → ids (the sentence's ids of every channel: ./featurize.ts).
 *
 * Vocabularies are string arrays with index 0 = '<pad>' and 1 = '<unk>' (as stored in the model header).
 * Lookups never return 0 or 1 for a real token that happens to spell '<pad>' / '<unk>': specials are not
 * looked up by name, an unknown token is 1 and 0 only ever means padding.
 */

export const PAD = '<pad>';
export const UNK = '<unk>';
export const PAD_ID = 0;
export const UNK_ID = 1;

export interface Vocabulary {
  /** normalised code points; [0] = '<pad>', [1] = '<unk>' */
  chars: string[];
  /** normalised words from the segmenter; [0] = '<pad>', [1] = '<unk>' */
  words: string[];
  /** character bigrams (bigramAt); [0] = '<pad>', [1] = '<unk>'; absent = no bigram channel */
  bigrams?: string[];
}

/** Stands for the end of a sentence in the bigram of its last character. */
export const BIGRAM_END = '\u0003';

/**
 * The character bigram at position t: tokens[t] + tokens[t + 1] (the last position pairs with BIGRAM_END).
 * Tokens are single normalised code points, so a bigram string is never ambiguous — except that a character
 * followed by a literal U+0003 reads like the same character at a sentence end (control text, harmless).
 */
export function bigramAt(tokens: readonly string[], t: number): string {
  return tokens[t] + (t + 1 < tokens.length ? tokens[t + 1] : BIGRAM_END);
}

export interface VocabOptions {
  /** keep tokens seen at least this often (default 1) */
  minCount?: number;
  /** at most this many entries INCLUDING <pad> and <unk> (default unlimited) */
  maxSize?: number;
}

/**
 * ['<pad>', '<unk>', …tokens by descending count, ties by UTF-16 code-unit order]. Deterministic for a
 * given multiset of tokens. Tokens equal to '<pad>'/'<unk>' and empty strings are not added.
 */
export function buildVocab(tokens: Iterable<string>, options: VocabOptions = {}): string[] {
  if (tokens === null || typeof (tokens as Iterable<string>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`buildVocab: expected an iterable of strings, got ${tokens === null ? 'null' : typeof tokens}`);
  }
  const minCount = options.minCount ?? 1;
  const maxSize = options.maxSize ?? Infinity;
  if (!Number.isInteger(minCount) || minCount < 1) {
    throw new RangeError(`buildVocab: minCount must be an integer ≥ 1, got ${String(minCount)}`);
  }
  if (maxSize !== Infinity && (!Number.isInteger(maxSize) || maxSize < 2)) {
    throw new RangeError(`buildVocab: maxSize must be an integer ≥ 2 (it counts <pad> and <unk>), got ${String(maxSize)}`);
  }
  const counts = new Map<string, number>();
  let k = 0;
  for (const t of tokens) {
    if (typeof t !== 'string') throw new TypeError(`buildVocab: token ${k} is ${t === null ? 'null' : typeof t}, expected a string`);
    k++;
    if (t.length === 0 || t === PAD || t === UNK) continue;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const kept = [...counts].filter(([, c]) => c >= minCount);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const vocab = [PAD, UNK];
  for (const [t] of kept) {
    if (vocab.length >= maxSize) break;
    vocab.push(t);
  }
  return vocab;
}

/** A vocabulary ready for lookups. */
export interface VocabLookup {
  chars: ReadonlyMap<string, number>;
  /**
   * `chars` for tokens of one UTF-16 unit, by code unit: the id, or UNK_ID where `chars` has none  [0x10000]. Made
   * by createLookup; featurize reads it when present (it must then agree with `chars`).
   */
  unitChars?: Int32Array;
  words: ReadonlyMap<string, number>;
  /** `words` as a StringIndex (made by createLookup; featurize reads it when present: it must agree with `words`) */
  wordIndex?: StringIndex;
  /** present when the vocabulary has bigrams */
  bigrams?: ReadonlyMap<string, number>;
}

/** Index a vocabulary (checks its shape: <pad>, <unk> first, then distinct non-empty strings). */
export function createLookup(vocab: Vocabulary): VocabLookup {
  if (!vocab || typeof vocab !== 'object') throw new TypeError(`createLookup: expected { chars, words }, got ${typeof vocab}`);
  const chars = indexVocab('chars', vocab.chars);
  const unitChars = new Int32Array(0x10000).fill(UNK_ID); // [0x10000]
  for (const [token, id] of chars) if (token.length === 1) unitChars[token.charCodeAt(0)] = id;
  const words = indexVocab('words', vocab.words);
  const lookup: VocabLookup = { chars, unitChars, words, wordIndex: new StringIndex(words) };
  if (vocab.bigrams !== undefined) lookup.bigrams = indexVocab('bigrams', vocab.bigrams);
  return lookup;
}

function indexVocab(what: string, list: unknown): Map<string, number> {
  if (!Array.isArray(list)) throw new TypeError(`vocabulary ${what}: expected an array of strings, got ${typeof list}`);
  if (list.length < 2 || list[0] !== PAD || list[1] !== UNK) {
    throw new RangeError(`vocabulary ${what}: entries 0 and 1 must be '${PAD}' and '${UNK}'`);
  }
  const map = new Map<string, number>();
  for (let i = 2; i < list.length; i++) {
    const t = list[i];
    if (typeof t !== 'string' || t.length === 0) {
      throw new TypeError(`vocabulary ${what}[${i}]: expected a non-empty string, got ${typeof t}`);
    }
    if (map.has(t) || t === PAD || t === UNK) throw new RangeError(`vocabulary ${what}[${i}] duplicates an earlier entry`);
    map.set(t, i);
  }
  return map;
}

/**
 * A vocabulary's string → id map for look-ups of strings made fresh for each look-up (the segmenter's words): open
 * addressing over a hash of the key's UTF-16 units, the keys packed into one array. A Map must hash each fresh
 * string in the engine's runtime; this hashes it in a short loop and touches a few compact arrays.
 */
export class StringIndex {
  /** per slot: entry number + 1, 0 = empty  [capacity, a power of two ≥ 2 × entries] */
  private readonly slots: Int32Array;
  /** entry e's key is units[starts[e] .. starts[e + 1])  [entries + 1] */
  private readonly starts: Int32Array;
  private readonly units: Uint16Array;
  /** entry e's id  [entries] */
  private readonly ids: Int32Array;

  constructor(map: ReadonlyMap<string, number>) {
    let total = 0;
    for (const key of map.keys()) total += key.length;
    let capacity = 16;
    while (capacity < 2 * map.size) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.starts = new Int32Array(map.size + 1);
    this.units = new Uint16Array(total);
    this.ids = new Int32Array(map.size);
    let e = 0;
    let at = 0;
    for (const [key, id] of map) {
      for (let u = 0; u < key.length; u++) this.units[at + u] = key.charCodeAt(u);
      at += key.length;
      this.starts[e + 1] = at;
      this.ids[e] = id;
      let slot = hashUnits(key) & (capacity - 1);
      while (this.slots[slot] !== 0) slot = (slot + 1) & (capacity - 1);
      this.slots[slot] = e + 1;
      e++;
    }
  }

  /** The id of `key`, or undefined. */
  get(key: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let slot = hashUnits(key) & mask; ; slot = (slot + 1) & mask) {
      const e = this.slots[slot] - 1;
      if (e < 0) return undefined;
      const from = this.starts[e];
      if (this.starts[e + 1] - from !== key.length) continue;
      let u = 0;
      while (u < key.length && this.units[from + u] === key.charCodeAt(u)) u++;
      if (u === key.length) return this.ids[e];
    }
  }
}

/** FNV-1a over the UTF-16 units of `s` (32 bits). */
function hashUnits(s: string): number {
  let h = 0x811c9dc5;
  for (let u = 0; u < s.length; u++) h = Math.imul(h ^ s.charCodeAt(u), 0x01000193);
  return h >>> 0;
}
