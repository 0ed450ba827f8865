/**
 * Random text (seeded) over every kind of code point that normalisation, splitting and trimming treat differently:
 * ASCII, CJK, full-width ASCII, Unicode spaces and line breaks, sentence terminators and closers, the folded signs,
 * lower-case forms, code points beyond the BMP, and lone surrogate units (which sometimes meet as pairs).
 */
const KINDS = [
  'abcXYZ019 .,\t\n\r', // ASCII (A–Z lower-case under `lowercase`)
  '患者腹痛无发热结节右肺', // CJK
  'ＣＴＡｂ１２（＋）：，；！？', // full-width ASCII
  '\u3000\u00a0\u1680\u2000\u2005\u200a\u202f\u205f\u2028\u2029\u0085\ufeff', // Unicode spaces and line breaks
  '。！？；!?;｡”’」』）】》', // terminators and closers
  '￠￡￢￣￤￥￦µ', // the fold table's signs and the micro sign
  'ΩİÅÉ℃①Ⅱ²…“【《', // lower-case forms, kept symbols
  '😀𠀀𐐀🀄', // beyond the BMP (𐐀 lower-cases to 𐐨)
  '\ud800\udbff\udc00\udfff', // surrogate units, one at a time
];

export function mixedText(seed: number, length: number): string {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0), s >>> 8);
  let out = '';
  while (out.length < length) {
    const k = next() % KINDS.length;
    const chars = k === KINDS.length - 1 ? KINDS[k].split('') : Array.from(KINDS[k]);
    out += chars[next() % chars.length];
  }
  return out;
}
