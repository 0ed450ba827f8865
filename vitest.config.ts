import { defineConfig } from 'vitest/config';

// Node tests live under test/ (mirroring src/); tests that must run inside workerd live under test/worker/
// and get their own project (added with @cloudflare/vitest-pool-workers).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      'test/worker/vitest.config.ts',
    ],
  },
});
