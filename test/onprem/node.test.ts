/** The Node library entry (src/hosts/node.ts): loadTagger from paths, URLs and bytes; its errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultKernelsPath, defaultModelPath, loadTagger, packageRoot } from '../../src/hosts/node.js';
import { loadTagger as loadInBrowser } from '../../src/hosts/browser.js';
import type { Tagger } from '../../src/tagger.js';
import { kernelsPath, readVectors, root, vectorModelPath } from './helpers.js';

const TEXT = '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛😀。';
let reference: Tagger;
let server: Server;
let origin: string;
const requests: string[] = [];

beforeAll(async () => {
  if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
  reference = await loadTagger({ model: vectorModelPath, kernels: kernelsPath });
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const files: Record<string, string> = { '/m.cner': vectorModelPath, '/k.wasm': kernelsPath };
    const f = files[req.url ?? ''];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(f));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe('loadTagger (Node)', () => {
  it('finds the package root, the default kernels and the default model path', () => {
    expect(packageRoot()).toBe(root.replace(/\/$/, ''));
    expect(defaultKernelsPath()).toBe(join(packageRoot(), 'build', 'kernels.wasm'));
    expect(defaultModelPath()).toBe(join(packageRoot(), 'models', 'default.cner'));
  });

  it('gives the same tagger from a path, a relative path, a file: URL, bytes, an ArrayBuffer, http: and default kernels', async () => {
    const want = reference.tag(TEXT);
    expect(want.entities.length).toBeGreaterThan(2);
    const bytes = new Uint8Array(readFileSync(vectorModelPath));
    const sources = [
      { model: relative(process.cwd(), vectorModelPath) },
      { model: pathToFileURL(vectorModelPath) },
      { model: pathToFileURL(vectorModelPath).href },
      { model: bytes },
      { model: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      { model: `${origin}/m.cner`, kernels: new URL(`${origin}/k.wasm`) },
      { model: bytes, kernels: await WebAssembly.compile(readFileSync(kernelsPath)) },
    ];
    for (const source of sources) {
      const t = await loadTagger(source);
      expect(t.tag(TEXT)).toEqual(want);
      expect(t.info.sha256).toBe(readVectors().model.sha256);
    }
    expect(requests).toEqual(['GET /k.wasm', 'GET /m.cner']);
  });

  it('errors name the input and the path, never more', async () => {
    await expect(loadTagger({ model: '/nonexistent/x.cner' })).rejects.toThrow(/cannot read the model at \/nonexistent\/x\.cner \(ENOENT\)/);
    await expect(loadTagger({ model: vectorModelPath, kernels: '/nonexistent/k.wasm' })).rejects.toThrow(/cannot read the kernels/);
    await expect(loadTagger({ model: `${origin}/missing` })).rejects.toThrow(/HTTP 404/);
    await expect(loadTagger({ model: '' })).rejects.toThrow(/empty string/);
    await expect(loadTagger({ model: 42 as unknown as string })).rejects.toThrow(/must be a path, URL, Uint8Array or ArrayBuffer, got number/);
    await expect(loadTagger({ model: 'ftp://x/y' })).rejects.toThrow();
    await expect(loadTagger(null as unknown as object)).rejects.toThrow(/expected \{ model\?, kernels\? \}/);
    await expect(loadTagger({ model: kernelsPath })).rejects.toThrow(); // not a model file
    if (!existsSync(defaultModelPath())) {
      await expect(loadTagger({})).rejects.toThrow(/no model given and the default model .*default\.cner does not exist/);
    } else {
      expect((await loadTagger({})).info.name).toBeTruthy();
    }
  });
});

describe('loadTagger (browser entry, run here with a fetch stand-in)', () => {
  it('fetches kernels and model with GET and gives the same results', async () => {
    const seen: string[] = [];
    const fakeFetch = (async (url: string | URL, init?: RequestInit) => {
      seen.push(`${init?.method ?? 'GET'} ${String(url)}`);
      return fetch(new URL(String(url), origin), init);
    }) as typeof fetch;
    const t = await loadInBrowser({ modelUrl: '/m.cner', kernelsUrl: '/k.wasm', fetch: fakeFetch });
    expect(t.tag(TEXT)).toEqual(reference.tag(TEXT));
    expect(seen.sort()).toEqual(['GET /k.wasm', 'GET /m.cner']);
    await expect(loadInBrowser({ modelUrl: '/nope', kernelsUrl: '/k.wasm', fetch: fakeFetch })).rejects.toThrow(/model .*HTTP 404/);
    await expect(loadInBrowser({ modelUrl: '', kernelsUrl: '/k.wasm' })).rejects.toThrow(/modelUrl must be/);
  });
});
