/**
 * Soak test of `cner serve` under hostile load (issue 12): `npm run soak -- [options] [-- cner serve options]`
 *
 *   --seconds N        total run time (default 60): a baseline of small requests only for a quarter of it, then the
 *                      mixed phase for the rest
 *   --model FILE       model to serve (default models/default.cner)
 *   --clients N        small-request clients, each one request at a time on keep-alive connections (default 16)
 *   --big-every-ms N   a ~1 MB request is started this often in the mixed phase (default 200)
 *   --big-bytes N      size of a big request's body (default 990,000: under the default maxBodyBytes)
 *   -- ARGS            passed to `cner serve` (e.g. `-- --max-request-cost 400000` to admit the big requests)
 *
 * Prints small-request p50/p99 and throughput in both phases, /healthz latency, what the big requests were answered,
 * and errors by kind, then checks the issue's targets. Bounded: every loop ends at its phase's end, every request has
 * a timeout, at most MAX_BIG_IN_FLIGHT big requests are outstanding. Only 127.0.0.1; the texts are synthetic.
 */
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { spawnServe } from '../test/http/serve-process.js';
import { document, ms, summarize } from './http-shared.js';

const argv = process.argv.slice(2);
const dashes = argv.indexOf('--');
const own = dashes < 0 ? argv : argv.slice(0, dashes);
const serveArgs = dashes < 0 ? [] : argv.slice(dashes + 1);

