/** Span voting over several models' predictions (src/eval/vote.ts) and the agreement analysis built on it (scripts/agreement.ts). */
import { describe, expect, it } from 'vitest';
import type { Doc, EntitySpan } from '../../src/corpus/document.js';
import { dropOverlaps, relaxedErrors, voteSpans } from '../../src/eval/index.js';
import { agreementReport, annotationRates, rateBucket } from '../../scripts/agreement.js';

const s = (start: number, end: number, type = 'X'): EntitySpan => ({ start, end, type });

describe('voteSpans', () => {
  const a = [[s(0, 2), s(4, 6), s(8, 9, 'Y')], [s(1, 3)]];
  const b = [[s(0, 2), s(4, 6, 'Y'), s(8, 9, 'Y'), s(8, 9, 'Y')], []];
  const c = [[s(0, 2), s(4, 7)], [s(1, 3)]];

  it('keeps the spans (exact start, end, type) at least minVotes models predict, in text order', () => {
    expect(voteSpans([a, b, c], 3)).toEqual([[s(0, 2)], []]);
    expect(voteSpans([a, b, c], 2)).toEqual([[s(0, 2), s(8, 9, 'Y')], [s(1, 3)]]);
    expect(voteSpans([a, b, c], 1)).toEqual([[s(0, 2), s(4, 6), s(4, 6, 'Y'), s(4, 7), s(8, 9, 'Y')], [s(1, 3)]]);
  });

  it('a model votes once per span, however often it repeats it', () => {
    // b predicts (8, 9, Y) twice: alone it is not 2 votes
    expect(voteSpans([b, c], 2)).toEqual([[s(0, 2)], []]);
  });

  it('refuses bad arguments with the reason', () => {
    expect(() => voteSpans([], 1)).toThrow(/at least one model/);
    expect(() => voteSpans([a, b], 0)).toThrow(/minVotes must be an integer in \[1, 2\], got 0/);
    expect(() => voteSpans([a, b], 3)).toThrow(/minVotes must be an integer in \[1, 2\], got 3/);
    expect(() => voteSpans([a, b], 1.5)).toThrow(/minVotes/);
    expect(() => voteSpans([a, [[]]], 1)).toThrow(/model 1 has predictions for 1 documents, model 0 for 2/);
  });

  it('dropOverlaps: a flat annotation, the earlier then the longer span first', () => {
    expect(dropOverlaps([s(4, 7), s(0, 2), s(4, 6, 'Y'), s(1, 3), s(6, 9), s(7, 9)])).toEqual([s(0, 2), s(4, 7), s(7, 9)]);
    expect(dropOverlaps([])).toEqual([]);
  });
});

describe('agreement analysis', () => {
  // training: 'ab' annotated in 1 of its 4 occurrences (25 %), 'cd' in 2 of 2; 'ef' never annotated
  const train: Doc[] = [
    { id: 'S-1', text: 'ab cd ab', entities: [s(0, 2), s(3, 5)] },
    { id: 'S-2', text: 'ab cd ab ef', entities: [s(3, 5)] },
  ];
  it('annotationRates counts annotated entities and occurrences of each annotated string; rateBucket reads them', () => {
    const r = annotationRates(train);
    expect(r.get('ab')).toEqual({ annotated: 1, occurrences: 4 });
    expect(r.get('cd')).toEqual({ annotated: 2, occurrences: 2 });
    expect(r.has('ef')).toBe(false);
    expect(rateBucket(r, 'ab')).toBe('annotated in < 30 % of its training occurrences');
    expect(rateBucket(r, 'cd')).toBe('annotated in > 70 %');
    expect(rateBucket(r, 'ef')).toBe('never annotated in training');
  });

  it('relaxedErrors: gold with no overlapping same-type prediction, predictions with no overlapping same-type gold', () => {
    const gold: Doc[] = [{ id: 'T-1', text: 'ab cd ef', entities: [s(0, 2), s(3, 5), s(6, 8, 'Y')] }];
    const e = relaxedErrors(gold, [[s(1, 2), s(3, 5, 'Y'), s(6, 8, 'Y')]]);
    expect(e.missed).toEqual([{ doc: 0, e: s(3, 5) }]);
    expect(e.spurious).toEqual([{ doc: 0, e: s(3, 5, 'Y') }]);
  });

  it('agreementReport: figures of the vote, the unanimous spans and the union, and the buckets of the disagreements', () => {
    const test: Doc[] = [
      { id: 'T-1', text: 'ab cd ef', entities: [s(0, 2), s(6, 8)] }, // 'ab' rarely annotated in training, 'ef' never
      { id: 'T-2', text: 'cd ab', entities: [] }, // 'cd' almost always annotated in training, not here
    ];
    const m1 = [[s(0, 2), s(3, 5)], [s(0, 2)]];
    const m2 = [[s(3, 5)], [s(0, 2)]];
    const m3 = [[s(3, 5), s(6, 8)], [s(0, 2), s(3, 5)]];
    const r = agreementReport(test, train, [{ name: 'm1', pred: m1 }, { name: 'm2', pred: m2 }, { name: 'm3', pred: m3 }]);
    // vote ≥ 2: T-1 {cd}, T-2 {cd}; unanimous: T-1 {cd}, T-2 {cd}; union: T-1 {ab, cd, ef}, T-2 {cd, ab}
    expect(r.vote.relaxed.micro).toMatchObject({ gold: 2, pred: 2, matchedGold: 0, matchedPred: 0 });
    expect(r.unanimous.relaxed.micro).toMatchObject({ pred: 2, matchedPred: 0 });
    expect(r.union.relaxed.micro).toMatchObject({ gold: 2, pred: 5, matchedGold: 2, matchedPred: 2 });
    expect(r.markdown).toContain('100.00 % of the gold entities are found by at least one of the 3 models');
    expect(r.markdown).toMatch(/of the 2 spans that all 3 models predict, 2\s+\(100\.00 %\) overlap no gold entity/);
    // the unanimous spans not in gold are both 'cd' (annotated in > 70 % of its training occurrences)
    expect(r.markdown).toContain('| annotated in > 70 % | 0 | 2 |');
    // counts and ids only: no text of the documents
    expect(r.markdown).not.toMatch(/\bab\b|\bcd\b|\bef\b/);
    expect(() => agreementReport(test, train, [{ name: 'm1', pred: m1 }])).toThrow(/at least 2 models/);
    // the bucketed model: the best by relaxed F1 (m1 here), or the reference named
    expect(r.markdown).toContain('| missed by m1 | spurious of m1 |');
    const withRef = agreementReport(test, train, [{ name: 'm1', pred: m1 }, { name: 'm2', pred: m2 }], 'cmd', { name: 'shipped', pred: [[s(0, 2)], []] });
    expect(withRef.markdown).toContain('Made by `cmd`.');
    expect(withRef.markdown).toContain('| missed by shipped | spurious of shipped |');
    // 'shipped' finds 'ab' and misses 'ef' (never annotated in training)
    expect(withRef.markdown).toContain('| never annotated in training | 1 | 0 | 1 | 0 |');
    expect(withRef.markdown).toMatch(/shipped \(strict 66\.67, relaxed 66\.67\): of its 1 relaxed errors, 0 \(0\.00 %\) contradict/);
  });
});
