import { describe, expect, it } from 'vitest';
import {
  CCKS_SECTIONS,
  compareIds,
  looksLikeCcksIds,
  mulberry32,
  recordIdOf,
  seededShuffle,
  splitByRecord,
  type Doc,
} from '../../src/corpus/index.js';

/** 300 records × 4 sections, like CCKS 2017, in a scrambled input order. */
function ccksLike(records = 300): Doc[] {
  const docs: Doc[] = [];
  for (const section of CCKS_SECTIONS) {
    for (let r = records; r >= 1; r--) docs.push({ id: `${section}-${r}`, text: 'x'.repeat(r % 7), entities: r % 3 ? [] : [{ start: 0, end: 1, type: 'A' }] });
  }
  return docs;
}

describe('mulberry32 and the seeded shuffle', () => {
  it('are deterministic, seed-dependent and uniform enough', () => {
    const a = mulberry32(2017);
    const b = mulberry32(2017);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(mulberry32(2018)()).not.toBe(xs[0]);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s1 = seededShuffle(items, 7);
    expect(seededShuffle(items, 7)).toEqual(s1);
    expect([...s1].sort((x, y) => x - y)).toEqual(items); // a permutation
    expect(s1).not.toEqual(items);
    expect(seededShuffle(items, 8)).not.toEqual(s1);
    expect(() => mulberry32(1.5)).toThrow(/integer seed/);
  });
});

describe('record ids', () => {
  it('recordIdOf reads the CCKS record number', () => {
    expect(recordIdOf({ id: '病史特点-12', text: '', entities: [] })).toBe('12');
    expect(recordIdOf('一般项目-007')).toBe('7');
    expect(() => recordIdOf('abc')).toThrow(/<section>-<record number>/);
  });

  it('compareIds sorts integers numerically, first, and others by code units (no locale)', () => {
    expect(['10', 'b', '2', 'a', '1'].sort(compareIds)).toEqual(['1', '2', '10', 'a', 'b']);
  });

  it('looksLikeCcksIds only accepts the four CCKS sections', () => {
    expect(looksLikeCcksIds(ccksLike(3))).toBe(true);
    expect(looksLikeCcksIds([{ id: 'subtask1_training_part1-1', text: '', entities: [] }])).toBe(false);
    expect(looksLikeCcksIds([])).toBe(false);
  });
});

describe('splitByRecord', () => {
  it('is deterministic, disjoint, 80/10/10, and keeps every section of a record on one side', () => {
    const docs = ccksLike();
    const a = splitByRecord(docs, { recordKey: recordIdOf });
    const b = splitByRecord([...docs].reverse(), { recordKey: recordIdOf }); // input order does not matter
    expect(a.manifest.seed).toBe(2017);
    expect(a.manifest.recordKey).toBe('ccks-record');
    expect(b.manifest.test.records).toEqual(a.manifest.test.records);
    expect(b.manifest.dev.records).toEqual(a.manifest.dev.records);
    expect([a.manifest.train.records.length, a.manifest.dev.records.length, a.manifest.test.records.length]).toEqual([240, 30, 30]);
    expect([a.train.length, a.dev.length, a.test.length]).toEqual([960, 120, 120]);
    const sides = [a.train, a.dev, a.test].map((ds) => new Set(ds.map(recordIdOf)));
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) for (const r of sides[i]) expect(sides[j].has(r)).toBe(false);
    for (const side of [a.train, a.dev, a.test]) {
      const records = new Set(side.map(recordIdOf));
      expect(side.length).toBe(records.size * 4); // all four sections of each record
    }
    expect(a.manifest.test.records).toEqual([...a.manifest.test.records].sort(compareIds));
    expect(a.manifest.train.entities + a.manifest.dev.entities + a.manifest.test.entities).toBe(docs.reduce((s, d) => s + d.entities.length, 0));
    // documents keep their input order inside a side
    const order = new Map(docs.map((d, i) => [d.id, i]));
    expect(a.test.map((d) => order.get(d.id)!)).toEqual([...a.test.map((d) => order.get(d.id)!)].sort((x, y) => x - y));
  });

  it('depends on the seed and the ratios', () => {
    const docs = ccksLike();
    const base = splitByRecord(docs, { recordKey: recordIdOf });
    const other = splitByRecord(docs, { recordKey: recordIdOf, seed: 1 });
    expect(other.manifest.test.records).not.toEqual(base.manifest.test.records);
    const r = splitByRecord(docs, { recordKey: recordIdOf, ratios: [60, 20, 20] });
    expect([r.manifest.train.records.length, r.manifest.dev.records.length, r.manifest.test.records.length]).toEqual([180, 60, 60]);
    const none = splitByRecord(docs, { recordKey: recordIdOf, ratios: [1, 0, 0] });
    expect(none.dev).toEqual([]);
    expect(none.train).toHaveLength(docs.length);
  });

  it('uses the document id as the record by default', () => {
    const docs: Doc[] = Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, text: '', entities: [] }));
    const s = splitByRecord(docs);
    expect(s.manifest.recordKey).toBe('doc-id');
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([8, 1, 1]);
  });

  it('validates its options', () => {
    expect(() => splitByRecord([], { seed: 0.5 })).toThrow(/seed must be an integer/);
    expect(() => splitByRecord([], { ratios: [0, 0, 0] })).toThrow(/positive sum/);
    expect(() => splitByRecord([], { ratios: [-1, 1, 1] })).toThrow(/non-negative/);
  });
});
