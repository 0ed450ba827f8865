import { describe, expect, it } from 'vitest';
import { parseTag, spansToTags, tagIdsToSpans, tagSet, tagTypes, tagsToSpans } from '../../src/tags/bio.js';
import { rng } from '../helpers/random-model.js';

describe('tagSet', () => {
  it('gives O then B-/I- pairs of the sorted distinct types, whatever the input order', () => {
    expect(tagSet(['SIGNS', 'BODY', 'SIGNS'])).toEqual(['O', 'B-BODY', 'I-BODY', 'B-SIGNS', 'I-SIGNS']);
    expect(tagSet(['BODY', 'SIGNS'])).toEqual(tagSet(['SIGNS', 'BODY']));
    expect(tagSet([])).toEqual(['O']);
    expect(tagSet(['疾病和诊断', '解剖部位'])).toHaveLength(5);
    expect(tagTypes(tagSet(['B', 'A']))).toEqual(['A', 'B']);
  });
  it('refuses empty or whitespace type names', () => {
    expect(() => tagSet(['BODY', ''])).toThrow(/types\[1\]/);
    expect(() => tagSet(['A B'])).toThrow(TypeError);
  });
});

describe('spansToTags / tagsToSpans', () => {
  it('encodes spans as BIO and back', () => {
    const spans = [{ start: 0, end: 2, type: 'BODY' }, { start: 2, end: 3, type: 'SIGNS' }, { start: 5, end: 8, type: 'BODY' }];
    const tags = spansToTags(9, spans);
    expect(tags).toEqual(['B-BODY', 'I-BODY', 'B-SIGNS', 'O', 'O', 'B-BODY', 'I-BODY', 'I-BODY', 'O']);
    expect(tagsToSpans(tags)).toEqual(spans);
  });

  it('round-trips random non-overlapping spans', () => {
    const r = rng(12);
    for (let trial = 0; trial < 200; trial++) {
      const n = Math.floor(r() * 30);
      const spans = [];
      let p = 0;
      while (p < n) {
        p += Math.floor(r() * 3);
        const len = 1 + Math.floor(r() * 4);
        if (p + len > n) break;
        spans.push({ start: p, end: p + len, type: r() < 0.5 ? 'A' : 'B' });
        p += len;
      }
      expect(tagsToSpans(spansToTags(n, spans))).toEqual(spans);
    }
  });

  it('follows conlleval for ill-formed sequences', () => {
    // I-X after O starts an entity
    expect(tagsToSpans(['O', 'I-A', 'I-A', 'O'])).toEqual([{ start: 1, end: 3, type: 'A' }]);
    // I-X after B-Y starts a new X entity
    expect(tagsToSpans(['B-B', 'I-A', 'I-A'])).toEqual([{ start: 0, end: 1, type: 'B' }, { start: 1, end: 3, type: 'A' }]);
    // I-X after I-Y too
    expect(tagsToSpans(['I-B', 'I-A'])).toEqual([{ start: 0, end: 1, type: 'B' }, { start: 1, end: 2, type: 'A' }]);
    // B-X after B-X / I-X starts a new one
    expect(tagsToSpans(['B-A', 'B-A', 'I-A', 'B-A'])).toEqual([
      { start: 0, end: 1, type: 'A' }, { start: 1, end: 3, type: 'A' }, { start: 3, end: 4, type: 'A' },
    ]);
    // first position I-X
    expect(tagsToSpans(['I-A'])).toEqual([{ start: 0, end: 1, type: 'A' }]);
    expect(tagsToSpans([])).toEqual([]);
  });

  it('decodes tag ids with a label list', () => {
    const labels = tagSet(['A', 'B']); // O B-A I-A B-B I-B
    expect(tagIdsToSpans(new Int32Array([1, 2, 0, 4, 3]), labels)).toEqual([
      { start: 0, end: 2, type: 'A' }, { start: 3, end: 4, type: 'B' }, { start: 4, end: 5, type: 'B' },
    ]);
    expect(() => tagIdsToSpans([0, 5], labels)).toThrow(/position 1/);
  });

  it('refuses overlapping, empty or out-of-range spans and malformed tags', () => {
    expect(() => spansToTags(5, [{ start: 0, end: 3, type: 'A' }, { start: 2, end: 4, type: 'B' }])).toThrow(/overlap at position 2/);
    expect(() => spansToTags(5, [{ start: 2, end: 2, type: 'A' }])).toThrow(RangeError);
    expect(() => spansToTags(5, [{ start: 3, end: 6, type: 'A' }])).toThrow(RangeError);
    expect(() => tagsToSpans(['O', 'X-A'])).toThrow(/not a BIO tag/);
    expect(() => parseTag('B-')).toThrow();
    expect(parseTag('I-疾病')).toEqual({ prefix: 'I', type: '疾病' });
  });
});
