/**
 * The CLI command contract and argument helpers.
 *
 * A command is a module exporting `{ name, summary, usage, run(argv) }`; `run` gets the arguments after the
 * command name and resolves to an exit code. Throw `UsageError` for a bad command line (exit 2); any other
 * error is a failure (exit 1). Messages go to stderr and must never contain clinical text.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CORPUS_FORMATS, corpusFormatOf, type CorpusFormat } from '../../corpus/index.js';
import { INPUT_ENCODINGS, type InputEncoding } from '../../io/corpus-io.js';
import { closest, editDistance } from '../../schema/index.js';

export interface Command {
  name: string;
  /** One line for `cner --help`. */
  summary: string;
  /** The full help text for `cner <name> --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

/**
 * A command as `cner --help` lists it, loaded only when run: `load` imports its module, so `cner tag` does not
 * import the store, S3 or training code at start-up.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/** What the dispatcher takes: loaded commands, lazy entries, or both. */
export type CommandListing = Command | CommandEntry;

/** The command of a listing entry (importing its module when it is lazy). */
export const loadCommand = async (c: CommandListing): Promise<Command> => ('run' in c ? c : await c.load());

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Ctrl-C (SIGINT): 128 + 2, as shells report a process ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;
/** SIGTERM: 128 + 15. */
export const EXIT_TERMINATED = 143;
/** stdout closed by its reader (`cner tag … | head`): 128 + SIGPIPE (13), as a killed Unix tool reports it. */
export const EXIT_BROKEN_PIPE = 141;

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
    if (!code.startsWith('ERR_PARSE_ARGS')) throw e;
    let message = (e as Error).message.split('. To specify a positional')[0];
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(--?[^']+)'/.exec(message)?.[1] : undefined;
    const guess = unknown === undefined ? undefined : closest(unknown.replace(/^-+/, ''), Object.keys(options));
    if (guess !== undefined) message += `; did you mean --${guess}?`;
    throw new UsageError(message);
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

/** A corpus format option: a format's name or one of its aliases (conll for bio), given as the format's name. */
export function formatOption(values: OptionValues, name: string): CorpusFormat | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const format = corpusFormatOf(v);
  if (format === undefined) throw new UsageError(`option --${name}: unknown format '${v}'; expected one of ${CORPUS_FORMATS.join(', ')}`);
  return format;
}

/** --encoding: utf-8 (default; utf8 accepted), gb18030 or gbk. */
export function encodingOption(values: OptionValues): InputEncoding {
  const v = (stringOption(values, 'encoding') ?? 'utf-8').toLowerCase();
  const name = v === 'utf8' ? 'utf-8' : v;
  if (!(INPUT_ENCODINGS as readonly string[]).includes(name)) {
    throw new UsageError(`option --encoding: unknown encoding '${v}'; expected one of ${INPUT_ENCODINGS.join(', ')}`);
  }
  return name as InputEncoding;
}

export function integerOption(values: OptionValues, name: string, fallback: number): number {
  const v = stringOption(values, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`option --${name}: expected an integer, got '${v}'`);
  return Number(v);
}

// the did-you-mean of unknown commands and options, shared with the config validator (src/schema/did-you-mean.ts)
export { closest, editDistance };

/** Writes a line to stdout / stderr. */
export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
export const err = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : s + '\n');
