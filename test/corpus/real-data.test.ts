import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_FORMATS, recordIdOf, sortSpans, splitByRecord, type Doc } from '../../src/corpus/index.js';
import { listFiles, readCorpus, writeCorpus } from '../../src/io/corpus-io.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DATA = path.resolve(ROOT, '../shared/data');
const CCKS = path.join(DATA, 'ccks2017', 'train');
const YIDU = path.join(DATA, 'yidu-s4k', 'train');
const present = existsSync(CCKS) && existsSync(YIDU);
if (!present) console.log(`[real-data] skipped: ${DATA} (CCKS 2017 and Yidu-S4K) is not present on this machine`);

const countTypes = (docs: Doc[]) => {
  const out: Record<string, number> = {};
  for (const d of docs) for (const e of d.entities) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
};

describe.skipIf(!present)('CCKS 2017 training release (real data)', () => {
  let docs: Doc[] = [];
  let tmp = '';
  beforeAll(async () => {
    const read = await readCorpus(CCKS);
    expect(read.format).toBe('ccks');
    expect(read.issues).toEqual([]); // strict read: no misaligned span in the official data
    docs = read.docs;
    tmp = await mkdtemp(path.join(tmpdir(), 'cner-real-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('has 1,198 sections, 29,866 entities with the documented type counts', () => {
    expect(docs).toHaveLength(1198);
    expect(docs.reduce((s, d) => s + d.entities.length, 0)).toBe(29866);
    expect(countTypes(docs)).toEqual({ BODY: 10719, SIGNS: 7831, CHECK: 9546, DISEASE: 722, TREATMENT: 1048 });
    expect(docs.filter((d) => d.entities.length === 0)).toHaveLength(32);
    expect(new Set(docs.map(recordIdOf)).size).toBe(300);
    const units = docs.reduce((s, d) => s + d.text.length, 0);
    expect(units).toBe(271385); // whole files, trailing CRLFs included
    expect(docs.reduce((s, d) => s + d.text.replace(/\r/g, '').length, 0)).toBe(266621); // the README's count
  });

  it('writes back byte-identical files (all 2,396)', async () => {
    const out = path.join(tmp, 'ccks');
    await writeCorpus(out, docs, { format: 'ccks' });
    const original = await listFiles(CCKS);
    expect(original).toHaveLength(2396);
    const written = await listFiles(out);
    expect(written.map((f) => path.relative(out, f))).toEqual(original.map((f) => path.relative(CCKS, f)));
    let different = 0;
    for (const f of original) {
      const [a, b] = await Promise.all([readFile(f), readFile(path.join(out, path.relative(CCKS, f)))]);
      if (Buffer.compare(a, b) !== 0) different++;
    }
    expect(different).toBe(0);
  });

  it('round-trips losslessly through every format (identical texts and spans)', async () => {
    for (const format of CORPUS_FORMATS) {
      const target = path.join(tmp, `all.${format}`);
      await writeCorpus(target, docs, { format });
      const back = await readCorpus(target, { format });
      expect(back.docs, format).toHaveLength(docs.length);
      // yidu has no id field: its records come back in written order; the others keep ids
      const byId = new Map(back.docs.map((d) => [d.id, d]));
      let mismatches = 0;
      docs.forEach((d, i) => {
        const other = format === 'yidu' ? back.docs[i] : byId.get(d.id);
        if (!other || other.text !== d.text || JSON.stringify(sortSpans(other.entities)) !== JSON.stringify(sortSpans(d.entities))) mismatches++;
      });
      expect(mismatches, format).toBe(0);
    }
  });

  it('splits 300 records into 240/30/30 with seed 2017, sections together, and the pinned test records', () => {
    const split = splitByRecord(docs, { recordKey: recordIdOf });
    const m = split.manifest;
    expect([m.train.records.length, m.dev.records.length, m.test.records.length]).toEqual([240, 30, 30]);
    expect([m.train.docs, m.dev.docs, m.test.docs]).toEqual([958, 120, 120]);
    expect(m.train.entities + m.dev.entities + m.test.entities).toBe(29866);
    for (const side of [split.train, split.dev, split.test]) {
      const records = new Set(side.map(recordIdOf));
      for (const d of docs) if (records.has(recordIdOf(d))) expect(side).toContain(d);
    }
    // Every reported figure depends on this split: it must never change silently.
    expect(m.test.records.join(',')).toBe('5,11,38,46,61,66,70,72,76,84,124,133,136,159,160,165,180,189,224,230,231,232,256,264,268,269,270,279,293,296');
    expect(m.dev.records.join(',')).toBe('21,52,60,71,85,108,114,118,119,121,130,143,146,148,152,153,156,161,163,167,170,173,215,225,235,243,250,275,276,282');
  });
});

describe.skipIf(!present)('Yidu-S4K training records (real data)', () => {
  it('reads 1,000 records and 17,653 entities, BOM skipped, six types', async () => {
    const { docs, issues, format, files } = await readCorpus(YIDU);
    expect(format).toBe('yidu');
    expect(files).toBe(2);
    expect(issues).toEqual([]);
    expect(docs).toHaveLength(1000);
    expect(docs.reduce((s, d) => s + d.entities.length, 0)).toBe(17653);
    expect(countTypes(docs)).toEqual({ DISEASE: 4212, SURGERY: 1029, ANATOMY: 8426, DRUG: 1822, IMAGE: 969, LAB: 1195 });
    expect(docs[0].id).toBe('subtask1_training_part1-1');
    expect(docs[0].text.charCodeAt(0)).not.toBe(0xfeff);
    expect(docs[999].id).toBe('subtask1_training_part2-600');
  });
});
