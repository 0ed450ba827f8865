import { dict } from '@node-rs/jieba/dict.js';
import { describe, expect, it } from 'vitest';
import { type DictSegmenterSpec, createSegmenter, dictionaryFromSpec } from '../../src/segment/index.js';
import { buildSegmenterSpec, parseJiebaDictionary } from '../../src/train/segdict.js';
import { FIXTURES, jiebaForSpec } from './fixtures.js';


const CLINICAL = [
  '患者上腹部疼痛3天，加重伴恶心呕吐1天。',
  '查体：上腹部压痛，无反跳痛，右髋部活动受限。',
  '双肺呼吸音清，未闻及干湿性啰音，心率78次/分。',
  '行头颅CT检查示：腔隙性脑梗死。',
];
const ENTITIES = ['上腹部', '疼痛', '恶心', '呕吐', '上腹部', '压痛', '反跳痛', '右髋部', '双肺', '呼吸音', '干湿性啰音', '头颅CT', '腔隙性脑梗死', '心率'];

describe('parseJiebaDictionary', () => {
  it('reads word/freq/pos lines like jieba-rs load_dict', () => {
    const p = parseJiebaDictionary('上 10 n\n上腹部 5\n\n腹部 7 n\n上 12 v\n零\n');
    expect(p.words).toEqual(['上', '上腹部', '腹部']); // the repeated word keeps its place, 零 (freq 0) is dropped
    expect(p.freqs).toEqual([12, 5, 7]);
    expect(p.total).toBe(24);
  });

  it('rejects a non-integer frequency with the line number', () => {
    expect(() => parseJiebaDictionary('上 10\n腹 x1\n')).toThrow(/line 2/);
  });

  it('reads the real dictionary', () => {
    const p = parseJiebaDictionary(dict);
    expect(p.words.length).toBeGreaterThan(300000);
    expect(p.total).toBe(p.freqs.reduce((a, b) => a + b, 0));
  });
});

