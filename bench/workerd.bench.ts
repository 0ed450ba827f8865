/**
 * The Worker in workerd itself, without wrangler's local proxy: a fresh isolate's first answers, the CPU of a warm
 * request split into tagging and the HTTP app, and the same tagging in Node beside it (issue 17 point 4; docs/edge.md,
 * "Cold start and CPU per request in workerd"):
 *
 *   npx tsx bench/workerd.bench.ts [--runs N] [--cold-runs M] [--before DIR] [--v8-flags=--flag,--flag] [--skip-node]
 *                                     [--per-call-only]
 *
 * Two Workers are bundled with `wrangler deploy --dry-run` into build/bench/workerd/ and each is run by
 * `workerd serve` on a config of its own (no R2 binding: the bundled model serves; --v8-flags are handed to V8):
 *   worker  src/hosts/cloudflare.ts, the real Worker
 *   probe   the same tagger without the HTTP app (bench/workerd-probe.ts): /tag?chars=C&n=N tags document(C) N times,
 *           /kernels?chars=C&n=N runs the network alone on its sentences N times, /app?chars=C&n=N answers N synthetic
 *           POST /v1/tag through the Worker's own handler (createCloudflareHandler) in the same isolate, /request
 *           builds and reads those N requests only, /floor reads the request and answers
 * CPU is read per thread of the workerd process from /proc (Linux): "all" sums the threads (V8 compiles hot code on
 * background threads), "own thread" is the busiest thread, the one that ran the request.
 * 1. fresh isolate (M runs, each a new workerd process): once its start-up CPU has settled (the port is only
 *    connected to, no request is made), five POST /v1/tag of 64 characters; each request's CPU counts 250 ms after
 *    its answer (compilation finishing in the background).
 * 2. warm requests, 1 / 64 / 500 / 2,000 characters, N interleaved rounds, medians: the Worker's POST /v1/tag and the
 *    probe's floor (Worker − floor is what a deployed Worker is charged); and in one isolate, per request of 20 in a
 *    row (own thread), the handler answering it, tagging its text alone, and building and reading the request: the
 *    HTTP app (route, body, validation, JSON, response) is handler − tagging − request.
 * 3. per call, 64 and 500 characters: tag() and the kernels alone in workerd (n calls in one request, own thread)
 *    and in this Node process (process.cpuUsage), interleaved rounds, medians; the ratio workerd / Node.
 * --before DIR: section 1 also for the Worker of another copy of src/ (inside the project, e.g. `git archive <commit>
 * src | tar -x -C build/bench/before`), bundled with the same kernels and model, in the same interleaved runs.
 * --per-call-only runs section 3 alone (quick: e.g. to compare --v8-flags). Only 127.0.0.1; the texts are synthetic (bench/http-shared.ts), never patient records.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { document, ms } from './http-shared.js';
import { busiestThreadMs, cpuMs, freePort, threadCpuMs, wranglerEnv } from './wrangler-dev.js';
import { createProbe } from './workerd-probe.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'build', 'bench', 'workerd');
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const n = Number(args[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a positive integer, got ${args[at + 1]}`);
  return n;
};
const runs = option('--runs', 15);
const coldRuns = option('--cold-runs', 7);
const perCallOnly = args.includes('--per-call-only');
const before = args.includes('--before') ? resolve(args[args.indexOf('--before') + 1]) : undefined;
const v8Flags = (args.find((a) => a.startsWith('--v8-flags='))?.slice('--v8-flags='.length) ?? '')
  .split(',')
  .filter((f) => f !== '');
const workerdBin = join(root, 'node_modules', '.bin', 'workerd');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const log = (s: string) => process.stderr.write(s + '\n');

// ─────────────────────────────────────────── bundles and workerd configs ───────────────────────────────────────────

/** `wrangler deploy --dry-run` of `entry` into dir/NAME/out; the config names its modules (wasm, data, the script). */
function bundle(name: string, entry: string): string {
  const at = join(dir, name);
  rmSync(at, { recursive: true, force: true });
  mkdirSync(at, { recursive: true });
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8').replace(
    /^main = .*$/m,
    `main = "${relative(at, entry).split('\\').join('/')}"`,
  );
  writeFileSync(join(at, 'wrangler.toml'), toml);
  const r = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', 'out', '--config', 'wrangler.toml'], {
    cwd: at,
    env: wranglerEnv,
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`wrangler deploy --dry-run (${name}) failed:\n${(r.stdout + r.stderr).slice(-2000)}`);
  const files = readdirSync(join(at, 'out'));
  const kind = (f: string) =>
    f.endsWith('.wasm') ? 'wasm' : f.endsWith('.cner') ? 'data' : f.endsWith('.js') ? 'esModule' : null;
  const script = files.find((f) => f.endsWith('.js'));
  if (!script) throw new Error(`no script in ${join(at, 'out')}`);
  const modules = [script, ...files.filter((f) => f !== script)]
    .filter((f) => kind(f) !== null)
    .map((f) => `    (name = "${f}", ${kind(f)} = embed "out/${f}"),`);
  const flags = v8Flags.map((f) => JSON.stringify(f)).join(', ');
  const conf = join(at, 'workerd.capnp');
  writeFileSync(
    conf,
    [
      'using Workerd = import "/workerd/workerd.capnp";',
      'const config :Workerd.Config = (',
      '  services = [ (name = "main", worker = .worker) ],',
      '  sockets = [ (name = "http", address = "127.0.0.1:PORT", http = (), service = "main") ],',
      `  v8Flags = [ ${flags} ],`,
      ');',
      'const worker :Workerd.Worker = (',
      '  modules = [',
      ...modules,
      '  ],',
      `  compatibilityDate = "${/^compatibility_date = "([^"]+)"/m.exec(toml)?.[1]}",`,
      ');',
      '',
    ].join('\n'),
  );
  return conf;
}

