/** The command-line entry of the scripts: each exports its pieces and runs `main` only when node started that file. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs `main(process.argv.slice(2))` when `moduleUrl` (the caller's import.meta.url) is the file node was started
 * with; its result is the exit code, and an error prints as `NAME: message` with exit code 1.
 */
export function runIfMain(moduleUrl: string, name: string, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
