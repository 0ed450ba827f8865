/**
 * The offline page (scripts/build-web.mjs → dist/web) in headless Chromium (Debian's /usr/bin/chromium driven
 * by playwright-core): it loads the kernels and the model, highlights exactly the Node library's entities,
 * reproduces the shared test vectors bit for bit, and never sends the text anywhere.
 *
 * Chromium missing: the test fails in CI (CI=true) and is skipped with a message elsewhere.
 * CHROMIUM_PATH overrides the browser path. A screenshot goes to $TMPDIR/cner-offline-page.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { loadTagger } from '../../src/hosts/node.js';
import type { Tagger } from '../../src/tagger.js';
import { CROSS_ENGINE_TOLERANCE, diffResult, maxProbabilityDifference } from '../vectors/compare.js';
import { kernelsPath, readVectors, root, vectorModelPath } from './helpers.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(chromiumPath);
const inCI = process.env.CI === 'true' || process.env.CI === '1';
if (!present) {
  console.warn(
    `[onprem browser test] ${chromiumPath} not found: ${inCI ? 'FAILING (CI=true)' : 'skipping'} the headless Chromium test ` +
      `(install it with: apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

describe.runIf(!present && inCI)('offline page in headless Chromium (browser missing in CI)', () => {
  it('needs Chromium', () => {
    throw new Error(`headless Chromium is required in CI: ${chromiumPath} not found (apt-get install chromium)`);
  });
});

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.cner': 'application/octet-stream',
  '.json': 'application/json',
};

/** A static server for `dir` on 127.0.0.1 (random port); it records every request's method and path. */
function serve(dir: string, log: { method: string; url: string; bodyBytes: number }[], delays: Record<string, number> = {}): Promise<Server> {
  const server = createServer(async (req, res) => {
    const delay = delays[req.url ?? ''] ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    let bodyBytes = 0;
    req.on('data', (b: Buffer) => (bodyBytes += b.length));
    req.on('end', () => {
      log.push({ method: req.method ?? '', url: req.url ?? '', bodyBytes });
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(dir, path === '/' ? 'index.html' : path));
      if (!file.startsWith(dir + sep) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!present)('offline page in headless Chromium', () => {
  let dir: string;
  let server: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  let tagger: Tagger;
  const serverLog: { method: string; url: string; bodyBytes: number }[] = [];
  const delays: Record<string, number> = {};
  const requests: Request[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
    dir = mkdtempSync(join(tmpdir(), 'cner-web-'));
    await promisify(execFile)(process.execPath, [join(root, 'scripts/build-web.mjs'), '--model', vectorModelPath, '--out', dir], { cwd: root });
    tagger = await loadTagger({ model: vectorModelPath });
    server = await serve(dir, serverLog, delays);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('request', (r) => requests.push(r));
    page.on('console', (m) => {
      // the browser's own GET /favicon.ico (the page has no icon) answers 404: not the page's error
      if (m.type() === 'error' && !(m.text().includes('404') && m.location().url.endsWith('/favicon.ico'))) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(origin + '/');
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the build holds the page, the bundle, the kernels and the model', () => {
    for (const f of ['index.html', 'cner-browser.js', 'kernels.wasm', 'model.cner']) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, 'model.cner')).equals(readFileSync(vectorModelPath))).toBe(true);
    expect(readFileSync(join(dir, 'kernels.wasm')).equals(readFileSync(kernelsPath))).toBe(true);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('"mode":"offline"');
    expect(html).not.toContain('/v1/tag"'); // offline mode never posts (the api branch exists but is not taken)
  });

  it('loads the model in the page', async () => {
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect(await page.textContent('#status')).toMatch(/model loaded/);
    expect(consoleErrors).toEqual([]);
  });

  it('highlights exactly the entities of the Node library for a pasted record, and sends no text anywhere', async () => {
    // a textarea turns CRLF into LF, so the pasted record uses LF line breaks
    const text = readVectors().cases.find((c) => c.name === 'emoji inside and beside entities')!.text + '\n' + readVectors().cases[0].text;
    const marker = text.slice(0, 12);
    const want = tagger.tag(text, { scores: true }).entities;
    expect(want.length).toBeGreaterThan(5);
    const before = requests.length;
    await page.fill('#text', text);
    await page.click('#go');
    await page.waitForSelector('body[data-state="tagged"]', { timeout: 30_000 });
    const marks = await page.$$eval('#out mark', (ms) => ms.map((m) => ({ type: (m as HTMLElement).dataset.type, text: m.textContent })));
    expect(marks).toEqual(want.map((e) => ({ type: e.type, text: e.text })));
    expect(await page.inputValue('#text')).toBe(text);
    expect(await page.textContent('#out')).toBe(text);
    const rows = await page.$$eval('#list tbody tr', (trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
    expect(rows).toEqual(want.map((e) => [e.type, String(e.start), String(e.end), e.text, e.score!.toFixed(3)]));
    // tagging made no request at all; no request of the session is a POST or carries the text
    expect(requests.length).toBe(before);
    for (const r of requests) {
      expect(r.method()).toBe('GET');
      expect(r.postData()).toBeNull();
      expect(decodeURIComponent(r.url())).not.toContain(marker);
      expect(r.url().startsWith(origin + '/')).toBe(true);
    }
    for (const entry of serverLog) {
      expect(entry.method).toBe('GET');
      expect(entry.bodyBytes).toBe(0);
    }
    const paths = new Set(serverLog.map((e) => e.url));
    for (const p of ['/', '/cner-browser.js', '/kernels.wasm', '/model.cner']) expect(paths.has(p)).toBe(true);
    await page.screenshot({ path: join(tmpdir(), 'cner-offline-page.png'), fullPage: true });
  });

  it('a click before the model has loaded waits for it (no error)', async () => {
    delays['/model.cner'] = 1500;
    const early = await browser.newPage();
    try {
      await early.goto(origin + '/');
      await early.click('#go'); // the sample record; the model is still on its way
      await early.waitForSelector('body[data-state="tagged"], body[data-state="error"]', { timeout: 30_000 });
      expect(await early.getAttribute('body', 'data-state')).toBe('tagged');
      const text = await early.inputValue('#text');
      const marks = await early.$$eval('#out mark', (ms) => ms.map((m) => ({ type: (m as HTMLElement).dataset.type, text: m.textContent })));
      expect(marks).toEqual(tagger.tag(text).entities.map((e) => ({ type: e.type, text: e.text })));
      expect(marks.length).toBeGreaterThan(0);
    } finally {
      delete delays['/model.cner'];
      await early.close();
    }
  });

  it('reproduces the shared test vectors inside the page: entities exact, scores to 1e-9 (the bundle, loadTagger over fetch)', async () => {
    const vectors = readVectors();
    // JSON in and out: lone surrogates travel as \\uXXXX escapes, not as raw code units
    // (a string, not a function: vitest would rewrite a function's import() for Node)
    const input = JSON.stringify(vectors.cases.map(({ text, options }) => ({ text, options })));
    const json = (await page.evaluate(`(async () => {
      const lib = await import('./cner-browser.js');
      const tagger = await lib.loadTagger({ modelUrl: './model.cner', kernelsUrl: './kernels.wasm' });
      const cases = JSON.parse(${JSON.stringify(input)});
      return JSON.stringify(cases.map((c) => tagger.tag(c.text, c.options)));
    })()`)) as string;
    const results = JSON.parse(json) as unknown[];
    expect(results).toHaveLength(vectors.cases.length);
    // everything but the probabilities bit for bit; those to 1e-9 (Chromium's Math.exp/log may differ from Node's in the last bits)
    const diffs = vectors.cases.flatMap((c, i) => diffResult(c.name, results[i], c.expected, { tolerance: CROSS_ENGINE_TOLERANCE }));
    expect(diffs).toEqual([]);
    const worst = Math.max(...vectors.cases.map((c, i) => maxProbabilityDifference(results[i], c.expected)));
    console.log(`[onprem browser test] vectors: ${vectors.cases.length} cases equal; largest relative score difference Chromium vs Node ${worst.toExponential(2)}`);
    expect(serverLog.every((e) => e.method === 'GET')).toBe(true);
  });
});
