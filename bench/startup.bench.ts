/**
 * Start-up of the CLI as users meet it: `cner tag "…"` on the bundled model, each run a fresh process, wall time
 * from spawn to exit. The package is built, packed and installed offline into an empty temporary project
 * (test/package/installed.ts), and timed there:
 *   - `node_modules/.bin/cner tag TEXT`: the first run after the install (cold), then --runs more (warm);
 *   - `npx cner tag TEXT` in that project: the same through npx (npm's own start-up added);
 *   - `node bin/cner.mjs tag TEXT` in this checkout (dist/ current, so the compiled code runs);
 *   - `node -e 0`: Node's own start-up, the floor under every row.
 * Also the sizes: the tarball, its unpacked files, and the project's node_modules (the package and its runtime
 * dependencies, nothing else).
 *
 *   npm run bench:startup [-- --runs N]       (default 10 warm runs per row)
 *
 * The text is a synthetic sentence, never a patient record. Wall times on a shared machine include the other jobs:
 * the load average is printed with the figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAndInstall, projectEnv, ROOT } from '../test/package/installed.js';
import { percentile } from './http-shared.js';

const args = process.argv.slice(2);
const runsArg = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 10;
if (!Number.isInteger(runsArg) || runsArg < 1 || runsArg > 100) throw new Error(`--runs: expected an integer in [1, 100], got ${runsArg}`);
const RUNS = runsArg;
const TEXT = '患者3月前无明显诱因出现上腹部疼痛，行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗。';

// GNU time reports the child's CPU time (user + system), which the other jobs of a shared machine hardly change
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

interface Timing {
  wall: number;
  /** user + system ms, or NaN without GNU time */
  cpu: number;
}

/** Wall and CPU ms of one run; throws when the command fails or prints no entity. */
function timed(cmd: string, cmdArgs: string[], cwd: string, expectEntities: boolean, cpuFile: string): Timing {
  const [file, fileArgs] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...cmdArgs]] : [cmd, cmdArgs];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, fileArgs, { cwd, env: projectEnv(), encoding: 'utf8', timeout: 120_000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (expectEntities && !r.stdout.includes('上腹部')) throw new Error(`${cmd} printed no entity: ${r.stdout}`);
  const cpu = GNU_TIME ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).reduce((a, b) => a + Number(b) * 1000, 0) : NaN;
  return { wall, cpu };
}

/** Bytes of the files under `dir` (links not followed). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += bytesUnder(p);
    else if (e.isFile()) total += lstatSync(p).size;
  }
  return total;
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MiB`;

const tmp = mkdtempSync(join(tmpdir(), 'cner-startup-'));
try {
  console.log(`packing and installing into ${tmp} …`);
  const installed = await packAndInstall(tmp);
  const bin = join(installed.project, 'node_modules', '.bin', 'cner');
  const cpuFile = join(tmp, 'cpu.txt');
  const rows: { what: string; first: Timing | null; wall: number[]; cpu: number[] }[] = [];
  const row = (what: string, cmd: string, cmdArgs: string[], cwd: string, first: boolean, expectEntities = true) => {
    const firstRun = first ? timed(cmd, cmdArgs, cwd, expectEntities, cpuFile) : null;
    const runs: Timing[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(timed(cmd, cmdArgs, cwd, expectEntities, cpuFile));
    rows.push({ what, first: firstRun, wall: runs.map((r) => r.wall).sort((a, b) => a - b), cpu: runs.map((r) => r.cpu).sort((a, b) => a - b) });
  };
  row('installed: node_modules/.bin/cner tag TEXT', bin, ['tag', TEXT], installed.project, true);
  row('installed: npx cner tag TEXT', 'npx', ['--no-install', 'cner', 'tag', TEXT], installed.project, true);
  row('checkout: node bin/cner.mjs tag TEXT (dist/ current)', process.execPath, [join(ROOT, 'bin', 'cner.mjs'), 'tag', TEXT], ROOT, false);
  row('node -e 0 (Node start-up alone)', process.execPath, ['-e', '0'], ROOT, false, false);

  const nodeModules = bytesUnder(join(installed.project, 'node_modules'));
  const cnerOnly = bytesUnder(join(installed.project, 'node_modules', 'cner'));
  const packages = readdirSync(join(installed.project, 'node_modules')).filter((n) => !n.startsWith('.'));
  console.log(`\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`ms per fresh process (wall; CPU = user + system${GNU_TIME ? '' : ': n/a without /usr/bin/time'}); warm: ${RUNS} runs\n`);
  console.log('| command | first run after install: wall | CPU | warm wall p50 | p90 | max | warm CPU p50 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const f = (ms: number) => (Number.isNaN(ms) ? 'n/a' : ms.toFixed(0));
  for (const r of rows) {
    const first = r.first === null ? '– | –' : `${f(r.first.wall)} | ${f(r.first.cpu)}`;
    console.log(`| ${r.what} | ${first} | ${f(percentile(r.wall, 50))} | ${f(percentile(r.wall, 90))} | ${f(r.wall[r.wall.length - 1])} | ${f(percentile(r.cpu, 50))} |`);
  }
  console.log(`\nsizes: tarball ${mib(installed.packedSize)} (${installed.files.length} files, ${mib(installed.unpackedSize)} unpacked); ` +
    `node_modules of the empty project ${mib(nodeModules)} (cner itself ${mib(cnerOnly)}; top-level entries: ${packages.join(', ')})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
