/**
 * The path rule of every config file: a relative path in a config resolves against the config file's folder,
 * never against the working directory. Each config is written into a temp folder and loaded from the repository
 * root (another folder), and every path field is checked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RETRAIN_CONFIG_SCHEMA, loadRetrainConfig } from '../../src/retrain/config.js';
import { pathFields } from '../../src/schema/index.js';
import { parseStoreUrl } from '../../src/store/open.js';
import { TRAIN_CONFIG_SCHEMA, loadConfig } from '../../src/train/config.js';
import { RUN_CONFIG_SCHEMA, loadRunConfig } from '../../src/train/run-config.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-config-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** the training settings with every path field relative */
const train = {
  embeddings: { char: 'v/char.vec', word: 'v/word.vec', bigram: 'v/bigram.vec' },
  extraTrain: ['x/pseudo.jsonl', '/abs/kept.jsonl'],
  segmenterLexicon: 'lex/words.txt',
  outsideLexDim: 4,
  outsideLexicon: 'lex/outside.txt',
};

function expectTrainPaths(c: {
  embeddings: Record<string, string | undefined>;
  extraTrain: string[];
  segmenterLexicon: string;
  outsideLexicon: string;
}) {
  expect(c.embeddings).toEqual({
    char: join(dir, 'v/char.vec'),
    word: join(dir, 'v/word.vec'),
    bigram: join(dir, 'v/bigram.vec'),
  });
  expect(c.extraTrain).toEqual([join(dir, 'x/pseudo.jsonl'), '/abs/kept.jsonl']);
  expect(c.segmenterLexicon).toBe(join(dir, 'lex/words.txt'));
  expect(c.outsideLexicon).toBe(join(dir, 'lex/outside.txt'));
}

/** the path fields of the training settings, as pathFields names them */
const TRAIN_PATHS = [
  'embeddings.char',
  'embeddings.word',
  'embeddings.bigram',
  'extraTrain[]',
  'segmenterLexicon',
  'outsideLexicon',
];

describe('every path in a config file resolves against the file folder', () => {
  it('is not the working directory here', () => {
    expect(process.cwd()).not.toBe(dir);
  });

  it('the tests below cover every x-path field of every config schema (a new path field must join them)', () => {
    const fields = (schema: Parameters<typeof pathFields>[0]) => pathFields(schema).map((f) => f.field);
    expect(fields(TRAIN_CONFIG_SCHEMA)).toEqual(TRAIN_PATHS);
    expect(fields(RUN_CONFIG_SCHEMA)).toEqual(TRAIN_PATHS);
    expect(fields(RETRAIN_CONFIG_SCHEMA)).toEqual([
      'data[]',
      'data[].path',
      'store',
      ...TRAIN_PATHS.map((f) => `train.${f}`),
      'unlabeled',
      'workDir',
      'reportDir',
    ]);
  });

  it("an empty segmenterLexicon ('' = no word list) stays empty", () => {
    expect(loadConfig(write('empty.json', { segmenterLexicon: '' })).segmenterLexicon).toBe('');
  });

  it('training config (loadConfig): embeddings.*, extraTrain', () => {
    expectTrainPaths(loadConfig(write('train.json', train)));
  });

  it('run config (loadRunConfig, cner train --config): embeddings.*, extraTrain', () => {
    expectTrainPaths(loadRunConfig(write('run.json', { ...train, pretrain: { iterations: 2 } })).config);
  });

  it('retrain config (loadRetrainConfig): data, data[].path, file:// data and store, unlabeled, workDir, reportDir, train.*', async () => {
    const file = write('retrain.json', {
      data: ['d/a', { path: 'd/b.jsonl', format: 'jsonl' }, 'file://d/c', 's3://bucket/kept'],
      store: 'file://store',
      unlabeled: 'u/text.txt',
      workDir: 'w',
      reportDir: 'r',
      train,
    });
    const c = await loadRetrainConfig(file);
    expect(c.data).toEqual([
      { location: join(dir, 'd/a') },
      { location: join(dir, 'd/b.jsonl'), format: 'jsonl' },
      { location: join(dir, 'd/c') },
      { location: 's3://bucket/kept' },
    ]);
    expect(parseStoreUrl(c.store, process.cwd()).location).toBe(join(dir, 'store'));
    expect(c.unlabeled).toBe(join(dir, 'u/text.txt'));
    expect(c.workDir).toBe(join(dir, 'w'));
    expect(c.reportDir).toBe(join(dir, 'r'));
    expectTrainPaths(c.train);
    // the default report folder follows the (resolved) workDir
    expect(
      (await loadRetrainConfig(write('retrain2.json', { data: ['d'], store: 's3://bucket/p', workDir: 'w2' })))
        .reportDir,
    ).toBe(join(dir, 'w2/reports'));
  });
});
