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
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultModelPath, preferredKernels } from '../io/artefacts.js';
import { createTagger, type Tagger } from '../tagger.js';

export { createTagger } from '../tagger.js';
export type { Entity, TaggedPath, TagOptions, TagResult, Tagger, TaggerInfo, TaggerSource } from '../tagger.js';

/** Bytes, or where to read them from. */
export type NodeSource = string | URL | Uint8Array | ArrayBuffer;

export interface NodeTaggerOptions {
  /** the model file (default: the package's models/default.cner) */
  model?: NodeSource;
  /**
   * the kernels: path, URL, bytes or a compiled module (default: the package's build/kernels.wasm;
   * CNER_KERNELS=relaxed loads build/kernels-relaxed.wasm, =auto that one where relaxed SIMD can be had)
   */
  kernels?: NodeSource | WebAssembly.Module;
}

export { defaultKernelsPath, defaultModelPath, packageRoot, preferredKernels } from '../io/artefacts.js';

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
  const kernelsOption = options.kernels ?? preferredKernels().path;
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
