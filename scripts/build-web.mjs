#!/usr/bin/env node
/**
 * The offline page: one self-contained HTML file that tags in the browser (WASM kernels + a model, both inlined);
 * no request ever carries the text, and it works opened straight from disk (file://) as well as served.
 *
 *   node scripts/build-web.mjs [--model FILE] [--kernels FILE] [--out DIR]
 *
 * Writes into DIR (default dist/web/):
 *   index.html        renderPage({ mode: 'offline' }) from src/hosts/http/page.ts with the browser bundle
 *                     (src/hosts/browser.ts, esbuild iife), the kernels and the model inlined (base64): open it directly
 *   cner-browser.js   the same bundle as an ES module, for pages of your own (loadTagger / createTagger)
 *   kernels.wasm      build/kernels.wasm (npm run build:kernels), for cner-browser.js's loadTagger
 *   model.cner        the model (default: models/default.cner), for cner-browser.js's loadTagger
 */
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

  const bundle = (format, extra) =>
    build({
      entryPoints: [join(root, 'src/hosts/browser.ts')],
      bundle: true,
      format,
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
      ...extra,
    });
  const [esm, iife] = await Promise.all([
    bundle('esm', { outfile: join(outDir, 'cner-browser.js') }),
    bundle('iife', { globalName: 'cnerBrowser', write: false, outfile: 'inline.js' }),
  ]);
  for (const result of [esm, iife]) {
    const nodeImports = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('node:'));
    if (nodeImports.length > 0) throw new Error(`the browser bundle pulls Node modules: ${nodeImports.join(', ')}`);
  }
  const [kernelBytes, modelBytes] = await Promise.all([readFile(kernels), readFile(model)]);

  const unregister = register();
  let renderPage;
  try {
    ({ renderPage } = await import(join(root, 'src/hosts/http/page.ts')));
  } finally {
    await unregister();
  }
  const inline = { script: iife.outputFiles[0].text, kernels: kernelBytes.toString('base64'), model: modelBytes.toString('base64') };
  await writeFile(join(outDir, 'index.html'), renderPage({ mode: 'offline', inline }));
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
  console.log(`open ${shown}/index.html in a browser (from disk or served): it carries the tagger, the kernels and the model`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`build-web: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
