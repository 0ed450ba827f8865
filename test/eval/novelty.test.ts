import { describe, expect, it } from 'vitest';
import type { Doc } from '../../src/corpus/index.js';
import { evaluateEntities, formatEntityReport, seenEntities } from '../../src/eval/index.js';

const span = (start: number, end: number, type: string) => ({ start, end, type });

// training: 头痛 as S, 腹部 as B, 阿司匹林 as T (and 头痛 NOT as B)
const train: Doc[] = [
  { id: 't1', text: '头痛腹部', entities: [span(0, 2, 'S'), span(2, 4, 'B')] },
  { id: 't2', text: '服阿司匹林', entities: [span(1, 5, 'T')] },
];

//            0123456789
const text = '头痛腹部胸痛服阿司匹林头痛';
/**
 * gold                         seen?                   prediction                      seen?
 * 头痛 [0,2) S                 seen                    头痛 [0,2) S                    seen     match
 * 腹部 [2,4) B                 seen                    —
 * 胸痛 [4,6) S                 unseen                  胸痛 [4,6) S                    unseen   match
 * 阿司匹林 [7,11) T            seen                    司匹林 [8,11) T                 unseen   (boundary)
 * 头痛 [11,13) B               unseen (头痛 is S only) 头痛 [11,13) B                  unseen   match
 */
const gold: Doc[] = [{ id: 'd', text, entities: [span(0, 2, 'S'), span(2, 4, 'B'), span(4, 6, 'S'), span(7, 11, 'T'), span(11, 13, 'B')] }];
const pred: Doc[] = [{ id: 'd', text, entities: [span(0, 2, 'S'), span(4, 6, 'S'), span(8, 11, 'T'), span(11, 13, 'B')] }];

describe('seen / unseen entity scores', () => {
  const r = evaluateEntities(gold, pred, { train });
  const n = r.novelty!;

  it('seenEntities: the distinct (type, string) pairs of the training documents', () => {
    expect(seenEntities(train).size).toBe(3);
    expect(n.trainEntities).toBe(3);
    expect(() => seenEntities('x' as never)).toThrow('seenEntities expects an array of training documents, got string');
  });

  it('classes gold by its own string and type, predictions by theirs; strict matches count in both', () => {
    // seen: gold 头痛/S, 腹部/B, 阿司匹林/T (3); pred 头痛/S (1); matched 1 → P 1, R 1/3
    expect(n.seen.micro).toMatchObject({ gold: 3, pred: 1, matchedGold: 1, matchedPred: 1, precision: 1 });
    expect(n.seen.micro.recall).toBeCloseTo(1 / 3, 12);
    expect(n.seen.micro.f1).toBeCloseTo(0.5, 12);
    // unseen: gold 胸痛/S, 头痛/B (2); pred 胸痛/S, 司匹林/T, 头痛/B (3); matched 2 → P 2/3, R 1
    expect(n.unseen.micro).toMatchObject({ gold: 2, pred: 3, matchedGold: 2, matchedPred: 2, recall: 1 });
    expect(n.unseen.micro.precision).toBeCloseTo(2 / 3, 12);
    expect(n.unseen.micro.f1).toBeCloseTo(0.8, 12);
    // the classes partition the strict counts
    for (const k of ['gold', 'pred', 'matchedGold'] as const) expect(n.seen.micro[k] + n.unseen.micro[k]).toBe(r.strict.micro[k]);
  });

  it('per type: the same string is unseen under a type it never had in training', () => {
    expect(n.unseen.perType.B).toMatchObject({ gold: 1, pred: 1, matchedGold: 1, f1: 1 });
    expect(n.seen.perType.B).toMatchObject({ gold: 1, pred: 0, matchedGold: 0, recall: 0 });
    expect(n.unseen.perType.T).toMatchObject({ gold: 0, pred: 1, matchedPred: 0, precision: 0 });
    expect(n.seen.perType.T).toMatchObject({ gold: 1, pred: 0 });
    expect(Object.keys(n.seen.perType)).toEqual(r.types);
  });

  it('absent without training documents; the text report prints the table only with them', () => {
    const plain = evaluateEntities(gold, pred);
    expect(plain.novelty).toBeUndefined();
    expect(formatEntityReport(plain)).not.toMatch(/unseen/);
    const text = formatEntityReport(r);
    expect(text).toMatch(/Seen and unseen entities \(strict; .* 3 distinct training entities\)/);
    expect(text).toMatch(/^micro\s+3\s+100\.00\s+33\.33\s+50\.00\s+2\s+66\.67\s+100\.00\s+80\.00$/m);
    // labels and numbers only, never document text
    expect(text).not.toMatch(/头痛|胸痛|阿司匹林/);
  });
});