interface Workerd {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** workerd serve on a free port; resolves once the port accepts connections and start-up CPU has settled. */
async function startWorkerd(conf: string): Promise<Workerd & { startupMs: number }> {
  const port = await freePort();
  const portConf = conf.replace(/\.capnp$/, `-${port}.capnp`);
  writeFileSync(portConf, readFileSync(conf, 'utf8').replace('PORT', String(port)));
  const child = spawn(workerdBin, ['serve', portConf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => (errors += c.toString('utf8')));
  const pid = child.pid!;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  let last = -1;
  for (let i = 0; ; i++) {
    await sleep(150);
    if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}): ${errors.slice(-2000)}`);
    if (i > 200) throw new Error('workerd did not settle in 30 s');
    const now = cpuMs([pid]);
    if (last >= 0 && now - last < 0.5 && (await accepts()))
      return { url: `http://127.0.0.1:${port}`, pid, child, stop, startupMs: now };
    last = now;
  }
}

/** CPU of workerd (all threads; the busiest thread) while `request` runs, plus `after` ms once it has answered. */
async function measured(
  w: Workerd,
  request: () => Promise<Response>,
  after = 0,
): Promise<{ all: number; own: number }> {
  const t0 = threadCpuMs([w.pid]);
  const res = await request();
  const body = await res.text();
  if (res.status !== 200) throw new Error(`answered ${res.status}: ${body.slice(0, 200)}`);
  if (after > 0) await sleep(after);
  const t1 = threadCpuMs([w.pid]);
  let all = 0;
  for (const [id, t] of t1) all += t - (t0.get(id) ?? 0);
  return { all, own: busiestThreadMs(t0, t1) };
}

