/**
 * Sentence splitting and windows for over-long sentences.
 *
 * Sentences end after a terminator — 。！？；!?; — or a line break (\n, \r, \r\n, U+2028, U+2029). A run of
 * terminators stays together ("好转！！"), closing quotes/brackets right after a terminator stay with the
 * sentence ("。”"), and a line break directly after a terminator is part of that sentence. The spans cover
 * the whole input without gaps, in order, each non-empty.
 *
 * Windows: a sentence longer than `max` tokens is cut into windows of at most `max` tokens that overlap by
 * `overlap` tokens, so nothing is ever truncated. `windowOwners` says, for each position, which window's
 * prediction to keep: the one in which the position is farthest from an edge.
 */

import { type NormalizeOptions, normalizeRange, resolveNormalizeOptions } from './normalize.js';

export interface Span {
  start: number;
  /** exclusive */
  end: number;
}

const TERMINATORS = '。！？；!?;｡';
const LINE_BREAKS = '\n\r\u2028\u2029\u0085';
/** closing quotes/brackets that stay with the sentence they close */
const CLOSERS = `"'”’」』）)】]》〉〕］｝}＂＇`;
const TERMINATOR = 1;
const LINE_BREAK = 2;
const CLOSER = 3;
/** each UTF-16 code unit's part in splitting: TERMINATOR, LINE_BREAK, CLOSER or 0  [0x10000] */
const UNIT_CLASS = new Uint8Array(0x10000);
for (const ch of TERMINATORS) UNIT_CLASS[ch.charCodeAt(0)] = TERMINATOR;
for (const ch of LINE_BREAKS) UNIT_CLASS[ch.charCodeAt(0)] = LINE_BREAK;
for (const ch of CLOSERS) UNIT_CLASS[ch.charCodeAt(0)] = CLOSER;

/**
 * Split into sentence spans covering the whole input. A string gives UTF-16 offsets; an array of tokens
 * (e.g. normalize(text).tokens, one code point each) gives token indices. Terminators are single UTF-16
 * units, so both views split at the same places.
 */
export function splitSentences(input: string | readonly string[]): Span[] {
  if (typeof input !== 'string' && !Array.isArray(input)) {
    throw new TypeError(`splitSentences: expected a string or an array of tokens, got ${input === null ? 'null' : typeof input}`);
  }
  // the code unit of element i; a token that is not one unit reads as 0 (NUL, which plays no part in splitting)
  const unitAt: (i: number) => number =
    typeof input === 'string'
      ? (i) => input.charCodeAt(i)
      : (i) => {
          const token = (input as readonly string[])[i];
          return typeof token === 'string' && token.length === 1 ? token.charCodeAt(0) : 0;
        };
  const n = input.length;
  const spans: Span[] = [];
  let start = 0;
  let i = 0;
  while (i < n) {
    const c = UNIT_CLASS[unitAt(i)];
    if (c === TERMINATOR) {
      i++;
      while (i < n && (UNIT_CLASS[unitAt(i)] === TERMINATOR || UNIT_CLASS[unitAt(i)] === CLOSER)) i++;
      i = skipLineBreak(unitAt, i, n);
      spans.push({ start, end: i });
      start = i;
    } else if (c === LINE_BREAK) {
      i = skipLineBreak(unitAt, i, n);
      spans.push({ start, end: i });
      start = i;
    } else {
      i++;
    }
  }
  if (start < n) spans.push({ start, end: n });
  return spans;
}

/**
 * The parts of `spans` worth tagging: each span with leading and trailing whitespace tokens removed, spans
 * that are only whitespace dropped. `tokens` are code points (normalize(text).tokens) and spans index them.
 */
export function trimSpans(tokens: readonly string[], spans: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    let { start, end } = span;
    while (start < end && isSpace(tokens[start])) start++;
    while (end > start && isSpace(tokens[end - 1])) end--;
    if (end > start) out.push({ start, end });
  }
  return out;
}

/** True for a whitespace token (\s: ASCII and Unicode spaces, line breaks, U+3000, U+FEFF). */
export function isSpace(token: string): boolean {
  return token.length === 1 && isSpaceUnit(token.charCodeAt(0));
}

/** If a line break starts at i, return the index after it (\r\n counts as one); else i. */
function skipLineBreak(unitAt: (i: number) => number, i: number, n: number): number {
  if (i >= n) return i;
  const c = unitAt(i);
  if (c === 0x0d) return i + 1 < n && unitAt(i + 1) === 0x0a ? i + 2 : i + 1; // \r, \r\n
  return UNIT_CLASS[c] === LINE_BREAK ? i + 1 : i;
}

/**
 * Windows over [start, end): one window when end - start ≤ max; otherwise windows of exactly `max` tokens,
 * each starting `max - overlap` after the previous one, the last one ending at `end`.
 */
