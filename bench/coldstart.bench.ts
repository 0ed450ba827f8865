/**
 * Cold start of the tagger: model bytes in memory → first tag() answer, each run in a FRESH Node process
 * (nothing JIT-compiled yet), and the Worker's first answer in a freshly started `wrangler dev`.
 *
 *   npx tsx bench/coldstart.bench.ts [--runs N] [--worker-runs M] [--skip-wrangler] [--worker-no-r2] [--model FILE] [--src DIR]
 *   npx tsx bench/coldstart.bench.ts --stages [--runs N] [--only 0,7,11] [--before DIR] [--model FILE] [--src DIR]
 *
 * Node, per fresh process (N runs per mode, modes interleaved; medians of wall and CPU time):
 * - `split`:  readModelAsync(bytes) (readModel where the source tree has no readModelAsync) → createTagger({ model:
 *             file, kernels }) → first tag() → tagger.info.sha256 (the content id, which ModelSource reads at once);
 * - `sync`:   the same with the synchronous readModel(bytes) (JavaScript SHA-256);
 * - `tagger`: createTagger({ model: bytes, kernels }) → first tag() → info.sha256 (what hosts call);
 * - `source`: ModelSource with the model as its fallback (the Worker's and `cner serve`'s path, without HTTP) →
 *             get() → first tag().
 * The clock starts with the model bytes and the compiled kernels module in memory and every module imported
 * (in a Worker the kernels are compiled and the model is mapped before the first request); CPU time is
 * process.cpuUsage() over the same span (all threads, so WebCrypto's thread-pool work counts).
 * Worker: `wrangler dev` started afresh per run (local R2 empty → the bundled model); the client first warms
 * itself on GET /openapi.json (no model), then times the first POST /v1/tag (the R2 check, building the tagger
 * from the bundled model, the answer), then 20 more for the steady latency through wrangler's local proxy.
 * Timers are frozen inside workerd, so besides the client-side time the CPU time of the workerd process during
 * each request is read from /proc (all its threads; Linux only): robust on a shared machine, where wall times
 * mostly measure the other jobs.
 *
 * --stages: where a fresh workerd isolate's first request spends CPU. Timers are frozen in workerd, so each stage
 * (STAGES below: reading the model, the kernels, the network, the tagger, the first tag, the Worker with and
 * without R2, and two parts of reading alone) is its own Worker in its own freshly started `wrangler dev`; the
 * first POST /v1/tag's workerd CPU less stage 0's (a Worker answering at once) is the stage's cost, and the
 * workerd CPU up to the end of the warm-up request shows what the global scope costs at start-up. --before DIR
 * measures an older copy of src/ (inside the project, e.g. `git archive <commit> src | tar -x -C build/bench/before`)
 * in the same rounds.
 * --worker-no-r2: the Worker without its MODELS binding (no R2 check), to tell the R2 check from the model's build.
 * --model FILE: default models/default.cner, else /work/runs/ccks-first/model.q8.cner, else ../runs/…;
 * --src DIR: another copy of src/ to measure (e.g. a saved copy of the code before a change; keep it inside the
 * project so its imports resolve node_modules).
 * The texts are synthetic (written for benchmarks), never patient records.
 */
import { busiestThreadMs, cpuMs, startWranglerDev, threadCpuMs, workerdPids, wranglerEnv } from './wrangler-dev.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

const TEXT = '患者3月前无明显诱因出现上腹部疼痛，伴恶心、呕吐，无发热。行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗后好转。';

type Mode = 'split' | 'sync' | 'tagger' | 'source';
const MODES: Mode[] = ['split', 'sync', 'tagger', 'source'];

interface ChildResult {
  mode: Mode;
  /** ms per phase, in order */
  phases: Record<string, number>;
  wall: number;
  cpu: number;
  /** ms from process start to the first answer, module loading included (informational) */
  sinceStart: number;
  sha256: string;
  /** entity count and a digest of the answer, to check every run answers the same */
  entities: number;
  answer: string;
}

// ─────────────────────────────────────────── child: one cold run ───────────────────────────────────────────

