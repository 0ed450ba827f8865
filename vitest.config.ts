import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * The test projects (`npm test` runs all three):
 * - unit: the Node test files that finish in about 2 s and start no process or server — `npm run test:unit`,
 *   the one-minute loop while editing;
 * - integration: every other Node test file (child processes, servers, s3rver, Chromium, training runs, the
 *   package test) — `npm run test:integration`;
 * - worker: the tests that run inside workerd (test/worker/, @cloudflare/vitest-pool-workers).
 * A new test file runs in integration until it is listed here.
 */
const UNIT = [
  'test/architecture.test.ts',
  'test/config/backend.test.ts',
  'test/config/docs.test.ts',
  'test/config/paths.test.ts',
  'test/config/validate.test.ts',
  'test/consistency/consistency.test.ts',
  'test/corpus/ccks2017.test.ts',
  'test/corpus/formats.test.ts',
  'test/corpus/registry.test.ts',
  'test/corpus/split.test.ts',
  'test/embed/cli.test.ts',
  'test/embed/format.test.ts',
  'test/embed/realdata.test.ts',
  'test/embed/train.test.ts',
  'test/eval/conlleval.test.ts',
  'test/eval/entities.test.ts',
  'test/eval/vote.test.ts',
  'test/featcrf/crf.test.ts',
  'test/features/bigram.test.ts',
  'test/features/channels.test.ts',
  'test/features/features.test.ts',
  'test/features/lexicon.test.ts',
  'test/features/outside-lexicon.test.ts',
  'test/features/word-positions.test.ts',
  'test/http/cloudflare-settings.test.ts',
  'test/http/middleware.test.ts',
  'test/http/model-source.test.ts',
  'test/kernels/crf.test.ts',
  'test/kernels/kernels.test.ts',
  'test/kernels/tfjs.test.ts',
  'test/model/combine-kbest.test.ts',
  'test/model/crf-lattice.test.ts',
  'test/model/format-async.test.ts',
  'test/model/format.test.ts',
  'test/model/sha256.test.ts',
  'test/retrain/cli.test.ts',
  'test/retrain/config.test.ts',
  'test/segment/segmenter.test.ts',
  'test/segment/trie.test.ts',
  'test/store/gate.test.ts',
  'test/store/open.test.ts',
  'test/structure/channels.test.ts',
  'test/tagger/bigram.test.ts',
  'test/tagger/ccks-data.test.ts',
  'test/tagger/construction.test.ts',
  'test/tagger/lexicon.test.ts',
  'test/tagger/tagger.test.ts',
  'test/tags/bio.test.ts',
  'test/text/normalize.test.ts',
  'test/text/sentences.test.ts',
  'test/train/adam.test.ts',
  'test/train/ema-warmup.test.ts',
  'test/train/ema.test.ts',
  'test/train/extra-train.test.ts',
  'test/train/final-fit.test.ts',
  'test/train/interop.test.ts',
  'test/train/kernels.test.ts',
  'test/train/parallel.test.ts',
  'test/train/quantize.test.ts',
  'test/train/steps.test.ts',
  'test/train/support.test.ts',
  'test/train/trainer.test.ts',
  'test/web/render.test.ts',
];
for (const file of UNIT)
  if (!existsSync(file)) console.warn(`vitest.config.ts: unit test file ${file} is listed but missing`);

const node = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    // npm run test:coverage (the Node projects; code run in child processes, worker threads and workerd is not counted)
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text', 'html'],
      reportsDirectory: 'coverage',
      reportOnFailure: true,
    },
    projects: [
      { test: { name: 'unit', include: UNIT, ...node } },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'node_modules/**', ...UNIT],
          ...node,
        },
      },
      'test/worker/vitest.config.ts',
    ],
  },
});
