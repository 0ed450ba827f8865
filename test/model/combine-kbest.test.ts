/**
 * combineKBest (src/model/crf.ts), the one k-best combiner of the tagger (windows of a sentence, sentences of a text):
 * against brute force over every combination, ties in list order, and its edge cases.
 */
import { describe, expect, it } from 'vitest';
import { combineKBest } from '../../src/model/crf.js';

function bruteForce(lists: number[][]): { logProb: number; picks: number[] }[] {
  let all: { logProb: number; picks: number[] }[] = [{ logProb: 0, picks: [] }];
  for (const list of lists)
    all = all.flatMap((c) => list.map((lp, i) => ({ logProb: c.logProb + lp, picks: [...c.picks, i] })));
  return all.sort((a, b) => b.logProb - a.logProb);
}

describe('combineKBest', () => {
  it('a worked example: [−1, −2] × [−0.5, −3] → −1.5 (0,0), −2.5 (1,0), −4 (0,1)', () => {
    expect(
      combineKBest(
        [
          [-1, -2],
          [-0.5, -3],
        ],
        3,
      ),
    ).toEqual([
      { logProb: -1.5, picks: [0, 0] },
      { logProb: -2.5, picks: [1, 0] },
      { logProb: -4, picks: [0, 1] },
    ]);
  });

  it('agrees with brute force on random lists (sums and picks)', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 50; trial++) {
      const lists = Array.from({ length: 1 + (trial % 4) }, () =>
        Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => -rnd() * 6).sort((a, b) => b - a),
      );
      const k = 1 + (trial % 7);
      const got = combineKBest(lists, k);
      const want = bruteForce(lists).slice(0, k);
      expect(got.map((c) => c.logProb)).toEqual(want.map((c) => c.logProb));
      for (const c of got) expect(c.picks.reduce((s, p, i) => s + lists[i][p], 0)).toBeCloseTo(c.logProb, 12);
    }
  });

  it('ties keep list order; no lists give one empty pick; an empty list gives none', () => {
    expect(combineKBest([[-1, -1], [0]], 2)).toEqual([
      { logProb: -1, picks: [0, 0] },
      { logProb: -1, picks: [1, 0] },
    ]);
    expect(combineKBest([], 4)).toEqual([{ logProb: 0, picks: [] }]);
    expect(combineKBest([[-1], []], 4)).toEqual([]);
  });

  it('refuses a keep below 1', () => {
    expect(() => combineKBest([[0]], 0)).toThrow('combineKBest: expected keep ≥ 1, got 0');
    expect(() => combineKBest([[0]], 1.5)).toThrow('combineKBest: expected keep ≥ 1, got 1.5');
  });
});
