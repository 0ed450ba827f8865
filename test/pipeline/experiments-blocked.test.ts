/** scripts/experiments.ts --split blocked (issue 16): blocked runs are cached apart and the tables carry unseen-entity F1. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExperiments } from '../../scripts/experiments.js';
import { pipelineWorkspace } from './fixture.js';

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());

describe('experiments runner, blocked split', () => {
  it('trains on the blocked split in <out>/split-blocked/, leaves the random runs alone, and reports unseen F1', async () => {
    const out = join(ws.dir, 'exp');
    const base = { data: ws.corpus, out, config: ws.tinyConfig, seeds: [1], epochs: 1, only: ['no-dropout'], docsPath: null, readmePath: null, log: () => {}, progress: false as const };
    const random = await runExperiments(base);
    expect(random.runs[0].dir).toBe(join(out, 'no-dropout', 'seed-1'));
    const blocked = await runExperiments({ ...base, split: 'blocked' });
    expect(blocked.runs[0].dir).toBe(join(out, 'split-blocked', 'no-dropout', 'seed-1'));
    expect(blocked.trained).toEqual([blocked.runs[0].dir]);
    expect(existsSync(join(out, 'no-dropout', 'seed-1', 'metrics.json'))).toBe(true);
    // the random run is still cached: a rerun trains nothing
    expect((await runExperiments(base)).trained).toEqual([]);
    const row = blocked.rows.find((r) => r.variant.name === 'no-dropout')!;
    expect(row.unseen.n).toBe(1);
    expect(row.runs[0].unseen).toBeGreaterThanOrEqual(0);
    expect(blocked.table).toMatch(/unseen F1/);
    const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).split;
    expect(summary(blocked.runs[0].dir).mode).toBe('blocked');
    expect(summary(random.runs[0].dir).mode).toBe('random');
    expect(summary(blocked.runs[0].dir).test).not.toEqual(summary(random.runs[0].dir).test);
  }, 300_000);
});
