/**
 * The browser entry (bundled by scripts/build-web.mjs into dist/web/cner-browser.js, an ES module).
 *
 *   import { loadTagger } from './cner-browser.js';
 *   const tagger = await loadTagger({ modelUrl: './model.cner', kernelsUrl: './kernels.wasm' });
 *   tagger.tag(text).entities
 *
 * Only the model and the kernels are fetched (GET); the text never leaves the page.
 */
import { createTagger, type Tagger } from '../tagger.js';

export { createTagger, DEFAULT_MAX_SENTENCE, MAX_KBEST } from '../tagger.js';
export type { Entity, TaggedPath, TagOptions, TagResult, Tagger, TaggerInfo, TaggerSource } from '../tagger.js';
/** the entity view of the offline page and `cner tag --output-format html`: a standalone HTML file for tagged texts */
export { entityTypes, labelStyles, renderDocumentsHtml } from './http/render.js';
export type { LabelStyle, RenderDocument, RenderEntity } from './http/render.js';

export interface BrowserTaggerOptions {
  /** URL of the model file (relative URLs resolve against the document) */
  modelUrl: string | URL;
  /** URL of kernels.wasm */
  kernelsUrl: string | URL;
  /** fetch to use (default: globalThis.fetch) */
  fetch?: typeof fetch;
}

/** Fetches the kernels and the model, then builds the tagger. */
export async function loadTagger(options: BrowserTaggerOptions): Promise<Tagger> {
  if (!options || typeof options !== 'object') {
    throw new TypeError(`loadTagger: expected { modelUrl, kernelsUrl }, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of ['modelUrl', 'kernelsUrl'] as const) {
    const v = options[key];
    if (!(typeof v === 'string' && v !== '') && !(v instanceof URL)) {
      throw new TypeError(`loadTagger: ${key} must be a non-empty string or URL, got ${v === null ? 'null' : typeof v}`);
    }
  }
  const get = options.fetch ?? globalThis.fetch.bind(globalThis);
  const bytes = async (url: string | URL, what: string): Promise<ArrayBuffer> => {
    const res = await get(url, { method: 'GET' });
    if (!res.ok) throw new Error(`loadTagger: fetching the ${what} (${String(url)}) failed: HTTP ${res.status}`);
    return res.arrayBuffer();
  };
  const [kernels, model] = await Promise.all([bytes(options.kernelsUrl, 'kernels'), bytes(options.modelUrl, 'model')]);
  return createTagger({ model: new Uint8Array(model), kernels: new Uint8Array(kernels) });
}
