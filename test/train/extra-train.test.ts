/**
 * config.extraTrain: labelled corpora whose documents join the training sentences after the record split (e.g.
 * teacher-labelled text). They add sentences only: vocabularies, consistency table and the split come from the
 * corpus alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConsistencyTable } from '../../src/consistency/index.js';
import { readModel } from '../../src/model/format.js';
import { identityOf, loadConfig, resolveConfig } from '../../src/train/config.js';
import { readSplit, runTraining } from '../../src/train/run.js';
import { ccksLikeDocs, writeJsonl } from '../pipeline/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-extra-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config.extraTrain', () => {
  it('defaults to none, must be a list of paths, and resolves against the config file folder', () => {
    expect(resolveConfig().extraTrain).toEqual([]);
    expect(identityOf(resolveConfig())).not.toHaveProperty('extraTrain');
    expect(identityOf(resolveConfig({ extraTrain: ['a.jsonl'] }))).toHaveProperty('extraTrain', ['a.jsonl']);
    for (const bad of ['a.jsonl', [''], [3], [null], {}]) {
      expect(() => resolveConfig({ extraTrain: bad as string[] }), JSON.stringify(bad)).toThrow(/^config: extraTrain(\[0\])?: (expected array|must not be empty|expected string)/);
    }
    const cfg = join(dir, 'c.json');
    writeFileSync(cfg, JSON.stringify({ extraTrain: ['pseudo/p.jsonl', '/abs/q.jsonl'] }));
    expect(loadConfig(cfg).extraTrain).toEqual([join(dir, 'pseudo', 'p.jsonl'), '/abs/q.jsonl']);
  });

  it('runTraining: the extra documents add training sentences; vocabularies and the consistency table are the corpus\'s alone', async () => {
    const corpus = join(dir, 'corpus.jsonl');
    writeJsonl(corpus, ccksLikeDocs(40, 7));
    // extra documents with characters and an entity string the corpus never has
    const extra = join(dir, 'extra.jsonl');
    const text = '患者诉龋齿疼痛三天，予拔牙治疗。';
    writeJsonl(extra, Array.from({ length: 6 }, (_, i) => ({ id: `extra-${i + 1}`, text, entities: [{ start: 3, end: 5, type: 'DISEASE' }, { start: 11, end: 13, type: 'TREATMENT' }] })));
    const base = { charDim: 8, wordDim: 4, lstm: [8], dropout: 0, epochs: 2, patience: 0, workers: 1, batchSize: 8, optimizer: { lr: 0.02 } };
    const plain = await runTraining({ data: corpus, out: join(dir, 'plain'), config: resolveConfig(base), progress: false, log: () => {} });
    const logs: string[] = [];
    const withExtra = await runTraining({ data: corpus, out: join(dir, 'extra'), config: resolveConfig({ ...base, extraTrain: [extra] }), progress: false, log: (l) => logs.push(l) });
    const t = (s: typeof plain) => s.data.train as { docs: number; trainingSentences: number; extra?: { docs: number; sentences: number; entities: number } };
    expect(t(plain).extra).toBeUndefined();
    expect(t(withExtra).extra).toMatchObject({ docs: 6, entities: 12 });
    expect(t(withExtra).extra!.sentences).toBeGreaterThanOrEqual(6);
    expect(t(withExtra).trainingSentences).toBe(t(plain).trainingSentences + t(withExtra).extra!.sentences);
    expect(t(withExtra).docs).toBe(t(plain).docs);
    expect(logs.some((l) => /^extraTrain: 6 documents/.test(l))).toBe(true);
    const { split } = await readSplit(corpus);
    const h = readModel(new Uint8Array(readFileSync(withExtra.models.int8))).header;
    expect(h.vocab).toEqual(readModel(new Uint8Array(readFileSync(plain.models.int8))).header.vocab);
    expect(h.vocab.chars).not.toContain('龋');
    expect(h.consistency).toEqual(buildConsistencyTable(split.train, h.normalization));
    expect(h.training?.config).toMatchObject({ extraTrain: [extra] });
    expect(withExtra.split).toEqual(plain.split);
  }, 120_000);

  it('a missing extra corpus is an error that names it', async () => {
    const corpus = join(dir, 'corpus-m.jsonl');
    writeJsonl(corpus, ccksLikeDocs(20, 3));
    const missing = join(dir, 'nope.jsonl');
    const config = resolveConfig({ charDim: 4, wordDim: 4, lstm: [4], epochs: 1, workers: 1, extraTrain: [missing] });
    await expect(runTraining({ data: corpus, out: join(dir, 'missing'), config, progress: false, log: () => {} })).rejects.toThrow(/nope\.jsonl/);
  });
});
