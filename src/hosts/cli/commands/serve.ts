import { DEFAULT_LIMITS, type Limits } from '../../http/app.js';
import { DEFAULT_CHECK_INTERVAL_MS } from '../../http/model-source.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_HOST, DEFAULT_MAX_QUEUE, DEFAULT_PORT, startServer, type NodeServerOptions, type RunningServer } from '../../node-server.js';
import { EXIT_INTERRUPTED, EXIT_OK, UsageError, err, integerOption, parseCommandArgs, stringOption, type Command, type OptionValues } from '../command.js';

const usage = `Usage: cner serve --model FILE [--port N] [--host H] [--token-env VAR] [options]
       cner serve --store URL [--model FILE] [options]

Serves the tagging API (the same as the Cloudflare Worker) on Node:
  POST /v1/tag, GET /v1/model, GET /healthz, GET /openapi.json, GET / (a page to try it).
Tagging runs on worker threads; /healthz answers at once whatever is being tagged. A full queue answers 503 with
Retry-After; a request over the budget (characters × kbest) answers 413 budget_exceeded.
Runs until SIGTERM or Ctrl-C: then it stops accepting, answers every request in hand (queued ones too) and exits
(0 on SIGTERM, 130 on Ctrl-C; a second signal exits at once). Log lines name models by SHA-256; request text is
never logged.

Options:
  --model FILE         the model file to serve (with --store: the fallback when the store has none)
  --store URL          serve the store's current model (file://DIR, s3://BUCKET[/PREFIX], r2://BUCKET[/PREFIX];
                       see docs/store.md); a newly published model is picked up after it verified
  --check-seconds N    least seconds between two checks of the store's manifest (default ${DEFAULT_CHECK_INTERVAL_MS / 1000})
  --port N             TCP port (default ${DEFAULT_PORT}; 0 = any free port, printed at start)
  --host H             interface to listen on (default ${DEFAULT_HOST}; 0.0.0.0 exposes it to the network)
  --token-env VAR      require "Authorization: Bearer <token>" on /v1/*, the token read from environment variable VAR
  --cors ORIGINS       '*' or a comma-separated list of allowed origins (default: no CORS headers)
  --max-body-bytes N   largest request body (default ${DEFAULT_LIMITS.maxBodyBytes})
  --max-documents N    most documents in one request (default ${DEFAULT_LIMITS.maxDocuments})
  --max-chars N        most characters in one document (default ${DEFAULT_LIMITS.maxCharsPerDocument})
  --max-request-cost N the budget: most characters × max(1, kbest) in one request (default ${DEFAULT_LIMITS.maxRequestCost})
  --max-response-bytes N  largest answer in bytes (default ${DEFAULT_LIMITS.maxResponseBytes})
  --threads N          tagging threads (default: one per core, ${availableParallelism()} here)
  --max-queue N        most requests waiting for a thread before 503 (default ${DEFAULT_MAX_QUEUE})
  --kernels FILE       kernels module (default: this package's build/kernels.wasm; CNER_KERNELS=relaxed
                       loads build/kernels-relaxed.wasm, =auto that one where relaxed SIMD can be had)
  -h, --help           show this help`;

function positive(values: OptionValues, name: string, fallback: number, allowZero = false): number {
  const n = integerOption(values, name, fallback);
  if (n < 0 || (n === 0 && !allowZero)) throw new UsageError(`option --${name}: expected a ${allowZero ? 'non-negative' : 'positive'} integer, got ${n}`);
  return n;
}

