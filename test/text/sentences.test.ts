import { describe, expect, it } from 'vitest';
import {
  type Span,
  isSpace,
  splitSentences,
  splitWindows,
  taggableSentences,
  trimSpans,
  windowOwners,
} from '../../src/text/sentences.js';
import { foldCodePoint, normalize, resolveNormalizeOptions } from '../../src/text/normalize.js';
import { mixedText } from '../helpers/mixed-text.js';

const pieces = (text: string, spans: Span[]) => spans.map((s) => text.slice(s.start, s.end));

function expectCover(spans: Span[], length: number) {
  let at = 0;
  for (const s of spans) {
    expect(s.start).toBe(at);
    expect(s.end).toBeGreaterThan(s.start);
    at = s.end;
  }
  expect(at).toBe(length);
}

describe('splitSentences', () => {
  it('splits after Chinese and ASCII terminators and keeps each terminator with its sentence', () => {
    const t = '患者腹痛。无发热！是否呕吐？否；头痛!好?a;b';
    const spans = splitSentences(t);
    expect(pieces(t, spans)).toEqual(['患者腹痛。', '无发热！', '是否呕吐？', '否；', '头痛!', '好?', 'a;', 'b']);
    expectCover(spans, t.length);
  });

  it('splits at line breaks, CRLF staying together, and keeps runs of terminators and closing quotes', () => {
    const t = '第一行\r\n第二行\n\n他说：“好。”然后！！\r走了。\n';
    expect(pieces(t, splitSentences(t))).toEqual(['第一行\r\n', '第二行\n', '\n', '他说：“好。”', '然后！！\r', '走了。\n']);
  });

  it('does not split at a decimal point', () => {
    expect(splitSentences('肿物3.5cm大小')).toHaveLength(1);
  });

  it('covers any text without gaps, and gives the same splits on tokens as on the string', () => {
    const t = '😀a。\uD800b！\n\nＸ？c';
    const spans = splitSentences(t);
    expectCover(spans, t.length);
    const tokens = normalize(t).tokens;
    const tokSpans = splitSentences(tokens);
    expectCover(tokSpans, tokens.length);
    expect(tokSpans.map((s) => tokens.slice(s.start, s.end).join(''))).toEqual(pieces(normalize(t).text, splitSentences(normalize(t).text)));
    expect(splitSentences('')).toEqual([]);
  });

  it('refuses a non-string', () => {
    expect(() => splitSentences(5 as unknown as string)).toThrow(/got number/);
  });
});

describe('windows for long sentences', () => {
  it('returns one window for a short sentence', () => {
    expect(splitWindows({ start: 3, end: 10 }, 10, 2)).toEqual([{ start: 3, end: 10 }]);
  });

  it('covers every position with windows of at most max tokens that overlap, the last ending at the end', () => {
    for (const [len, max, overlap] of [[100, 10, 3], [11, 10, 0], [57, 8, 4], [1000, 256, 32], [9, 2, 1]]) {
      const span = { start: 5, end: 5 + len };
      const ws = splitWindows(span, max, overlap);
      expect(ws[0].start).toBe(span.start);
      expect(ws[ws.length - 1].end).toBe(span.end);
      for (const w of ws) expect(w.end - w.start).toBe(max);
      for (let i = 1; i < ws.length; i++) {
        expect(ws[i].start).toBeGreaterThan(ws[i - 1].start);
        expect(ws[i - 1].end - ws[i].start).toBeGreaterThanOrEqual(overlap);
      }
      const owners = windowOwners(span, ws);
      for (let p = span.start; p < span.end; p++) {
        const w = ws[owners[p - span.start]];
        expect(p >= w.start && p < w.end).toBe(true);
        // no other window has the position farther from an edge
        const d = Math.min(p - w.start, w.end - 1 - p);
        for (const o of ws) if (p >= o.start && p < o.end) expect(Math.min(p - o.start, o.end - 1 - p)).toBeLessThanOrEqual(d);
      }
    }
  });

  it('refuses overlap ≥ max and positions in no window', () => {
    expect(() => splitWindows({ start: 0, end: 20 }, 4, 4)).toThrow(/overlap/);
    expect(() => windowOwners({ start: 0, end: 10 }, [{ start: 0, end: 4 }])).toThrow(/position 4/);
  });
});

describe('taggableSentences', () => {
  it('gives trimmed, normalised sentences with offsets into the original text', async () => {
    const { taggableSentences, tokenAt } = await import('../../src/text/sentences.js');
    const text = '  ＣＴ示😀结节。\r\n \r\n\uD800痛！ ';
    const got = [...taggableSentences(text)];
    expect(got.map((s) => s.tokens.join(''))).toEqual(['CT示😀结节。', '\uFFFD痛!']);
    const cps = Array.from(text);
    for (const s of got) {
      expect(s.offsets).toHaveLength(s.tokens.length + 1);
      for (let i = 0; i < s.tokens.length; i++) {
        expect(text.slice(s.offsets[i], s.offsets[i + 1])).toBe(cps[s.cpStart + i]);
        expect(tokenAt(s.offsets, s.offsets[i])).toBe(i);
      }
    }
    expect(got[0].offsets[0]).toBe(2);
    expect(got[1].cpStart).toBe(cps.indexOf('\uD800'));
    expect(tokenAt(got[0].offsets, 6)).toBe(-1); // inside the surrogate pair of 😀
    expect([...taggableSentences(' \n\u3000')]).toEqual([]);
  });
});

