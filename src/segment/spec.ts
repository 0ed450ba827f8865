/**
 * The segmenter description stored in the model header (plain JSON). Two kinds:
 *
 *   { kind: 'none' }   every code point is its own word (the "no word features" setting)
 *   { kind: 'dict', variant, total, words, freqs, meta? }
 *                      jieba's dictionary segmentation (jieba `cut(s, HMM=False)`, jieba-rs `cut(s, false)`)
 *                      over `words` with `freqs`; log-probabilities are log(freq / total).
 *
 * `words` are sorted by UTF-16 code units (so the JSON is stable); `total` is the frequency sum of the dictionary
 * the words were pruned from (jieba's full dictionary plus any added entity words), which keeps every
 * log-probability — and so every segmentation of text made only of kept words — identical to the full dictionary's.
 */

export type SegmenterVariant = 'jieba' | 'jieba+entities';

export interface NoneSegmenterSpec {
  kind: 'none';
}

export interface DictSegmenterSpec {
  kind: 'dict';
  variant: SegmenterVariant;
  /** frequency sum of the (unpruned) dictionary: log P(word) = log(freq) - log(total) */
  total: number;
  /** dictionary words, sorted by code units, no duplicates, each a well-formed non-empty string */
  words: string[];
  /** positive frequencies, freqs[i] belongs to words[i] */
  freqs: number[];
  /** provenance and build figures (free-form, JSON values only); never consulted when cutting */
  meta?: Record<string, string | number | boolean>;
}

export type SegmenterSpec = NoneSegmenterSpec | DictSegmenterSpec;

const VARIANTS: readonly string[] = ['jieba', 'jieba+entities'];

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}

/** True when `s` has no lone surrogate (String.prototype.isWellFormed is newer than ES2022). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** a high surrogate not followed by a low one, or a low surrogate not preceded by a high one */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks a spec read from a model header; throws an Error naming the field, what was expected and what came
 * (indices, never word text). Returns the spec typed.
 */
export function validateSegmenterSpec(spec: unknown): SegmenterSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new TypeError(`segmenter spec: expected an object, got ${describe(spec)}`);
  }
  const s = spec as Record<string, unknown>;
  if (s.kind === 'none') return { kind: 'none' };
  if (s.kind !== 'dict') {
    throw new Error(`segmenter spec: expected kind 'none' or 'dict', got ${JSON.stringify(String(s.kind))}`);
  }
  if (typeof s.variant !== 'string' || !VARIANTS.includes(s.variant)) {
    throw new Error(`segmenter spec: expected variant ${VARIANTS.map((v) => `'${v}'`).join(' or ')}, got ${describe(s.variant)}`);
  }
  if (typeof s.total !== 'number' || !Number.isFinite(s.total) || s.total <= 0) {
    throw new Error(`segmenter spec: expected total to be a positive finite number, got ${String(s.total)}`);
  }
  if (!Array.isArray(s.words)) throw new TypeError(`segmenter spec: expected words to be an array, got ${describe(s.words)}`);
  if (!Array.isArray(s.freqs)) throw new TypeError(`segmenter spec: expected freqs to be an array, got ${describe(s.freqs)}`);
  const words = s.words as unknown[];
  const freqs = s.freqs as unknown[];
  if (words.length !== freqs.length) {
    throw new Error(`segmenter spec: expected as many freqs as words (${words.length}), got ${freqs.length}`);
  }
  // The loop checks types, order and frequencies; lone surrogates are found afterwards by one native regex over
  // the joined words (a fresh isolate runs loops in the interpreter: a loop over every code unit of every word was
  // most of this check's cost at cold start). The first problem in index order is reported, as a word's own lone
  // surrogate comes before its order and frequency: `firstBad(end)` looks for one only on the way to an error.
  const firstBad = (end: number, error: Error): Error => {
    for (let j = 0; j < end; j++) {
      const w = words[j];
      if (typeof w === 'string' && !isWellFormed(w)) return new Error(`segmenter spec: words[${j}] contains a lone surrogate`);
    }
    return error;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (typeof w !== 'string' || w.length === 0) {
      throw firstBad(i, new TypeError(`segmenter spec: expected words[${i}] to be a non-empty string, got ${describe(w)}`));
    }
    if (i > 0 && !((words[i - 1] as string) < w)) {
      throw firstBad(i + 1, new Error(`segmenter spec: expected words sorted without duplicates, words[${i}] is not after words[${i - 1}]`));
    }
    const f = freqs[i];
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) {
      throw firstBad(i + 1, new Error(`segmenter spec: expected freqs[${i}] to be a positive finite number, got ${String(f)}`));
    }
  }
  // '\n' between the words keeps a surrogate at a word's edge from pairing with its neighbour's
  if (LONE_SURROGATE.test(words.join('\n'))) throw firstBad(words.length, new Error('segmenter spec: a word contains a lone surrogate'));
  if (s.meta !== undefined && (typeof s.meta !== 'object' || s.meta === null || Array.isArray(s.meta))) {
    throw new TypeError(`segmenter spec: expected meta to be an object when present, got ${describe(s.meta)}`);
  }
  return spec as DictSegmenterSpec;
}
