/**
 * HTTP benchmark of the tagging API (docs/edge.md):
 *
 *   npx tsx bench/http.bench.ts [--quick] [--write] [--skip-wrangler] [--model FILE]
 *
 * - the model: --model FILE, else models/default.cner, else a stand-in of the paper's shape (int8, BiLSTM 128+64,
 *   char/word dims 50, 11 tags, a 50,000-word jieba dictionary) written to build/bench/standin.cner;
 * - in-process (Node): tagger build time, tag() and the whole Hono handler (app.fetch, no network) per document;
 * - `cner serve` (child process) and `wrangler dev` (offline, local R2 empty → the bundled model): the first answer
 *   after start (cold), then p50/p99 latency of sequential requests and requests/s with 8 in flight, for a
 *   64-character document and a 2,000-character record, measured from a Node client on 127.0.0.1;
 * - bundle size from `wrangler deploy --dry-run` (total gzipped, and code + kernels alone).
 * --write replaces the block between the bench markers in docs/edge.md with the table.
 *
 * Only 127.0.0.1. The texts are synthetic (written for this benchmark), never patient records.
 */
import { startWranglerDev, wranglerEnv } from './wrangler-dev.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createTagger } from '../src/tagger.js';
import { createApp } from '../src/hosts/http/app.js';
import { ModelSource, servedHere } from '../src/hosts/http/model-source.js';
import { sha256Hex } from '../src/store/index.js';
import { randomModel } from '../test/helpers/random-model.js';
import { spawnServe } from '../test/http/serve-process.js';
import { document, ms, SENTENCES, summarize, type Latency } from './http-shared.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, 'build', 'bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = args.includes('--write');
const skipWrangler = args.includes('--skip-wrangler');
const modelArg = args.includes('--model') ? args[args.indexOf('--model') + 1] : undefined;

const SEQUENTIAL = quick ? { short: 100, long: 30 } : { short: 500, long: 150 };
const CONCURRENT = quick ? { short: 400, long: 80 } : { short: 2000, long: 400 };
const CONCURRENCY = 8;
const IN_PROCESS = quick ? { short: 300, long: 60 } : { short: 2000, long: 300 };

// ─────────────────────────────────────────── documents (synthetic) ───────────────────────────────────────────

const DOCS = { short: document(64), long: document(2000) };

// ─────────────────────────────────────────── the model ───────────────────────────────────────────

/** A model of the trained model's shape with random weights and a pruned jieba dictionary. */
async function standInModel(): Promise<Uint8Array> {
  const { dict } = await import('@node-rs/jieba/dict.js');
  const entries: { word: string; freq: number }[] = [];
  let total = 0;
  for (const line of new TextDecoder().decode(dict).split('\n')) {
    const [word, f] = line.split(' ');
    const freq = Number(f);
    if (!word || !(freq > 0)) continue;
    total += freq;
    if (/^[\u4e00-\u9fff]+$/.test(word)) entries.push({ word, freq });
  }
  entries.sort((a, b) => b.freq - a.freq);
  const kept = entries.slice(0, 50_000);
  kept.sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
  const vocabWords = entries.slice(0, 20_000).map((e) => e.word);
  const text = vocabWords.join('') + SENTENCES.join('');
  const { bytes } = randomModel({
    text,
    cut: () => vocabWords,
    types: ['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT'],
    arch: { charDim: 50, wordDim: 50, lstm: [128, 64] },
    int8: true,
    seed: 3,
    scale: 0.2,
    segmenter: { kind: 'dict', variant: 'jieba', total, words: kept.map((e) => e.word), freqs: kept.map((e) => e.freq) },
    extra: { name: 'bench-stand-in', version: '0.0.0' },
  });
  return bytes;
}

async function benchModel(): Promise<{ path: string; bytes: Uint8Array; kind: string }> {
  if (modelArg) return { path: modelArg, bytes: readFileSync(modelArg), kind: 'given' };
  const real = join(root, 'models', 'default.cner');
  if (existsSync(real)) return { path: real, bytes: readFileSync(real), kind: 'trained default' };
  const path = join(benchDir, 'standin.cner');
  if (!existsSync(path)) writeFileSync(path, await standInModel());
  return { path, bytes: readFileSync(path), kind: 'stand-in (random weights, paper shape)' };
}

// ─────────────────────────────────────────── measuring ───────────────────────────────────────────


async function timeLoop(n: number, fn: () => Promise<unknown> | unknown): Promise<Latency> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return summarize(times);
}

function tagRequest(url: string, text: string, token?: string): Promise<Response> {
  return fetch(`${url}/v1/tag`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ text }),
  });
}

async function checked(res: Promise<Response>): Promise<void> {
  const r = await res;
  const body = await r.text();
  if (r.status !== 200) throw new Error(`status ${r.status}: ${body.slice(0, 200)}`);
}

interface HttpResult {
  cold: number;
  seq: Record<'short' | 'long', Latency>;
  rps: Record<'short' | 'long', number>;
}

