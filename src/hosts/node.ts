/**
 * The Node library entry: reads the model and the kernels from disk (or a URL, or bytes) and builds the
 * platform-neutral tagger.
 *
 *   import { loadTagger } from 'cner/node';
 *   const tagger = await loadTagger({ model: 'models/default.cner' });   // kernels: the package's build/kernels.wasm
 *   tagger.tag('患者右下腹痛三天。').entities                              // [{ type, start, end, text, score }]
 *
 * `model` and `kernels` may each be a file path, a file: / http(s): URL (string or URL object), or the bytes.
 * Without `model` the package's models/default.cner is used; without `kernels` the package's build/kernels.wasm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTagger, type Tagger } from '../tagger.js';

export { createTagger } from '../tagger.js';
export type { Entity, TaggedPath, TagOptions, TagResult, Tagger, TaggerInfo, TaggerSource } from '../tagger.js';

/** Bytes, or where to read them from. */
export type NodeSource = string | URL | Uint8Array | ArrayBuffer;

export interface NodeTaggerOptions {
  /** the model file (default: the package's models/default.cner) */
  model?: NodeSource;
  /** build/kernels.wasm: path, URL, bytes or a compiled module (default: the package's build/kernels.wasm) */
  kernels?: NodeSource | WebAssembly.Module;
}

let cachedRoot: string | null = null;

/** The folder holding this package's package.json (found by walking up from this file; works from src/ and dist/). */
export function packageRoot(): string {
  if (cachedRoot !== null) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'cner') return (cachedRoot = dir);
      } catch {
        // not JSON: keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the cner package root (no package.json named "cner" above src/hosts/node)');
    dir = up;
  }
}

/** `<package root>/models/default.cner` (it may not exist yet). */
export function defaultModelPath(): string {
  return join(packageRoot(), 'models', 'default.cner');
}

/** `<package root>/build/kernels.wasm` (made by `npm run build:kernels`). */
export function defaultKernelsPath(): string {
  return join(packageRoot(), 'build', 'kernels.wasm');
}

/** Reads bytes from a path, a file:/http(s): URL, or passes bytes through. `what` names the input in errors. */
export async function readSource(source: NodeSource, what: string): Promise<Uint8Array<ArrayBuffer>> {
  if (source instanceof Uint8Array) return source.buffer instanceof ArrayBuffer ? (source as Uint8Array<ArrayBuffer>) : new Uint8Array(source);
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  let url: URL | null = null;
  if (source instanceof URL) url = source;
  else if (typeof source === 'string') {
    if (source === '') throw new TypeError(`loadTagger: ${what} is an empty string (expected a path, URL or bytes)`);
    if (/^(file|https?):/i.test(source)) url = new URL(source);
  } else {
    throw new TypeError(`loadTagger: ${what} must be a path, URL, Uint8Array or ArrayBuffer, got ${describe(source)}`);
  }
  if (url === null) return readPath(resolve(source as string), what);
  if (url.protocol === 'file:') return readPath(fileURLToPath(url), what);
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`loadTagger: fetching the ${what} from ${url.origin}${url.pathname} failed: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  throw new TypeError(`loadTagger: ${what} URL must be file:, http: or https:, got ${url.protocol}`);
}

async function readPath(path: string, what: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    throw new Error(`loadTagger: cannot read the ${what} at ${path} (${code})`);
  }
}

/** Builds a tagger from files: see the module comment. */
export async function loadTagger(options: NodeTaggerOptions = {}): Promise<Tagger> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`loadTagger: expected { model?, kernels? }, got ${describe(options)}`);
  }
  let model = options.model;
  if (model === undefined) {
    const path = defaultModelPath();
    if (!existsSync(path)) throw new Error(`loadTagger: no model given and the default model ${path} does not exist; pass { model }`);
    model = path;
  }
  const kernelsOption = options.kernels ?? defaultKernelsPath();
  const kernels =
    kernelsOption instanceof WebAssembly.Module ? kernelsOption : await readSource(kernelsOption, 'kernels (build/kernels.wasm)');
  const modelBytes = await readSource(model, 'model');
  return createTagger({ model: modelBytes, kernels });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
