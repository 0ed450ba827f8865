import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Segmenter,
  type SegmenterSpec,
  createSegmenter,
  endsToChars,
  tagLetters,
  validateSegmenterSpec,
  wordsToChars,
} from '../../src/segment/index.js';
import { buildSegmenterSpec } from '../../src/train/segdict.js';
import { seededRandom } from './data.js';
import { FIXTURES } from './fixtures.js';


let full: Segmenter;
let jieba: Jieba;

beforeAll(() => {
  full = createSegmenter(buildSegmenterSpec({ variant: 'jieba', texts: [], prune: false }).spec);
  jieba = Jieba.withDict(dict);
});

describe('dict segmenter with the full jieba dictionary', () => {
  it('equals @node-rs/jieba cut(text, false) on the fixture sentences', () => {
    for (const text of FIXTURES) expect(full.cut(text)).toEqual(jieba.cut(text, false));
  });

  it('reproduces jieba-rs documented examples', () => {
    expect(full.cut('我们中出了一个叛徒')).toEqual(['我们', '中', '出', '了', '一个', '叛徒']);
    expect(full.cut('abc网球拍卖会def')).toEqual(['abc', '网球', '拍卖会', 'def']);
  });

  it('equals @node-rs/jieba for every code point up to U+2FFFF in context (blocks, whitespace, ASCII joining)', () => {
    const mismatches: number[] = [];
    for (let cp = 1; cp < 0x30000; cp += cp < 0x10000 ? 1 : 7) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue; // napi turns lone surrogates into U+FFFD
      const ch = String.fromCodePoint(cp);
      const text = `a${ch}1${ch}上腹${ch}${ch}\r${ch}\n`;
      if (JSON.stringify(full.cut(text)) !== JSON.stringify(jieba.cut(text, false))) mismatches.push(cp);
    }
    expect(mismatches).toEqual([]);
  });

  it('equals @node-rs/jieba on 20,000 seeded random strings of words, ASCII, punctuation, whitespace and emoji', () => {
    const pieces = [
      '的', '上', '腹', '部', '压', '痛', '患者', '网球拍卖会', '中国科学院', '计算所', '射线', 'γ射线', 'a', 'b', 'Z', '0', '9',
      '+', '#', '&', '.', '_', '%', '-', 'C++', 'AT&T', 'B超', '1.5cm', 'ab-34', ' ', '\t', '\r', '\n', '\r\n', '\u3000',
      '\u00a0', '\u2028', '\u0085', '\u001c', '，', '。', 'Ａ', '１', '😀', '👨‍👩‍👧', '𠀀', '𪜀', '㐀', '鿿', '豈', 'é', '\u0301', '/',
      '(', '*', '\ufeff',
    ];
    const rnd = seededRandom(20170517);
    let checked = 0;
    for (let it = 0; it < 20000; it++) {
      let text = '';
      const n = 1 + Math.floor(rnd() * 20);
      for (let k = 0; k < n; k++) text += pieces[Math.floor(rnd() * pieces.length)];
      const ours = full.cut(text);
      const theirs = jieba.cut(text, false);
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) expect({ text, ours }).toEqual({ text, ours: theirs });
      checked++;
    }
    expect(checked).toBe(20000);
  });
});

describe('concatenation invariant', () => {
  /** Random strings over emoji, lone surrogates, full-width, ASCII, CJK (BMP and supplementary), whitespace. */
  function randomText(rnd: () => number): string {
    const n = Math.floor(rnd() * 40);
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (r < 0.3) s += String.fromCharCode(0x4e00 + Math.floor(rnd() * 0x5200)); // CJK (often dictionary chars)
      else if (r < 0.4) s += '上腹部疼痛患者查体心肺'[Math.floor(rnd() * 11)];
      else if (r < 0.55) s += String.fromCharCode(0x20 + Math.floor(rnd() * 0x5f)); // printable ASCII
      else if (r < 0.6) s += ['\r\n', '\r', '\n', '\t', '\u3000'][Math.floor(rnd() * 5)];
      else if (r < 0.68) s += String.fromCharCode(0xff01 + Math.floor(rnd() * 0x5e)); // full-width
      else if (r < 0.76) s += String.fromCodePoint(0x1f300 + Math.floor(rnd() * 0x300)); // emoji
      else if (r < 0.82) s += String.fromCharCode(0xd800 + Math.floor(rnd() * 0x800)); // lone surrogate (either half)
      else if (r < 0.88) s += String.fromCodePoint(0x20000 + Math.floor(rnd() * 0xa6e0)); // CJK extension B
      else if (r < 0.94) s += String.fromCharCode(Math.floor(rnd() * 0x10000)); // anything in the BMP
      else s += String.fromCodePoint(Math.floor(rnd() * 0x110000)); // anything at all
    }
    return s;
  }

  it('words join back to the text, are non-empty, and cutEnds agrees, for 5,000 seeded strings (dict and none)', () => {
    const none = createSegmenter({ kind: 'none' });
    const rnd = seededRandom(42);
    const failures: { it: number; segmenter: string; check: string }[] = [];
    for (let it = 0; it < 5000; it++) {
      const text = randomText(rnd);
      for (const [name, seg] of [['dict', full], ['none', none]] as const) {
        const words = seg.cut(text);
        if (words.join('') !== text) failures.push({ it, segmenter: name, check: 'join' });
        if (!words.every((w) => w.length > 0)) failures.push({ it, segmenter: name, check: 'empty word' });
        const ends = seg.cutEnds(text);
        let end = 0;
        const endsAgree = ends.length === words.length && words.every((w, i) => ends[i] === (end += w.length));
        if (!endsAgree) failures.push({ it, segmenter: name, check: 'cutEnds' });
        if (wordsToChars(words).word.length !== [...text].length) failures.push({ it, segmenter: name, check: 'chars' });
      }
    }
    expect(failures).toEqual([]);
  });

  it('never splits a surrogate pair and keeps a lone surrogate as its own word', () => {
    const text = 'a\ud800b\udc00😀𠀀上腹部\ud83d';
    const words = full.cut(text);
    expect(words.join('')).toBe(text);
    expect(words).toContain('\ud800');
    expect(words).toContain('\udc00');
    expect(words).toContain('😀');
    expect(words[words.length - 1]).toBe('\ud83d');
    for (const w of words) {
      const first = w.charCodeAt(0);
      expect(first >= 0xdc00 && first <= 0xdfff && w.length > 1).toBe(false); // no word starts mid-pair
    }
  });
});

