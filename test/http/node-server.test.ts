/** The Node server (src/hosts/node-server.ts) and `cner serve` argument handling, on 127.0.0.1 only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/hosts/node-server.js';
import { serveOptions } from '../../src/hosts/cli/commands/serve.js';
import { UsageError } from '../../src/hosts/cli/command.js';
import { FileStore, publishModel, sha256Hex } from '../../src/store/node.js';
import { knownModelBytes, tempDir, writeModelFile } from './fixtures.js';

const tmp = tempDir('cner-http-');
afterAll(() => tmp.remove());

describe('startServer with a model file', () => {
  let server: RunningServer;
  let sha: string;
  beforeAll(async () => {
    const bytes = knownModelBytes();
    sha = await sha256Hex(bytes);
    const modelPath = writeModelFile(tmp.dir, 'model.cner', bytes);
    server = await startServer({ modelPath, port: 0, authToken: 'node-token', limits: { maxDocuments: 2 }, log: () => {} });
  });
  afterAll(() => server.close());

  it('listens on 127.0.0.1 and reports the model', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', model: { sha256: sha, source: 'file' } });
  });

  it('tags with exact offsets, behind the token', async () => {
    const text = '😀患者腹部痛';
    const post = (token?: string) =>
      fetch(`${server.url}/v1/tag`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ text }),
      });
    expect((await post()).status).toBe(401);
    expect((await post('nope')).status).toBe(401);
    const res = await post('node-token');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entities: { type: string; start: number; end: number; text: string }[] };
    expect(body.entities.map(({ type, start, end, text: t }) => [type, start, end, t])).toEqual([
      ['BODY', 4, 6, '腹部'],
      ['SIGNS', 6, 7, '痛'],
    ]);
  });

  it('applies the limits it was given', async () => {
    const res = await fetch(`${server.url}/v1/tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer node-token' },
      body: JSON.stringify({ documents: [{ text: 'a' }, { text: 'b' }, { text: 'c' }] }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('maxDocuments');
  });
});

describe('startServer with a file:// store', () => {
  it('serves the store\'s current model and swaps after a publish', async () => {
    const storeDir = `${tmp.dir}/store`;
    const store = new FileStore(storeDir);
    const { entry: a } = await publishModel(store, knownModelBytes(8));
    const server = await startServer({ storeUrl: `file://${storeDir}`, port: 0, checkIntervalMs: 0, log: () => {} });
    try {
      const model = async () => (await (await fetch(`${server.url}/v1/model`)).json()) as { sha256: string; source: string };
      expect(await model()).toMatchObject({ sha256: a.sha256, source: 'store' });
      const { entry: b } = await publishModel(store, knownModelBytes(9));
      expect(await model()).toMatchObject({ sha256: b.sha256, source: 'store' });
    } finally {
      await server.close();
    }
  });

  it('fails to start with neither a store model nor a model file', async () => {
    const empty = tempDir('cner-empty-store-');
    try {
      await expect(startServer({ storeUrl: `file://${empty.dir}`, port: 0, log: () => {} })).rejects.toThrow(/no model could be loaded/);
    } finally {
      empty.remove();
    }
  });

  it('refuses to start on a file that is not a model', async () => {
    const junk = writeModelFile(tmp.dir, 'junk.cner', new Uint8Array(500));
    await expect(startServer({ modelPath: junk, port: 0, log: () => {} })).rejects.toThrow(/no model could be loaded/);
  });
});

describe('cner serve arguments', () => {
  it('parses options', () => {
    const o = serveOptions(['--model', 'm.cner', '--port', '0', '--token-env', 'MY_TOKEN', '--cors', 'https://a.example, https://b.example', '--max-chars', '10', '--check-seconds', '5'], {
      MY_TOKEN: 'secret',
    });
    expect(o).toMatchObject({
      modelPath: 'm.cner',
      port: 0,
      host: '127.0.0.1',
      authToken: 'secret',
      corsOrigins: ['https://a.example', 'https://b.example'],
      checkIntervalMs: 5000,
    });
    expect(o.limits).toMatchObject({ maxCharsPerDocument: 10 });
    const load = serveOptions(['--model', 'm.cner', '--threads', '3', '--max-queue', '7', '--max-request-cost', '5000', '--max-response-bytes', '9000'], {});
    expect(load).toMatchObject({ threads: 3, maxQueue: 7, limits: { maxRequestCost: 5000, maxResponseBytes: 9000 } });
  });

  it('refuses bad command lines with a UsageError', () => {
    const bad: [string[], RegExp][] = [
      [[], /--model FILE, --store URL/],
      [['--model', 'm', '--port', '70000'], /--port/],
      [['--model', 'm', '--port', 'x'], /--port/],
      [['--model', 'm', '--token-env', 'UNSET_VAR_FOR_TEST'], /unset or empty/],
      [['--model', 'm', '--token-env', 'not a name'], /environment variable name/],
      [['--model', 'm', '--cors', 'example.org'], /--cors/],
      [['--model', 'm', '--max-documents', '0'], /--max-documents/],
      [['--model', 'm', '--threads', '0'], /--threads/],
      [['--model', 'm', '--max-queue', 'x'], /--max-queue/],
      [['--model', 'm', '--max-request-cost', '-1'], /--max-request-cost/],
      [['--model', 'm', 'extra'], /too many arguments/],
      [['--model', 'm', '--bogus'], /bogus/],
    ];
    for (const [argv, message] of bad) {
      expect(() => serveOptions(argv, {}), argv.join(' ')).toThrow(UsageError);
      expect(() => serveOptions(argv, {}), argv.join(' ')).toThrow(message);
    }
  });
});