async function child(mode: Mode, src: string, modelPath: string): Promise<void> {
  const url = (p: string) => pathToFileURL(join(src, p)).href;
  const format = await import(url('model/format.ts'));
  const { createTagger } = await import(url('tagger.ts'));
  const { ModelSource } = await import(url('hosts/http/model-source.ts'));
  const bytes = new Uint8Array(readFileSync(modelPath));
  const kernels = new WebAssembly.Module(readFileSync(join(root, 'build', 'kernels.wasm')));

  const phases: Record<string, number> = {};
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = now - t;
    t = now;
  };
  let tagger: { tag(text: string): { entities: unknown[] }; info: { sha256: string } };
  if (mode === 'split' || mode === 'sync') {
    const file = mode === 'split' && format.readModelAsync ? await format.readModelAsync(bytes) : format.readModel(bytes);
    lap('read');
    tagger = await createTagger({ model: file, kernels });
    lap('build');
  } else if (mode === 'tagger') {
    tagger = await createTagger({ model: bytes, kernels });
    lap('build');
  } else {
    const source = new ModelSource({ kernels, fallback: { bytes, source: 'bundled' }, log: () => {} });
    tagger = (await source.get()).tagger;
    lap('source.get');
  }
  const result = tagger.tag(TEXT);
  lap('first tag');
  const sha256 = tagger.info.sha256;
  lap('content id');
  const wall = performance.now() - t0;
  const cu = process.cpuUsage(c0);
  const answer = JSON.stringify(result.entities);
  const out: ChildResult = {
    mode,
    phases,
    wall,
    cpu: (cu.user + cu.system) / 1000,
    sinceStart: performance.now(),
    sha256,
    entities: result.entities.length,
    answer: String(answer.length) + ':' + (await digestHex(answer)).slice(0, 16),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function digestHex(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

function runChild(mode: Mode, src: string, modelPath: string): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, '--src', src, '--model', modelPath], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 22,
  });
  if (r.status !== 0) throw new Error(`cold-start child (${mode}) exited ${r.status}:\n${(r.stderr ?? '').slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

// ─────────────────────────────────────────── wrangler dev ───────────────────────────────────────────

const benchDir = join(root, 'build', 'bench', 'coldstart');

/** A wrangler config whose entry is src/hosts/cloudflare.ts's, bundling `modelPath` (and `src`'s worker handler). */
function wranglerConfig(modelPath: string, src: string, noR2: boolean): string {
  mkdirSync(benchDir, { recursive: true });
  const rel = (p: string) => relative(benchDir, p).split('\\').join('/');
  writeFileSync(
    join(benchDir, 'entry.ts'),
    `// generated by bench/coldstart.bench.ts: the Worker of src/hosts/cloudflare.ts with the benchmarked model\n` +
      `import kernels from '${rel(join(root, 'build', 'kernels.wasm'))}';\n` +
      `import defaultModel from '${rel(modelPath)}';\n` +
      `import { createCloudflareHandler } from '${rel(join(src, 'hosts', 'http', 'cloudflare-handler.ts'))}';\n` +
      (noR2
        ? `const worker = createCloudflareHandler({ kernels, defaultModel });\n` +
          `// --worker-no-r2: no MODELS binding, so no R2 check: the first answer is the bundled model's build alone\n` +
          `export default { fetch: (request: Request, env: Record<string, unknown>, ctx: unknown) => worker.fetch(request, { ...env, MODELS: undefined }, ctx as never) };\n`
        : `export default createCloudflareHandler({ kernels, defaultModel });\n`),
  );
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8').replace(/^main = .*$/m, 'main = "entry.ts"');
  const path = join(benchDir, 'wrangler.toml');
  writeFileSync(path, toml);
  return path;
}



// ─────────────────────────────────── --stages: what the first request costs in workerd, stage by stage ───────────────────────────────────

/**
 * Cumulative stages of building the tagger inside a fresh workerd isolate. Timers are frozen in workerd, so each
 * stage is its own Worker, started afresh, whose first POST /v1/tag runs the stages up to it and answers; the
 * workerd CPU of that request less stage 0's (the same request answering at once: wrangler's local proxy and the
 * request itself) is what the stages cost.
 */
