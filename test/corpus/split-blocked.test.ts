import { describe, expect, it } from 'vitest';
import { CCKS_SECTIONS, SPLIT_MODES, isSplitMode, recordIdOf, splitByRecord, type Doc } from '../../src/corpus/index.js';

/** `records` records × 4 sections, CCKS-style ids, in a scrambled input order (descending, sections interleaved). */
function ccksLike(records: number): Doc[] {
  const docs: Doc[] = [];
  for (let r = records; r >= 1; r--) for (const section of CCKS_SECTIONS) docs.push({ id: `${section}-${r}`, text: 'x', entities: r % 2 ? [{ start: 0, end: 1, type: 'A' }] : [] });
  return docs;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe("splitByRecord, mode 'blocked'", () => {
  it('300 CCKS records: train 1–240, dev 241–270, test 271–300 (numeric id order, not string order)', () => {
    const s = splitByRecord(ccksLike(300), { mode: 'blocked', recordKey: recordIdOf });
    expect(s.manifest.mode).toBe('blocked');
    expect(s.manifest.train.records).toEqual(range(1, 240));
    expect(s.manifest.dev.records).toEqual(range(241, 270));
    expect(s.manifest.test.records).toEqual(range(271, 300));
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([960, 120, 120]);
    // all sections of a record on one side; documents keep their input order within a side
    expect(new Set(s.test.map(recordIdOf))).toEqual(new Set(range(271, 300)));
    expect(s.test.map((d) => d.id)).toEqual(ccksLike(300).filter((d) => Number(recordIdOf(d)) > 270).map((d) => d.id));
    expect(s.manifest.test.entities).toBe(15 * 4);
  });

  it('rounds like the random split: 25 records at 80/10/10 → dev round(2.5) = 3, test round(2.5) = 3, train 19', () => {
    const s = splitByRecord(ccksLike(25), { mode: 'blocked', recordKey: recordIdOf });
    expect(s.manifest.train.records).toEqual(range(1, 19));
    expect(s.manifest.dev.records).toEqual(range(20, 22));
    expect(s.manifest.test.records).toEqual(range(23, 25));
    const random = splitByRecord(ccksLike(25), { recordKey: recordIdOf });
    expect([random.manifest.train.records.length, random.manifest.dev.records.length, random.manifest.test.records.length]).toEqual([19, 3, 3]);
  });

  it('takes the ratios; the seed plays no part; ids that are not numbers sort after numbers by code units', () => {
    const docs: Doc[] = ['b', '10', 'a', '9', 'c', '2'].map((id) => ({ id, text: '', entities: [] }));
    const s = splitByRecord(docs, { mode: 'blocked', ratios: [4, 1, 1] });
    expect(s.manifest.train.records).toEqual(['2', '9', '10', 'a']);
    expect(s.manifest.dev.records).toEqual(['b']);
    expect(s.manifest.test.records).toEqual(['c']);
    expect(splitByRecord(docs, { mode: 'blocked', ratios: [4, 1, 1], seed: 99 }).manifest.test.records).toEqual(['c']);
  });

  it('the random split stays the default and its manifest has no mode field', () => {
    const docs = ccksLike(300);
    const plain = splitByRecord(docs, { recordKey: recordIdOf });
    const random = splitByRecord(docs, { recordKey: recordIdOf, mode: 'random' });
    expect(random.manifest).toEqual(plain.manifest);
    expect('mode' in plain.manifest).toBe(false);
    expect(plain.manifest.test.records).not.toEqual(range(271, 300));
  });

  it('refuses an unknown mode with the list of modes', () => {
    expect(SPLIT_MODES).toEqual(['random', 'blocked']);
    expect(isSplitMode('blocked')).toBe(true);
    expect(isSplitMode('contiguous')).toBe(false);
    expect(() => splitByRecord(ccksLike(3), { mode: 'contiguous' as never })).toThrow('split mode must be random or blocked, got "contiguous"');
  });
});
