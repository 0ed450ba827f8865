/**
 * Text normalisation with an exact map back to the original string.
 *
 * The model works per CODE POINT: an emoji or a CJK Extension-B character is one token, and so is a lone
 * surrogate (it becomes U+FFFD in the normalised text, so everything downstream sees well-formed text).
 * Normalisation is 1:1 per code point — token i of the normalised text is code point i of the original —
 * so offsets map back exactly: token i starts at UTF-16 offset `starts[i]` of the original string, and a
 * code-point offset into the original IS a token index.
 *
 * The folding table is explicit (not String.prototype.normalize) so that every platform — Node, workerd,
 * browsers with different ICU versions — normalises identically, at training and at tagging time.
 */

export interface NormalizeOptions {
  /**
   * Fold full-width ASCII (U+FF01–U+FF5E) to ASCII, the ideographic space and the other Unicode spaces to
   * U+0020, the full-width currency/sign forms (U+FFE0–U+FFE6) to their usual forms and the micro sign to μ.
   * Default true.
   */
  foldWidth?: boolean;
  /** Lower-case each code point (only where the lower case is again a single code point). Default false. */
  lowercase?: boolean;
}

export const DEFAULT_NORMALIZE_OPTIONS: Readonly<Required<NormalizeOptions>> = Object.freeze({
  foldWidth: true,
  lowercase: false,
});

export interface NormalizedText {
  /** the normalised text; equals tokens.join('') */
  text: string;
  /** one normalised code point per token: tokens.length = number of code points of the original */
  tokens: string[];
  /**
   * UTF-16 offsets into the ORIGINAL string: token i covers original.slice(starts[i], starts[i + 1]);
   * starts has tokens.length + 1 entries and starts[tokens.length] = original.length.
   */
  starts: Int32Array;
}

/** Single-code-point foldings beyond the full-width ASCII block (which is handled arithmetically). */
const FOLD: ReadonlyMap<number, number> = new Map<number, number>([
  [0x3000, 0x20], // ideographic space
  [0x00a0, 0x20], // no-break space
  [0x1680, 0x20], // ogham space mark
  [0x2000, 0x20], [0x2001, 0x20], [0x2002, 0x20], [0x2003, 0x20], [0x2004, 0x20], [0x2005, 0x20],
  [0x2006, 0x20], [0x2007, 0x20], [0x2008, 0x20], [0x2009, 0x20], [0x200a, 0x20], // en/em/thin/... spaces
  [0x202f, 0x20], // narrow no-break space
  [0x205f, 0x20], // medium mathematical space
  [0xffe0, 0x00a2], // ￠ → ¢
  [0xffe1, 0x00a3], // ￡ → £
  [0xffe2, 0x00ac], // ￢ → ¬
  [0xffe3, 0x00af], // ￣ → ¯
  [0xffe4, 0x00a6], // ￤ → ¦
  [0xffe5, 0x00a5], // ￥ → ¥
  [0xffe6, 0x20a9], // ￦ → ₩
  [0x00b5, 0x03bc], // micro sign → Greek mu (μg)
]);

/** Fold one code point (as a number) under the given options; returns a code point. */
export function foldCodePoint(cp: number, options: Required<NormalizeOptions>): number {
  if (cp >= 0xd800 && cp <= 0xdfff) return 0xfffd; // lone surrogate
  if (options.foldWidth) {
    if (cp >= 0xff01 && cp <= 0xff5e) cp -= 0xfee0;
    else {
      const f = FOLD.get(cp);
      if (f !== undefined) cp = f;
    }
  }
  if (options.lowercase) {
    if (cp >= 0x41 && cp <= 0x5a) cp += 32;
    else if (cp >= 0x80) {
      const lower = String.fromCodePoint(cp).toLowerCase();
      const lcp = lower.codePointAt(0)!;
      if (lower.length === (lcp > 0xffff ? 2 : 1)) cp = lcp;
    }
  }
  return cp;
}