describe("kind 'none'", () => {
  it('makes every code point its own word', () => {
    const seg = createSegmenter({ kind: 'none' });
    expect(seg.cut('上腹部\r\n😀a1')).toEqual(['上', '腹', '部', '\r', '\n', '😀', 'a', '1']);
    expect(seg.cut('')).toEqual([]);
    expect(seg.dictionarySize).toBe(0);
  });
});

describe('wordsToChars', () => {
  it('gives word index and B/M/E/S per code point', () => {
    const r = wordsToChars(['患者', '上腹部', '疼', '😀', 'abc']);
    expect(Array.from(r.word)).toEqual([0, 0, 1, 1, 1, 2, 3, 4, 4, 4]);
    expect(tagLetters(r.tag).join('')).toBe('BEBMESSBME');
  });

  it("counts UTF-16 units with unit 'utf16'", () => {
    const r = wordsToChars(['😀', '上腹'], 'utf16');
    expect(Array.from(r.word)).toEqual([0, 0, 1, 1]);
    expect(tagLetters(r.tag).join('')).toBe('BEBE');
  });

  it('agrees with endsToChars on a cut', () => {
    const text = '患者上腹部疼痛3天，加重伴恶心呕吐1天。😀';
    const a = wordsToChars(full.cut(text));
    const b = endsToChars(text, full.cutEnds(text));
    expect(Array.from(a.word)).toEqual(Array.from(b.word));
    expect(Array.from(a.tag)).toEqual(Array.from(b.tag));
  });

  it('rejects bad input', () => {
    expect(() => wordsToChars(['a', ''])).toThrow(/words\[1\]/);
    expect(() => wordsToChars(['a'], 'bytes' as never)).toThrow(/unit/);
    expect(() => endsToChars('abc', [1, 2])).toThrow(/last end/);
    expect(() => endsToChars('abc', [2, 2, 3])).toThrow(/ascending/);
  });
});

describe('spec validation', () => {
  const good: SegmenterSpec = { kind: 'dict', variant: 'jieba', total: 100, words: ['上', '上腹部'], freqs: [10, 5] };

  it('accepts a well-formed spec and round-trips through JSON', () => {
    const seg = createSegmenter(JSON.parse(JSON.stringify(good)));
    expect(seg.cut('上腹部上')).toEqual(['上腹部', '上']);
    expect(seg.dictionarySize).toBe(2);
  });

  it('rejects malformed specs with a message naming the field', () => {
    const bad = (patch: object) => () => validateSegmenterSpec({ ...good, ...patch });
    expect(() => validateSegmenterSpec(null)).toThrow(/expected an object/);
    expect(bad({ kind: 'crf' })).toThrow(/kind/);
    expect(bad({ variant: 'hmm' })).toThrow(/variant/);
    expect(bad({ total: 0 })).toThrow(/total/);
    expect(bad({ freqs: [10] })).toThrow(/as many freqs as words/);
    expect(bad({ freqs: [10, -1] })).toThrow(/freqs\[1\]/);
    expect(bad({ words: ['上腹部', '上'] })).toThrow(/sorted/);
    expect(bad({ words: ['上', '上'] })).toThrow(/sorted/);
    expect(bad({ words: ['', '上'] })).toThrow(/words\[0\]/);
    expect(bad({ words: ['\ud800', '上'] })).toThrow(/lone surrogate/);
    expect(() => full.cut(42 as never)).toThrow(/expected a string, got number/);
  });
});
