import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Doc } from '../../src/corpus/document.js';
import { readCorpus } from '../../src/io/corpus-io.js';
import { tagIdsToSpans } from '../../src/tags/bio.js';
import { buildFeatureSpace, docsToSentences, entityTypes, insideTagPredicate } from '../../src/train/data.js';

const DOCS: Doc[] = [
  {
    id: 'd-1',
    text: '患者右髋部疼痛。无发热，上腹部不适',
    entities: [
      { start: 3, end: 5, type: 'BODY' },
      { start: 5, end: 7, type: 'SIGNS' },
      { start: 9, end: 11, type: 'SIGNS' },
      { start: 12, end: 15, type: 'BODY' },
    ],
  },
  { id: 'd-2', text: '  腹痛；伴恶心。 ', entities: [{ start: 2, end: 4, type: 'SIGNS' }, { start: 6, end: 8, type: 'SIGNS' }] },
];

describe('documents → training sentences (through the tagger\'s own sentence, segmenter and feature functions)', () => {
  const space = buildFeatureSpace(DOCS, { segmenter: 'none' });

  it('tag set, vocabularies', () => {
    expect(entityTypes(DOCS)).toEqual(['BODY', 'SIGNS']);
    expect(space.labels).toEqual(['O', 'B-BODY', 'I-BODY', 'B-SIGNS', 'I-SIGNS']);
    expect(space.vocab.chars.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(space.vocab.chars).toContain('髋');
    expect(space.segmenter.kind).toBe('none');
  });

  it('sentences with BIO tag ids that decode back to the gold entities', () => {
    const { docs, sentences, stats } = docsToSentences(DOCS, space);
    expect(stats.sentences).toBe(4); // 。 and ； end sentences; whitespace trimmed
    expect(stats.entitiesDropped).toBe(0);
    expect(stats.entitiesCut).toBe(0);
    const s0 = sentences[0];
    expect(Array.from(s0.tagIds).map((t) => space.labels[t])).toEqual(['O', 'O', 'O', 'B-BODY', 'I-BODY', 'B-SIGNS', 'I-SIGNS', 'O']);
    expect(s0.charIds[3]).toBe(space.vocab.chars.indexOf('髋'));
    // every gold entity comes back from the tags, at its original UTF-16 offsets
    for (const d of docs) {
      const back = d.sentences.flatMap((s, i) => tagIdsToSpans(s.tagIds, space.labels).map((sp) => ({ start: d.offsets[i][sp.start], end: d.offsets[i][sp.end], type: sp.type })));
      expect(back).toEqual(d.doc.entities);
    }
    expect(insideTagPredicate(space.labels)(2)).toBe(true);
    expect(insideTagPredicate(space.labels)(1)).toBe(false);
  });

  it('unknown characters map to <unk> and entities across a sentence end are cut and counted', () => {
    const other: Doc[] = [{ id: 'x-1', text: '右髋。部嗽', entities: [{ start: 0, end: 4, type: 'BODY' }] }];
    const { sentences, stats } = docsToSentences(other, space);
    expect(stats.entitiesCut).toBe(1);
    expect(sentences[1].charIds[1]).toBe(1); // '嗽' is not in the training vocabulary
    expect(Array.from(sentences[1].tagIds).map((t) => space.labels[t])).toEqual(['B-BODY', 'O']);
  });

  it('with the jieba+entities dictionary every training entity is one word', () => {
    const s = buildFeatureSpace(DOCS, { segmenter: 'jieba+entities' });
    expect(s.segmenter.kind).toBe('dict');
    for (const w of ['髋部', '上腹部', '腹痛']) expect(s.vocab.words).toContain(w);
  });
});

const ccks = fileURLToPath(new URL('../../../shared/data/ccks2017/train', import.meta.url));
const present = existsSync(ccks);
if (!present) console.log(`skipping the CCKS 2017 data test: ${ccks} is absent`);

describe.skipIf(!present)('CCKS 2017 documents', () => {
  it('every entity of a sample of records lands in the tags', async () => {
    const { docs } = await readCorpus(ccks, { format: 'ccks', strict: false });
    const sample = docs.filter((_, i) => i % 20 === 0);
    const space = buildFeatureSpace(sample, { segmenter: 'none' });
    const r = docsToSentences(sample, space);
    expect(r.stats.entitiesDropped).toBe(0);
    let decoded = 0;
    for (const d of r.docs) decoded += d.sentences.reduce((n, s) => n + tagIdsToSpans(s.tagIds, space.labels).length, 0);
    expect(decoded).toBe(r.stats.entities + r.stats.entitiesCut);
  });
});