function option(name: string, fallback: number): number {
  const i = own.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(own[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number, got ${own[i + 1]}`);
  return v;
}
const seconds = option('seconds', 60);
const clients = Math.round(option('clients', 16));
const bigEveryMs = option('big-every-ms', 200);
const bigBytes = Math.round(option('big-bytes', 990_000));
const modelPath = own.includes('--model') ? own[own.indexOf('--model') + 1] : 'models/default.cner';

const BASELINE_MS = Math.max(5_000, (seconds * 1000) / 4);
const MIXED_MS = Math.max(5_000, seconds * 1000 - BASELINE_MS);
const REQUEST_TIMEOUT_MS = 120_000;
const MAX_BIG_IN_FLIGHT = 64;
const HEALTH_EVERY_MS = 100;

const SMALL = JSON.stringify({ text: document(64) });

/** a body of about `bytes` bytes: documents of at most 90,000 characters (under maxCharsPerDocument) */
function bigBody(bytes: number): string {
  const perChar = new TextEncoder().encode(document(3000)).length / 3000;
  const chars = Math.floor((bytes - 200) / perChar);
  const documents: { text: string }[] = [];
  for (let left = chars; left > 0; left -= 90_000) documents.push({ text: document(Math.min(90_000, left)) });
  return JSON.stringify({ documents, options: { scores: false } });
}
const BIG = bigBody(bigBytes);
const BIG_SHAPE = (() => {
  const docs = (JSON.parse(BIG) as { documents: { text: string }[] }).documents;
  return `${new TextEncoder().encode(BIG).length.toLocaleString('en')} bytes: ${docs.length} documents, ${docs.reduce((n, d) => n + d.text.length, 0).toLocaleString('en')} characters`;
})();

type Outcome = number | string; // HTTP status, or the connection error's code

/** The /healthz prober (a worker thread, CommonJS): one request every `every` ms for `ms`; posts [outcome, ms][]. */
const HEALTH_PROBE = `
const { parentPort, workerData: w } = require('node:worker_threads');
(async () => {
  const end = performance.now() + w.ms;
  const out = [];
  while (performance.now() < end) {
    const t0 = performance.now();
    let outcome;
    try {
      const res = await fetch(w.url, { signal: AbortSignal.timeout(w.timeout) });
      await res.arrayBuffer();
      outcome = res.status;
    } catch (e) {
      outcome = e.name === 'TimeoutError' ? 'timeout' : ((e.cause && e.cause.code) || e.name);
    }
    out.push([outcome, performance.now() - t0]);
    await new Promise((resolve) => setTimeout(resolve, w.every));
  }
  parentPort.postMessage(out);
})();
`;

/** One request; resolves to its outcome and latency. Never throws. */
async function send(url: string, init: RequestInit): Promise<{ outcome: Outcome; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    await res.arrayBuffer();
    return { outcome: res.status, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const code = err.name === 'TimeoutError' ? 'timeout' : (err.cause?.code ?? err.name);
    return { outcome: code, ms: performance.now() - t0 };
  }
}

interface Phase {
  name: string;
  ms: number;
  small: number[];
  smallOutcomes: Map<Outcome, number>;
  health: number[];
  healthOutcomes: Map<Outcome, number>;
  big: Map<Outcome, number>;
  bigStarted: number;
}

const count = (m: Map<Outcome, number>, k: Outcome) => m.set(k, (m.get(k) ?? 0) + 1);

async function runPhase(base: string, name: string, durationMs: number, withBig: boolean): Promise<Phase> {
  const phase: Phase = { name, ms: durationMs, small: [], smallOutcomes: new Map(), health: [], healthOutcomes: new Map(), big: new Map(), bigStarted: 0 };
  const end = performance.now() + durationMs;
  const post = (body: string): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const smallClient = async () => {
    while (performance.now() < end) {
      const r = await send(`${base}/v1/tag`, post(SMALL));
      count(phase.smallOutcomes, r.outcome);
      if (r.outcome === 200) phase.small.push(r.ms);
    }
  };
  // /healthz is probed from its own thread (own event loop), so the load generator's event loop, busy with 16 clients
  // and 1 MB bodies, does not count as server latency
  const healthClient = async () => {
    const probe = new Worker(HEALTH_PROBE, { eval: true, workerData: { url: `${base}/healthz`, ms: durationMs, every: HEALTH_EVERY_MS, timeout: REQUEST_TIMEOUT_MS } });
    const results = await new Promise<[Outcome, number][]>((resolve, reject) => {
      probe.once('message', resolve);
      probe.once('error', reject);
    });
    await probe.terminate();
    for (const [outcome, latency] of results) {
      count(phase.healthOutcomes, outcome);
      if (outcome === 200) phase.health.push(latency);
    }
  };
  const bigs: Promise<void>[] = [];
  let inFlight = 0;
  const bigSender = async () => {
    while (withBig && performance.now() < end) {
      if (inFlight < MAX_BIG_IN_FLIGHT) {
        inFlight++;
        phase.bigStarted++;
        bigs.push(send(`${base}/v1/tag`, post(BIG)).then((r) => void (inFlight--, count(phase.big, r.outcome))));
      }
      await new Promise((resolve) => setTimeout(resolve, bigEveryMs));
    }
  };
  await Promise.all([...Array.from({ length: clients }, smallClient), healthClient(), bigSender()]);
  await Promise.all(bigs); // answered or timed out: bounded by REQUEST_TIMEOUT_MS
  return phase;
}

const fmt = (m: Map<Outcome, number>) => [...m].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
const isReset = (k: Outcome) => typeof k === 'string';
const sum = (m: Map<Outcome, number>, pred: (k: Outcome) => boolean) => [...m].filter(([k]) => pred(k)).reduce((n, [, v]) => n + v, 0);

async function main(): Promise<void> {
  const server = await spawnServe(['--model', modelPath, '--port', '0', ...serveArgs]);
  let baseline: Phase;
  let mixed: Phase;
  try {
    for (let i = 0; i < 50; i++) await send(`${server.url}/v1/tag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SMALL });
    console.error(`soak: baseline ${(BASELINE_MS / 1000).toFixed(0)} s, then mixed ${(MIXED_MS / 1000).toFixed(0)} s (a big request of ${BIG_SHAPE} every ${bigEveryMs} ms)`);
    baseline = await runPhase(server.url, 'baseline (small only)', BASELINE_MS, false);
    mixed = await runPhase(server.url, `mixed (+ ~1 MB every ${bigEveryMs} ms)`, MIXED_MS, true);
  } finally {
    const code = await server.stop();
    if (code !== 0) console.error(`soak: cner serve exited with code ${code}`);
  }
  const setup = /listening on \S+ \((.*)\)/.exec(server.log())?.[1] ?? '';
  const rps = (p: Phase) => p.small.length / (p.ms / 1000);
  console.log(`Soak of \`cner serve\` (${setup}), ${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores, ` +
    `load average ${loadavg()[0].toFixed(1)} at the end; ${clients} small-request clients (64 characters each); in the mixed phase a big request ` +
    `(${BIG_SHAPE}) every ${bigEveryMs} ms; serve args: ${serveArgs.join(' ') || '(defaults)'}.`);
  console.log('');
  console.log('| phase | small req/s | small p50 ms | small p99 ms | /healthz p50 ms | /healthz p99 ms | small answers | big requests: answers |');
  console.log('|---|---:|---:|---:|---:|---:|---|---|');
  for (const p of [baseline, mixed]) {
    const s = summarize(p.small);
    const h = summarize(p.health);
    console.log(`| ${p.name} | ${rps(p).toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(h.p50)} | ${ms(h.p99)} | ${fmt(p.smallOutcomes)} | ${p.bigStarted ? `${p.bigStarted} sent; ${fmt(p.big)}` : '–'} |`);
  }
  const all = [mixed.smallOutcomes, mixed.healthOutcomes, mixed.big, baseline.smallOutcomes, baseline.healthOutcomes];
  const resets = all.reduce((n, m) => n + sum(m, isReset), 0);
  const fiveXX = all.reduce((n, m) => n + sum(m, (k) => typeof k === 'number' && k >= 500 && k !== 503), 0);
  const busy = all.reduce((n, m) => n + sum(m, (k) => k === 503), 0);
  const smallP99 = summarize(mixed.small).p99;
  const healthP99 = Math.max(summarize(mixed.health).p99, summarize(baseline.health).p99);
  const ratio = rps(mixed) / rps(baseline);
  console.log('');
  console.log(`errors by kind: connection errors (resets, timeouts) ${resets}, 5xx other than 503 ${fiveXX}, 503 ${busy}`);
  const target = (ok: boolean, text: string) => console.log(`${ok ? 'met' : 'MISSED'}: ${text}`);
  target(smallP99 <= 100, `small-request p99 with big requests ${ms(smallP99)} ms (target ≤ 100 ms)`);
  target(ratio >= 0.8, `small-request throughput ${(ratio * 100).toFixed(0)} % of the baseline (target ≥ 80 %)`);
  target(healthP99 <= 20, `/healthz p99 ${ms(healthP99)} ms (target ≤ 20 ms)`);
  target(resets === 0, `${resets} connection errors (target 0)`);
  target(fiveXX === 0, `${fiveXX} 5xx answers other than 503 (target 0)`);
}

await main();