const tagRequest = (w: Workerd, text: string) => () =>
  fetch(`${w.url}/v1/tag`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
const probeRequest = (w: Workerd, path: string, chars: number, n: number) => () =>
  fetch(`${w.url}${path}?chars=${chars}&n=${n}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: document(chars) }),
  });

// ─────────────────────────────────────────── the measurements ───────────────────────────────────────────

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const probeEntry = join(dir, 'probe-entry.ts');
  const rel = (p: string) => relative(dir, join(root, p)).split('\\').join('/');
  writeFileSync(
    probeEntry,
    '// generated by bench/workerd.bench.ts: the tagger without the HTTP app\n' +
      `import kernels from '${rel('build/kernels.wasm')}';\n` +
      `import model from '${rel('models/default.cner')}';\n` +
      `import { document } from '${rel('bench/http-shared.ts')}';\n` +
      `import { createProbe } from '${rel('bench/workerd-probe.ts')}';\n` +
      `import { createCloudflareHandler } from '${rel('src/hosts/http/cloudflare-handler.ts')}';\n` +
      'const probe = createProbe(new Uint8Array(model), kernels);\n' +
      'const handler = createCloudflareHandler({ kernels, defaultModel: model });\n' +
      'export default {\n' +
      '  async fetch(request: Request): Promise<Response> {\n' +
      '    const p = await probe;\n' +
      '    const url = new URL(request.url);\n' +
      "    if (url.pathname === '/floor') return Response.json({ entities: [], length: (await request.text()).length });\n" +
      "    const text = document(Number(url.searchParams.get('chars')));\n" +
      "    const n = Number(url.searchParams.get('n'));\n" +
      "    if (url.pathname === '/app' || url.pathname === '/request') {\n" +
      '      const body = JSON.stringify({ text });\n' +
      '      let length = 0;\n' +
      '      for (let i = 0; i < n; i++) {\n' +
      "        const r = new Request('http://probe.invalid/v1/tag', { method: 'POST', headers: { 'content-type': 'application/json' }, body });\n" +
      "        length += url.pathname === '/app' ? (await (await handler.fetch(r, {})).text()).length : (await r.text()).length;\n" +
      '      }\n' +
      '      return Response.json({ length });\n' +
      '    }\n' +
      "    const run = url.pathname === '/kernels' ? p.kernels : p.tag;\n" +
      '    let out = 0;\n' +
      '    for (let i = 0; i < n; i++) out += run(text);\n' +
      '    return Response.json({ out });\n' +
      '  },\n' +
      '};\n',
  );
  log('bundling the Worker and the probe…');
  const workerConf = bundle('worker', join(root, 'src', 'hosts', 'cloudflare.ts'));
  const builds = [{ name: 'the Worker', conf: workerConf }];
  if (before !== undefined) {
    // the Worker of another src/ copy: its handler, with this tree's kernels and model
    const entry = join(dir, 'before-entry.ts');
    writeFileSync(
      entry,
      `// generated by bench/workerd.bench.ts --before ${relative(root, before)}\n` +
        `import kernels from '${rel('build/kernels.wasm')}';\n` +
        `import defaultModel from '${rel('models/default.cner')}';\n` +
        `import { createCloudflareHandler } from '${relative(
          dir,
          join(before, 'hosts', 'http', 'cloudflare-handler.ts'),
        )
          .split('\\')
          .join('/')}';\n` +
        'export default createCloudflareHandler({ kernels, defaultModel });\n',
    );
    builds.push({ name: `the Worker of ${relative(root, before)}`, conf: bundle('before', entry) });
  }
  const probeConf = bundle('probe', probeEntry);
  const version = JSON.parse(readFileSync(join(root, 'node_modules', 'workerd', 'package.json'), 'utf8'))
    .version as string;
  const lines: string[] = [];
  const out = (s = '') => void lines.push(s);

  // 1. fresh isolates
  log(`fresh isolates: ${coldRuns} runs…`);
  const cold = builds.map(() => [] as { startup: number; reqs: { all: number; own: number }[] }[]);
  for (let r = 0; r < (perCallOnly ? 0 : coldRuns); r++) {
    for (const [b, build] of builds.entries()) {
      const w = await startWorkerd(build.conf);
      try {
        const reqs = [];
        for (let k = 0; k < 5; k++) reqs.push(await measured(w, tagRequest(w, document(64)), 250));
        cold[b].push({ startup: w.startupMs, reqs });
        log(
          `  run ${r + 1}, ${build.name}: start-up ${ms(w.startupMs)} ms; requests ${reqs.map((q) => `${ms(q.all)}/${ms(q.own)}`).join(' ')}`,
        );
      } finally {
        await w.stop();
      }
    }
  }

  // 2 and 3: one Worker and one probe, warm
  const worker = await startWorkerd(workerConf);
  const probe = await startWorkerd(probeConf).catch(async (e) => {
    await worker.stop();
    throw e;
  });
  const inIsolate = 20; // requests in a row through the handler in one isolate (section 2)
  const warm: {
    chars: number;
    worker: number[][];
    floor: number[][];
    app: number[];
    tag: number[];
    request: number[];
  }[] = [];
  const perCall: {
    chars: number;
    n: number;
    wdTag: number[];
    wdKernels: number[];
    nodeTag: number[];
    nodeKernels: number[];
  }[] = [];
  try {
    for (const chars of perCallOnly ? [] : [1, 64, 500, 2000]) {
      const row = {
        chars,
        worker: [] as number[][],
        floor: [] as number[][],
        app: [] as number[],
        tag: [] as number[],
        request: [] as number[],
      };
      const n = chars > 500 ? inIsolate / 4 : inIsolate;
      for (let r = -5; r < runs; r++) {
        const a = await measured(worker, tagRequest(worker, document(chars)));
        const b = await measured(probe, probeRequest(probe, '/floor', chars, 1));
        const c = await measured(probe, probeRequest(probe, '/app', chars, n));
        const d = await measured(probe, probeRequest(probe, '/tag', chars, n));
        const e = await measured(probe, probeRequest(probe, '/request', chars, n));
        if (r < 0) continue; // warm-up rounds
        row.worker.push([a.all, a.own]);
        row.floor.push([b.all, b.own]);
        row.app.push(c.own / n);
        row.tag.push(d.own / n);
        row.request.push(e.own / n);
      }
      warm.push(row);
      log(
        `  warm ${chars} characters: Worker ${ms(median(row.worker.map((x) => x[0])))} ms, floor ${ms(median(row.floor.map((x) => x[0])))} ms; in one isolate: handler ${ms(median(row.app))}, tagging ${ms(median(row.tag))}, request ${ms(median(row.request))} ms`,
      );
    }
    if (!args.includes('--skip-node')) {
      const node = await createProbe(
        new Uint8Array(readFileSync(join(root, 'models', 'default.cner'))),
        new WebAssembly.Module(readFileSync(join(root, 'build', 'kernels.wasm'))),
      );
      const nodeCpu = (f: () => number, n: number) => {
        const c0 = process.cpuUsage();
        for (let i = 0; i < n; i++) f();
        const c = process.cpuUsage(c0);
        return (c.user + c.system) / 1000 / n;
      };
      for (const [chars, n] of [
        [64, 20],
        [500, 4],
      ]) {
        const text = document(chars);
        const row = {
          chars,
          n,
          wdTag: [] as number[],
          wdKernels: [] as number[],
          nodeTag: [] as number[],
          nodeKernels: [] as number[],
        };
        for (let r = -3; r < runs; r++) {
          const a = nodeCpu(() => node.tag(text), n);
          const b = nodeCpu(() => node.kernels(text), n);
          const c = await measured(probe, probeRequest(probe, '/tag', chars, n));
          const d = await measured(probe, probeRequest(probe, '/kernels', chars, n));
          if (r < 0) continue;
          row.nodeTag.push(a);
          row.nodeKernels.push(b);
          row.wdTag.push(c.own / n);
          row.wdKernels.push(d.own / n);
        }
        perCall.push(row);
      }
    }
  } finally {
    await worker.stop();
    await probe.stop();
  }

  // ─────────────────────────────────────────── report ───────────────────────────────────────────
  const med2 = (xs: number[][], i: number) => median(xs.map((x) => x[i]));
  out(
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/workerd.bench.ts --runs ${runs}${perCallOnly ? ' --per-call-only' : ` --cold-runs ${coldRuns}`}${before ? ` --before ${relative(root, before)}` : ''}` +
      `${v8Flags.length ? ` --v8-flags=${v8Flags.join(',')}` : ''}\`: workerd ${version} run directly (no wrangler proxy), Node ${process.version}, ` +
      `${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end; medians; CPU "all" / "own thread" in ms.`,
  );
  if (!perCallOnly) {
    out();
    out(
      `| fresh isolate, 64 characters (${coldRuns} fresh processes each) | workerd start-up | 1st request | 2nd request | 5th request |`,
    );
    out('|---|---:|---:|---:|---:|');
    for (const [b, build] of builds.entries()) {
      const runsOf = cold[b];
      const cq = (k: number) =>
        `${ms(median(runsOf.map((c) => c.reqs[k].all)))} / ${ms(median(runsOf.map((c) => c.reqs[k].own)))}`;
      out(`| ${build.name} | ${ms(median(runsOf.map((c) => c.startup)))} | ${cq(0)} | ${cq(1)} | ${cq(4)} |`);
    }
  }
  if (warm.length > 0) {
    out();
    out(
      "| warm request | the Worker (POST /v1/tag) | floor (a Worker answering at once) | the Worker's own (Worker − floor) | in one isolate: the handler | tagging alone | the request alone | HTTP app (handler − tagging − request) |",
    );
    out('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of warm) {
      const [w, wo, f] = [med2(r.worker, 0), med2(r.worker, 1), med2(r.floor, 0)];
      const [a, t, q] = [median(r.app), median(r.tag), median(r.request)];
      out(
        `| ${r.chars.toLocaleString('en')} characters | ${ms(w)} / ${ms(wo)} | ${ms(f)} | ${ms(w - f)} | ${ms(a)} | ${ms(t)} | ${ms(q)} | ${ms(a - t - q)} |`,
      );
    }
  }
  if (perCall.length > 0) {
    out();
    out(
      '| per call (own thread) | workerd tag() | Node tag() | workerd / Node | workerd kernels | Node kernels | workerd / Node |',
    );
    out('|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of perCall) {
      const [wt, nt, wk, nk] = [median(r.wdTag), median(r.nodeTag), median(r.wdKernels), median(r.nodeKernels)];
      out(
        `| ${r.chars} characters (${r.n} calls a request) | ${ms(wt)} | ${ms(nt)} | ${(wt / nt).toFixed(2)} | ${ms(wk)} | ${ms(nk)} | ${(wk / nk).toFixed(2)} |`,
      );
    }
  }
  console.log(lines.join('\n'));
}

await main();