const STAGES = [
  'nothing (the request alone)',
  'readModelAsync(bytes)',
  '+ loadInferenceKernels(module)',
  '+ createNetwork (weights into wasm memory)',
  'readModelAsync → createTagger(file)',
  'createTagger(bytes)',
  'createTagger(bytes) → first tag()',
  'the Worker (ModelSource, R2 check, app) → first answer',
  'alone: the three SHA-256 digests readModelAsync takes (WebCrypto)',
  'alone: JSON.parse of header and tensor table, checkHeader, checkVocab',
  'createTagger(bytes) started at module scope → first request awaits it, first tag()',
  'the Worker without its R2 binding (no manifest check) → first answer',
  'createTagger(bytes) and one warm-up tag() at module scope → first request: tag()',
] as const;
/** the stage that is the whole Worker */
const WORKER_STAGE = 7;

function stageConfig(modelPath: string, src: string, stage: number, sourceIndex = 0): string {
  const dir = join(benchDir, `stage-${stage}-${sourceIndex}`);
  mkdirSync(dir, { recursive: true });
  const rel = (p: string) => relative(dir, p).split('\\').join('/');
  const imp = (p: string) => `'${rel(join(src, p))}'`;
  const body =
    stage === WORKER_STAGE
      ? `import { createCloudflareHandler } from ${imp('hosts/http/cloudflare-handler.ts')};\n` +
        `export default createCloudflareHandler({ kernels, defaultModel });\n`
      : stage === WORKER_STAGE + 4
        ? `import { createCloudflareHandler } from ${imp('hosts/http/cloudflare-handler.ts')};\n` +
          `const worker = createCloudflareHandler({ kernels, defaultModel });\n` +
          `export default { fetch: (request: Request, env: Record<string, unknown>, ctx: unknown) => worker.fetch(request, { ...env, MODELS: undefined }, ctx as never) };\n`
      : `import { readModelAsync } from ${imp('model/format.ts')};\n` +
        `import { loadInferenceKernels } from ${imp('model/kernels.ts')};\n` +
        `import { createNetwork } from ${imp('model/network.ts')};\n` +
        `import { createTagger } from ${imp('tagger.ts')};\n` +
        `import { checkHeader, checkVocab } from ${imp('model/format.ts')};\n` +
        `import { sha256Async } from ${imp('model/sha256.ts')};\n` +
        `const STAGE: number = ${stage};\n` +
        `const early = STAGE === 10 || STAGE === 12 ? createTagger({ model: new Uint8Array(defaultModel), kernels }) : null;\n` +
        `const warm = STAGE === 12 ? early!.then((t) => (t.tag('患者3天前出现右下腹痛，伴恶心。查血常规示白细胞升高，予头孢曲松治疗。'), t)) : null;\n` +
        `const TEXT = ${JSON.stringify(TEXT)};\n` +
        `export default {\n` +
        `  async fetch(request: Request): Promise<Response> {\n` +
        `    if (new URL(request.url).pathname !== '/v1/tag') return new Response('ok');\n` +
        `    await request.text();\n` +
        `    let n = 0;\n` +
        `    if (STAGE >= 1 && STAGE <= 3) {\n` +
        `      const file = await readModelAsync(new Uint8Array(defaultModel));\n` +
        `      n = file.weights.size;\n` +
        `      if (STAGE >= 2) {\n` +
        `        const k = await loadInferenceKernels(kernels);\n` +
        `        if (STAGE >= 3) n += createNetwork(k, file.header.architecture, file.weights).arch.tags;\n` +
        `      }\n` +
        `    } else if (STAGE === 4) {\n` +
        `      n = (await createTagger({ model: await readModelAsync(new Uint8Array(defaultModel)), kernels })).info.labels.length;\n` +
        `    } else if (STAGE === 8) {\n` +
        `      const b = new Uint8Array(defaultModel);\n` +
        `      const end = Number(new DataView(defaultModel).getBigUint64(24, true));\n` +
        `      const meta = new Uint8Array(72 + end - 104);\n` +
        `      meta.set(b.subarray(0, 72));\n` +
        `      meta.set(b.subarray(104, end), 72);\n` +
        `      const ds = await Promise.all([sha256Async(meta), sha256Async(b.subarray(end)), sha256Async(b)]);\n` +
        `      n = ds[0][0] + ds[1][0] + ds[2][0];\n` +
        `    } else if (STAGE === 9) {\n` +
        `      const b = new Uint8Array(defaultModel);\n` +
        `      const dv = new DataView(defaultModel);\n` +
        `      const hl = dv.getUint32(16, true);\n` +
        `      const tl = dv.getUint32(20, true);\n` +
        `      const dec = new TextDecoder('utf-8', { fatal: true });\n` +
        `      const header = checkHeader(JSON.parse(dec.decode(b.subarray(104, 104 + hl))));\n` +
        `      checkVocab(header);\n` +
        `      n = JSON.parse(dec.decode(b.subarray(104 + hl, 104 + hl + tl))).length;\n` +
        `    } else if (STAGE === 10) {\n` +
        `      n = (await early!).tag(TEXT).entities.length;\n` +
        `    } else if (STAGE === 12) {\n` +
        `      n = (await warm!).tag(TEXT).entities.length;\n` +
        `    } else if (STAGE >= 5) {\n` +
        `      const tagger = await createTagger({ model: new Uint8Array(defaultModel), kernels });\n` +
        `      n = STAGE === 6 ? tagger.tag(TEXT).entities.length : tagger.info.labels.length;\n` +
        `    }\n` +
        `    return Response.json({ n });\n` +
        `  },\n` +
        `};\n`;
  writeFileSync(
    join(dir, 'entry.ts'),
    `// generated by bench/coldstart.bench.ts --stages (stage ${stage}: ${STAGES[stage]})\n` +
      `import kernels from '${rel(join(root, 'build', 'kernels.wasm'))}';\n` +
      `import defaultModel from '${rel(modelPath)}';\n` +
      body,
  );
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8').replace(/^main = .*$/m, 'main = "entry.ts"');
  const path = join(dir, 'wrangler.toml');
  writeFileSync(path, toml);
  return path;
}

