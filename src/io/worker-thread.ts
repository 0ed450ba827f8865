/**
 * Worker threads that run a sibling module of the caller, from the TypeScript sources or from compiled JS.
 * Running from .ts sources (bin/cner.mjs, tsx, vitest), Node 20 does not apply tsx's hooks to a worker's entry,
 * so a two-line bootstrap registers tsx's ESM loader inside the thread, then imports the .ts entry.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Starts `entry` (a path relative to `callerUrl`, without extension, e.g. './worker') in a worker thread. */
export function startModuleWorker(callerUrl: string, entry: string, workerData: unknown): Worker {
  if (callerUrl.endsWith('.ts')) {
    const tsxRoot = dirname(createRequire(callerUrl).resolve('tsx/package.json'));
    const api = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
    const url = new URL(`${entry}.ts`, callerUrl).href;
    const boot = `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(url)}); });`;
    return new Worker(boot, { eval: true, workerData, execArgv: [] });
  }
  return new Worker(new URL(`${entry}.js`, callerUrl), { workerData, execArgv: [] });
}
