import { describe, expect, it } from 'vitest';
import type { Doc } from '../../src/corpus/index.js';
import { MISSED, SPURIOUS, evaluateEntities, formatEntityReport, pairDocuments } from '../../src/eval/index.js';

const text = 'abcdefghijklmnopqrst'; // 20 characters
const span = (start: number, end: number, type: string) => ({ start, end, type });

/**
 * gold                 prediction           class
 * G1 [0,2)   A         P1 [0,2)   A         correct
 * G2 [3,5)   B         P2 [3,5)   A         type error
 * G3 [6,9)   A         P3 [6,8)   A         boundary error
 * G4 [10,12) B         P4 [10,13) A         boundary + type error
 * G5 [13,15) A         —                    missed
 * G6 [16,18) C         P5 [16,18) C         correct
 * —                    P6 [19,20) B         spurious
 */
const gold: Doc[] = [{ id: 'd1', text, entities: [span(0, 2, 'A'), span(3, 5, 'B'), span(6, 9, 'A'), span(10, 12, 'B'), span(13, 15, 'A'), span(16, 18, 'C')] }];
const pred: Doc[] = [{ id: 'd1', text, entities: [span(0, 2, 'A'), span(3, 5, 'A'), span(6, 8, 'A'), span(10, 13, 'A'), span(16, 18, 'C'), span(19, 20, 'B')] }];

describe('evaluateEntities', () => {
  const r = evaluateEntities(gold, pred);

  it('strict: 2 of 6 gold and 2 of 6 predicted entities match exactly', () => {
    expect(r.types).toEqual(['A', 'B', 'C']);
    expect(r.strict.micro).toMatchObject({ gold: 6, pred: 6, matchedGold: 2, matchedPred: 2 });
    expect(r.strict.micro.precision).toBeCloseTo(1 / 3, 12);
    expect(r.strict.micro.f1).toBeCloseTo(1 / 3, 12);
    // A: gold 3, pred 4, matched 1 → P 1/4, R 1/3, F1 2/7;  B: gold 2, pred 1, matched 0;  C: 1/1/1
    expect(r.strict.perType.A).toMatchObject({ gold: 3, pred: 4, matchedGold: 1 });
    expect(r.strict.perType.A.precision).toBeCloseTo(1 / 4, 12);
    expect(r.strict.perType.A.recall).toBeCloseTo(1 / 3, 12);
    expect(r.strict.perType.A.f1).toBeCloseTo(2 / 7, 12);
    expect(r.strict.perType.B).toMatchObject({ gold: 2, pred: 1, matchedGold: 0, precision: 0, recall: 0, f1: 0 });
    expect(r.strict.perType.C).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    // macro = mean over A, B, C
    expect(r.strict.macro.precision).toBeCloseTo((1 / 4 + 0 + 1) / 3, 12);
    expect(r.strict.macro.recall).toBeCloseTo((1 / 3 + 0 + 1) / 3, 12);
    expect(r.strict.macro.f1).toBeCloseTo((2 / 7 + 0 + 1) / 3, 12);
  });

  it('relaxed: overlap with the same type counts on each side', () => {
    // gold found: G1, G3, G6; predictions correct: P1, P3, P5
    expect(r.relaxed.micro).toMatchObject({ gold: 6, pred: 6, matchedGold: 3, matchedPred: 3, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(r.relaxed.perType.A).toMatchObject({ gold: 3, pred: 4, matchedGold: 2, matchedPred: 2 });
    expect(r.relaxed.perType.B).toMatchObject({ matchedGold: 0, matchedPred: 0 });
  });

  it('confusion matrix on exact spans, with missed and spurious', () => {
    expect(r.confusion).toEqual({
      A: { A: 1, B: 0, C: 0, [MISSED]: 2 }, // G3, G5 have no prediction on exactly their span
      B: { A: 1, B: 0, C: 0, [MISSED]: 1 }, // G2 predicted as A; G4 missed
      C: { A: 0, B: 0, C: 1, [MISSED]: 0 },
      [SPURIOUS]: { A: 2, B: 1, C: 0 }, // P3, P4 (no exact gold span) and P6
    });
  });

  it('error classes: each gold entity in one class, spurious predictions apart', () => {
    expect(r.errors).toMatchObject({ correct: 2, type: 1, boundary: 1, boundaryType: 1, missed: 1, spurious: 1 });
    expect(r.errors.perType.A).toEqual({ correct: 1, type: 0, boundary: 1, boundaryType: 0, missed: 1, spurious: 0 });
    expect(r.errors.perType.B).toEqual({ correct: 0, type: 1, boundary: 0, boundaryType: 1, missed: 0, spurious: 1 });
    const e = r.errors;
    expect(e.correct + e.type + e.boundary + e.boundaryType + e.missed).toBe(r.strict.micro.gold);
  });

  it('perfect predictions score 1 everywhere; empty predictions score 0 without NaN', () => {
    const same = evaluateEntities(gold, gold);
    expect([same.strict.micro.f1, same.relaxed.micro.f1, same.strict.macro.f1]).toEqual([1, 1, 1]);
    const empty = evaluateEntities(gold, [{ id: 'd1', text, entities: [] }]);
    expect(empty.strict.micro).toMatchObject({ precision: 0, recall: 0, f1: 0 });
    expect(empty.errors.missed).toBe(6);
    expect(evaluateEntities([], []).strict.macro).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('formats aligned tables', () => {
    const table = formatEntityReport(r);
    expect(table).toContain('micro');
    expect(table).toMatch(/^A\s+3\s+4\s+1\s+25\.00\s+33\.33\s+28\.57$/m);
    expect(table).not.toContain('relaxed P');
    expect(table).not.toContain('NaN');
    const withRelaxed = formatEntityReport(r, { relaxed: true });
    expect(withRelaxed).toMatch(/^micro\s+6\s+6\s+2\s+33\.33\s+33\.33\s+33\.33\s+50\.00\s+50\.00\s+50\.00$/m);
    const lines = table.split('\n').filter((l) => /^(A|B|C|micro) /.test(l));
    expect(new Set(lines.slice(0, 4).map((l) => l.length)).size).toBe(1); // same width
  });
});

describe('pairDocuments', () => {
  const a: Doc = { id: 'a', text: '甲', entities: [] };
  const b: Doc = { id: 'b', text: '乙', entities: [] };

  it('pairs by id regardless of order, else by position', () => {
    expect(pairDocuments([a, b], [b, a]).map(([g, p]) => [g.id, p.id])).toEqual([
      ['a', 'a'],
      ['b', 'b'],
    ]);
    const renamed = [{ ...a, id: 'x-1' }, { ...b, id: 'x-2' }];
    expect(pairDocuments([a, b], renamed).map(([, p]) => p.id)).toEqual(['x-1', 'x-2']);
    expect(() => pairDocuments([a, b], renamed, 'id')).toThrow(/2 gold ids without a prediction \(a, b\), 2 predicted ids not in gold/);
    expect(() => pairDocuments([a, b], [a])).toThrow(/counts differ/);
  });

  it('requires identical texts and never prints them', () => {
    let message = '';
    try {
      pairDocuments([a], [{ ...a, text: '甲乙' }]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/document a .*texts differ \(lengths 1 and 2\)/);
    expect(message).not.toContain('甲');
  });
});
