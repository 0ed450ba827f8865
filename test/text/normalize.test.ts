import { describe, expect, it } from 'vitest';
import {
  type NormalizeOptions,
  codePointToUtf16,
  codePoints,
  foldCodePoint,
  normalize,
  normalizeText,
  resolveNormalizeOptions,
  utf16ToCodePoint,
  utf16ToCodePointMap,
} from '../../src/text/normalize.js';
import { mixedText } from '../helpers/mixed-text.js';

describe('normalize', () => {
  it('folds full-width ASCII and the ideographic space, one token per code point', () => {
    const n = normalize('ＣＴ示：右肺　结节ＡＢＣ１２３（＋）');
    expect(n.text).toBe('CT示:右肺 结节ABC123(+)');
    expect(n.tokens).toHaveLength(n.text.length);
    expect(n.starts[n.tokens.length]).toBe('ＣＴ示：右肺　结节ＡＢＣ１２３（＋）'.length);
  });

  it('folds every full-width ASCII character to its half-width one', () => {
    for (let cp = 0xff01; cp <= 0xff5e; cp++) {
      expect(normalize(String.fromCodePoint(cp)).text).toBe(String.fromCodePoint(cp - 0xfee0));
    }
  });

  it('keeps Chinese punctuation, circled numbers, roman numerals, superscripts and ℃ as they are', () => {
    const s = '。、“”①Ⅱ型cm²℃…【】《》';
    expect(normalize(s).text).toBe(s);
    expect(normalize('，；：').text).toBe(',;:'); // these are full-width ASCII
  });

  it('can be switched off, and can lower-case', () => {
    expect(normalize('ＡＢ　c', { foldWidth: false }).text).toBe('ＡＢ　c');
    expect(normalize('ＡＢ CT Ωİ', { lowercase: true }).text).toBe('ab ct ωİ'); // İ lower-cases to 2 code points: kept
    expect(normalize('ＡＢ', { foldWidth: false, lowercase: true }).text).toBe('ａｂ');
  });

  it('maps every token back to its exact UTF-16 span of the original (emoji, ext-B, lone surrogates, CRLF)', () => {
    const original = 'a😀𠀀Ｘ\r\n\uD800b\uDC00\u3000';
    const n = normalize(original);
    expect(n.tokens).toEqual(['a', '😀', '𠀀', 'X', '\r', '\n', '\uFFFD', 'b', '\uFFFD', ' ']);
    expect([...n.starts]).toEqual([0, 1, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(n.tokens.length).toBe(Array.from(original).length);
    for (let i = 0; i < n.tokens.length; i++) {
      // the original slice of token i is code point i of the original
      expect(original.slice(n.starts[i], n.starts[i + 1])).toBe(Array.from(original)[i]);
    }
    expect(n.text).toBe(n.tokens.join(''));
  });

  it('handles the empty string and a string of only a lone high surrogate at the end', () => {
    expect(normalize('')).toEqual({ text: '', tokens: [], starts: new Int32Array([0]) });
    const n = normalize('x\uD83D');
    expect(n.tokens).toEqual(['x', '\uFFFD']);
    expect([...n.starts]).toEqual([0, 1, 2]);
  });

  it('refuses a non-string and bad options, naming what came', () => {
    expect(() => normalize(42 as unknown as string)).toThrow(/expected a string, got number/);
    expect(() => normalize('a', { lowercase: 'yes' as unknown as boolean })).toThrow(/lowercase/);
  });
});

describe('UTF-16 ↔ code point offsets', () => {
  const s = 'a😀b\uD800c𠀀';
  it('converts both ways, consistently with Array.from', () => {
    const cps = codePoints(s);
    expect(cps).toEqual(Array.from(s));
    let u = 0;
    for (let cp = 0; cp <= cps.length; cp++) {
      expect(codePointToUtf16(s, cp)).toBe(u);
      expect(utf16ToCodePoint(s, u)).toBe(cp);
      if (cp < cps.length) u += cps[cp].length;
    }
    const map = utf16ToCodePointMap(s);
    expect(map).toHaveLength(s.length + 1);
    for (let off = 0; off <= s.length; off++) expect(map[off], `offset ${off}`).toBe(utf16ToCodePoint(s, off));
  });
  it('maps an offset inside a surrogate pair to after the pair’s code point', () => {
    expect(utf16ToCodePoint(s, 2)).toBe(2);
    expect(utf16ToCodePointMap(s)[2]).toBe(2);
  });
  it('refuses offsets out of range', () => {
    expect(() => utf16ToCodePoint(s, s.length + 1)).toThrow(RangeError);
    expect(() => codePointToUtf16(s, 99)).toThrow(/past the end/);
    expect(() => codePointToUtf16(s, -1)).toThrow(RangeError);
  });
});

/** normalize as it was written first: one String.fromCodePoint per code point (the reference of the fast paths). */
function referenceNormalize(
  text: string,
  options: NormalizeOptions,
): { text: string; tokens: string[]; starts: number[] } {
  const opts = resolveNormalizeOptions(options);
  const tokens: string[] = [];
  const starts: number[] = [];
  let u = 0;
  for (const ch of Array.from(text)) {
    starts.push(u);
    const cp = ch.codePointAt(0) as number;
    const folded = foldCodePoint(cp, opts);
    tokens.push(folded === cp && ch.length === 2 ? ch : String.fromCodePoint(folded));
    u += ch.length;
  }
  starts.push(u);
  return { text: tokens.join(''), tokens, starts };
}

describe('normalize fast paths', () => {
  const optionSets: NormalizeOptions[] = [
    {},
    { foldWidth: false },
    { lowercase: true },
    { foldWidth: false, lowercase: true },
  ];

  it('gives the tokens, offsets and text of the one-code-point-at-a-time reference, under every option set', () => {
    for (const options of optionSets) {
      for (let seed = 1; seed <= 200; seed++) {
        const text = mixedText(seed, 1 + (seed % 40));
        const want = referenceNormalize(text, options);
        const got = normalize(text, options);
        expect(got.tokens, `seed ${seed} ${JSON.stringify(options)}`).toEqual(want.tokens);
        expect([...got.starts]).toEqual(want.starts);
        expect(got.text).toBe(want.text);
        expect(normalizeText(text, resolveNormalizeOptions(options))).toBe(want.text);
      }
    }
  });

  it('returns the same text for text that does not change, and folds text that does', () => {
    const kept = '患者右肺结节3.5cm。CT示:';
    expect(normalize(kept).text).toBe(kept);
    expect(normalize(kept).starts).toHaveLength(kept.length + 1);
    expect(normalizeText(kept, resolveNormalizeOptions({}))).toBe(kept);
    expect(normalizeText('ＣＴ示', resolveNormalizeOptions({}))).toBe('CT示');
    expect(normalizeText('a\ud800', resolveNormalizeOptions({}))).toBe('a\ufffd');
    expect(normalizeText('😀', resolveNormalizeOptions({}))).toBe('😀');
    expect(normalizeText('𐐀', resolveNormalizeOptions({ lowercase: true }))).toBe('𐐨');
  });

  it('folds every BMP code point as foldCodePoint does, a lone surrogate to U+FFFD', () => {
    for (const options of optionSets) {
      const opts = resolveNormalizeOptions(options);
      let text = '';
      for (let u = 0; u < 0x10000; u++) text += String.fromCharCode(u, 0x20); // a space after each: no pairs
      const got = normalize(text, options).tokens;
      for (let u = 0; u < 0x10000; u++) {
        const want = u >= 0xd800 && u <= 0xdfff ? '\ufffd' : String.fromCodePoint(foldCodePoint(u, opts));
        if (got[2 * u] !== want) expect(got[2 * u], `U+${u.toString(16)}`).toBe(want);
      }
    }
  });
});
