/**
 * Shared by the HTTP and cold-start benchmarks: `wrangler dev` offline on a free 127.0.0.1 port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** wrangler without metrics, login or network look-ups. */
export const wranglerEnv = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `wrangler dev --config config` with an empty local R2 under `stateDir` (so the bundled model serves). */
export async function startWranglerDev(config: string, stateDir: string): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const state = join(stateDir, 'wrangler-state');
  rmSync(state, { recursive: true, force: true }); // empty local R2: the bundled model serves
  const child = spawn(
    'npx',
    ['wrangler', 'dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state, '--show-interactive-dev-session=false', '--log-level', 'info'],
    { cwd: root, env: wranglerEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start in 120 s:\n${output.slice(-2000)}`)), 120_000);
    const onData = (c: Buffer) => {
      output += c.toString('utf8');
      if (/Ready on http/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wrangler dev exited (${code}):\n${output.slice(-2000)}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM'); // its own process group: wrangler and its workerd
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    },
  };
}

/** The workerd processes of a `wrangler dev` (same process group), found through /proc (Linux). */
export function workerdPids(group: number): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' '); // state ppid pgrp …
      if (Number(fields[2]) === group && /workerd/.test(comm)) pids.push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** CPU time (ms, ns resolution) of every thread of the given processes so far, from /proc/PID/task/TID/schedstat. */
export function cpuMs(pids: number[]): number {
  let ms = 0;
  for (const t of threadCpuMs(pids).values()) ms += t;
  return ms;
}

/** CPU time (ms) of each thread of the given processes so far, by "pid/tid" (from /proc/PID/task/TID/schedstat). */
export function threadCpuMs(pids: number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of pids) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        out.set(`${pid}/${tid}`, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

/** The largest per-thread CPU increase (ms) from `before` to `after` (threadCpuMs): the busiest thread's share. */
export function busiestThreadMs(before: Map<string, number>, after: Map<string, number>): number {
  let most = 0;
  for (const [id, ms] of after) most = Math.max(most, ms - (before.get(id) ?? 0));
  return most;
}