/** Parses `cner serve` arguments into server options (throws UsageError); `env` supplies --token-env. */
export function serveOptions(argv: string[], env: Record<string, string | undefined> = process.env): NodeServerOptions {
  const { values } = parseCommandArgs(
    argv,
    {
      model: { type: 'string' },
      store: { type: 'string' },
      'check-seconds': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'token-env': { type: 'string' },
      cors: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-documents': { type: 'string' },
      'max-chars': { type: 'string' },
      'max-request-cost': { type: 'string' },
      'max-response-bytes': { type: 'string' },
      threads: { type: 'string' },
      'max-queue': { type: 'string' },
      kernels: { type: 'string' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
  );
  const modelPath = stringOption(values, 'model');
  const storeUrl = stringOption(values, 'store');
  if (!modelPath && !storeUrl) throw new UsageError('give --model FILE, --store URL, or both');
  const port = positive(values, 'port', DEFAULT_PORT, true);
  if (port > 65535) throw new UsageError(`option --port: expected 0..65535, got ${port}`);
  let authToken: string | undefined;
  const tokenEnv = stringOption(values, 'token-env');
  if (tokenEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) throw new UsageError(`option --token-env: expected an environment variable name, got '${tokenEnv}'`);
    authToken = env[tokenEnv];
    if (!authToken) throw new UsageError(`option --token-env: environment variable ${tokenEnv} is unset or empty`);
  }
  let corsOrigins: '*' | string[] | undefined;
  const cors = stringOption(values, 'cors');
  if (cors !== undefined && cors.trim() !== '') {
    corsOrigins = cors.trim() === '*' ? '*' : cors.split(',').map((o) => o.trim()).filter(Boolean);
    if (corsOrigins !== '*') {
      for (const o of corsOrigins) if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new UsageError(`option --cors: expected '*' or origins like https://example.org, got '${o}'`);
    }
  }
  const limits: Limits = {
    maxBodyBytes: positive(values, 'max-body-bytes', DEFAULT_LIMITS.maxBodyBytes),
    maxDocuments: positive(values, 'max-documents', DEFAULT_LIMITS.maxDocuments),
    maxCharsPerDocument: positive(values, 'max-chars', DEFAULT_LIMITS.maxCharsPerDocument),
    maxRequestCost: positive(values, 'max-request-cost', DEFAULT_LIMITS.maxRequestCost),
    maxResponseBytes: positive(values, 'max-response-bytes', DEFAULT_LIMITS.maxResponseBytes),
  };
  return {
    modelPath,
    storeUrl,
    kernelsPath: stringOption(values, 'kernels'),
    port,
    host: stringOption(values, 'host') ?? DEFAULT_HOST,
    authToken,
    corsOrigins,
    limits,
    checkIntervalMs: positive(values, 'check-seconds', DEFAULT_CHECK_INTERVAL_MS / 1000, true) * 1000,
    threads: positive(values, 'threads', availableParallelism()),
    maxQueue: positive(values, 'max-queue', DEFAULT_MAX_QUEUE),
  };
}

/** Starts the server for `cner serve` arguments and prints where it listens (stderr). */
export async function startFromArgs(argv: string[], env: Record<string, string | undefined> = process.env): Promise<RunningServer> {
  const options = serveOptions(argv, env);
  const server = await startServer(options);
  const s = server.source.status();
  err(`cner serve: listening on ${server.url} (model ${s.sha256} from ${s.source}, ${server.threads} tagging thread${server.threads === 1 ? '' : 's'}${options.authToken ? ', bearer token required' : ''})`);
  return server;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the tagging API over HTTP (POST /v1/tag; the Worker\'s API on Node)',
  usage,
  async run(argv) {
    const server = await startFromArgs(argv);
    const code = await new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: 'SIGINT' | 'SIGTERM') => {
        const exitCode = signal === 'SIGTERM' ? EXIT_OK : EXIT_INTERRUPTED;
        if (stopping) {
          err(`cner serve: ${signal} again, exiting without waiting`);
          process.exit(exitCode);
        }
        stopping = true;
        err(`cner serve: ${signal}, closing: answering the requests in hand, accepting no more`);
        void server.close().finally(() => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          err('cner serve: closed');
          resolve(exitCode);
        });
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    return code;
  },
};
