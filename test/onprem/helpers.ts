/** Shared by the on-prem tests: paths, the CLI as a child process, the vector model. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { VectorFile } from '../vectors/compare.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = join(root, 'bin', 'cner.mjs');
export const kernelsPath = join(root, 'build', 'kernels.wasm');
export const vectorModelPath = join(root, 'test', 'vectors', 'model.cner');
export const vectorFilePath = join(root, 'test', 'vectors', 'vectors.json');
export const dataRoot = join(root, '..', 'shared', 'data');

export function readVectors(): VectorFile {
  return JSON.parse(readFileSync(vectorFilePath, 'utf8')) as VectorFile;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/cner.mjs ARGS` with optional stdin; NO_COLOR unset unless given. */
export function runCli(args: string[], options: { input?: string | Buffer; env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => errs.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errs).toString('utf8') }));
    child.stdin.on('error', () => {}); // the CLI may exit before reading all of stdin
    child.stdin.end(options.input ?? '');
  });
}

/** Parses JSON lines output. */
export function jsonLines(s: string): Record<string, unknown>[] {
  return s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
