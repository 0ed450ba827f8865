/**
 * `cner serve` under hostile load (issue 12): tagging runs off the event loop, the queue is bounded, a request can
 * carry a deadline, client disconnects are quiet, and SIGTERM drains the work in hand. Each test spawns a real
 * `cner serve` on 127.0.0.1 with the bundled model; assertions are on order and outcome, never on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import { clinicalText, postJson, sleep, type Answer } from './http-client.js';
import { spawnServe, type ServeProcess } from './serve-process.js';

const MODEL = 'models/default.cner';
/** a request the bundled model needs a noticeable while for (well inside the default budget) */
const BIG = { text: clinicalText(90_000), options: { scores: false } };

let server: ServeProcess | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const answer = (a: Answer | { error: string }): Answer => {
  if ('error' in a) throw new Error(`connection error ${a.error}`);
  return a;
};

describe('cner serve under load', () => {
  it('/healthz answers while a big request is being tagged', async () => {
    server = await spawnServe(['--model', MODEL, '--port', '0']);
    const big = postJson(`${server.url}/v1/tag`, BIG);
    await big.sent;
    await sleep(200); // the server has the whole body: it is tagging now
    const order: string[] = [];
    const health = fetch(`${server.url}/healthz`).then((r) => (order.push('healthz'), r.status));
    const tagged = big.done.then((a) => (order.push('big'), answer(a).status));
    expect(await health).toBe(200);
    expect(await tagged).toBe(200);
    expect(order).toEqual(['healthz', 'big']);
  }, 120_000);

  it('a full queue answers 503 with Retry-After, and every accepted request is answered', async () => {
    server = await spawnServe(['--model', MODEL, '--port', '0', '--threads', '1', '--max-queue', '1']);
    const requests = Array.from({ length: 4 }, () => postJson(`${server!.url}/v1/tag`, BIG));
    const answers = (await Promise.all(requests.map((r) => r.done))).map(answer);
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const a of busy) {
      expect(JSON.parse(a.body).error.code).toBe('overloaded');
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(answers.filter((a) => a.status === 200).length).toBe(answers.length - busy.length);
  }, 120_000);

  it('a request still queued at its deadline_ms is answered 504 deadline_exceeded and not run', async () => {
    server = await spawnServe(['--model', MODEL, '--port', '0', '--threads', '1']);
    const big = postJson(`${server.url}/v1/tag`, BIG);
    await big.sent;
    await sleep(200);
    const late = answer(await postJson(`${server.url}/v1/tag`, { text: '患者腹痛。', deadline_ms: 1 }).done);
    expect(late.status).toBe(504);
    expect(JSON.parse(late.body).error.code).toBe('deadline_exceeded');
    expect(answer(await big.done).status).toBe(200);
    // without a deadline the same request is answered
    expect(answer(await postJson(`${server.url}/v1/tag`, { text: '患者腹痛。', deadline_ms: 60_000 }).done).status).toBe(200);
  }, 120_000);

  it('a client that disconnects mid-request or while queued is not logged as an internal error', async () => {
    server = await spawnServe(['--model', MODEL, '--port', '0', '--threads', '1']);
    const { port } = new URL(server.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /v1/tag HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 300000\r\n\r\n{"text":"`);
        socket.write('腹'.repeat(1000), () => setTimeout(() => (socket.destroy(), resolve()), 100));
      });
    });
    // a request queued behind a big one, whose client gives up
    const big = postJson(`${server.url}/v1/tag`, BIG);
    await big.sent;
    await sleep(200);
    const gaveUp = await fetch(`${server.url}/v1/tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '患者腹痛。' }),
      signal: AbortSignal.timeout(300),
    }).catch((e: Error) => e.name);
    expect(gaveUp).toBe('TimeoutError');
    expect(answer(await big.done).status).toBe(200);
    await sleep(500);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(answer(await postJson(`${server.url}/v1/tag`, { text: '患者腹痛。' }).done).status).toBe(200);
    expect(server.log()).not.toContain('internal error');
  }, 120_000);

  it('SIGTERM stops accepting, answers every request in hand (one still uploading too), then exits 0', async () => {
    server = await spawnServe(['--model', MODEL, '--port', '0']);
    const requests = Array.from({ length: 3 }, () => postJson(`${server!.url}/v1/tag`, BIG));
    await Promise.all(requests.map((r) => r.sent));
    // a slow client: headers and half the body now, the rest after the signal
    const body = Buffer.from(JSON.stringify({ text: '患者右下腹痛三天。' }), 'utf8');
    const slow = request(`${server.url}/v1/tag`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    const slowAnswer = new Promise<Answer | { error: string }>((resolve) => {
      slow.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      slow.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.name }));
    });
    slow.flushHeaders();
    await new Promise<void>((resolve) => slow.write(body.subarray(0, 10), () => resolve()));
    await sleep(200);
    const code = server.stop();
    for (let i = 0; i < 600 && !server.log().includes('SIGTERM'); i++) await sleep(100); // the server has the signal
    await sleep(200);
    slow.end(body.subarray(10));
    const answers = await Promise.all(requests.map((r) => r.done));
    for (const a of answers) {
      expect(answer(a).status).toBe(200);
      expect(JSON.parse((a as Answer).body).entities.length).toBeGreaterThan(1000);
    }
    const last = answer(await slowAnswer);
    expect(last.status).toBe(200);
    expect(JSON.parse(last.body).entities.length).toBeGreaterThan(0);
    expect(await code).toBe(0);
    expect(server.log()).toContain('SIGTERM');
  }, 180_000);
});
