import { describe, expect, it } from 'vitest';
import {
  applyConsistency,
  buildConsistencyTable,
  checkTable,
  compileConsistency,
  consistencyStats,
  majorityType,
} from '../../src/consistency/index.js';
import type { Doc } from '../../src/corpus/document.js';

const doc = (id: string, text: string, ents: Array<[string, string]>): Doc => {
  const entities = ents.map(([s, type]) => {
    const start = text.indexOf(s);
    return { start, end: start + s.length, type };
  });
  return { id, text, entities };
};

const docs: Doc[] = [
  doc('1', '腹部压痛，右下腹痛', [['腹部', 'BODY'], ['压痛', 'SIGNS'], ['右下腹', 'BODY']]),
  doc('2', '腹部平坦，压痛阴性', [['腹部', 'BODY'], ['压痛', 'SIGNS']]),
  doc('3', '腹部不适', [['腹部', 'SIGNS']]),
  doc('4', 'ＣＴ检查，CT示', [['ＣＴ', 'CHECK'], ['CT', 'CHECK']]),
  doc('5', '咳嗽，咳嗽', [['咳嗽', 'SIGNS']]),
  doc('6', '咳嗽', [['咳嗽', 'DISEASE']]),
];

describe('buildConsistencyTable', () => {
  const table = buildConsistencyTable(docs);
  it('counts (normalised string, type) annotations', () => {
    expect(table.entries['腹部']).toEqual({ BODY: 2, SIGNS: 1 });
    expect(table.entries['压痛']).toEqual({ SIGNS: 2 });
    expect(table.entries['CT']).toEqual({ CHECK: 2 }); // full-width ＣＴ folded into CT
    expect(consistencyStats(table)).toEqual({ strings: 5, pairs: 7, ambiguous: 2 });
  });
  it('survives a JSON round trip (it lives in the model header)', () => {
    const back = JSON.parse(JSON.stringify(table));
    expect(() => checkTable(back)).not.toThrow();
    expect(back).toEqual(JSON.parse(JSON.stringify(table)));
    expect(majorityType(back, '腹部')).toBe('BODY');
  });
  it('refuses entities outside the text', () => {
    expect(() => buildConsistencyTable([{ id: 'x', text: 'ab', entities: [{ start: 1, end: 5, type: 'A' }] }])).toThrow(/document 0 entity 0/);
  });
});