describe('buildSegmenterSpec', () => {
  it("'none' gives the character segmenter", () => {
    const { spec, stats } = buildSegmenterSpec({ variant: 'none', texts: CLINICAL });
    expect(spec).toEqual({ kind: 'none' });
    expect(stats.words).toBe(0);
  });

  it('prunes to words occurring in the texts, keeps the full total, and cuts those texts identically', () => {
    const fullSpec = buildSegmenterSpec({ variant: 'jieba', texts: [], prune: false }).spec as DictSegmenterSpec;
    const { spec, stats } = buildSegmenterSpec({ variant: 'jieba', texts: FIXTURES.concat(CLINICAL) });
    const pruned = spec as DictSegmenterSpec;
    expect(pruned.total).toBe(fullSpec.total);
    expect(pruned.words.length).toBeLessThan(2000);
    expect(stats.words).toBe(pruned.words.length);
    expect(stats.bytes).toBe(new TextEncoder().encode(JSON.stringify(pruned)).length);
    // every kept word occurs in some text
    for (const w of pruned.words) expect(FIXTURES.concat(CLINICAL).some((t) => t.includes(w))).toBe(true);
    const a = createSegmenter(fullSpec);
    const b = createSegmenter(JSON.parse(JSON.stringify(pruned)));
    for (const t of FIXTURES.concat(CLINICAL)) expect(b.cut(t)).toEqual(a.cut(t));
    // and is a real approximation elsewhere: a word never seen is cut into pieces
    expect(a.cut('拖拉机')).toEqual(['拖拉机']);
    expect(b.cut('拖拉机')).not.toEqual(['拖拉机']);
  });

  it("'jieba+entities' keeps 上腹部 whole where plain jieba splits it", () => {
    const plain = createSegmenter(buildSegmenterSpec({ variant: 'jieba', texts: CLINICAL }).spec);
    const { spec, stats } = buildSegmenterSpec({ variant: 'jieba+entities', texts: CLINICAL, entities: ENTITIES });
    const withEntities = createSegmenter(spec);
    expect(plain.cut(CLINICAL[0])).toEqual(expect.arrayContaining(['上', '腹部']));
    expect(withEntities.cut(CLINICAL[0])).toContain('上腹部');
    expect(withEntities.cut(CLINICAL[1])).toContain('上腹部');
    expect(stats.entities).toBe(new Set(ENTITIES).size);
    // every entity string, cut on its own, is one word (what suggest_freq guarantees)
    for (const e of ENTITIES) expect(withEntities.cut(e)).toEqual([e]);
    // and it cuts exactly like jieba-rs given the same words, frequencies and total
    const rs = jiebaForSpec(spec as DictSegmenterSpec);
    for (const t of CLINICAL.concat(ENTITIES)) expect(withEntities.cut(t)).toEqual(rs.cut(t, false));
  });

  it('computes jieba suggest_freq: floor(exp(Σ log f(w) - (k-1)·log total)) + 1, total moving with each add', () => {
    const source = '上 1000\n腹部 3000\n其他 96000\n';
    const { spec } = buildSegmenterSpec({ variant: 'jieba+entities', texts: ['上腹部'], entities: ['上腹部'], dictionary: source, prune: false });
    const s = spec as DictSegmenterSpec;
    // cut('上腹部') = 上 / 腹部 → exp(log 1000 + log 3000 - log 100000) ≈ 30, floored, + 1 (jieba-rs' float order)
    const suggest = (freqs: number[], total: number) =>
      Math.floor(Math.exp(freqs.reduce((acc, f) => acc + Math.log(f) - Math.log(total), 0) + Math.log(total))) + 1;
    const first = suggest([1000, 3000], 100000);
    expect(first === 30 || first === 31).toBe(true);
    expect(s.freqs[s.words.indexOf('上腹部')]).toBe(first);
    expect(s.total).toBe(100000 + first);
    // a second entity is cut with the first one in the dictionary (上腹部 / 其他) and sees the new total
    const two = buildSegmenterSpec({ variant: 'jieba+entities', texts: [], entities: ['上腹部', '上腹部其他'], dictionary: source, prune: false }).spec as DictSegmenterSpec;
    const second = suggest([first, 96000], 100000 + first);
    expect(two.freqs[two.words.indexOf('上腹部其他')]).toBe(second);
    expect(two.total).toBe(100000 + first + second);
  });

  it('entityFreq sets a fixed frequency, never lowering an existing word', () => {
    const source = '上 1000\n腹部 3000\n其他 96000\n';
    const { spec } = buildSegmenterSpec({ variant: 'jieba+entities', texts: ['上腹部其他'], entities: ['上腹部', '其他'], entityFreq: 5000, dictionary: source });
    const s = spec as DictSegmenterSpec;
    expect(s.freqs[s.words.indexOf('上腹部')]).toBe(5000);
    expect(s.freqs[s.words.indexOf('其他')]).toBe(96000);
    expect(s.total).toBe(100000 + 5000);
  });

  it('drops unusable words (a non-block character inside) but counts their frequency, like jieba', () => {
    const source = '上 1000\n腹部 3000\n';
    const { spec, stats } = buildSegmenterSpec({ variant: 'jieba+entities', texts: ['上腹部（左）'], entities: ['上腹部（左）'], dictionary: source });
    const s = spec as DictSegmenterSpec;
    expect(s.words).toEqual(['上', '腹部']);
    expect(stats.entitiesUnusable).toBe(1);
    expect(s.total).toBeGreaterThan(4000);
  });

  it('rejects bad options', () => {
    expect(() => buildSegmenterSpec({ variant: 'hmm' as never, texts: [] })).toThrow(/variant/);
    expect(() => buildSegmenterSpec({ variant: 'jieba', texts: 'abc' as never })).toThrow(/texts/);
    expect(() => buildSegmenterSpec({ variant: 'jieba', texts: [], entities: ['上'] })).toThrow(/entities are only used/);
    expect(() => buildSegmenterSpec({ variant: 'jieba+entities', texts: [], entities: [''] })).toThrow(/entities\[0\]/);
    expect(() => buildSegmenterSpec({ variant: 'jieba+entities', texts: [], entityFreq: 0 })).toThrow(/entityFreq/);
  });

  it('dictionaryFromSpec refuses the none kind', () => {
    expect(() => dictionaryFromSpec({ kind: 'none' })).toThrow(/kind 'dict'/);
  });
});
