/**
 * The paths of the package's built artefacts (build/kernels.wasm, build/train.wasm, build/embed.wasm and
 * models/default.cner) are computed in one place, src/io/artefacts.ts: no other file of src/ builds one from a
 * relative URL or a path join. The Cloudflare Worker entry (src/hosts/cloudflare.ts) is the one exception: its
 * bundler resolves the two static imports of its assets at build time.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const ALLOWED = new Set(['io/artefacts.ts', 'hosts/cloudflare.ts']);

/** a string starting with a relative path to an artefact, or a path join of its folder and file name */
const ARTEFACT_PATH = [
  /['"`](?:\.\.?\/)+(?:build\/(?:kernels|train|embed)\.wasm|models\/default\.cner)/,
  /'build',\s*'(?:kernels|train|embed)\.wasm'|'models',\s*'default\.cner'/,
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = join(dir, name);
    return statSync(abs).isDirectory() ? files(abs) : name.endsWith('.ts') ? [abs] : [];
  });
}

/** the code without its comments (block comments and whole-line // comments) */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

describe('artefact paths', () => {
  it('only src/io/artefacts.ts computes where build/*.wasm and models/default.cner lie', () => {
    const offenders = files(src)
      .map((abs) => relative(src, abs).split('\\').join('/'))
      .filter((rel) => !ALLOWED.has(rel))
      .filter((rel) => ARTEFACT_PATH.some((re) => re.test(code(readFileSync(join(src, rel), 'utf8')))));
    expect(offenders).toEqual([]);
  });

  it('src/io/artefacts.ts names every artefact', () => {
    const text = readFileSync(join(src, 'io', 'artefacts.ts'), 'utf8');
    for (const re of [
      /'build',\s*'kernels\.wasm'/,
      /'build',\s*'train\.wasm'/,
      /'build',\s*'embed\.wasm'/,
      /'models',\s*'default\.cner'/,
    ])
      expect(text).toMatch(re);
  });
});
