/**
 * /healthz never waits for the model store: with `cner serve --store s3://…` and the store hanging (a real s3rver
 * behind a 127.0.0.1 proxy that stops forwarding), /healthz still answers from the model in use, while the request
 * that runs the manifest check waits for the store. Order only, no timing assertion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { startServer, type RunningServer } from '../../src/hosts/node-server.js';
import { publishModel } from '../../src/store/node.js';
import { S3Store } from '../../src/store/s3.js';
import { s3Client, startS3rver, type S3Server } from '../store/backends.js';
import { knownModelBytes } from './fixtures.js';
import { sleep } from './http-client.js';

/** A TCP proxy that can hold every byte sent to the upstream until released. */
function freezableProxy(upstreamPort: number) {
  let frozen = false;
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => (frozen ? held.push(() => upstream.write(d)) : upstream.write(d)));
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  return {
    server,
    freeze: () => void (frozen = true),
    release: () => {
      frozen = false;
      for (const send of held.splice(0)) send();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let s3: S3Server;
let proxy: ReturnType<typeof freezableProxy>;
let server: RunningServer;

beforeAll(async () => {
  s3 = await startS3rver();
  const client = s3Client(s3.endpoint);
  await publishModel(new S3Store({ bucket: 'models', client, conditionalWrites: false }), knownModelBytes(), { validate: false });
  client.destroy();
  proxy = freezableProxy(Number(new URL(s3.endpoint).port));
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(proxy.server.address() as { port: number }).port}`;
  process.env.S3_ENDPOINT = endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.S3_CONDITIONAL_WRITES = '0';
  server = await startServer({ storeUrl: 's3://models', port: 0, checkIntervalMs: 0, threads: 1, log: () => {} });
}, 120_000);

afterAll(async () => {
  proxy?.release();
  await server?.close();
  await proxy?.close();
  await s3?.server.close();
  if (s3) rmSync(s3.directory, { recursive: true, force: true });
});

describe('/healthz with a hanging store', () => {
  it('answers from the model in use while a manifest check waits for the store', async () => {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { model: { source: string } };
    expect(health.model.source).toBe('store');

    proxy.freeze();
    const order: string[] = [];
    const healthz = fetch(`${server.url}/healthz`).then(async (r) => (order.push('healthz'), r.status));
    await sleep(300); // /healthz reached the server first
    const model = fetch(`${server.url}/v1/model`).then(async (r) => (order.push('model'), r.status));
    await Promise.race([healthz, model]);
    proxy.release();
    expect(await healthz).toBe(200);
    expect(await model).toBe(200);
    expect(order).toEqual(['healthz', 'model']);
  }, 120_000);
});
