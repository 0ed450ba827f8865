/** `cner <command> [options]`: dispatches to the commands listed in commands/index.ts. */
import { readFileSync } from 'node:fs';
import { commands } from './commands/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, err, out, type Command } from './command.js';

function overview(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'Usage: cner <command> [options]',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'cner <command> --help' for the options of a command.",
    '',
    'Exit codes: 0 success, 1 failure, 2 usage error.',
  ].join('\n');
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI on `argv` (the arguments after `cner`) and resolves to the exit code. */
export async function main(argv: string[], list: readonly Command[] = commands): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    err(overview(list));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    const cmd = target === undefined ? undefined : list.find((c) => c.name === target);
    if (target !== undefined && !cmd) {
      err(`cner: unknown command '${target}'\n\n${overview(list)}`);
      return EXIT_USAGE;
    }
    out(cmd ? cmd.usage : overview(list));
    return EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return EXIT_OK;
  }
  const cmd = list.find((c) => c.name === name);
  if (!cmd) {
    err(name.startsWith('-') ? `cner: unknown option '${name}'` : `cner: unknown command '${name}'`);
    err(overview(list));
    return EXIT_USAGE;
  }
  const beforeDashes = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (beforeDashes.includes('--help') || beforeDashes.includes('-h')) {
    out(cmd.usage);
    return EXIT_OK;
  }
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
  }
}