describe('applyConsistency', () => {
  const table = buildConsistencyTable(docs);
  it('retypes an entity whose string has a different majority type, keeping the original type', () => {
    const out = applyConsistency(
      [
        { start: 0, end: 2, type: 'SIGNS', text: '腹部', score: 0.7 },
        { start: 3, end: 5, type: 'SIGNS', text: '压痛', score: 0.9 },
        { start: 6, end: 8, type: 'BODY', text: 'ＣＴ', score: 0.5 },
        { start: 9, end: 11, type: 'BODY', text: '未知', score: 0.5 },
      ],
      table,
    );
    expect(out[0]).toEqual({ start: 0, end: 2, type: 'BODY', text: '腹部', score: 0.7, corrected: true, originalType: 'SIGNS' });
    expect(out[1]).toEqual({ start: 3, end: 5, type: 'SIGNS', text: '压痛', score: 0.9 });
    expect(out[2]).toMatchObject({ type: 'CHECK', corrected: true, originalType: 'BODY' });
    expect(out[3]).toEqual({ start: 9, end: 11, type: 'BODY', text: '未知', score: 0.5 });
  });
  it('leaves ties and too-rare strings alone, and does not modify its input', () => {
    const input = [{ type: 'BODY', text: '咳嗽' }];
    // 咳嗽: SIGNS 1 (doc 5 annotates one occurrence), DISEASE 1 → tie
    expect(table.entries['咳嗽']).toEqual({ SIGNS: 1, DISEASE: 1 });
    expect(applyConsistency(input, table)[0]).toEqual({ type: 'BODY', text: '咳嗽' });
    expect(applyConsistency([{ type: 'SIGNS', text: '腹部' }], table, { minCount: 3 })[0].type).toBe('SIGNS');
    expect(applyConsistency([{ type: 'SIGNS', text: '腹部' }], table, { minShare: 0.7 })[0].type).toBe('SIGNS');
    expect(input[0]).toEqual({ type: 'BODY', text: '咳嗽' });
  });
  it('is not fooled by strings that are Object.prototype keys', () => {
    expect(applyConsistency([{ type: 'A', text: 'constructor' }, { type: 'A', text: '__proto__' }], table).map((e) => e.type)).toEqual(['A', 'A']);
  });
  it('retypes in place when asked: the same objects and array, the same fields as the copies, in the same order', () => {
    const check = compileConsistency(table);
    const make = () => [
      { start: 0, end: 2, type: 'SIGNS', text: '腹部', score: 0.7 },
      { start: 3, end: 5, type: 'SIGNS', text: '压痛', score: 0.9 },
      { start: 6, end: 8, type: 'BODY', text: 'ＣＴ', score: 0.5 },
    ];
    const input = make();
    const objects = [...input];
    const copies = check(make());
    const out = check(input, { inPlace: true });
    expect(out).toBe(input);
    out.forEach((e, k) => expect(e).toBe(objects[k]));
    expect(out).toEqual(copies);
    expect(out.map((e) => Object.keys(e))).toEqual(copies.map((e) => Object.keys(e)));
    expect(out[0]).toEqual({ start: 0, end: 2, type: 'BODY', text: '腹部', score: 0.7, corrected: true, originalType: 'SIGNS' });
    // checked again (as the tagger's k-best paths are): nothing more changes
    expect(check(out)).toEqual(copies);
    // a bad entity anywhere: an error, and nothing retyped
    const bad = [{ type: 'SIGNS', text: '腹部' }, { type: 'A' } as unknown as { type: string; text: string }];
    expect(() => check(bad, { inPlace: true })).toThrow(/entity 1/);
    expect(bad[0]).toEqual({ type: 'SIGNS', text: '腹部' });
  });
  it('refuses malformed input', () => {
    expect(() => applyConsistency([{ type: 'A' } as any], table)).toThrow(/entity 0/);
    expect(() => applyConsistency([], {} as any)).toThrow(/consistency table/);
  });
});

describe('compileConsistency', () => {
  const entities = [
    { type: 'SIGNS', text: '腹部' },
    { type: 'SIGNS', text: '压痛' },
    { type: 'BODY', text: 'ＣＴ' },
    { type: 'BODY', text: '咳嗽' },
    { type: 'A', text: '__proto__' },
    { type: 'BODY', text: '未知' },
  ];
  it('gives what applyConsistency gives, under every option', () => {
    const table = buildConsistencyTable(docs);
    for (const options of [{}, { minCount: 3 }, { minShare: 0.7 }, { normalization: { foldWidth: false } }]) {
      expect(compileConsistency(table, options)(entities)).toEqual(applyConsistency(entities, table, options));
    }
    expect(compileConsistency(table)(entities).map((e) => e.type)).toEqual(['BODY', 'SIGNS', 'CHECK', 'BODY', 'A', 'BODY']);
  });
  it('reads the table once: a later change to the table does not reach the compiled check', () => {
    const table = buildConsistencyTable(docs);
    const check = compileConsistency(table);
    table.entries['压痛'] = { BODY: 9 };
    (table.entries as any)['腹部'] = 'not counts';
    expect(check(entities).map((e) => e.type)).toEqual(['BODY', 'SIGNS', 'CHECK', 'BODY', 'A', 'BODY']);
  });
  it('knows a string that is an Object.prototype key when the table has it', () => {
    const table = JSON.parse('{"version":1,"entries":{"__proto__":{"B":2}}}');
    expect(compileConsistency(table)([{ type: 'A', text: '__proto__' }])[0]).toEqual({ type: 'B', text: '__proto__', corrected: true, originalType: 'A' });
  });
  it('refuses a malformed table when compiling, malformed entities when checking', () => {
    expect(() => compileConsistency({ version: 1, entries: { x: { A: 0 } } } as any)).toThrow(/positive integer/);
    expect(() => compileConsistency(buildConsistencyTable(docs), { normalization: { foldWidth: 'yes' } as any })).toThrow(/foldWidth/);
    const check = compileConsistency(buildConsistencyTable(docs));
    expect(() => check([{ type: 'A' } as any])).toThrow(/entity 0/);
    expect(() => check('x' as any)).toThrow(/expected an array/);
  });
});
