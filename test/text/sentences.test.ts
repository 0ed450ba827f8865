import { describe, expect, it } from 'vitest';
import { type Span, splitSentences, splitWindows, windowOwners } from '../../src/text/sentences.js';
import { normalize } from '../../src/text/normalize.js';

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
