/** Starts `cner serve` in a child process on 127.0.0.1 and waits until it listens (load test, benchmark). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** everything the server wrote to stderr so far */
  log(): string;
  /** SIGTERM, then waits for the exit; resolves to the exit code */
  stop(): Promise<number | null>;
}

/** `options.cli`: the CLI to start (default: this checkout's sources through tsx), e.g. an installed node_modules/.bin/cner */
export async function spawnServe(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cli?: { file: string; args: string[] }; cwd?: string } = {},
): Promise<ServeProcess> {
  const cli = options.cli ?? { file: process.execPath, args: ['--import', 'tsx', 'test/http/serve-main.ts'] };
  const child = spawn(cli.file, [...cli.args, 'serve', '--host', '127.0.0.1', ...args], {
    cwd: options.cwd ?? projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cner serve did not start within ${options.timeoutMs ?? 60_000} ms; stderr: ${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cner serve exited with code ${code} before listening; stderr: ${stderr.slice(-2000)}`));
    });
  });
  return {
    url,
    child,
    log: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
