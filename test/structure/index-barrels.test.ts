/**
 * Every index.ts under src/ is a barrel: comments and re-exports (`export … from`) only, no logic, so that a
 * folder's code lives in files named for what they hold (issue 14 point 8).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function indexFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = join(dir, name);
    return statSync(abs).isDirectory() ? indexFiles(abs) : name === 'index.ts' ? [abs] : [];
  });
}

/** what is left of a file once its comments and re-export statements are taken out */
function rest(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+'[^']+';/g, '')
    .trim();
}

describe('index.ts files', () => {
  it('are barrels: comments and re-exports only', () => {
    const files = indexFiles(src);
    expect(files.length).toBeGreaterThan(5);
    const notBarrels = files
      .filter((f) => rest(readFileSync(f, 'utf8')) !== '')
      .map((f) => relative(src, f).split('\\').join('/'));
    expect(notBarrels).toEqual([]);
  });
});
