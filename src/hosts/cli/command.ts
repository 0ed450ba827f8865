/**
 * The CLI command contract and argument helpers.
 *
 * A command is a module exporting `{ name, summary, usage, run(argv) }`; `run` gets the arguments after the
 * command name and resolves to an exit code. Throw `UsageError` for a bad command line (exit 2); any other
 * error is a failure (exit 1). Messages go to stderr and must never contain clinical text.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CORPUS_FORMATS, isCorpusFormat, type CorpusFormat } from '../../corpus/index.js';

export interface Command {
  name: string;
  /** One line for `cner --help`. */
  summary: string;
  /** The full help text for `cner <name> --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/**
 * parseArgs in strict mode with errors turned into UsageError (the message names the offending option) and a
 * check on the number of positional arguments.
 */
export function parseCommandArgs(
  argv: string[],
  options: OptionSpec,
  positionals: { min: number; max: number; names: string },
): { values: OptionValues; positionals: string[] } {
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as { values: OptionValues; positionals: string[] };
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((e as Error).message.split('. To specify a positional')[0]);
    throw e;
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(`missing argument: expected ${positionals.names}`);
  if (n > positionals.max) throw new UsageError(`too many arguments: expected ${positionals.names}, got ${n} positional arguments`);
  return parsed;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireOption(values: OptionValues, name: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') throw new UsageError(`option --${name} is required`);
  return v;
}

export function formatOption(values: OptionValues, name: string): CorpusFormat | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  if (!isCorpusFormat(v)) throw new UsageError(`option --${name}: unknown format '${v}'; expected one of ${CORPUS_FORMATS.join(', ')}`);
  return v;
}

export function integerOption(values: OptionValues, name: string, fallback: number): number {
  const v = stringOption(values, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`option --${name}: expected an integer, got '${v}'`);
  return Number(v);
}

/** Writes a line to stdout / stderr. */
export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
export const err = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : s + '\n');