/** Fill in defaults and check the option types. */
export function resolveNormalizeOptions(options: NormalizeOptions | undefined): Required<NormalizeOptions> {
  if (options === undefined || options === null) return { ...DEFAULT_NORMALIZE_OPTIONS };
  if (typeof options !== 'object') {
    throw new TypeError(`normalize options: expected an object, got ${typeof options}`);
  }
  const out = { ...DEFAULT_NORMALIZE_OPTIONS };
  for (const key of ['foldWidth', 'lowercase'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new TypeError(`normalize options.${key}: expected a boolean, got ${typeof v}`);
    out[key] = v;
  }
  return out;
}

/** Normalise `text` code point by code point, keeping the map back to the original UTF-16 offsets. */
export function normalize(text: string, options?: NormalizeOptions): NormalizedText {
  if (typeof text !== 'string') throw new TypeError(`normalize: expected a string, got ${typeOf(text)}`);
  const opts = resolveNormalizeOptions(options);
  const n = text.length;
  const tokens: string[] = [];
  const starts = new Int32Array(n + 1); // at most one token per UTF-16 unit; trimmed below
  const changed = normalizeRange(text, 0, n, opts, tokens, starts);
  return {
    text: changed ? tokens.join('') : text,
    tokens,
    starts: tokens.length === n ? starts : starts.slice(0, tokens.length + 1),
  };
}

/** normalize(text, options).text, with options from resolveNormalizeOptions: `text` itself when nothing folds. */
export function normalizeText(text: string, options: Required<NormalizeOptions>): string {
  const table = foldTable(options);
  for (let i = 0; i < text.length; i++) {
    if (table[text.charCodeAt(i)] !== text.charCodeAt(i)) return normalize(text, options).text; // a surrogate is never its own fold
  }
  return text;
}

/**
 * The loop of normalize over text[from, to) (options resolved): pushes each code point's normalised token onto
 * `tokens` and its UTF-16 offset in `text` into starts[tokens.length], then `to` after the last one (`starts` has
 * room for to − from + 1 entries past the tokens already there). Returns whether any token differs from its
 * code point in `text`.
 */
export function normalizeRange(
  text: string,
  from: number,
  to: number,
  options: Required<NormalizeOptions>,
  tokens: string[],
  starts: Int32Array,
): boolean {
  const table = foldTable(options);
  let changed = false;
  let i = from;
  while (i < to) {
    starts[tokens.length] = i;
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < to) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // a surrogate pair: one code point beyond the BMP
        const cp = (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
        const folded = foldCodePoint(cp, options);
        if (folded !== cp) changed = true;
        tokens.push(folded === cp ? text.slice(i, i + 2) : String.fromCodePoint(folded));
        i += 2;
        continue;
      }
    }
    const folded = table[unit]; // a lone surrogate folds to U+FFFD
    if (folded !== unit) changed = true;
    tokens.push(folded <= 0xffff ? unitString(folded) : String.fromCodePoint(folded));
    i++;
  }
  starts[tokens.length] = to;
  return changed;
}

/**
 * foldCodePoint of every BMP code unit under one set of options, computed on first use (a lone surrogate → U+FFFD):
 * [0x10000], indexed by (foldWidth ? 1 : 0) + (lowercase ? 2 : 0).
 */
const foldTables: (Int32Array | undefined)[] = [undefined, undefined, undefined, undefined];

function foldTable(options: Required<NormalizeOptions>): Int32Array {
  const key = (options.foldWidth ? 1 : 0) + (options.lowercase ? 2 : 0);
  let table = foldTables[key];
  if (table === undefined) {
    table = new Int32Array(0x10000); // [0x10000]
    for (let u = 0; u < 0x10000; u++) table[u] = foldCodePoint(u, options);
    foldTables[key] = table;
  }
  return table;
}

/** The one-unit string of each BMP code point, made on first use and shared by the tokens of every text. */
const unitStrings: (string | undefined)[] = new Array<string | undefined>(0x10000);

function unitString(unit: number): string {
  return (unitStrings[unit] ??= String.fromCharCode(unit));
}

/** The code points of `text` as strings (a lone surrogate is one element), like [...text]. */
export function codePoints(text: string): string[] {
  if (typeof text !== 'string') throw new TypeError(`codePoints: expected a string, got ${typeOf(text)}`);
  return Array.from(text);
}

/**
 * Code-point index of each UTF-16 offset: result[u] = number of code points that start before u, for
 * u = 0 … text.length (an offset inside a surrogate pair maps to the pair's code point index + 1).
 */
export function utf16ToCodePointMap(text: string): Int32Array {
  if (typeof text !== 'string') throw new TypeError(`utf16ToCodePointMap: expected a string, got ${typeOf(text)}`);
  const n = text.length;
  const map = new Int32Array(n + 1);
  let cp = 0;
  for (let u = 0; u < n; u++) {
    map[u] = cp;
    const unit = text.charCodeAt(u);
    const pair = unit >= 0xd800 && unit <= 0xdbff && u + 1 < n && isLow(text.charCodeAt(u + 1));
    if (pair) {
      map[u + 1] = cp + 1;
      u++;
    }
    cp++;
  }
  map[n] = cp;
  return map;
}

/** Convert one UTF-16 offset of `text` to a code-point offset (0 ≤ offset ≤ text.length). */
export function utf16ToCodePoint(text: string, offset: number): number {
  checkOffset('utf16ToCodePoint', offset, text.length);
  let cp = 0;
  for (let u = 0; u < offset; u++) {
    const unit = text.charCodeAt(u);
    if (unit >= 0xd800 && unit <= 0xdbff && u + 1 < text.length && isLow(text.charCodeAt(u + 1))) {
      if (u + 1 < offset) u++;
    }
    cp++;
  }
  return cp;
}

/** Convert a code-point offset of `text` to a UTF-16 offset (0 ≤ offset ≤ number of code points). */
export function codePointToUtf16(text: string, offset: number): number {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`codePointToUtf16: expected a non-negative integer offset, got ${String(offset)}`);
  }
  let u = 0;
  for (let cp = 0; cp < offset; cp++) {
    if (u >= text.length) {
      throw new RangeError(`codePointToUtf16: offset ${offset} is past the end (${cp} code points)`);
    }
    const unit = text.charCodeAt(u);
    u += unit >= 0xd800 && unit <= 0xdbff && u + 1 < text.length && isLow(text.charCodeAt(u + 1)) ? 2 : 1;
  }
  return u;
}

function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

function checkOffset(fn: string, offset: number, max: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset > max) {
    throw new RangeError(`${fn}: expected an integer offset in [0, ${max}], got ${String(offset)}`);
  }
}

export function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