async function measureHttp(url: string): Promise<HttpResult> {
  // warm the client (Node's fetch loads undici on first use) with a route that does not touch the model
  const warm = await fetch(`${url}/openapi.json`);
  if (warm.status !== 200) throw new Error(`GET /openapi.json answered ${warm.status}`);
  await warm.text();
  let t = performance.now();
  await checked(tagRequest(url, DOCS.short));
  const cold = performance.now() - t;
  for (let i = 0; i < 30; i++) await checked(tagRequest(url, DOCS.short)); // warm-up
  for (let i = 0; i < 5; i++) await checked(tagRequest(url, DOCS.long));
  const seq = {
    short: await timeLoop(SEQUENTIAL.short, () => checked(tagRequest(url, DOCS.short))),
    long: await timeLoop(SEQUENTIAL.long, () => checked(tagRequest(url, DOCS.long))),
  };
  const rps = { short: 0, long: 0 };
  for (const kind of ['short', 'long'] as const) {
    let next = 0;
    const total = CONCURRENT[kind];
    t = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < total) await checked(tagRequest(url, DOCS[kind]));
      }),
    );
    rps[kind] = total / ((performance.now() - t) / 1000);
  }
  return { cold, seq, rps };
}


// ─────────────────────────────────────────── wrangler ───────────────────────────────────────────

/** A wrangler config bundling `modelPath` as the default model (build/bench/, beside a generated entry). */
function benchWranglerConfig(modelPath: string): string {
  mkdirSync(benchDir, { recursive: true });
  const real = join(root, 'models', 'default.cner');
  if (modelPath === real) return join(root, 'wrangler.toml');
  const rel = (p: string) => relative(benchDir, p).split('\\').join('/');
  writeFileSync(
    join(benchDir, 'entry.ts'),
    `// generated by bench/http.bench.ts: the Worker of src/hosts/cloudflare.ts with another bundled model\n` +
      `import kernels from '${rel(join(root, 'build', 'kernels.wasm'))}';\n` +
      `import defaultModel from '${rel(modelPath)}';\n` +
      `import { createCloudflareHandler } from '${rel(join(root, 'src', 'hosts', 'http', 'cloudflare-handler.ts'))}';\n` +
      `export default createCloudflareHandler({ kernels, defaultModel });\n`,
  );
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8').replace(/^main = .*$/m, 'main = "entry.ts"');
  const path = join(benchDir, 'wrangler.toml');
  writeFileSync(path, toml);
  return path;
}


interface BundleSize {
  totalKiB: number;
  gzipKiB: number;
  files: { name: string; bytes: number; gzip: number }[];
  codeKernelsGzipKiB: number;
}

async function bundleSize(config: string): Promise<BundleSize> {
  const out = join(benchDir, 'dist');
  rmSync(out, { recursive: true, force: true });
  const { stdout, stderr } = await promisify(execFile)('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out, '--config', config], {
    cwd: root,
    env: wranglerEnv,
    maxBuffer: 1 << 24,
  });
  const text = stdout + stderr;
  const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(text);
  if (!m) throw new Error(`wrangler deploy --dry-run: no "Total Upload" line in its output:\n${text.slice(-2000)}`);
  const files = readdirSync(out)
    .filter((f) => !/\.(map|json|md)$/.test(f) && statSync(join(out, f)).isFile())
    .map((name) => {
      const bytes = readFileSync(join(out, name));
      return { name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    });
  const codeKernels = files.filter((f) => !f.name.endsWith('.cner')).reduce((s, f) => s + f.gzip, 0);
  return { totalKiB: Number(m[1]), gzipKiB: Number(m[2]), files, codeKernelsGzipKiB: codeKernels / 1024 };
}


// ─────────────────────────────────────────── main ───────────────────────────────────────────

