/**
 * Library files are not runnable (issue 14 point 3): no file under src/ carries a main-guard
 * (`import.meta.url === …process.argv[1]…` or a bare top-level `main()` call); command lines live in scripts/
 * (scripts/train-run.ts, scripts/train-bench.ts, scripts/featcrf-ccks.ts) or in the CLI's commands. The hosts are
 * thin: what the training scripts share with `cner train` lives in src/train/ (run-config.ts, report.ts), so no
 * script imports a CLI command.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('library files are not runnable', () => {
  it('no file under src/ has a main-guard or a top-level main() call', () => {
    const runnable = tsFiles(join(root, 'src')).filter((f) => {
      const text = readFileSync(f, 'utf8');
      return /import\.meta\.url\s*===/.test(text) || /process\.argv\[1\]/.test(text) || /^main\(\)/m.test(text);
    });
    expect(runnable.map((f) => relative(root, f))).toEqual([]);
  });

  it('the command lines that left src/ are in scripts/', () => {
    for (const f of ['train-run.ts', 'train-bench.ts', 'featcrf-ccks.ts']) {
      expect(readFileSync(join(root, 'scripts', f), 'utf8')).toMatch(/process\.argv\.slice\(2\)|arg\('/);
    }
  });

  it('no script imports a CLI command module (shared pieces live in src/train/)', () => {
    const importers = tsFiles(join(root, 'scripts')).filter((f) =>
      /from '[./]*src\/hosts\/cli\/commands\//.test(readFileSync(f, 'utf8')),
    );
    expect(importers.map((f) => relative(root, f))).toEqual([]);
  });

  it('the feature-CRF baseline lives outside the library (scripts/featcrf/) and nothing in src/ imports it', () => {
    expect(existsSync(join(root, 'src', 'train', 'featcrf'))).toBe(false);
    expect(existsSync(join(root, 'scripts', 'featcrf', 'index.ts'))).toBe(true);
    const importers = tsFiles(join(root, 'src')).filter((f) => /from '[^']*featcrf\//.test(readFileSync(f, 'utf8')));
    expect(importers.map((f) => relative(root, f))).toEqual([]);
  });
});
