/**
 * Load test: `cner serve` in a child process on 127.0.0.1 (random port), 2,000 tag requests with 8 in flight,
 * time-limited; every answer must be a 200 with the exact entities. Then a clean shutdown on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownModelBytes, tempDir, writeModelFile } from './fixtures.js';
import { spawnServe, type ServeProcess } from './serve-process.js';

const REQUESTS = 2000;
const CONCURRENCY = 8;
const TIME_LIMIT_MS = 90_000;

const tmp = tempDir('cner-load-');
let server: ServeProcess;

beforeAll(async () => {
  const modelPath = writeModelFile(tmp.dir, 'model.cner', knownModelBytes());
  server = await spawnServe(['--model', modelPath, '--port', '0', '--token-env', 'CNER_LOAD_TOKEN'], { env: { CNER_LOAD_TOKEN: 'load-token' } });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  tmp.remove();
});

const texts = [
  '患者右下腹痛三天，伴恶心呕吐。',
  '😀腹部痛',
  '查体：腹部压痛，\ud83d右下腹痛。',
  '无',
  '',
];
const expected = (text: string) => {
  const out: [string, number, number][] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '腹') {
      const end = text[i + 1] === '部' ? i + 2 : i + 1;
      out.push(['BODY', i, end]);
      i = end - 1;
    } else if (text[i] === '痛') out.push(['SIGNS', i, i + 1]);
  }
  return out;
};

describe('load: cner serve', () => {
  it(`answers ${REQUESTS} requests at concurrency ${CONCURRENCY} without an error`, async () => {
    let next = 0;
    let ok = 0;
    const errors: string[] = [];
    const started = performance.now();
    const deadline = started + TIME_LIMIT_MS;
    const worker = async () => {
      while (next < REQUESTS && performance.now() < deadline) {
        const i = next++;
        const text = texts[i % texts.length];
        try {
          const res = await fetch(`${server.url}/v1/tag`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer load-token' },
            body: JSON.stringify({ text }),
          });
          const body = (await res.json()) as { entities: { type: string; start: number; end: number }[] };
          if (res.status !== 200) errors.push(`#${i}: status ${res.status}`);
          else if (JSON.stringify(body.entities.map((e) => [e.type, e.start, e.end])) !== JSON.stringify(expected(text))) errors.push(`#${i}: wrong entities`);
          else ok++;
        } catch (e) {
          errors.push(`#${i}: ${(e as Error).name}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    console.log(`load: ${ok} ok, ${errors.length} errors, ${(ok / seconds).toFixed(0)} requests/s over ${seconds.toFixed(1)} s`);
    expect(errors.slice(0, 10)).toEqual([]);
    expect(ok).toBe(REQUESTS);
    // the server still answers and reports the same model
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, TIME_LIMIT_MS + 30_000);

  it('logs no request text and stops cleanly on SIGTERM', async () => {
    expect(server.log()).not.toMatch(/[患腹痛]/);
    expect(await server.stop()).toBe(0);
    expect(server.log()).toContain('SIGTERM, closing');
  });
});