async function main() {
  mkdirSync(benchDir, { recursive: true });
  const kernelsPath = join(root, 'build', 'kernels.wasm');
  if (!existsSync(kernelsPath)) throw new Error('build/kernels.wasm is missing: run `npm run build:kernels`');
  const kernels = readFileSync(kernelsPath);
  const model = await benchModel();
  const sha = await sha256Hex(model.bytes);
  console.error(`model: ${model.kind}, ${(model.bytes.length / 1024).toFixed(0)} KiB, sha256 ${sha.slice(0, 12)}…`);
  console.error(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

  // in-process
  let t = performance.now();
  const tagger = await createTagger({ model: model.bytes, kernels });
  const buildMs = performance.now() - t;
  t = performance.now();
  tagger.tag(DOCS.short);
  const firstTagMs = performance.now() - t;
  for (let i = 0; i < 50; i++) tagger.tag(DOCS.short);
  const tagShort = await timeLoop(IN_PROCESS.short, () => tagger.tag(DOCS.short));
  const tagLong = await timeLoop(IN_PROCESS.long, () => tagger.tag(DOCS.long));
  const source = new ModelSource({ kernels, fallback: { bytes: model.bytes, source: 'file' } });
  await source.get();
  const app = createApp({ model: async () => servedHere(await source.get()) });
  const handler = (text: string) =>
    checked(Promise.resolve(app.fetch(new Request('http://bench/v1/tag', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) }))));
  for (let i = 0; i < 50; i++) await handler(DOCS.short);
  const appShort = await timeLoop(IN_PROCESS.short, () => handler(DOCS.short));
  const appLong = await timeLoop(IN_PROCESS.long, () => handler(DOCS.long));
  console.error(`in-process: build ${ms(buildMs)} ms, tag 64 p50 ${ms(tagShort.p50)} ms, handler 64 p50 ${ms(appShort.p50)} ms`);

  // cner serve
  const serve = await spawnServe(['--model', model.path, '--port', '0']);
  let node: HttpResult;
  try {
    node = await measureHttp(serve.url);
  } finally {
    await serve.stop();
  }
  console.error(`cner serve: 64 p50 ${ms(node.seq.short.p50)} ms, ${node.rps.short.toFixed(0)} req/s`);

  // wrangler
  let worker: HttpResult | null = null;
  let bundle: BundleSize | null = null;
  if (!skipWrangler) {
    const config = benchWranglerConfig(model.path);
    bundle = await bundleSize(config);
    console.error(`bundle: ${bundle.gzipKiB} KiB gzipped (code + kernels ${bundle.codeKernelsGzipKiB.toFixed(1)} KiB)`);
    const dev = await startWranglerDev(config, benchDir);
    try {
      worker = await measureHttp(dev.url);
    } finally {
      await dev.stop();
    }
    console.error(`wrangler dev: cold ${ms(worker.cold)} ms, 64 p50 ${ms(worker.seq.short.p50)} ms, ${worker.rps.short.toFixed(0)} req/s`);
  }

  const row = (name: string, r: HttpResult | null) =>
    r
      ? `| ${name} | ${ms(r.seq.short.p50)} / ${ms(r.seq.short.p99)} | ${r.rps.short.toFixed(0)} | ${ms(r.seq.long.p50)} / ${ms(r.seq.long.p99)} | ${r.rps.long.toFixed(0)} | ${ms(r.cold)} |`
      : `| ${name} | not run | | | | |`;
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/http.bench.ts${quick ? ' --quick' : ''}\` on ${cpus().length} cores ` +
      `(load average ${loadavg()[0].toFixed(1)} at the end — the machine is shared, so absolute figures are pessimistic).`,
    `Model: ${model.kind}, ${(model.bytes.length / 1024).toFixed(0)} KiB (sha256 ${sha.slice(0, 12)}…). ` +
      `Documents: a 64-character sentence and a 2,000-character record (synthetic). Client: Node fetch on 127.0.0.1, keep-alive; ` +
      `sequential requests for latency, ${CONCURRENCY} in flight for requests/s. First tag answer: the first POST /v1/tag once the ` +
      `server is ready (client warmed on /openapi.json); in the Worker it includes the R2 check and building the tagger from the ` +
      `bundled model, while \`cner serve\` loads its model before it listens.`,
    '',
    '| target | 64 chars p50 / p99 (ms) | 64 chars req/s | 2,000 chars p50 / p99 (ms) | 2,000 chars req/s | first tag answer after start (ms) |',
    '|---|---:|---:|---:|---:|---:|',
    `| in-process \`tag()\` (no HTTP) | ${ms(tagShort.p50)} / ${ms(tagShort.p99)} | ${(1000 / tagShort.p50).toFixed(0)} | ${ms(tagLong.p50)} / ${ms(tagLong.p99)} | ${(1000 / tagLong.p50).toFixed(0)} | build ${ms(buildMs)} + first tag ${ms(firstTagMs)} |`,
    `| in-process Hono handler (server-side time) | ${ms(appShort.p50)} / ${ms(appShort.p99)} | ${(1000 / appShort.p50).toFixed(0)} | ${ms(appLong.p50)} / ${ms(appLong.p99)} | ${(1000 / appLong.p50).toFixed(0)} | |`,
    row('`cner serve` (Node, @hono/node-server)', node),
    row('`wrangler dev` (workerd, local)', worker),
    '',
  ];
  if (bundle) {
    lines.push(
      `Bundle (\`wrangler deploy --dry-run\`): **${bundle.gzipKiB.toFixed(0)} KiB gzipped** in total (${bundle.totalKiB.toFixed(0)} KiB raw); ` +
        `code + kernels alone **${bundle.codeKernelsGzipKiB.toFixed(0)} KiB gzipped**.`,
      '',
      '| module | bytes | gzip -9 |',
      '|---|---:|---:|',
      ...bundle.files.map((f) => `| ${f.name.replace(/^[0-9a-f]{40}-/, '')} | ${f.bytes} | ${f.gzip} |`),
      '',
    );
  }
  const table = lines.join('\n');
  console.log(table);
  if (write) {
    const doc = join(root, 'docs', 'edge.md');
    const text = readFileSync(doc, 'utf8');
    const start = '<!-- bench:http:start -->';
    const end = '<!-- bench:http:end -->';
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/edge.md lacks the ${start} … ${end} markers`);
    writeFileSync(doc, text.slice(0, a + start.length) + '\n' + table + '\n' + text.slice(b));
    console.error('docs/edge.md updated');
  }
}

await main();