describe('splitting and trimming on code units', () => {
  // the sets as first written (strings), against which the unit table is checked
  const TERMINATORS = new Set(['。', '！', '？', '；', '!', '?', ';', '｡']);
  const LINE_BREAKS = new Set(['\n', '\r', '\u2028', '\u2029', '\u0085']);
  const CLOSERS = new Set(['"', "'", '”', '’', '」', '』', '）', ')', '】', ']', '》', '〉', '〕', '］', '｝', '}', '＂', '＇']);

  it('ends a sentence after exactly the terminators and line breaks, and keeps exactly the closers', () => {
    for (let u = 0; u < 0x10000; u++) {
      if (u >= 0xd800 && u <= 0xdfff) continue;
      const ch = String.fromCharCode(u);
      const ends = TERMINATORS.has(ch) || LINE_BREAKS.has(ch);
      const got = splitSentences(`a${ch}b`).map((s) => s.end);
      const want = ends ? [2, 3] : [3];
      if (got.join() !== want.join()) expect(got, `U+${u.toString(16)}`).toEqual(want);
      const kept = splitSentences(`a。${ch}b`).map((s) => s.end);
      const wantKept = TERMINATORS.has(ch) || CLOSERS.has(ch) || LINE_BREAKS.has(ch) ? [3, 4] : [2, 4];
      if (kept.join() !== wantKept.join()) expect(kept, `after 。 U+${u.toString(16)}`).toEqual(wantKept);
      const onTokens = splitSentences(['a', '。', ch, 'b']).map((s) => s.end); // the same on tokens
      if (onTokens.join() !== wantKept.join()) expect(onTokens, `tokens, U+${u.toString(16)}`).toEqual(wantKept);
    }
  });

  it('reads a token of more than one unit as no terminator, and takes sparse token arrays', () => {
    expect(splitSentences(['a', '。x', 'b'])).toEqual([{ start: 0, end: 3 }]);
    expect(splitSentences(['a', '😀', '。'])).toEqual([{ start: 0, end: 3 }]);
    expect(splitSentences(new Array<string>(3))).toEqual([{ start: 0, end: 3 }]);
  });

  it('calls exactly the tokens that \\s matches whitespace', () => {
    for (let u = 0; u < 0x10000; u++) {
      const ch = String.fromCharCode(u);
      if (isSpace(ch) !== /^\s$/u.test(ch)) expect(isSpace(ch), `U+${u.toString(16)}`).toBe(/^\s$/u.test(ch));
    }
    expect(isSpace('😀')).toBe(false);
    expect(isSpace('')).toBe(false);
    expect(isSpace('  ')).toBe(false);
  });

  it('normalising keeps every code point whitespace or not (so trimming the original trims the tokens)', () => {
    for (const options of [{}, { foldWidth: false }, { lowercase: true }, { foldWidth: false, lowercase: true }]) {
      const opts = resolveNormalizeOptions(options);
      for (let u = 0; u < 0x10000; u++) {
        if (u >= 0xd800 && u <= 0xdfff) continue;
        const ch = String.fromCharCode(u);
        const folded = String.fromCodePoint(foldCodePoint(u, opts));
        if (isSpace(folded) !== isSpace(ch)) expect(isSpace(folded), `U+${u.toString(16)}`).toBe(isSpace(ch));
      }
    }
  });

  it('gives the sentences of the split → normalise → trim reference for any text', () => {
    for (const options of [{}, { lowercase: true }]) {
      for (let seed = 1; seed <= 300; seed++) {
        const text = mixedText(seed, seed % 60);
        // the reference: normalise each sentence's slice, trim its tokens, offsets into the original
        const want: { tokens: string[]; offsets: number[]; cpStart: number }[] = [];
        let cp = 0;
        for (const s of splitSentences(text)) {
          const norm = normalize(text.slice(s.start, s.end), options);
          const [span] = trimSpans(norm.tokens, [{ start: 0, end: norm.tokens.length }]);
          if (span !== undefined) {
            const offsets = [...norm.starts.slice(span.start, span.end + 1)].map((o) => s.start + o);
            want.push({ tokens: norm.tokens.slice(span.start, span.end), offsets, cpStart: cp + span.start });
          }
          cp += norm.tokens.length;
        }
        const got = [...taggableSentences(text, options)].map((s) => ({ tokens: s.tokens, offsets: [...s.offsets], cpStart: s.cpStart }));
        expect(got, `seed ${seed}`).toEqual(want);
      }
    }
  });
});