export function splitWindows(span: Span, max: number, overlap: number): Span[] {
  checkSpan('splitWindows', span);
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`splitWindows: max must be an integer ≥ 1, got ${String(max)}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= max) {
    throw new RangeError(`splitWindows: overlap must be an integer in [0, ${max - 1}], got ${String(overlap)}`);
  }
  const { start, end } = span;
  if (end - start <= max) return [{ start, end }];
  const step = max - overlap;
  const windows: Span[] = [];
  for (let s = start; ; s += step) {
    if (s + max >= end) {
      windows.push({ start: end - max, end });
      break;
    }
    windows.push({ start: s, end: s + max });
  }
  return windows;
}

/**
 * For each position of [span.start, span.end), the index of the window whose prediction to keep: the window
 * in which the position is farthest from an edge (distance = min(p - w.start, w.end - 1 - p)); ties go to
 * the earlier window. Result index p - span.start. Every position is covered when the windows come from
 * splitWindows.
 */
export function windowOwners(span: Span, windows: readonly Span[]): Int32Array {
  checkSpan('windowOwners', span);
  const owners = new Int32Array(span.end - span.start).fill(-1); // [L]
  const best = new Int32Array(span.end - span.start).fill(-1);
  windows.forEach((w, wi) => {
    checkSpan('windowOwners', w);
    for (let p = Math.max(w.start, span.start); p < Math.min(w.end, span.end); p++) {
      const d = Math.min(p - w.start, w.end - 1 - p);
      if (d > best[p - span.start]) {
        best[p - span.start] = d;
        owners[p - span.start] = wi;
      }
    }
  });
  const gap = owners.indexOf(-1);
  if (gap >= 0) throw new RangeError(`windowOwners: position ${span.start + gap} is in no window`);
  return owners;
}

function checkSpan(fn: string, s: Span): void {
  if (!s || !Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end < s.start) {
    throw new RangeError(`${fn}: expected a span with integer 0 ≤ start ≤ end, got start=${s?.start} end=${s?.end}`);
  }
}

/** One sentence ready for features: see taggableSentences. */
export interface TaggableSentence {
  /** normalised code points of the sentence, leading/trailing whitespace removed (never empty) */
  tokens: string[];
  /** UTF-16 offset in the ORIGINAL text where each token starts, plus the end of the last one  [tokens.length + 1] */
  offsets: Int32Array;
  /** code-point offset in the original text of tokens[0] (token i is code point cpStart + i) */
  cpStart: number;
}

/**
 * The sentences of a text as the tagger sees them (the trainer should use the same): split the ORIGINAL
 * string (terminators are the same before and after normalisation), normalise each sentence, trim
 * whitespace, drop empty ones. A generator, so a huge text is never normalised all at once.
 */
export function* taggableSentences(text: string, options?: NormalizeOptions): Generator<TaggableSentence> {
  if (typeof text !== 'string') throw new TypeError(`taggableSentences: expected a string, got ${text === null ? 'null' : typeof text}`);
  const opts = resolveNormalizeOptions(options);
  let cp = 0; // code points of the text before the sentence
  for (const { start, end } of splitSentences(text)) {
    // trimmed on the original's code units: a whitespace code point is one unit, and normalising keeps a code
    // point whitespace or not (test/text/normalize.test.ts), so this is the trim of the normalised tokens
    let from = start;
    while (from < end && isSpaceUnit(text.charCodeAt(from))) from++;
    let to = end;
    while (to > from && isSpaceUnit(text.charCodeAt(to - 1))) to--;
    if (to > from) {
      const tokens: string[] = [];
      const offsets = new Int32Array(to - from + 1); // [n + 1] when every code point is one unit; trimmed below
      normalizeRange(text, from, to, opts, tokens, offsets);
      yield {
        tokens,
        offsets: tokens.length === to - from ? offsets : offsets.slice(0, tokens.length + 1),
        cpStart: cp + from - start,
      };
      cp += tokens.length;
    }
    cp += from - start + end - to;
  }
}

/** Whether a code unit is whitespace: \s of a JavaScript regular expression (every \s is one unit). */
function isSpaceUnit(unit: number): boolean {
  if (unit <= 0x20) return unit === 0x20 || (unit >= 0x09 && unit <= 0x0d);
  if (unit < 0xa0) return false;
  return (
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000 ||
    unit === 0xfeff
  );
}

/** Index i with offsets[i] === utf16Offset (offsets ascending, e.g. TaggableSentence.offsets), or -1. */
export function tokenAt(offsets: Int32Array, utf16Offset: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid] === utf16Offset) return mid;
    if (offsets[mid] < utf16Offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
