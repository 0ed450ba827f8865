/**
 * `npm run build` removes compiled files whose source is gone (scripts/prune-dist.mjs): tsc -b never deletes
 * outputs, so a file moved since the last build would otherwise stay in dist/ and be packed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staleDir = join(root, 'dist', 'src', 'zz-gone-for-test');
afterAll(() => rmSync(staleDir, { recursive: true, force: true }));

describe('prune-dist', () => {
  it('removes compiled files without a source and keeps the others', () => {
    expect(
      JSON.parse(
        execFileSync('node', ['-p', 'JSON.stringify(require("./package.json").scripts.build)'], {
          cwd: root,
          encoding: 'utf8',
        }),
      ),
    ).toContain('prune-dist.mjs');
    mkdirSync(staleDir, { recursive: true });
    for (const f of ['moved.js', 'moved.d.ts', 'moved.js.map']) writeFileSync(join(staleDir, f), '// stale\n');
    const out = execFileSync('node', [join(root, 'scripts', 'prune-dist.mjs')], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/removed \d+ compiled file/);
    expect(existsSync(staleDir)).toBe(false);
    expect(existsSync(join(root, 'dist', 'src', 'tagger.js'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'src', 'hosts', 'cli', 'main.js'))).toBe(true);
  });
});
