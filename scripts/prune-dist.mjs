#!/usr/bin/env node
/**
 * Removes compiled files under dist/src/ whose source under src/ no longer exists (a file moved or deleted since the
 * last build). `tsc -b` is incremental and never deletes outputs, so without this a checkout that built before a
 * move would keep, and `npm pack` would ship, the stale files. Runs before tsc in `npm run build`.
 *
 *   node scripts/prune-dist.mjs        prints how many files it removed
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'src');
const src = join(root, 'src');

/** The source a compiled file came from: x.js, x.d.ts, x.js.map, x.d.ts.map → x.ts */
const sourceOf = (rel) => rel.replace(/(\.d\.ts\.map|\.js\.map|\.d\.ts|\.js)$/, '.ts');

function prune(dir) {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      removed += prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    const rel = relative(dist, path);
    if (sourceOf(rel) === rel) continue; // not a compiled file
    if (!existsSync(join(src, sourceOf(rel)))) {
      rmSync(path);
      removed++;
    }
  }
  return removed;
}

if (existsSync(dist)) {
  const removed = prune(dist);
  if (removed > 0) process.stdout.write(`dist/src: removed ${removed} compiled file(s) whose source is gone\n`);
}
