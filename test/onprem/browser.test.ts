/**
 * The offline page (scripts/build-web.mjs → dist/web) in headless Chromium (Debian's /usr/bin/chromium driven
 * by playwright-core). index.html is one self-contained file: opened from disk (file://) it loads the inlined
 * kernels and model, highlights exactly the Node library's entities with their type inline and a legend made from
 * the model's own label set, and makes no request at all. Served over http it is the same single request; the
 * ES-module bundle beside it reproduces the shared test vectors bit for bit through loadTagger.
 *
 * Chromium missing: the test fails in CI (CI=true) and is skipped with a message elsewhere (test/web/chromium.ts).
 * Screenshots go to $TMPDIR/cner-offline-page.png and $TMPDIR/cner-offline-page-yidu.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page, Request } from 'playwright-core';
import { labelStyles } from '../../src/hosts/http/render.js';
import { loadTagger } from '../../src/hosts/node.js';
import type { Tagger } from '../../src/tagger.js';
import { lookupModel } from '../helpers/random-model.js';
import { CROSS_ENGINE_TOLERANCE, diffResult, maxProbabilityDifference } from '../vectors/compare.js';
import { chromiumPresent as present, cssRgb, launchChromium, READ_VIEW, requireChromium, type View } from '../web/chromium.js';
import { kernelsPath, readVectors, root, vectorModelPath } from './helpers.js';

requireChromium('onprem browser test');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.cner': 'application/octet-stream',
  '.json': 'application/json',
};

/** A static server for `dir` on 127.0.0.1 (random port); it records every request's method and path. */
function serve(dir: string, log: { method: string; url: string; bodyBytes: number }[]): Promise<Server> {
  const server = createServer((req, res) => {
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

const buildWeb = (model: string, out: string) =>
  promisify(execFile)(process.execPath, [join(root, 'scripts/build-web.mjs'), '--model', model, '--out', out], { cwd: root });

/** Opens `url`, collecting its requests and its console errors, and waits until the model has loaded (or failed). */
async function open(browser: Browser, url: string) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const requests: Request[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r));
  page.on('console', (m) => {
    // the browser's own GET /favicon.ico (the page has no icon) answers 404: not the page's error
    if (m.type() === 'error' && !(m.text().includes('404') && m.location().url.endsWith('/favicon.ico'))) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 });
  return { page, requests, errors };
}

async function tagInPage(page: Page, text: string): Promise<View> {
  await page.fill('#text', text);
  await page.click('#go');
  await page.waitForSelector('body[data-state="tagged"], body[data-state="error"]', { timeout: 30_000 });
  expect(await page.getAttribute('body', 'data-state')).toBe('tagged');
  return (await page.evaluate(READ_VIEW)) as View;
}

/** The view the page must show for these entities with this label set: labelStyles' names, slots and colours. */
function expectedView(types: string[], entities: { type: string; text: string }[]) {
  const styles = new Map(labelStyles(types).map((s) => [s.type, s]));
  const look = (type: string) => {
    const s = styles.get(type)!;
    return { cls: `e s${s.slot}`, background: cssRgb(s.background), line: s.line, labelColor: cssRgb(s.border) };
  };
  return {
    legend: [...styles.values()].map((s) => ({ type: s.type, name: s.name, text: s.name, ...look(s.type), label: 'none' })),
    marks: entities.map((e) => ({ type: e.type, text: e.text, ...look(e.type), label: JSON.stringify(e.type) })),
  };
}

describe.skipIf(!present)('offline page opened from disk (file://) in headless Chromium', () => {
  let dir: string;
  let yiduDir: string;
  let browser: Browser;
  let tagger: Tagger;
  let yiduTagger: Tagger;
  const yiduTypes = ['DRUG', 'LAB', '解剖部位', 'GENE_VARIANT'];

  beforeAll(async () => {
    if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
    dir = mkdtempSync(join(tmpdir(), 'cner-web-'));
    yiduDir = mkdtempSync(join(tmpdir(), 'cner-web-yidu-'));
    // a model of another label set: Yidu-S4K tag names, a Chinese type name and a type no corpus here has
    const yidu = lookupModel({
      types: yiduTypes,
      tagOf: { 阿: 'B-DRUG', 司: 'I-DRUG', 匹: 'I-DRUG', 林: 'I-DRUG', 肌: 'B-LAB', 酐: 'I-LAB', 肝: 'B-解剖部位', 脏: 'I-解剖部位', 突: 'B-GENE_VARIANT', 变: 'I-GENE_VARIANT' },
      chars: '患者服用后升高见',
    });
    const yiduModel = join(yiduDir, 'yidu.cner');
    writeFileSync(yiduModel, yidu.bytes);
    await Promise.all([buildWeb(vectorModelPath, dir), buildWeb(yiduModel, join(yiduDir, 'web'))]);
    [tagger, yiduTagger] = await Promise.all([loadTagger({ model: vectorModelPath }), loadTagger({ model: yiduModel })]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const d of [dir, yiduDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('index.html carries the bundle, the kernels and the model inline, and refers to no other file', () => {
    for (const f of ['index.html', 'cner-browser.js', 'kernels.wasm', 'model.cner']) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, 'model.cner')).equals(readFileSync(vectorModelPath))).toBe(true);
    expect(readFileSync(join(dir, 'kernels.wasm')).equals(readFileSync(kernelsPath))).toBe(true);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('"mode":"offline"');
    expect(html).toContain(readFileSync(vectorModelPath).toString('base64'));
    expect(html).toContain(readFileSync(kernelsPath).toString('base64'));
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|\.\/cner-browser\.js|\.\/model\.cner|\.\/kernels\.wasm/);
  });

  it("tags a record from file:// — the Node library's entities, typed inline, legend from the model — and makes no request", async () => {
    const { page, requests, errors } = await open(browser, pathToFileURL(join(dir, 'index.html')).href);
    try {
      expect(await page.getAttribute('body', 'data-state')).toBe('ready');
      expect(await page.textContent('#status')).toMatch(/model loaded/);
      // a textarea turns CRLF into LF, so the pasted record uses LF line breaks
      const text = readVectors().cases.find((c) => c.name === 'emoji inside and beside entities')!.text + '\n' + readVectors().cases[0].text;
      const want = tagger.tag(text, { scores: true }).entities;
      expect(want.length).toBeGreaterThan(5);
      const view = await tagInPage(page, text);
      expect(view).toEqual(expectedView(tagger.info.types, want));
      expect(view.legend.map((l) => l.name)).toEqual(['BODY 身体部位', 'CHECK 检查和检验', 'DISEASE 疾病和诊断', 'SIGNS 症状和体征', 'TREATMENT 治疗']);
      expect(await page.inputValue('#text')).toBe(text);
      expect(await page.textContent('#out')).toBe(text); // the inline labels are CSS, not text: copying gives the record
      const rows = await page.$$eval('#list tbody tr', (trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
      expect(rows).toEqual(want.map((e) => [e.type, String(e.start), String(e.end), e.text, e.score!.toFixed(3)]));
      // the only request of the session is the file itself
      expect(requests.map((r) => r.url())).toEqual([pathToFileURL(join(dir, 'index.html')).href]);
      expect(errors).toEqual([]);
      await page.screenshot({ path: join(tmpdir(), 'cner-offline-page.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('a model with another label set shows its own legend, names and colours (Yidu-S4K types, a generated colour)', async () => {
    const { page, errors } = await open(browser, pathToFileURL(join(yiduDir, 'web', 'index.html')).href);
    try {
      const text = '患者服用阿司匹林后肌酐升高，肝脏见突变。';
      const want = yiduTagger.tag(text).entities;
      expect(want.map((e) => e.type)).toEqual(['DRUG', 'LAB', '解剖部位', 'GENE_VARIANT']);
      const view = await tagInPage(page, text);
      expect(view).toEqual(expectedView(yiduTagger.info.types, want));
      // the model's tag set orders its types by code point
      expect(view.legend.map((l) => l.name)).toEqual(['DRUG 药物', 'GENE_VARIANT', 'LAB 实验室检验', '解剖部位 ANATOMY']);
      expect(new Set(view.legend.map((l) => l.background)).size).toBe(4);
      expect(errors).toEqual([]);
      await page.screenshot({ path: join(tmpdir(), 'cner-offline-page-yidu.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('a click before the model has loaded waits for it (no error)', async () => {
    const page = await browser.newPage();
    try {
      // hold the kernels' instantiation back for 1.5 s so that the click lands while the model is still loading
      await page.addInitScript(() => {
        const instantiate = WebAssembly.instantiate.bind(WebAssembly);
        (WebAssembly as { instantiate: unknown }).instantiate = (...args: Parameters<typeof instantiate>) =>
          new Promise((r) => setTimeout(r, 1500)).then(() => instantiate(...args));
      });
      await page.goto(pathToFileURL(join(dir, 'index.html')).href);
      expect(await page.getAttribute('body', 'data-state')).toBeNull(); // still loading
      await page.click('#go'); // the sample record
      await page.waitForSelector('body[data-state="tagged"], body[data-state="error"]', { timeout: 30_000 });
      expect(await page.getAttribute('body', 'data-state')).toBe('tagged');
      const text = await page.inputValue('#text');
      const marks = await page.$$eval('#out mark', (ms) => ms.map((m) => ({ type: (m as HTMLElement).dataset.type, text: m.textContent })));
      expect(marks).toEqual(tagger.tag(text).entities.map((e) => ({ type: e.type, text: e.text })));
      expect(marks.length).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  });
});

describe.skipIf(!present)('offline page served over http in headless Chromium', () => {
  let dir: string;
  let server: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  let tagger: Tagger;
  const serverLog: { method: string; url: string; bodyBytes: number }[] = [];
  let requests: Request[];
  let consoleErrors: string[];

  beforeAll(async () => {
    if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
    dir = mkdtempSync(join(tmpdir(), 'cner-web-'));
    await buildWeb(vectorModelPath, dir);
    tagger = await loadTagger({ model: vectorModelPath });
    server = await serve(dir, serverLog);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    ({ page, requests, errors: consoleErrors } = await open(browser, origin + '/'));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the model in the page', async () => {
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect(await page.textContent('#status')).toMatch(/model loaded/);
    expect(consoleErrors).toEqual([]);
  });

  it('highlights exactly the entities of the Node library, and sends no text anywhere (one GET: the page)', async () => {
    const text = readVectors().cases[0].text.replace(/\r\n/g, '\n');
    const marker = text.slice(0, 12);
    const want = tagger.tag(text, { scores: true }).entities;
    expect(want.length).toBeGreaterThan(2);
    const before = requests.length;
    const view = await tagInPage(page, text);
    expect(view.marks.map((m) => ({ type: m.type, text: m.text }))).toEqual(want.map((e) => ({ type: e.type, text: e.text })));
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
    expect(serverLog.map((e) => e.url).filter((u) => u !== '/favicon.ico')).toEqual(['/']);
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
