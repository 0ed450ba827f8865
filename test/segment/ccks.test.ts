import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DictSegmenterSpec, type Segmenter, createSegmenter, isBlockWord } from '../../src/segment/index.js';
import { buildSegmenterSpec } from '../../src/train/segdict.js';
import { type CcksDoc, ccksPresent, readCcks, readUnlabeled, unlabeledPresent } from './data.js';
import { jiebaForSpec } from './fixtures.js';

if (!ccksPresent) console.warn('test/segment/ccks.test.ts: skipped — CCKS 2017 data not found at ../shared/data/ccks2017/train');
if (ccksPresent && !unlabeledPresent) console.warn('test/segment/ccks.test.ts: unlabeled corpus absent — pruning to CCKS texts only');

function sameCuts(a: Segmenter, b: { cut(t: string): string[] }, texts: readonly string[]): number[] {
  const differing: number[] = [];
  texts.forEach((t, i) => {
    if (JSON.stringify(a.cut(t)) !== JSON.stringify(b.cut(t))) differing.push(i);
  });
  return differing;
}

describe.skipIf(!ccksPresent)('CCKS 2017 texts (real data)', () => {
  let docs: CcksDoc[];
  let texts: string[];
  let corpus: string[];
  let entities: string[];
  let full: Segmenter;
  let jieba: Jieba;

  beforeAll(() => {
    docs = readCcks();
    texts = docs.map((d) => d.text);
    corpus = unlabeledPresent ? texts.concat(readUnlabeled()) : texts;
    entities = docs.flatMap((d) => d.entities.map((e) => e.text));
    full = createSegmenter(buildSegmenterSpec({ variant: 'jieba', texts: [], prune: false }).spec);
    jieba = Jieba.withDict(dict);
  });

  it('reads the data it expects', () => {
    expect(docs.length).toBe(1198);
    for (const d of docs) for (const e of d.entities) expect(d.text.slice(e.start, e.end)).toBe(e.text);
  });

  it('full dictionary: cut equals @node-rs/jieba cut(text, false) on every text, and per sentence', () => {
    expect(sameCuts(full, { cut: (t) => jieba.cut(t, false) }, texts)).toEqual([]);
    const sentences = texts.flatMap((t) => t.split(/(?<=[。；！？])/)).filter((s) => s.length > 0);
    expect(sameCuts(full, { cut: (t) => jieba.cut(t, false) }, sentences)).toEqual([]);
  });

  it("'jieba' pruned to the corpus: identical segmentation of every corpus text, small dictionary", () => {
    const { spec, stats } = buildSegmenterSpec({ variant: 'jieba', texts: corpus });
    const json = JSON.stringify(spec);
    const pruned = createSegmenter(JSON.parse(json));
    expect(sameCuts(pruned, full, corpus)).toEqual([]);
    expect(stats.bytes).toBeLessThan(400_000);
    console.log(`segdict 'jieba': ${stats.words} words (of ${stats.fullWords}), ${stats.bytes} B JSON, ${gzipSync(json).length} B gzipped, pruned to ${stats.texts} texts / ${stats.textChars} chars`);
  });

  it("'jieba+entities': parity with jieba-rs given the same words, pruning exact, entities kept whole", () => {
    const unpruned = buildSegmenterSpec({ variant: 'jieba+entities', texts: [], entities, prune: false }).spec as DictSegmenterSpec;
    const { spec, stats } = buildSegmenterSpec({ variant: 'jieba+entities', texts: corpus, entities });
    const json = JSON.stringify(spec);
    const withEntities = createSegmenter(JSON.parse(json));
    const withEntitiesFull = createSegmenter(unpruned);
    // jieba-rs with the full dictionary plus the entity words at our suggested frequencies (same total)
    const rs = jiebaForSpec(unpruned);
    expect(sameCuts(withEntitiesFull, { cut: (t) => rs.cut(t, false) }, texts)).toEqual([]);
    expect(sameCuts(withEntities, withEntitiesFull, corpus)).toEqual([]);
    expect(stats.bytes).toBeLessThan(400_000);
    expect((spec as DictSegmenterSpec).total).toBe(unpruned.total);

    // every usable entity string, cut on its own, is one word
    const usable = [...new Set(entities)].filter(isBlockWord);
    expect(usable.filter((e) => withEntities.cut(e).length !== 1)).toEqual([]);

    // annotated occurrences that come out as one word, with and without the entity words
    const plain = full;
    const wholeRate = (seg: Segmenter) => {
      let whole = 0;
      let total = 0;
      let upperAbdomen = 0;
      let upperAbdomenWhole = 0;
      for (const d of docs) {
        const ends = seg.cutEnds(d.text);
        const wordEndAt = new Map<number, number>();
        let start = 0;
        for (const end of ends) {
          wordEndAt.set(start, end);
          start = end;
        }
        for (const e of d.entities) {
          if (!isBlockWord(e.text)) continue;
          total++;
          const isWhole = wordEndAt.get(e.start) === e.end;
          if (isWhole) whole++;
          if (e.text === '上腹部') {
            upperAbdomen++;
            if (isWhole) upperAbdomenWhole++;
          }
        }
      }
      return { rate: whole / total, total, upperAbdomen, upperAbdomenWhole };
    };
    const before = wholeRate(plain);
    const after = wholeRate(withEntities);
    expect(after.upperAbdomen).toBeGreaterThan(0);
    // not every occurrence can stay whole: where another entity string or a common word overlaps it
    // (左侧上腹部 is itself an annotated entity elsewhere; 以上腹部 → 以上 / 腹部) jieba's DP may prefer that word
    expect(after.upperAbdomenWhole / after.upperAbdomen).toBeGreaterThan(0.85);
    expect(before.upperAbdomenWhole / before.upperAbdomen).toBeLessThan(0.5);
    expect(withEntities.cut('患者上腹部疼痛')).toEqual(['患者', '上腹部', '疼痛']);
    expect(plain.cut('患者上腹部疼痛')).toEqual(['患者', '上', '腹部', '疼痛']);
    expect(after.rate).toBeGreaterThan(0.9);
    expect(after.rate - before.rate).toBeGreaterThan(0.3);
    console.log(
      `segdict 'jieba+entities': ${stats.words} words, ${stats.bytes} B JSON, ${gzipSync(json).length} B gzipped; ` +
        `${stats.entities} distinct entity strings (${stats.entitiesInDictionary} already words, ${stats.entitiesUnusable} unusable); ` +
        `annotated entities cut as one word: ${(before.rate * 100).toFixed(1)}% plain jieba → ${(after.rate * 100).toFixed(1)}% with entities ` +
        `(上腹部 ${before.upperAbdomenWhole}/${before.upperAbdomen} → ${after.upperAbdomenWhole}/${after.upperAbdomen})`,
    );
  });
});
