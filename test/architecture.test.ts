/**
 * The layering of ARCHITECTURE.md, checked on the import statements of src/:
 * - a folder imports only folders on its own floor or below (data flows one way), and store/ never imports train/
 *   or io/ (storage never loads the training stack; the retraining job in retrain/ joins them);
 * - the platform-neutral code (everything the Worker and the browser load) imports no `node:` module,
 *   no AWS SDK and no Node-only file, so it runs unchanged in Node, workerd and browsers.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** floor of each top-level part of src/ (a folder, or a file without its .ts) */
const FLOORS: Record<string, number> = {
  text: 1, tags: 1, features: 1, corpus: 1, types: 1, schema: 1,
  model: 2, segment: 2, eval: 2, consistency: 2,
  tagger: 3, index: 3,
  train: 4, io: 4,
  store: 5,
  retrain: 6,
  hosts: 7,
};

/** Lower floors a part must still not import: storage never loads the training stack (src/retrain/ joins them). */
const NEVER: Record<string, string[]> = {
  store: ['train', 'io'],
  // the schema floor is the bottom: every schema (requests, configs) is written in it, it is written in nothing
  schema: ['text', 'tags', 'features', 'corpus', 'types'],
};

/** Node-only files inside otherwise platform-neutral floors (they never reach a Worker or browser bundle). */
const NODE_ONLY = new Set([
  'store/file.ts', 'store/open.ts', 'store/s3.ts', 'store/node.ts',
]);
const NEUTRAL_FLOORS = new Set(['schema', 'text', 'tags', 'features', 'corpus', 'model', 'segment', 'eval', 'consistency', 'tagger', 'index', 'store']);
const NEUTRAL_HOST_FILES = new Set(['hosts/cloudflare.ts', 'hosts/browser.ts', 'hosts/http/app.ts', 'hosts/http/schemas.ts', 'hosts/http/openapi.ts', 'hosts/http/limits.ts', 'hosts/http/page.ts', 'hosts/http/render.ts', 'hosts/http/model-source.ts', 'hosts/http/cloudflare-handler.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const part = (rel: string) => rel.split('/')[0].replace(/\.(ts|js)$/, '');
const imports = (text: string) => [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s+'([^']+)'/g)].map((m) => m[1]);

const all = files(src).map((abs) => {
  const rel = relative(src, abs).split('\\').join('/');
  return { rel, specs: imports(readFileSync(abs, 'utf8')) };
});

describe('architecture', () => {
  it('every part of src/ has a floor', () => {
    for (const f of all) expect(FLOORS[part(f.rel)], f.rel).toBeDefined();
  });

  it('imports go to the same floor or lower', () => {
    const bad: string[] = [];
    for (const f of all) {
      const from = FLOORS[part(f.rel)];
      for (const s of f.specs) {
        if (!s.startsWith('.')) continue;
        const target = relative(src, normalize(join(src, dirname(f.rel), s))).split('\\').join('/');
        if (target.startsWith('..')) continue; // build/kernels.wasm, models/…
        const to = FLOORS[part(target)];
        if (to === undefined || to > from) bad.push(`${f.rel} (floor ${from}) imports ${target} (floor ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no import cycles between files (type-only imports included)', () => {
    const graph = new Map<string, string[]>();
    for (const f of all) {
      const targets = f.specs
        .filter((s) => s.startsWith('.'))
        .map((s) => relative(src, normalize(join(src, dirname(f.rel), s))).split('\\').join('/').replace(/\.js$/, '.ts'))
        .filter((t) => !t.startsWith('..'));
      graph.set(f.rel, targets);
    }
    // depth-first search; a back edge to a file on the current path is a cycle
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
        else if (!state.has(next) && graph.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('store never imports train or io; schema imports nothing', () => {
    const bad: string[] = [];
    for (const f of all) {
      const never = NEVER[part(f.rel)] ?? [];
      for (const s of f.specs) {
        if (!s.startsWith('.')) continue;
        const target = relative(src, normalize(join(src, dirname(f.rel), s))).split('\\').join('/');
        if (never.includes(part(target))) bad.push(`${f.rel} imports ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('platform-neutral code imports no node: module, no AWS SDK and no Node-only file', () => {
    const bad: string[] = [];
    for (const f of all) {
      const neutral = (NEUTRAL_FLOORS.has(part(f.rel)) && !NODE_ONLY.has(f.rel)) || NEUTRAL_HOST_FILES.has(f.rel);
      if (!neutral) continue;
      for (const s of f.specs) {
        if (s.startsWith('node:') || s.startsWith('@aws-sdk/') || s === 'tsx' || s.startsWith('@node-rs/')) bad.push(`${f.rel} imports ${s}`);
        if (s.startsWith('.')) {
          const target = relative(src, normalize(join(src, dirname(f.rel), s))).split('\\').join('/').replace(/\.js$/, '.ts');
          if (NODE_ONLY.has(target)) bad.push(`${f.rel} imports the Node-only ${target}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
