/**
 * Real clinical text (CCKS 2017, read from ../shared/data when present): the pipeline's invariants on every
 * record — sentences, offsets, gold entities fitting the sentences, BIO round trip, tagging with a small
 * random model, the consistency table's size.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CCKS2017_TYPES, type Doc } from '../../src/corpus/document.js';
import { taggableSentences, tokenAt } from '../../src/text/sentences.js';
import { spansToTags, tagsToSpans } from '../../src/tags/bio.js';
import { buildConsistencyTable, consistencyStats } from '../../src/consistency/index.js';
import { createTagger } from '../../src/tagger.js';
import { randomModel } from '../helpers/random-model.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = resolve(root, '../shared/data/ccks2017/train');
const present = existsSync(dataDir);
if (!present) console.log(`ccks-data.test: skipped, ${dataDir} is absent (the CCKS 2017 data is not on this machine)`);

function readCcks(): Doc[] {
  const docs: Doc[] = [];
  for (const section of readdirSync(dataDir).sort()) {
    for (const f of readdirSync(join(dataDir, section)).filter((n) => n.endsWith('.txtoriginal.txt')).sort()) {
      const text = readFileSync(join(dataDir, section, f), 'utf8');
      const ann = readFileSync(join(dataDir, section, f.replace('.txtoriginal.txt', '.txt')), 'utf8');
      const entities = ann
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const [, s, e, type] = l.split('\t');
          return { start: Number(s), end: Number(e) + 1, type: CCKS2017_TYPES[type.trim()] };
        });
      docs.push({ id: f, text, entities });
    }
  }
  return docs;
}

describe.skipIf(!present)('the pipeline on CCKS 2017 records', () => {
  let docs: Doc[];
  beforeAll(() => {
    docs = readCcks();
  });

  it('splits every record into sentences whose tokens map back exactly, gold entities fitting them', () => {
    expect(docs.length).toBe(1198);
    let entities = 0;
    let fit = 0;
    let sentences = 0;
    let longest = 0;
    let bad = 0;
    for (const doc of docs) {
      const sents = [...taggableSentences(doc.text)];
      sentences += sents.length;
      const cps = Array.from(doc.text);
      for (const s of sents) {
        longest = Math.max(longest, s.tokens.length);
        for (let i = 0; i < s.tokens.length; i++) if (doc.text.slice(s.offsets[i], s.offsets[i + 1]) !== cps[s.cpStart + i]) bad++;
      }
      for (const e of doc.entities) {
        entities++;
        const s = sents.find((x) => x.offsets[0] <= e.start && e.end <= x.offsets[x.offsets.length - 1]);
        if (!s) continue;
        const a = tokenAt(s.offsets, e.start);
        const b = tokenAt(s.offsets, e.end);
        if (a < 0 || b < 0) continue;
        fit++;
      }
      // BIO round trip of the gold spans, sentence by sentence
      for (const s of sents) {
        const spans = doc.entities
          .filter((e) => s.offsets[0] <= e.start && e.end <= s.offsets[s.offsets.length - 1])
          .map((e) => ({ start: tokenAt(s.offsets, e.start), end: tokenAt(s.offsets, e.end), type: e.type }))
          .filter((x) => x.start >= 0 && x.end >= 0);
        expect(tagsToSpans(spansToTags(s.tokens.length, spans))).toEqual(spans);
      }
    }
    console.log(`ccks2017: ${docs.length} records, ${sentences} sentences (longest ${longest} tokens), ${fit}/${entities} gold entities inside one sentence on token boundaries`);
    expect(bad).toBe(0);
    expect(entities).toBe(29866);
    expect(fit / entities).toBeGreaterThan(0.999);
  });

  it('tags every record with exact offsets (small random model, tagMany)', async () => {
    const m = randomModel({ seed: 7, scale: 1.5, text: docs.slice(0, 50).map((d) => d.text).join('') });
    const tagger = await createTagger({ model: m.bytes, kernels: readFileSync(resolve(root, 'build/kernels.wasm')) });
    const texts = docs.map((d) => d.text);
    const t0 = performance.now();
    const results = tagger.tagMany(texts, { maxSentence: 64 });
    const ms = performance.now() - t0;
    let n = 0;
    const bad: string[] = [];
    results.forEach((r, i) => {
      let prevEnd = 0;
      for (const e of r.entities) {
        n++;
        const ok =
          e.start >= prevEnd && e.end > e.start && texts[i].slice(e.start, e.end) === e.text && e.score! >= 0 && e.score! <= 1;
        if (!ok) bad.push(`record ${i} entity [${e.start}, ${e.end})`);
        prevEnd = e.end;
      }
    });
    const chars = texts.reduce((a, t) => a + t.length, 0);
    console.log(`tagMany: ${chars} characters, ${n} entities in ${ms.toFixed(0)} ms (tiny random model)`);
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(1000);
  });

  it('builds a consistency table from the gold annotations', () => {
    const stats = consistencyStats(buildConsistencyTable(docs));
    console.log(`ccks2017 consistency table: ${stats.strings} strings, ${stats.pairs} (string, type) pairs, ${stats.ambiguous} with more than one type`);
    expect(stats.pairs).toBeGreaterThanOrEqual(stats.strings);
    expect(stats.strings).toBeGreaterThan(1000);
  });
});
