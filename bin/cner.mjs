#!/usr/bin/env node
// Launcher: runs the compiled CLI (dist/src/hosts/cli/main.js), which is what an installed package ships.
// In a git checkout that has src/ edited after the last build, it runs the TypeScript sources through tsx
// (a devDependency) instead, so the CLI and the tests that spawn it never run stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'hosts', 'cli', 'main.js');
const sources = join(root, 'src', 'hosts', 'cli', 'main.ts');
// written by every `tsc -b tsconfig.build.json` that emitted (npm run build)
const buildInfo = join(root, 'dist', 'build.tsbuildinfo');

/** True when some file or folder under `dir` changed after `since` (ms). */
function changedSince(dir, since) {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (statSync(dir).mtimeMs > since) return true;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() ? changedSince(path, since) : statSync(path).mtimeMs > since) return true;
  }
  return false;
}

/** The sources when this is a checkout whose src/ is newer than dist/ (or dist/ is missing) and tsx is there. */
async function sourceEntry() {
  if (!existsSync(sources)) return null; // an installed package: dist/ only
  if (existsSync(compiled) && existsSync(buildInfo) && !changedSince(join(root, 'src'), statSync(buildInfo).mtimeMs)) return null;
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return pathToFileURL(sources).href;
  } catch {
    return null; // no tsx (installed without devDependencies): run dist/ as it is
  }
}

const entry = (await sourceEntry()) ?? (existsSync(compiled) ? pathToFileURL(compiled).href : null);
if (entry === null) {
  process.stderr.write(`cner: ${compiled} is missing; run \`npm run build\` in ${root}\n`);
  process.exitCode = 1;
} else {
  const { main } = await import(entry);
  process.exitCode = await main(process.argv.slice(2));
}
