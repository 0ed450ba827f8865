/**
 * CPU time of the Worker per 1,000 characters, in workerd (`wrangler dev`, offline, the bundled model), to size the
 * per-request budget (MAX_REQUEST_COST, characters × max(1, kbest)) to a Workers plan's CPU limit per request:
 *
 *   npx tsx bench/worker-cpu.bench.ts [--runs N]
 *
 * For texts of 1,000 to 100,000 characters (kbest 1, and kbest 5 for the smaller ones) it POSTs /v1/tag N times
 * (default 5, after one warm-up) and reads the CPU time of the workerd process during each request from /proc
 * (all its threads; Linux only; wrangler's local proxy runs in it too, a constant per request). The 64-character
 * request gives the fixed cost per request; the steepest (CPU − fixed) / (characters × k) over the cases gives a
 * conservative cost per character; from them, the largest budget that fits 10 ms (Workers Free), 30 s (Workers Paid,
 * default) and 300 s (Paid with limits.cpu_ms = 300000).
 * The texts are synthetic (bench/http-shared.ts), never patient records. Only 127.0.0.1.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { document, ms } from './http-shared.js';
import { cpuMs, startWranglerDev, workerdPids } from './wrangler-dev.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'build', 'bench', 'worker-cpu');
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${args[args.indexOf('--runs') + 1]}`);

const CASES: { chars: number; kbest: number }[] = [
  { chars: 64, kbest: 1 },
  { chars: 250, kbest: 1 },
  { chars: 1_000, kbest: 1 },
  { chars: 5_000, kbest: 1 },
  { chars: 20_000, kbest: 1 },
  { chars: 50_000, kbest: 1 },
  { chars: 100_000, kbest: 1 },
  { chars: 1_000, kbest: 5 },
  { chars: 5_000, kbest: 5 },
  { chars: 20_000, kbest: 5 },
];
const PLANS = [
  { name: 'Workers Free', cpuMs: 10 },
  { name: 'Workers Paid (default limit)', cpuMs: 30_000 },
  { name: 'Workers Paid, limits.cpu_ms = 300000', cpuMs: 300_000 },
];

/** wrangler.toml with the Worker's entry path fixed for this folder and a budget that admits every case. */
function config(): string {
  mkdirSync(dir, { recursive: true });
  const main = relative(dir, join(root, 'src', 'hosts', 'cloudflare.ts')).split('\\').join('/');
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
    .replace(/^main = .*$/m, `main = "${main}"`)
    .replace(/^\[vars\]$/m, '[vars]\nMAX_REQUEST_COST = "10000000"\nMAX_RESPONSE_BYTES = "100000000"');
  const path = join(dir, 'wrangler.toml');
  writeFileSync(path, toml);
  return path;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const dev = await startWranglerDev(config(), dir);
  const rows: { chars: number; kbest: number; cpu: number; wall: number }[] = [];
  try {
    if (workerdPids(dev.child.pid!).length === 0) throw new Error('no workerd process found through /proc (Linux only)');
    const post = async (text: string, kbest: number) => {
      // wrangler dev reloads the Worker when a source file changes (a shared checkout): its 503 is retried
      // (a reload may start new workerd processes: the processes are looked up for each request, and a request
      // during which they changed is measured again)
      for (let attempt = 1; ; attempt++) {
        const pids = workerdPids(dev.child.pid!);
        const c0 = cpuMs(pids);
        const t0 = performance.now();
        const res = await fetch(`${dev.url}/v1/tag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, options: { kbest } }) });
        const body = await res.text();
        const same = workerdPids(dev.child.pid!).join() === pids.join();
        if (res.status === 200 && same) return { cpu: cpuMs(pids) - c0, wall: performance.now() - t0 };
        if (res.status === 200 && attempt < 5) continue;
        if (!(res.status === 503 && /restarted mid-request/.test(body) && attempt < 5)) throw new Error(`POST /v1/tag answered ${res.status}: ${body.slice(0, 200)}`);
        console.error(`the Worker restarted mid-request (a source file changed); again (${attempt})`);
      }
    };
    await post(document(2000), 1); // the model is built on the first request
    for (const c of CASES) {
      const text = document(c.chars);
      await post(text, c.kbest);
      const m: { cpu: number; wall: number }[] = [];
      for (let i = 0; i < runs; i++) m.push(await post(text, c.kbest));
      rows.push({ ...c, cpu: median(m.map((x) => x.cpu)), wall: median(m.map((x) => x.wall)) });
      console.error(`${c.chars} chars, kbest ${c.kbest}: workerd CPU ${ms(rows.at(-1)!.cpu)} ms`);
    }
  } finally {
    await dev.stop();
  }
  const fixed = rows[0].cpu; // the 64-character request
  const slope = Math.max(...rows.slice(1).map((r) => (r.cpu - fixed) / (r.chars * r.kbest)));
  console.log(
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/worker-cpu.bench.ts --runs ${runs}\` (wrangler dev, the bundled model, ` +
      `${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end; medians of workerd CPU per request).`,
  );
  console.log('');
  console.log('| characters | kbest | workerd CPU ms | ms per 1,000 characters × k | client wall ms |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.chars.toLocaleString('en')} | ${r.kbest} | ${ms(r.cpu)} | ${ms((r.cpu / (r.chars * r.kbest)) * 1000)} | ${ms(r.wall)} |`);
  console.log('');
  console.log(`fixed cost (64 characters) ${ms(fixed)} ms; steepest cost beyond it ${ms(slope * 1000)} ms per 1,000 characters × k.`);
  console.log('');
  console.log('| plan | CPU limit per request | largest budget (characters × k) |');
  console.log('|---|---:|---:|');
  for (const p of PLANS) {
    const most = Math.floor((p.cpuMs - fixed) / slope);
    console.log(`| ${p.name} | ${p.cpuMs.toLocaleString('en')} ms | ${most > 0 ? most.toLocaleString('en') : 'none (the fixed cost alone exceeds it)'} |`);
  }
}

await main();
