/**
 * The page served at / by `cner serve` (api mode), in headless Chromium against a real server on 127.0.0.1:
 * the legend comes from GET /v1/model's labels; with auth on, the page says clearly that it needs a token (401),
 * sends the token from its field as `Authorization: Bearer …` (kept in sessionStorage only, never in a URL), and
 * then tags; a wrong token gets its own message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/hosts/node-server.js';
import { loadTagger } from '../../src/hosts/node.js';
import type { Tagger } from '../../src/tagger.js';
import { knownModelBytes, tempDir, writeModelFile } from '../http/fixtures.js';
import { chromiumPresent, launchChromium, READ_VIEW, requireChromium, type View } from './chromium.js';

requireChromium('api page test');

const TOKEN = 'page-token-7f3a9c';
const TEXT = '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛。';

describe.skipIf(!chromiumPresent)('the page at / of the API (api mode) in headless Chromium', () => {
  const tmp = tempDir('cner-api-page-');
  let withAuth: RunningServer;
  let open: RunningServer;
  let browser: Browser;
  let tagger: Tagger;

  beforeAll(async () => {
    const modelPath = writeModelFile(tmp.dir, 'known.cner', knownModelBytes());
    const quiet = () => {};
    [withAuth, open] = await Promise.all([
      startServer({ modelPath, port: 0, authToken: TOKEN, log: quiet }),
      startServer({ modelPath, port: 0, log: quiet }),
    ]);
    tagger = await loadTagger({ model: modelPath });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([withAuth?.close(), open?.close()]);
    tmp.remove();
  });

  async function visit(context: BrowserContext, url: string) {
    const page = await context.newPage();
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    await page.goto(url + '/');
    await page.waitForSelector('body[data-state]', { timeout: 30_000 });
    return { page, requests };
  }

  async function tag(page: Page): Promise<View> {
    await page.fill('#text', TEXT);
    await page.click('#go');
    await page.waitForSelector('body[data-state="tagged"], body[data-state="error"], body[data-state="unauthorized"]', { timeout: 30_000 });
    return (await page.evaluate(READ_VIEW)) as View;
  }

  const want = () => tagger.tag(TEXT, { consistency: true }).entities.map((e) => ({ type: e.type, text: e.text }));

  it('without auth: the legend comes from /v1/model, tagging works, no token is asked for or sent', async () => {
    const context = await browser.newContext();
    try {
      const { page, requests } = await visit(context, open.url);
      expect(await page.getAttribute('body', 'data-state')).toBe('ready');
      expect(await page.evaluate(`document.getElementById('auth').open`)).toBe(false);
      const view = await tag(page);
      expect(await page.getAttribute('body', 'data-state')).toBe('tagged');
      expect(view.legend.map((l) => l.name)).toEqual(['BODY 身体部位', 'SIGNS 症状和体征']);
      expect(view.marks.map((m) => ({ type: m.type, text: m.text }))).toEqual(want());
      expect(view.marks.every((m) => m.label === JSON.stringify(m.type))).toBe(true);
      expect(want().length).toBeGreaterThan(2);
      const api = requests.filter((r) => r.url().includes('/v1/'));
      expect(api.map((r) => `${r.method()} ${new URL(r.url()).pathname}`)).toEqual(['GET /v1/model', 'POST /v1/tag']);
      for (const r of api) expect(await r.headerValue('authorization')).toBeNull();
    } finally {
      await context.close();
    }
  });

  it('with auth on: a clear 401 message, then the token from the field makes the legend and tagging work', async () => {
    const context = await browser.newContext();
    try {
      const { page, requests } = await visit(context, withAuth.url);
      expect(await page.getAttribute('body', 'data-state')).toBe('unauthorized');
      expect(await page.textContent('#status')).toBe('error: this server needs an access token (401): enter it under “Access token”');
      expect(await page.evaluate(`document.getElementById('auth').open`)).toBe(true);
      expect(await page.$$('#legend mark')).toHaveLength(0);

      // tagging without the token says the same
      await tag(page);
      expect(await page.getAttribute('body', 'data-state')).toBe('unauthorized');

      // a wrong token: its own message
      await page.fill('#token', 'wrong-token');
      await page.dispatchEvent('#token', 'change');
      await page.waitForFunction(`document.getElementById('status').textContent.includes('refused')`);
      expect(await page.textContent('#status')).toBe('error: the server refused the access token (401): check it under “Access token”');

      // the right token: legend, then tagging
      await page.fill('#token', TOKEN);
      await page.dispatchEvent('#token', 'change');
      await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
      const view = await tag(page);
      expect(await page.getAttribute('body', 'data-state')).toBe('tagged');
      expect(view.legend.map((l) => l.name)).toEqual(['BODY 身体部位', 'SIGNS 症状和体征']);
      expect(view.marks.map((m) => ({ type: m.type, text: m.text }))).toEqual(want());

      // the token travels only in the Authorization header, is kept in sessionStorage only, and never in a URL
      const last = requests.filter((r) => r.url().includes('/v1/')).slice(-2);
      expect(last.map((r) => `${r.method()} ${new URL(r.url()).pathname}`)).toEqual(['GET /v1/model', 'POST /v1/tag']);
      for (const r of last) expect(await r.headerValue('authorization')).toBe(`Bearer ${TOKEN}`);
      for (const r of requests) expect(r.url()).not.toContain(TOKEN);
      expect(page.url()).not.toContain(TOKEN);
      expect(await page.evaluate(`sessionStorage.getItem('cner.token')`)).toBe(TOKEN);
      expect(await page.evaluate(`localStorage.length`)).toBe(0);
      expect((await context.cookies()).length).toBe(0);

      // a reload in the same tab keeps it; a new tab does not have it
      await page.reload();
      await page.waitForSelector('body[data-state]', { timeout: 30_000 });
      expect(await page.getAttribute('body', 'data-state')).toBe('ready');
      expect(await page.inputValue('#token')).toBe(TOKEN);
      const other = await visit(context, withAuth.url);
      expect(await other.page.getAttribute('body', 'data-state')).toBe('unauthorized');
      expect(await other.page.inputValue('#token')).toBe('');

      // clearing the field forgets the token
      await page.fill('#token', '');
      await page.dispatchEvent('#token', 'change');
      await page.waitForSelector('body[data-state="unauthorized"]', { timeout: 30_000 });
      expect(await page.evaluate(`sessionStorage.getItem('cner.token')`)).toBeNull();
    } finally {
      await context.close();
    }
  });
});
