/** scripts/selection.ts: recipes compared over seeds (mean ± sample sd), the choice on dev, and the table. */
import { describe, expect, it } from 'vitest';
import { type RunFigures, chooseOnDev, recipeFigures, selectionTable } from '../../scripts/selection.js';

const run = (seed: number, devF1: number, strict: number, over: Partial<RunFigures> = {}): RunFigures => ({
  dir: `d${seed}`,
  split: 'blocked',
  seed,
  bestEpoch: 8 + seed,
  devF1,
  strict,
  relaxed: 94,
  seen: 93,
  unseen: 60,
  unseenPrecision: 61,
  unseenRecall: 59,
  perType: { DISEASE: 70 + seed, TREATMENT: 65 },
  int8Bytes: 1024 * 1100,
  ...over,
});

describe('selection', () => {
  it('averages over seeds with the sample standard deviation, per field and per type', () => {
    const r = recipeFigures('a', [run(1, 89, 89), run(2, 90, 90), run(3, 91, 91)]);
    expect(r.mean.devF1).toBeCloseTo(90, 12);
    expect(r.sd.strict).toBeCloseTo(1, 12); // sample sd of 89, 90, 91
    expect(r.mean.perType.DISEASE).toBeCloseTo(72, 12);
    expect(recipeFigures('one', [run(1, 89, 89)]).sd.strict).toBe(0);
  });

  it('refuses an empty recipe and one whose runs come from different splits', () => {
    expect(() => recipeFigures('none', [])).toThrow('none: no runs');
    expect(() => recipeFigures('mixed', [run(1, 89, 89), run(2, 90, 90, { split: 'random' })])).toThrow(
      'mixed: its runs come from different splits (blocked, random)',
    );
  });

  it('chooses per split on the mean dev F1, never on test', () => {
    const a = recipeFigures('a', [run(1, 89.5, 95)]);
    const b = recipeFigures('b', [run(1, 89.9, 80)]);
    const c = recipeFigures('c', [run(1, 94, 94, { split: 'random' })]);
    expect(chooseOnDev([a, b, c])).toEqual({ blocked: 'b', random: 'c' });
  });

  it('renders one row per recipe with Δ from the baseline, the chosen one in bold', () => {
    const a = recipeFigures('base', [run(1, 89, 89), run(2, 89, 90)]);
    const b = recipeFigures('new', [run(1, 90, 91), run(2, 90, 92)]);
    const table = selectionTable({
      data: 'x',
      date: 'd',
      baseline: 'base',
      chosen: chooseOnDev([a, b]),
      recipes: [a, b],
    });
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| base \| blocked \| 1, 2 \| 9, 10 \| 89\.00 ± 0\.00 \| 89\.50 ± 0\.71 \| \+0\.00 \|/);
    expect(lines[3]).toMatch(
      /^\| \*\*new\*\* \| blocked \| 1, 2 \| 9, 10 \| 90\.00 ± 0\.00 \| 91\.50 ± 0\.71 \| \+2\.00 \|/,
    );
    expect(lines[3]).toContain('| 71.50 (+0.00) | 65.00 (+0.00) | 1100 |');
  });
});
