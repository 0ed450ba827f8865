/** The experiments runner on a tiny budget: every variant row, the report files, and a rerun served from the cache. */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FULL, VARIANTS, aggregate, configKey, meanStd, replaceBetweenMarkers, runExperiments, runsNeeded, type RunScores } from '../../scripts/experiments.js';
import { DEFAULT_CONFIG, resolveConfig } from '../../src/train/config.js';
import { pipelineWorkspace } from './fixture.js';

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());

describe('experiments runner', () => {
  it('runs every variant on a tiny budget, writes the report, and a rerun trains nothing', async () => {
    const docsPath = join(ws.dir, 'experiments.md');
    const readmePath = join(ws.dir, 'README.md');
    writeFileSync(readmePath, '# Title\n\nintro\n\n<!-- experiments:begin -->\nold table\n<!-- experiments:end -->\n\nrest\n');
    const logs: string[] = [];
    const opts = {
      data: ws.corpus,
      unlabeled: ws.unlabeled,
      out: join(ws.dir, 'exp'),
      config: ws.tinyConfig,
      seeds: [1],
      epochs: 1,
      crfOptimizer: 'adagrad' as const,
      crfIterations: 1,
      docsPath,
      readmePath,
      log: (s: string) => logs.push(s),
      progress: false as const,
    };
    const first = await runExperiments(opts);
    // the estimate came before any training
    expect(logs[0]).toMatch(/estimated total/);
    // 8 runs for 11 variant rows (aliases reuse runs)
    expect(first.trained).toHaveLength(VARIANTS.filter((v) => v.kind !== 'alias').length); // 1 CRF + 8 neural
    expect(first.rows.map((r) => r.variant.name)).toEqual(VARIANTS.map((v) => v.name));
    for (const r of first.rows) {
      expect(r.runs).toHaveLength(1);
      expect(r.strict.mean).toBeGreaterThanOrEqual(0);
      expect(r.relaxed.mean).toBeGreaterThanOrEqual(r.strict.mean);
      expect(Object.keys(r.perType).sort()).toEqual(['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT']);
    }
    const row = (n: string) => first.rows.find((r) => r.variant.name === n)!;
    // aliases: the same models, scored as the alias says
    expect(row('seg-jieba+entities').strict).toEqual(row(FULL).strict);
    expect(row('no-preprocessing').relaxed).toEqual(row('seg-jieba').relaxed);
    const full = JSON.parse(readFileSync(join(opts.out, FULL, 'seed-1', 'metrics.json'), 'utf8'));
    expect(row('no-consistency').strict.mean).toBe(full.test.f32.noConsistency.strict.micro.f1);
    expect(row(FULL).strict.mean).toBe(full.test.f32.consistency.strict.micro.f1);
    expect(row('no-pretrain').delta).toBeCloseTo(100 * (row('no-pretrain').strict.mean - row(FULL).strict.mean), 10);

    const md = readFileSync(docsPath, 'utf8');
    for (const v of VARIANTS) expect(md).toContain(`| ${v.name === FULL ? `**${v.name}**` : v.name} |`);
    expect(md).toContain('−3.37'); // the paper's pre-training delta beside no-pretrain
    expect(md).toContain('Per type, relaxed F1');
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme).not.toContain('old table');
    expect(readme.startsWith('# Title\n\nintro\n\n<!-- experiments:begin -->\n| variant |')).toBe(true);
    expect(readme.endsWith('<!-- experiments:end -->\n\nrest\n')).toBe(true);

    // the rerun: everything from the cache, same table
    const mtime = statSync(join(opts.out, 'no-char', 'seed-1', 'metrics.json')).mtimeMs;
    const second = await runExperiments(opts);
    expect(second.trained).toEqual([]);
    expect(second.runs.every((r) => r.cached)).toBe(true);
    expect(second.table).toBe(first.table);
    expect(statSync(join(opts.out, 'no-char', 'seed-1', 'metrics.json')).mtimeMs).toBe(mtime);

    // a different budget for one variant retrains only that variant (continuing from its checkpoint)
    const third = await runExperiments({ ...opts, only: ['no-dropout'], epochs: 2, readmePath: null, docsPath: null });
    expect(third.trained).toEqual([join(opts.out, 'no-dropout', 'seed-1')]);
    const nd = JSON.parse(readFileSync(join(opts.out, 'no-dropout', 'seed-1', 'metrics.json'), 'utf8'));
    expect(nd.epochsRun).toBe(2);
    expect(nd.budget.epochs).toBe(2);
  });

  it('aggregates seeds as mean ± sample std and deltas vs the full model', () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0 });
    const s = (strict: number, relaxed: number): RunScores => ({ strict, relaxed, perType: { A: { strict, relaxed } } });
    const scores = new Map([
      [FULL, new Map([[1, s(0.9, 0.95)], [2, s(0.8, 0.85)]])],
      ['no-char', new Map([[1, s(0.7, 0.9)], [2, s(0.8, 0.9)]])],
    ]);
    const rows = aggregate(VARIANTS.filter((v) => v.name === FULL || v.name === 'no-char'), scores);
    expect(rows[0].strict.mean).toBeCloseTo(0.85, 12);
    expect(rows[0].strict.std).toBeCloseTo(Math.sqrt(0.005), 12);
    expect(rows[1].delta).toBeCloseTo(-10, 10);
    expect(rows[1].deltaRelaxed).toBeCloseTo(0, 10);
    expect(rows[1].perType.A.strict.mean).toBeCloseTo(0.75, 12);
  });

  it('knows which runs a selection needs, and rejects unknown names', () => {
    expect(runsNeeded(['no-consistency']).map((v) => v.name)).toEqual([FULL]);
    expect(runsNeeded(['no-preprocessing', 'crf']).map((v) => v.name)).toEqual(['crf', 'seg-jieba']);
    expect(() => runsNeeded(['no-such'])).toThrow(/unknown variant 'no-such'/);
  });

  it('replaces only between the README markers, and only when both are there', () => {
    expect(replaceBetweenMarkers('a\n<!-- experiments:begin -->x<!-- experiments:end -->\nb', 'T')).toBe('a\n<!-- experiments:begin -->\nT\n<!-- experiments:end -->\nb');
    expect(replaceBetweenMarkers('a\n<!-- experiments:begin -->\nb', 'T')).toBeNull();
    expect(replaceBetweenMarkers('no markers', 'T')).toBeNull();
  });
});

