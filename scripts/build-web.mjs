#!/usr/bin/env node
/**
 * The static offline build: a page that tags in the browser (WASM kernels + a local model); no request ever
 * carries the text.
 *
 *   node scripts/build-web.mjs [--model FILE] [--kernels FILE] [--out DIR]
 *
 * Writes into DIR (default dist/web/):
 *   index.html        renderPage({ mode: 'offline' }) from src/hosts/http/page.ts
 *   cner-browser.js   src/hosts/browser.ts bundled by esbuild (ES module, minified, no Node imports)
 *   kernels.wasm      build/kernels.wasm (npm run build:kernels)
 *   model.cner        the model (default: models/default.cner)
 * Serve the folder with any static server (it needs http(s): browsers refuse module scripts and fetch on file:).
 */
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { register } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function exists(p) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Builds the offline page into `outDir`; returns the files written with their sizes. */
export async function buildWeb({ model, kernels, outDir }) {
  if (!(await exists(kernels))) throw new Error(`kernels not found at ${kernels}: run npm run build:kernels`);
  if (!(await exists(model))) {
    throw new Error(`model not found at ${model}: pass --model FILE (models/default.cner is the trained default model)`);
  }
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const result = await build({
    entryPoints: [join(root, 'src/hosts/browser.ts')],
    outfile: join(outDir, 'cner-browser.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const nodeImports = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('node:'));
  if (nodeImports.length > 0) throw new Error(`the browser bundle pulls Node modules: ${nodeImports.join(', ')}`);

  const unregister = register();
  let renderPage;
  try {
    ({ renderPage } = await import(join(root, 'src/hosts/http/page.ts')));
  } finally {
    await unregister();
  }
  await writeFile(join(outDir, 'index.html'), renderPage({ mode: 'offline' }));
  await copyFile(kernels, join(outDir, 'kernels.wasm'));
  await copyFile(model, join(outDir, 'model.cner'));

  const files = {};
  for (const f of ['index.html', 'cner-browser.js', 'kernels.wasm', 'model.cner']) files[f] = (await stat(join(outDir, f))).size;
  return files;
}

async function main() {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, kernels: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log('Usage: node scripts/build-web.mjs [--model FILE] [--kernels FILE] [--out DIR]');
    return;
  }
  const outDir = resolve(values.out ?? join(root, 'dist/web'));
  const files = await buildWeb({
    model: resolve(values.model ?? join(root, 'models/default.cner')),
    kernels: resolve(values.kernels ?? join(root, 'build/kernels.wasm')),
    outDir,
  });
  const shown = outDir.startsWith(root) ? relative(root, outDir) : outDir;
  console.log(`built ${shown}/:`);
  for (const [f, size] of Object.entries(files)) console.log(`  ${f.padEnd(16)} ${String(size).padStart(10)} bytes`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`build-web: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
