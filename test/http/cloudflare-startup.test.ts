/**
 * The Worker's start-up (src/hosts/http/cloudflare-handler.ts): createCloudflareHandler, which runs in the isolate's
 * global scope, starts building the bundled model's tagger at once and warms it up; the ModelSource serves that
 * very tagger when it falls back to the bundled model, so the first request does not build another. A broken
 * bundled model still answers 503 model_unavailable, and its failure is never an unhandled rejection.
 * (How much CPU this moves out of the first request is measured in workerd: bench/coldstart.bench.ts --stages.)
 */
import { readFileSync } from 'node:fs';
import { LinearRouter } from 'hono/router/linear-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/hosts/http/app.js';
import { createCloudflareHandler } from '../../src/hosts/http/cloudflare-handler.js';
import { ModelSource } from '../../src/hosts/http/model-source.js';
import { createTagger } from '../../src/tagger.js';
import { knownModelBytes } from './fixtures.js';

const kernelBytes = readFileSync(new URL('../../build/kernels.wasm', import.meta.url));
const kernels = new WebAssembly.Module(kernelBytes);
const TEXT = '患者右下腹痛三天，伴恶心呕吐。';

const post = (text: string) =>
  new Request('http://worker.test/v1/tag', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });

describe('the Worker at start-up', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    vi.restoreAllMocks();
  });

  it('ModelSource serves the fallback tagger it is handed instead of building another', async () => {
    const bytes = knownModelBytes();
    const prebuilt = await createTagger({ model: bytes, kernels });
    const source = new ModelSource({
      kernels,
      fallback: { bytes, source: 'bundled', tagger: Promise.resolve(prebuilt) },
      log: () => {},
    });
    const loaded = await source.get();
    expect(loaded.tagger).toBe(prebuilt);
    expect(loaded.source).toBe('bundled');
    expect(loaded.sha256).toBe(prebuilt.info.sha256);
  });

  it('builds the bundled tagger when the handler is created, and answers with it like a tagger built alone', async () => {
    const bytes = knownModelBytes();
    const handler = createCloudflareHandler({ kernels, defaultModel: bytes.slice().buffer });
    expect(handler.ready).toBeInstanceOf(Promise);
    await handler.ready; // settles before any request was made: the build started at creation
    const res = await handler.fetch(post(TEXT), {});
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entities: unknown[]; model: { sha256: string; source: string } };
    const alone = await createTagger({ model: bytes, kernels });
    expect(body.model).toMatchObject({ sha256: alone.info.sha256 });
    expect(body.entities).toEqual(alone.tag(TEXT).entities);
    expect(body.entities.length).toBeGreaterThan(0);
  });

  it('logs one start-up line naming the bundled model by SHA-256, before any request', async () => {
    // in workerd the first console.log of an isolate loads the console's formatting code (about 2.5 ms of CPU):
    // logged at start-up, that cost is not in the first request's (docs/edge.md)
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    const bytes = knownModelBytes();
    const handler = createCloudflareHandler({ kernels, defaultModel: bytes.slice().buffer });
    await handler.ready;
    const alone = await createTagger({ model: bytes, kernels });
    expect(lines).toEqual([`cner worker: bundled model ${alone.info.sha256} ready`]);
  });

  it('the app routes with a LinearRouter: nothing to compile on the first request of a fresh isolate', () => {
    // Hono's default router compiles its regular expressions on the first request (about 1 ms of CPU in a fresh
    // workerd isolate); a linear scan over this app's few routes needs no build (docs/edge.md)
    const app = createApp({ model: () => Promise.reject(new Error('no model')) });
    expect(app.router).toBeInstanceOf(LinearRouter);
  });

  it('start-up makes the app for the default settings and warms it without asking the model source: the first request with R2 checks the store', async () => {
    const get = vi.spyOn(ModelSource.prototype, 'get');
    const bytes = knownModelBytes();
    const handler = createCloudflareHandler({ kernels, defaultModel: bytes.slice().buffer });
    await handler.ready;
    await new Promise((r) => setTimeout(r, 20)); // the warm-up request through the app, after ready
    expect(get).not.toHaveBeenCalled();
    // an R2 binding with no manifest: the first request must look (and then serve the bundled model)
    const heads: string[] = [];
    const bucket = {
      head: async (key: string) => {
        heads.push(key);
        return null;
      },
      get: async () => null,
      put: async () => null,
      list: async () => ({ objects: [], truncated: false }),
      delete: async () => {},
    };
    const res = await handler.fetch(post(TEXT), { MODELS: bucket as never });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: { source: string } }).model).toBeDefined();
    expect(heads).toEqual(['manifest.json']);
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('a broken bundled model: ready settles, requests answer 503 model_unavailable, no unhandled rejection', async () => {
    const broken = knownModelBytes().slice(0, 500);
    const handler = createCloudflareHandler({ kernels, defaultModel: broken.buffer });
    await handler.ready;
    const res = await handler.fetch(post(TEXT), {});
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_unavailable');
    await new Promise((r) => setTimeout(r, 20)); // let Node report any unhandled rejection
    expect(unhandled).toEqual([]);
  });
});
