/**
 * Runs a TypeScript file from the sources in a child Node process (through tsx), collecting what it prints:
 * the tests that need a real second process (a publisher to kill, a racing CLI, a retrain run to interrupt).
 *
 *   const run = spawnTs('test/store/fixtures/cli.ts', ['publish', file, '--to', url]);
 *   const code = await run.exit; run.io.out; run.io.err
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface TsChild {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** stdout and stderr so far */
  io: { out: string; err: string };
  /** the exit code (null when a signal ended it) */
  exit: Promise<number | null>;
}

/** `script` is relative to the repository root (the tests' working directory). */
export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): TsChild {
  const root = process.cwd();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const io = { out: '', err: '' };
  child.stdout.on('data', (d: Buffer) => (io.out += String(d)));
  child.stderr.on('data', (d: Buffer) => (io.err += String(d)));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, io, exit };
}
