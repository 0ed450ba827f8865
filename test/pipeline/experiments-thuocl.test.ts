/**
 * scripts/experiments.ts's opt-in variants of issue 16 (configs/experiments/*.json): THUOCL's medical words as
 * segmenter words, and augmentation. On the tiny synthetic corpus, one epoch each; the word list is the real one
 * (../shared/data/lexicons), so the test skips without it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OPT_IN_VARIANTS, VARIANTS, runExperiments } from '../../scripts/experiments.js';
import { readModel } from '../../src/model/format.js';
import type { DictSegmenterSpec } from '../../src/segment/index.js';
import { pipelineWorkspace } from './fixture.js';

const THUOCL = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/data/lexicons/THUOCL_medical.txt');
const present = existsSync(THUOCL);
if (!present)
  console.log(`[experiments thuocl] skipped: ${THUOCL} (THUOCL's medical word list) is not present on this machine`);

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());

describe.skipIf(!present)('experiments runner, issue 16 variants', () => {
  it('runs only when named; the THUOCL variant has its own word vectors and carries the words in its model file', async () => {
    for (const v of OPT_IN_VARIANTS) expect(VARIANTS.map((x) => x.name)).not.toContain(v.name);
    const out = join(ws.dir, 'exp');
    const logs: string[] = [];
    const r = await runExperiments({
      data: ws.corpus,
      out,
      config: ws.tinyConfig,
      seeds: [1],
      epochs: 1,
      only: ['default+thuocl-seg', 'default+augment'],
      docsPath: null,
      readmePath: null,
      log: (l) => logs.push(l),
      progress: false,
    });
    expect(r.rows.map((x) => x.variant.name)).toEqual(['default+thuocl-seg', 'default+augment']);
    // word vectors per segmenter: the THUOCL words change the cut, so they get their own file
    const vectors = readdirSync(join(out, 'vectors', readdirSync(join(out, 'vectors'))[0]));
    expect(
      vectors
        .filter((f) => f.startsWith('word-'))
        .map((f) => f.replace(/-d\d+\.vec$/, ''))
        .sort(),
    ).toEqual(['word-jieba', 'word-jieba+THUOCL_medical']);
    const header = (name: string) =>
      readModel(new Uint8Array(readFileSync(join(out, name, 'seed-1', 'model.q8.cner')))).header;
    const thuocl = header('default+thuocl-seg').segmenter as DictSegmenterSpec;
    const plain = header('default+augment').segmenter as DictSegmenterSpec;
    expect(thuocl.meta?.lexicon).toBeGreaterThan(18000);
    expect(thuocl.words).toContain('胆囊切除术');
    expect(plain.words).not.toContain('胆囊切除术');
    expect(logs.some((l) => /\[default\+augment seed 1\] augment: \d+ copies of \d+ training documents/.test(l))).toBe(
      true,
    );
    expect(logs.some((l) => /\[default\+thuocl-seg seed 1\] augment:/.test(l))).toBe(false);
  }, 300_000);
});