async function stages(modelPath: string, src: string, runs: number): Promise<void> {
  const only = arg('--only')?.split(',').map(Number) ?? STAGES.map((_, i) => i);
  const beforeArg = arg('--before');
  // --before DIR: an older copy of src/ measured in the same rounds, stage for stage
  const sources = beforeArg ? [isAbsolute(beforeArg) ? beforeArg : resolve(root, beforeArg), src] : [src];
  const key = (si: number, s: number) => `${si}:${s}`;
  const cpu = new Map<string, number[]>();
  const start = new Map<string, number[]>();
  const busiest = new Map<string, number[]>();
  for (let r = 0; r < runs; r++) {
    for (const s of only) {
      for (const [si, from] of sources.entries()) {
        const config = stageConfig(modelPath, from, s, si);
        const run = await workerRun(config, 0);
        (cpu.get(key(si, s)) ?? cpu.set(key(si, s), []).get(key(si, s))!).push(run.firstCpu);
        (start.get(key(si, s)) ?? start.set(key(si, s), []).get(key(si, s))!).push(run.startCpu);
        (busiest.get(key(si, s)) ?? busiest.set(key(si, s), []).get(key(si, s))!).push(run.firstBusiest);
        console.error(
          `run ${r + 1}, stage ${s} (${STAGES[s]}), ${relative(root, from)}: workerd CPU ${ms(run.firstCpu)} ms (busiest thread ${ms(run.firstBusiest)} ms; start-up ${ms(run.startCpu)} ms)`,
        );
      }
    }
  }
  const lines = [
    `First POST /v1/tag in a fresh \`wrangler dev\` per stage and run (${runs} runs, stages${sources.length > 1 ? ' and sources' : ''} ` +
      `interleaved; ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}; model ${relative(root, modelPath)}): workerd CPU, medians. ` +
      `"Less stage 0": less the same source's request that answers at once (wrangler's local proxy and the request).`,
    '',
    '| stage | source | first request: workerd CPU (ms) | less stage 0 (ms) | runs | busiest thread alone (ms) | less stage 0 (ms) | workerd start-up CPU (ms) |',
    '|---|---|---:|---:|---|---:|---:|---:|',
  ];
  for (const s of only) {
    for (const [si, from] of sources.entries()) {
      const xs = cpu.get(key(si, s))!;
      const base = cpu.has(key(si, 0)) ? median(cpu.get(key(si, 0))!) : 0;
      const bs = busiest.get(key(si, s))!;
      const bbase = busiest.has(key(si, 0)) ? median(busiest.get(key(si, 0))!) : 0;
      lines.push(
        `| ${s}. ${STAGES[s]} | ${relative(root, from)} | ${ms(median(xs))} | ${s === 0 ? '–' : ms(median(xs) - base)} | ${xs.map(ms).join(', ')} | ` +
          `${ms(median(bs))} | ${s === 0 ? '–' : ms(median(bs) - bbase)} | ${ms(median(start.get(key(si, s))!))} |`,
      );
    }
  }
  console.log(lines.join('\n'));
}

