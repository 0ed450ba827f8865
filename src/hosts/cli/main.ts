/**
 * `cner <command> [options]`: dispatches to the commands listed in commands/registry.ts, importing only the module of
 * the command that runs. Ctrl-C (SIGINT) during a command removes its temporary output files and exits 130 (SIGTERM: 143;
 * a closed stdout pipe: 141).
 */
import { existsSync, readFileSync } from 'node:fs';
import { removeTempFiles } from '../../io/output-file.js';
import { commands } from './commands/index.js';
import {
  EXIT_BROKEN_PIPE,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_TERMINATED,
  EXIT_USAGE,
  UsageError,
  closest,
  err,
  loadCommand,
  out,
  type CommandListing,
} from './command.js';

function overview(list: readonly CommandListing[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'Usage: cner <command> [options]',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'cner <command> --help' for the options of a command.",
    '',
    'Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C).',
  ].join('\n');
}

function version(): string {
  try {
    // the package root is three folders up from src/hosts/cli/ (tsx), four from dist/src/hosts/cli/ (compiled)
    const urls = [new URL('../../../package.json', import.meta.url), new URL('../../../../package.json', import.meta.url)];
    const pkg = JSON.parse(readFileSync(urls.find((u) => existsSync(u)) ?? urls[0], 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `unknown command 'x'`, with the nearest command name when it looks like a typo. */
function unknownCommand(name: string, list: readonly CommandListing[]): string {
  const guess = closest(name, list.map((c) => c.name));
  return `cner: unknown command '${name}'${guess === undefined ? '' : `; did you mean '${guess}'?`}`;
}

/** Runs the CLI on `argv` (the arguments after `cner`) and resolves to the exit code. */
export async function main(argv: string[], list: readonly CommandListing[] = commands): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    err(overview(list));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    const entry = target === undefined ? undefined : list.find((c) => c.name === target);
    if (target !== undefined && !entry) {
      err(`${unknownCommand(target, list)}\n\n${overview(list)}`);
      return EXIT_USAGE;
    }
    out(entry ? (await loadCommand(entry)).usage : overview(list));
    return EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return EXIT_OK;
  }
  const entry = list.find((c) => c.name === name);
  if (!entry) {
    err(name.startsWith('-') ? `cner: unknown option '${name}'` : unknownCommand(name, list));
    err(overview(list));
    return EXIT_USAGE;
  }
  const cmd = await loadCommand(entry);
  const beforeDashes = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (beforeDashes.includes('--help') || beforeDashes.includes('-h')) {
    out(cmd.usage);
    return EXIT_OK;
  }
  // Ctrl-C (SIGINT) exits 130 and SIGTERM 143 (128 + the signal), after removing temporary output files;
  // a command with its own handler for the signal (a server draining its requests) is left to it
  const onSignal = (signal: NodeJS.Signals) => {
    removeTempFiles();
    if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? EXIT_INTERRUPTED : EXIT_TERMINATED);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // a reader that stops reading (`| head`) ends the run quietly, as it ends a Unix tool
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    removeTempFiles();
    process.exit(EXIT_BROKEN_PIPE);
  };
  process.stdout.on('error', onStdoutError);
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`cner ${cmd.name}: ${e.message}\nRun 'cner ${cmd.name} --help' for its options.`);
      return EXIT_USAGE;
    }
    err(`cner ${cmd.name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.CNER_DEBUG && e instanceof Error && e.stack) err(e.stack);
    return EXIT_FAILURE;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onStdoutError);
  }
}