describe('run cache keys', () => {
  it('config fields added later leave the key alone at their defaults and change it otherwise', () => {
    const base = resolveConfig({});
    const older: Record<string, unknown> = { ...base, epochs: 0, workers: 0, checkpointMinutes: 0 };
    for (const f of ['lexDim', 'lexiconFolds', 'bigramDim', 'bigramMinCount', 'ema', 'trainOn', 'extraTrain', 'split', 'backend', 'segmenterLexicon', 'augment', 'charLm', 'outsideLexDim', 'outsideLexicon']) delete older[f];
    expect(configKey(base)).toEqual(older); // what runs cached before those fields existed were keyed by
    expect(configKey(resolveConfig({ epochs: 3, workers: 1 }))).toEqual(configKey(base)); // budget fields are not part of it
    for (const [field, value] of [['ema', 0.999], ['lexDim', 5], ['bigramDim', 8], ['lexiconFolds', 3], ['bigramMinCount', 4], ['trainOn', 'train+dev'], ['extraTrain', ['p.jsonl']], ['split', 'blocked'], ['segmenterLexicon', '/words.txt'], ['augment', { copies: 1, prob: 0.5, lexiconTypes: [], types: [] }], ['charLm', { hidden: 64, dim: 32, steps: 400, batch: 32, seqLen: 100, lr: 0.004 }]] as const) {
      const k = configKey(resolveConfig({ [field]: value }));
      expect(k[field], field).toEqual(value);
      expect(k, field).not.toEqual(configKey(base));
    }
    // the outsideLex channel's fields (a dimension needs a word list, so with segmenterLexicon)
    const words = { segmenterLexicon: '/words.txt' };
    const lex = configKey(resolveConfig({ ...words, outsideLexDim: 16, outsideLexicon: '/other.txt' }));
    expect([lex.outsideLexDim, lex.outsideLexicon]).toEqual([16, '/other.txt']);
    expect(configKey(resolveConfig({ ...words, outsideLexDim: 16 }))).not.toEqual(configKey(resolveConfig(words)));
    expect(DEFAULT_CONFIG.ema).toBe(0);
  });

  it('a weight-averaged run is keyed apart from runs cached before the average warmed up', () => {
    const k = configKey(resolveConfig({ ema: 0.999 }));
    const before: Record<string, unknown> = { ...k };
    delete before.emaWarmup;
    expect(k.emaWarmup).toBe(1);
    expect(k).not.toEqual(before);
    expect(configKey(resolveConfig({})).emaWarmup).toBeUndefined();
  });
});

const CCKS = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/data/ccks2017/train');
const present = existsSync(CCKS);
if (!present) console.log(`[pipeline experiments] real-data plan skipped: ${CCKS} (CCKS 2017) is not present on this machine`);

describe.skipIf(!present)('experiments plan on CCKS 2017 (estimate only, nothing trained)', () => {
  it('plans 27 runs for 3 seeds and prints a time estimate before doing anything', async () => {
    const logs: string[] = [];
    const out = join(ws.dir, 'exp-real');
    const r = await runExperiments({ data: CCKS, out, seeds: [1, 2, 3], estimateOnly: true, docsPath: null, readmePath: null, log: (s) => logs.push(s) });
    expect(r.trained).toEqual([]);
    expect(logs.join('\n')).toMatch(/12 variants × 3 seed\(s\); 27 runs, 0 cached/);
    expect(logs.join('\n')).toMatch(/24 neural run\(s\).*3 CRF run\(s\)/);
    // ≤ 40 epochs of ~23 s for 24 runs, plus CRF and vectors: hours, not minutes
    expect(r.estimateSeconds).toBeGreaterThan(3600);
    expect(readdirSync(out)).toEqual([]);
  });
});
