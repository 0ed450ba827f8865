/**
 * config.split 'blocked' (issue 16): the trainer splits by record id order (test = the last 10 %, dev = the 10 %
 * before), says so in its summary and model headers, and scores the test documents on seen and unseen entities.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seenEntities } from '../../src/eval/index.js';
import { readModel } from '../../src/model/format.js';
import { LATER_FIELDS, identityOf, resolveConfig } from '../../src/train/config.js';
import { readSplit, runTraining } from '../../src/train/run.js';
import { formatDevLine } from '../../src/train/report.js';
import { ccksLikeDocs, writeJsonl } from '../pipeline/fixture.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('config.split', () => {
  it("defaults to 'random'; only 'random' and 'blocked' are accepted; at its default it leaves config identities alone", () => {
    expect(resolveConfig().split).toBe('random');
    expect(resolveConfig({ split: 'blocked' }).split).toBe('blocked');
    for (const bad of ['contiguous', '', null, 1]) {
      expect(() => resolveConfig({ split: bad as 'random' }), String(bad)).toThrow(`config: split: expected one of "random", "blocked", got ${JSON.stringify(bad)}`);
    }
    expect(LATER_FIELDS).toContain('split');
    expect(identityOf(resolveConfig())).not.toHaveProperty('split');
    expect(identityOf(resolveConfig({ split: 'blocked' }))).toHaveProperty('split', 'blocked');
  });
});

describe("runTraining with split 'blocked'", () => {
  it('holds out the last records by id, records the mode, and reports seen / unseen test entities in the summary and headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cner-blocked-'));
    dirs.push(dir);
    const corpus = join(dir, 'corpus.jsonl');
    // ids 1..40 (numeric record ids) written in reverse order
    writeJsonl(corpus, ccksLikeDocs(40, 7).map((d, i) => ({ ...d, id: String(i + 1) })).reverse());
    const { split } = await readSplit(corpus, undefined, 'blocked');
    expect(split.manifest.test.records).toEqual(['37', '38', '39', '40']);
    expect(split.manifest.dev.records).toEqual(['33', '34', '35', '36']);
    const config = resolveConfig({ charDim: 8, wordDim: 4, lstm: [8], dropout: 0, epochs: 2, patience: 1, workers: 1, batchSize: 8, split: 'blocked', optimizer: { lr: 0.02 } });
    const s = await runTraining({ data: corpus, out: join(dir, 'run'), config, progress: false, log: () => {}, evaluate: true });
    expect(s.split.mode).toBe('blocked');
    expect(s.split.test).toEqual(['37', '38', '39', '40']);
    expect(s.split.train).toHaveLength(32);
    const novelty = s.evaluation!.f32.withConsistency.novelty!;
    expect(novelty.trainEntities).toBe(seenEntities(split.train).size);
    const strict = s.evaluation!.f32.withConsistency.strict.micro;
    expect(novelty.seen.micro.gold + novelty.unseen.micro.gold).toBe(strict.gold);
    expect(novelty.seen.micro.pred + novelty.unseen.micro.pred).toBe(strict.pred);
    // the dev documents are scored the same way (the part recipes are chosen on)
    const dev = s.devEvaluation!.int8.withConsistency;
    expect(dev.docs).toBe(split.dev.length);
    expect(dev.novelty!.seen.micro.gold + dev.novelty!.unseen.micro.gold).toBe(dev.strict.micro.gold);
    expect(formatDevLine(s.devEvaluation!.int8)).toMatch(/^Dev split, document level \(int8, 4 documents\): strict F1 \d+\.\d\d, relaxed F1 \d+\.\d\d, seen F1 \d+\.\d\d \(\d+ entities\), unseen F1 \d+\.\d\d \(\d+ entities\)$/);
    type Metrics = { novelty: { seen: unknown; unseen: unknown }; docs: number };
    for (const path of [s.models.f32, s.models.int8]) {
      const t = readModel(new Uint8Array(readFileSync(path))).header.training as { config: { split: string }; metrics: { testDocuments: Metrics; devDocuments: Metrics } };
      expect(t.config.split).toBe('blocked');
      expect(t.metrics.testDocuments.novelty.seen).toBeDefined();
      expect(t.metrics.testDocuments.novelty.unseen).toBeDefined();
      expect(t.metrics.devDocuments.docs).toBe(split.dev.length);
      expect(t.metrics.devDocuments.novelty.unseen).toBeDefined();
    }
  }, 120_000);
});
