/**
 * The workerd test project (referenced from the root vitest.config.ts): the Worker of wrangler.toml runs in
 * workerd through @cloudflare/vitest-pool-workers; tests call it with `exports.default.fetch` and reach its R2
 * binding through `env.MODELS` (both from 'cloudflare:workers'). Storage is isolated per test file.
 *
 * The bundled default model: models/default.cner once it exists, else a stand-in random model written by
 * global-setup.ts (override with CNER_WORKER_TEST_MODEL=path). Only the tests get this alias; wrangler dev and
 * wrangler deploy always bundle models/default.cner.
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineProject } from 'vitest/config';
import { bundledModelPath, projectRoot, realDefaultModel } from './paths.js';

const bundled = bundledModelPath();

export default defineProject({
  root: projectRoot,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        // test settings (override wrangler.toml [vars]); small limits keep the 413 tests fast
        bindings: {
          AUTH_TOKEN: 'test-token-0123456789',
          MODEL_CHECK_SECONDS: '0',
          MAX_BODY_BYTES: '400000',
          MAX_DOCUMENTS: '8',
          MAX_CHARS_PER_DOCUMENT: '60000',
          CORS_ORIGINS: 'https://allowed.example',
        },
      },
    }),
  ],
  resolve: {
    alias: bundled === realDefaultModel ? [] : [{ find: /^(\.\.\/)+models\/default\.cner$/, replacement: bundled }],
  },
  test: {
    name: 'worker',
    root: projectRoot,
    include: ['test/worker/**/*.test.ts'],
    globalSetup: ['test/worker/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
