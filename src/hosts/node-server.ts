/**
 * The tagging API on Node (`cner serve`): the same Hono app as the Worker (http/app.ts) on @hono/node-server.
 *
 *   const server = await startServer({ modelPath: 'models/default.cner', port: 0 });
 *   // … server.url …
 *   await server.close();
 *
 * Model: a file (`modelPath`, source 'file'), or a store's current model (`storeUrl`: file://, s3://, r2://;
 * docs/store.md; source 'store') checked for a new manifest every `checkIntervalMs` and swapped only after the
 * new model verified — with `modelPath` as the fallback when the store is empty or unreachable (http/model-source.ts).
 * The model is loaded before the server listens, so a bad model stops the start with a clear error.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { openStore } from '../store/node.js';
import { createApp, type Limits } from './http/app.js';
import { ModelSource, DEFAULT_CHECK_INTERVAL_MS } from './http/model-source.js';

export interface NodeServerOptions {
  /** a model file; with storeUrl it is the fallback */
  modelPath?: string;
  /** a store URL (file://DIR, s3://BUCKET[/PREFIX], r2://BUCKET[/PREFIX]) whose manifest names the model */
  storeUrl?: string;
  /** build/kernels.wasm (default: the one of this package) */
  kernelsPath?: string;
  /** TCP port; 0 = any free port (default 8080) */
  port?: number;
  /** interface to listen on (default 127.0.0.1) */
  host?: string;
  /** when set, /v1/* needs `Authorization: Bearer <token>` */
  authToken?: string;
  limits?: Partial<Limits>;
  corsOrigins?: '*' | string[];
  /** least ms between two manifest checks with storeUrl (default 30 000) */
  checkIntervalMs?: number;
  /** log lines (model loads and refusals; never text). Default: stderr */
  log?: (level: 'info' | 'warn', line: string) => void;
}

export interface RunningServer {
  /** http://host:port */
  url: string;
  host: string;
  port: number;
  source: ModelSource;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_KERNELS_URL = new URL('../../build/kernels.wasm', import.meta.url);

async function readKernels(path: string | URL): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the kernels at ${String(path)} (${code ?? 'error'}); run \`npm run build:kernels\``);
  }
}

export async function startServer(options: NodeServerOptions): Promise<RunningServer> {
  if (!options || typeof options !== 'object') throw new TypeError(`startServer: expected options, got ${typeof options}`);
  const { modelPath, storeUrl } = options;
  if (!modelPath && !storeUrl) throw new TypeError('startServer: give modelPath (a model file), storeUrl (a model store), or both');
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`startServer: port must be an integer in [0, 65535], got ${String(port)}`);
  const host = options.host ?? DEFAULT_HOST;
  const log = options.log ?? ((_level: string, line: string) => void process.stderr.write(line + '\n'));

  const kernels = await readKernels(options.kernelsPath ?? DEFAULT_KERNELS_URL);
  let fallbackBytes: Uint8Array | null = null;
  if (modelPath) {
    try {
      fallbackBytes = await readFile(modelPath);
    } catch (e) {
      throw new Error(`cannot read the model file ${modelPath} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const source = new ModelSource({
    kernels,
    store: storeUrl ? openStore(storeUrl) : null,
    fallback: fallbackBytes ? { bytes: fallbackBytes, source: 'file' } : null,
    storeSource: 'store',
    checkIntervalMs: options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    log,
  });
  await source.get(); // load before listening: a bad model fails the start

  const app = createApp({
    model: () => source.get(),
    authToken: options.authToken,
    limits: options.limits,
    corsOrigins: options.corsOrigins,
  });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    host: address.address,
    port: address.port,
    source,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