async function postTag(url: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(`${url}/v1/tag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: TEXT }) });
  const body = await r.text();
  if (r.status !== 200) throw new Error(`POST /v1/tag answered ${r.status}: ${body.slice(0, 200)}`);
  return performance.now() - t;
}

interface WorkerRun {
  /** client-side ms of the first POST /v1/tag */
  first: number;
  /** median client-side ms of the next 20 */
  steady: number;
  /** workerd CPU ms during the first POST, and the median during the next 20 (NaN where /proc is missing) */
  firstCpu: number;
  steadyCpu: number;
  /** workerd CPU ms from its start to the end of the warm-up request (its own start-up, the Worker's global scope) */
  startCpu: number;
  /** the first POST's CPU on workerd's busiest thread alone (the request's own thread; the rest: background compiles, I/O) */
  firstBusiest: number;
}

async function workerRun(config: string, steadyRequests = 20): Promise<WorkerRun> {
  const dev = await startWranglerDev(config, dirname(config));
  try {
    const warm = await fetch(`${dev.url}/openapi.json`);
    if (warm.status !== 200) throw new Error(`GET /openapi.json answered ${warm.status}`);
    await warm.text();
    const pids = workerdPids(dev.child.pid!);
    const startCpu = pids.length ? cpuMs(pids) : NaN;
    const timed = async () => {
      const c = pids.length ? cpuMs(pids) : NaN;
      const threads = threadCpuMs(pids);
      const t = await postTag(dev.url);
      return { t, cpu: pids.length ? cpuMs(pids) - c : NaN, busiest: busiestThreadMs(threads, threadCpuMs(pids)) };
    };
    const first = await timed();
    const rest: { t: number; cpu: number; busiest: number }[] = [];
    for (let i = 0; i < steadyRequests; i++) rest.push(await timed());
    return { first: first.t, firstCpu: first.cpu, firstBusiest: first.busiest, startCpu, steady: rest.length ? median(rest.map((r) => r.t)) : NaN, steadyCpu: rest.length ? median(rest.map((r) => r.cpu)) : NaN };
  } finally {
    await dev.stop();
  }
}

// ─────────────────────────────────────────── main ───────────────────────────────────────────

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));

function defaultModel(): string {
  for (const p of [join(root, 'models', 'default.cner'), '/work/runs/ccks-first/model.q8.cner', resolve(root, '..', 'runs', 'ccks-first', 'model.q8.cner')]) {
    if (existsSync(p)) return p;
  }
  throw new Error('no model: pass --model FILE (models/default.cner and runs/ccks-first/model.q8.cner are absent)');
}

async function main(): Promise<void> {
  const runs = Number(arg('--runs') ?? 7);
  const workerRuns = Number(arg('--worker-runs') ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${arg('--runs')}`);
  if (!Number.isInteger(workerRuns) || workerRuns < 0) throw new Error(`--worker-runs: expected an integer ≥ 0, got ${arg('--worker-runs')}`);
  const modelPath = resolve(arg('--model') ?? defaultModel());
  const srcArg = arg('--src');
  const src = srcArg ? (isAbsolute(srcArg) ? srcArg : resolve(root, srcArg)) : join(root, 'src');
  if (!existsSync(join(root, 'build', 'kernels.wasm'))) throw new Error('build/kernels.wasm is missing: run `npm run build:kernels`');
  const size = readFileSync(modelPath).length;
  if (args.includes('--stages')) {
    await stages(modelPath, src, Number(arg('--runs') ?? 3));
    return;
  }
  console.error(`model ${modelPath} (${(size / 1024).toFixed(0)} KiB); source ${relative(root, src) || '.'}; ${runs} fresh processes per mode`);

  const results = new Map<Mode, ChildResult[]>(MODES.map((m) => [m, []]));
  for (let i = 0; i < runs; i++) {
    for (const mode of MODES) results.get(mode)!.push(runChild(mode, src, modelPath));
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const all = [...results.values()].flat();
  const answers = new Set(all.map((r) => `${r.sha256} ${r.answer}`));
  if (answers.size !== 1) throw new Error(`the runs disagree (content id / answer): ${[...answers].join(' | ')}`);

  const lines = [
    `Cold start, ${runs} fresh Node ${process.version} processes per row (medians; ${cpus().length} cores, load average ` +
      `${loadavg()[0].toFixed(1)}): model ${relative(root, modelPath)} (${(size / 1024).toFixed(0)} KiB), kernels compiled and ` +
      `model bytes in memory before the clock starts; first tag() on a ${TEXT.length}-character sentence (${all[0].entities} entities).`,
    '',
    '| path | phases (ms) | to first answer + content id (ms) | CPU (ms) |',
    '|---|---|---:|---:|',
  ];
  const label: Record<Mode, string> = {
    split: '`readModelAsync` → `createTagger(file)`',
    sync: '`readModel` (sync) → `createTagger(file)`',
    tagger: '`createTagger(bytes)`',
    source: '`ModelSource.get()` (fallback model)',
  };
  for (const mode of MODES) {
    const rs = results.get(mode)!;
    const names = Object.keys(rs[0].phases);
    const phases = names.map((n) => `${n} ${ms(median(rs.map((r) => r.phases[n])))}`).join(' · ');
    lines.push(`| ${label[mode]} | ${phases} | ${ms(median(rs.map((r) => r.wall)))} | ${ms(median(rs.map((r) => r.cpu)))} |`);
  }

  if (workerRuns > 0 && !args.includes('--skip-wrangler')) {
    const noR2 = args.includes('--worker-no-r2');
    const config = wranglerConfig(modelPath, src, noR2);
    const w: WorkerRun[] = [];
    for (let i = 0; i < workerRuns; i++) {
      w.push(await workerRun(config));
      console.error(
        `wrangler dev run ${i + 1}: first answer ${ms(w[i].first)} ms (workerd CPU ${ms(w[i].firstCpu)} ms), ` +
          `then ${ms(w[i].steady)} ms (CPU ${ms(w[i].steadyCpu)} ms)`,
      );
    }
    const med = (f: (x: WorkerRun) => number) => ms(median(w.map(f)));
    lines.push(
      '',
      `Worker (\`wrangler dev\`, local, started afresh ${workerRuns}×${noR2 ? ', without the R2 binding' : ''}; medians): first POST /v1/tag **${med((x) => x.first)} ms** ` +
        `client-side (runs: ${w.map((x) => ms(x.first)).join(', ')}), workerd CPU during it **${med((x) => x.firstCpu)} ms** ` +
        `(runs: ${w.map((x) => ms(x.firstCpu)).join(', ')}); the next 20 requests ${med((x) => x.steady)} ms each client-side ` +
        `(wrangler's local proxy included), workerd CPU ${med((x) => x.steadyCpu)} ms each.`,
    );
  }
  console.log(lines.join('\n'));
}

if (args[0] === '--child') {
  const mode = args[1] as Mode;
  if (!MODES.includes(mode)) throw new Error(`--child: unknown mode ${mode}`);
  await child(mode, arg('--src') as string, arg('--model') as string);
} else {
  await main();
}
