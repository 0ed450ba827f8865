/** The Worker's settings from env (src/hosts/http/cloudflare-handler.ts), checked in Node. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCloudflareHandler, readSettings, CloudflareConfigError } from '../../src/hosts/http/cloudflare-handler.js';
import { DEFAULT_LIMITS } from '../../src/hosts/http/app.js';
import { knownModelBytes } from './fixtures.js';

describe('readSettings', () => {
  it('defaults when nothing is set', () => {
    expect(readSettings({})).toEqual({ limits: DEFAULT_LIMITS, corsOrigins: undefined, authToken: undefined, checkIntervalMs: 30_000 });
  });

  it('reads every variable', () => {
    const s = readSettings({
      AUTH_TOKEN: 't0ken',
      MODEL_CHECK_SECONDS: '0',
      MAX_BODY_BYTES: '1000',
      MAX_DOCUMENTS: ' 3 ',
      MAX_CHARS_PER_DOCUMENT: '50',
      MAX_REQUEST_COST: '120',
      MAX_RESPONSE_BYTES: '9000',
      CORS_ORIGINS: 'https://a.example, http://localhost:8080',
    });
    expect(s).toEqual({
      limits: { maxBodyBytes: 1000, maxDocuments: 3, maxCharsPerDocument: 50, maxRequestCost: 120, maxResponseBytes: 9000 },
      corsOrigins: ['https://a.example', 'http://localhost:8080'],
      authToken: 't0ken',
      checkIntervalMs: 0,
    });
    expect(readSettings({ CORS_ORIGINS: '*', AUTH_TOKEN: '' })).toMatchObject({ corsOrigins: '*', authToken: undefined });
  });

  it('names the variable that is wrong', () => {
    const bad: [Record<string, string>, string][] = [
      [{ MAX_BODY_BYTES: '0' }, 'MAX_BODY_BYTES'],
      [{ MAX_DOCUMENTS: 'ten' }, 'MAX_DOCUMENTS'],
      [{ MAX_CHARS_PER_DOCUMENT: '-5' }, 'MAX_CHARS_PER_DOCUMENT'],
      [{ MAX_CHARS_PER_DOCUMENT: '1.5' }, 'MAX_CHARS_PER_DOCUMENT'],
      [{ MAX_REQUEST_COST: '0' }, 'MAX_REQUEST_COST'],
      [{ MAX_RESPONSE_BYTES: 'lots' }, 'MAX_RESPONSE_BYTES'],
      [{ MODEL_CHECK_SECONDS: 'soon' }, 'MODEL_CHECK_SECONDS'],
      [{ CORS_ORIGINS: 'example.org' }, 'CORS_ORIGINS'],
    ];
    for (const [env, name] of bad) {
      expect(() => readSettings(env)).toThrow(CloudflareConfigError);
      expect(() => readSettings(env)).toThrow(name);
    }
  });
});

describe('createCloudflareHandler', () => {
  const kernels = readFileSync(new URL('../../build/kernels.wasm', import.meta.url));
  const worker = createCloudflareHandler({ kernels, defaultModel: knownModelBytes() });

  it('answers 500 misconfigured naming the variable', async () => {
    const res = await worker.fetch(new Request('http://w/healthz'), { MAX_DOCUMENTS: 'ten' });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('misconfigured');
    expect(body.error.message).toContain('MAX_DOCUMENTS');
  });

  it('serves the bundled model without an R2 binding, and picks up a changed token', async () => {
    const health = await (await worker.fetch(new Request('http://w/healthz'), {})).json();
    expect(health).toMatchObject({ status: 'ok', model: { source: 'bundled' } });
    const req = () => new Request('http://w/v1/model', { headers: { authorization: 'Bearer abc' } });
    expect((await worker.fetch(req(), {})).status).toBe(200);
    expect((await worker.fetch(req(), { AUTH_TOKEN: 'xyz' })).status).toBe(401);
    expect((await worker.fetch(req(), { AUTH_TOKEN: 'abc' })).status).toBe(200);
  });
});
