import { describe, expect, it } from 'vitest';
import {
  codePointToUtf16,
  codePoints,
  normalize,
  utf16ToCodePoint,
  utf16ToCodePointMap,
} from '../../src/text/normalize.js';

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
