/**
 * Model loading inside workerd: bundled fallback, R2 manifest → model, swap on a new manifest, corrupted or
 * mismatching objects refused while the model in use keeps serving. The test settings check the manifest on
 * every request (MODEL_CHECK_SECONDS=0); the interval itself is tested in test/http/model-source.test.ts.
 */
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import bundledBytes from '../../models/default.cner';
import { MANIFEST_KEY, sha256Hex } from '../../src/store/index.js';
import { randomModel } from '../helpers/random-model.js';
import { call, clearBucket, expectedEntities, knownModel, publish, putManifestNaming, tag, type ModelResponse, type TagResponse } from './helpers.js';

async function servedModel(): Promise<ModelResponse> {
  const res = await call('/v1/model');
  expect(res.status).toBe(200);
  return (await res.json()) as ModelResponse;
}

async function health(): Promise<{ status: string; model: { sha256: string; source: string } }> {
  const res = await call('/healthz', { token: null });
  expect(res.status).toBe(200);
  return res.json();
}

describe('model loading in the Worker', () => {
  let bundledSha: string;
  const logs: string[] = [];

  beforeAll(async () => {
    bundledSha = await sha256Hex(new Uint8Array(bundledBytes));
    for (const level of ['log', 'warn', 'error', 'info'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')));
    }
    await clearBucket();
  });
  afterAll(() => vi.restoreAllMocks());

  it('serves the bundled model when the bucket is empty', async () => {
    const m = await servedModel();
    expect(m.source).toBe('bundled');
    expect(m.sha256).toBe(bundledSha);
    expect(m.release).toBeNull();
    const h = await health();
    expect(h.model).toMatchObject({ sha256: bundledSha, source: 'bundled' });
    // it tags (whatever the bundled model is: offsets must hold)
    const text = '患者右下腹痛三天，伴恶心呕吐。';
    const res = await tag({ text });
    expect(res.status).toBe(200);
    const body = (await res.json()) as TagResponse;
    expect(body.model.sha256).toBe(bundledSha);
    for (const e of body.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
  });

  it('serves the manifest\'s model from R2 once one is published, and tags with it', async () => {
    const a = knownModel(8);
    const shaA = await publish(a);
    const m = await servedModel();
    expect(m).toMatchObject({ source: 'r2', sha256: shaA, name: 'lookup-test-model' });
    expect(m.release).toMatchObject({ version: 1 });
    expect((await health()).model).toMatchObject({ sha256: shaA, source: 'r2' });

    const text = '患者右下腹痛三天，查体：腹部压痛。';
    const body = (await (await tag({ text })).json()) as TagResponse;
    expect(body.model.sha256).toBe(shaA);
    expect(body.entities.map(({ type, start, end, text: t }) => ({ type, start, end, text: t }))).toEqual(expectedEntities(text));
  });

  it('swaps to a newly published model at the next check', async () => {
    const before = await servedModel();
    const b = knownModel(9);
    const shaB = await publish(b);
    expect(shaB).not.toBe(before.sha256);
    const m = await servedModel();
    expect(m).toMatchObject({ source: 'r2', sha256: shaB });
    expect(m.release).toMatchObject({ version: 2 });
  });

  it('refuses an object whose bytes do not match the manifest (same size) and keeps serving the model in use', async () => {
    const inUse = (await servedModel()).sha256;
    const c = knownModel(10);
    const corrupted = c.slice();
    corrupted[corrupted.length - 1] ^= 0xff;
    const shaC = await putManifestNaming(c, corrupted);
    logs.length = 0;
    const m = await servedModel();
    expect(m.sha256).toBe(inUse);
    expect(m.source).toBe('r2');
    expect(logs.some((l) => l.includes(`refused model ${shaC}`))).toBe(true);
    // and it still tags
    const text = '腹部痛';
    const body = (await (await tag({ text })).json()) as TagResponse;
    expect(body.model.sha256).toBe(inUse);
    expect(body.entities.length).toBe(2);
  });

  it('refuses a truncated object and a missing object', async () => {
    const inUse = (await servedModel()).sha256;
    const d = knownModel(11);
    await putManifestNaming(d, d.slice(0, d.length - 64), 91);
    expect((await servedModel()).sha256).toBe(inUse);
    const e = knownModel(12);
    await putManifestNaming(e, null, 92);
    expect((await servedModel()).sha256).toBe(inUse);
  });

  it('refuses an object that verifies against the manifest but is not a model file', async () => {
    const inUse = (await servedModel()).sha256;
    const junk = new TextEncoder().encode('this is not a model file, but its sha256 is in the manifest');
    const shaJunk = await putManifestNaming(junk, junk, 93);
    logs.length = 0;
    expect((await servedModel()).sha256).toBe(inUse);
    expect(logs.some((l) => l.includes(`refused model ${shaJunk}`) && l.includes('ModelFormatError'))).toBe(true);
  });

  it('keeps serving when the manifest itself is unreadable', async () => {
    const inUse = (await servedModel()).sha256;
    await env.MODELS.put(MANIFEST_KEY, new TextEncoder().encode('{ not json'));
    expect((await servedModel()).sha256).toBe(inUse);
  });

  it('recovers when a good manifest comes back, then falls back to the bundled model when the bucket is emptied', async () => {
    await env.MODELS.delete(MANIFEST_KEY); // the operator removes the broken manifest (publish refuses to overwrite it)
    const f = randomModel({ seed: 33, extra: { name: 'random-r2-model' } }).bytes;
    const shaF = await publish(f);
    expect(await servedModel()).toMatchObject({ sha256: shaF, source: 'r2', name: 'random-r2-model' });
    await clearBucket();
    expect(await servedModel()).toMatchObject({ sha256: bundledSha, source: 'bundled' });
  });

  it('never logs a request\'s text', async () => {
    const marker = '患者腹部隐痛标记文本';
    await tag({ text: marker });
    await tag({ documents: [{ id: 'x', text: marker }] });
    await call('/v1/tag', { method: 'POST', body: `{"text": "${marker}"`, headers: { 'content-type': 'application/json' } });
    expect(logs.some((l) => l.includes(marker) || l.includes('隐痛'))).toBe(false);
  });
});
