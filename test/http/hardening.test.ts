/**
 * The API's answers to hostile requests (issue 12 points 4 and 6, issue 13 point 5b), on a real Node server on
 * 127.0.0.1: bounded validation errors, prototype-named keys, unknown keys not echoed, the per-request budget,
 * the response bound, the bearer scheme in any case, and the model named by a short hash and its training date.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/hosts/node-server.js';
import { DEFAULT_LIMITS } from '../../src/hosts/http/app.js';
import { sha256Hex } from '../../src/store/node.js';
import { knownModelBytes, tempDir, writeModelFile } from './fixtures.js';
import { clinicalText } from './http-client.js';

const tmp = tempDir('cner-hardening-');
const TOKEN = 'hardening-token';
let server: RunningServer;
let sha: string;

beforeAll(async () => {
  const bytes = knownModelBytes();
  sha = await sha256Hex(bytes);
  const modelPath = writeModelFile(tmp.dir, 'model.cner', bytes);
  server = await startServer({ modelPath, port: 0, authToken: TOKEN, threads: 1, limits: { maxResponseBytes: 50_000 }, log: () => {} });
}, 120_000);
afterAll(async () => {
  await server?.close();
  tmp.remove();
});

function post(body: string | object, auth = `Bearer ${TOKEN}`) {
  return fetch(`${server.url}/v1/tag`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe('bounded validation', () => {
  it('125,000 invalid documents → 400 with a short body naming how many more there are', async () => {
    const n = 125_000;
    const res = await post({ documents: Array.from({ length: n }, () => ({})) });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(2000);
    const { code, message } = JSON.parse(text).error;
    expect(code).toBe('invalid_request');
    expect(message).toContain('$.documents[0]: missing required property "text"');
    expect(message).toContain(`and ${n - 10} more`);
  });

  it('refuses prototype-named keys anywhere', async () => {
    for (const raw of [
      '{"text":"腹痛","__proto__":{"x":1}}',
      '{"text":"腹痛","constructor":1}',
      '{"text":"腹痛","options":{"constructor":{}}}',
      '{"documents":[{"text":"腹痛","prototype":1}]}',
    ]) {
      const res = await post(raw);
      expect(res.status, raw).toBe(400);
      expect((await errorOf(res)).message, raw).toMatch(/property name "(__proto__|constructor|prototype)" is not allowed/);
    }
  });

  it('never echoes more than a few characters of an unknown key', async () => {
    const key = '患者右下腹痛三天伴恶心呕吐已经一周';
    const res = await post({ text: '腹痛', [key]: 1 });
    expect(res.status).toBe(400);
    const { message } = await errorOf(res);
    expect(message).toContain('unknown property');
    expect(message).not.toContain(key.slice(0, 9));
  });
});

describe('budget and response size', () => {
  it(`refuses characters × kbest over maxRequestCost (default ${DEFAULT_LIMITS.maxRequestCost}) with 413 budget_exceeded`, async () => {
    const half = DEFAULT_LIMITS.maxRequestCost / 2;
    const cases = [
      { text: clinicalText(half + 1), options: { kbest: 2 } },
      { documents: [{ text: clinicalText(half) }, { text: clinicalText(half + 1) }] },
    ];
    for (const body of cases) {
      const res = await post(body);
      expect(res.status).toBe(413);
      const e = await errorOf(res);
      expect(e.code).toBe('budget_exceeded');
      expect(e.message).toContain('maxRequestCost');
      expect(e.message).not.toContain('腹');
    }
    // at the budget exactly: tagged (a text without entities keeps the answer under maxResponseBytes)
    expect((await post({ text: '无'.repeat(half), options: { kbest: 2, scores: false } })).status).toBe(200);
  });

  it('refuses an answer larger than maxResponseBytes with 413 response_too_large', async () => {
    const res = await post({ text: clinicalText(5000), options: { kbest: 5 } });
    expect(res.status).toBe(413);
    const e = await errorOf(res);
    expect(e.code).toBe('response_too_large');
    expect(e.message).toContain('maxResponseBytes');
    expect((await post({ text: clinicalText(100) })).status).toBe(200);
  });
});

describe('auth scheme', () => {
  it('accepts the Bearer scheme in any case (RFC 7235), and nothing else', async () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) expect((await post({ text: '腹痛' }, `${scheme} ${TOKEN}`)).status, scheme).toBe(200);
    for (const auth of [`Basic ${TOKEN}`, TOKEN, `bearer ${TOKEN}x`, 'bearer ']) expect((await post({ text: '腹痛' }, auth)).status, auth).toBe(401);
  });
});

describe('the model is named so two can be told apart', () => {
  it('/healthz and /v1/model give a 12-hex id and the training date', async () => {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { model: Record<string, unknown> };
    const model = (await (await fetch(`${server.url}/v1/model`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, unknown>;
    for (const m of [health.model, model]) {
      expect(m.id).toBe(sha.slice(0, 12));
      expect(m.sha256).toBe(sha);
      expect(m.trained).toBe('2026-01-01T00:00:00.000Z');
    }
  });
});

describe('bodies that arrive in pieces', () => {
  /** POSTs `pieces` as separate writes, a pause between them, so the server reads them as separate chunks. */
  function postInPieces(pieces: Uint8Array[]) {
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = pieces.shift();
        if (next === undefined) return controller.close();
        controller.enqueue(next);
        await new Promise((resolve) => setTimeout(resolve, 30));
      },
    });
    return fetch(`${server.url}/v1/tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body,
      duplex: 'half',
    } as RequestInit);
  }

  it('decodes a character split across chunks, and answers as for the body in one piece', async () => {
    const json = new TextEncoder().encode(JSON.stringify({ text: clinicalText(400) }));
    // cut inside a three-byte character: the first byte that starts a multi-byte sequence, plus one
    const cut = json.findIndex((b, i) => i > 20 && b >= 0xe0) + 1;
    const whole = await post(new TextDecoder().decode(json));
    const pieces = await postInPieces([json.slice(0, cut), json.slice(cut, cut + 1), json.slice(cut + 1)]);
    expect(pieces.status).toBe(200);
    expect(await pieces.json()).toEqual(await whole.json());
  });

  it('refuses a body with an invalid byte in a later chunk with 400 invalid_encoding', async () => {
    const json = new TextEncoder().encode(JSON.stringify({ text: clinicalText(400) }));
    const bad = json.slice(40);
    bad[10] = 0xff;
    const res = await postInPieces([json.slice(0, 40), bad]);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_encoding');
  });
});
