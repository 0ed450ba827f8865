/**
 * `cner tag`: tags texts given as arguments, lines on stdin, an interactive prompt, or a batch input
 * (JSON lines, plain text lines, a CCKS or BRAT folder), optionally over worker threads.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createTagger, type TagOptions } from '../../../tagger.js';
import { defaultModelPath, preferredKernels, readSource } from '../../node.js';
import {
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  UsageError,
  encodingOption,
  err,
  integerOption,
  parseCommandArgs,
  stringOption,
  type Command,
  type OptionValues,
} from '../command.js';
import { isFolderFormat } from '../../../corpus/index.js';
import { ensureWritable } from '../shared.js';
import { runBatch } from '../tag/batch.js';
import {
  argumentInput,
  DEFAULT_MAX_LINE_CHARS,
  INPUT_ENCODINGS,
  INPUT_FORMATS,
  openInput,
  stdinInput,
  type InputFormat,
  type InputSource,
} from '../tag/input.js';
import { interactive } from '../tag/interactive.js';
import { corpusSink, htmlSink, jsonlSink, OUTPUT_FORMATS, tsvSink, useColour, type OutputFormat, type Sink } from '../tag/output.js';
import { createPool } from '../tag/pool.js';
import { createProgress } from '../tag/progress.js';

export const MAX_THREADS = 64;

const usage = `Usage: cner tag [options] [TEXT...]

Finds the clinical entities in texts.
  cner tag TEXT...              tag the texts given as arguments
  cner tag                      interactive prompt when stdin is a terminal ("enter a sent: ")
  ... | cner tag                tag each line of stdin (one document a line)
  cner tag --input IN [--output OUT]   batch tagging (IN or OUT '-': stdin / stdout)

Options:
  --model FILE           the model (default: models/default.cner of the package)
  --kernels FILE         the kernels (default: the package's build/kernels.wasm; CNER_KERNELS=relaxed
                         loads build/kernels-relaxed.wasm, =auto that one where relaxed SIMD can be had)
  --input PATH           batch input: a JSON lines file ({"id","text"} a line), a plain text file (one document
                         a line), a CCKS 2017 folder (*.txtoriginal.txt) or a BRAT folder (*.txt); - for stdin
  --input-format FMT     ${INPUT_FORMATS.join(' | ')} (default: detected; stdin: text)
  --encoding ENC         ${INPUT_ENCODINGS.join(' | ')}: the encoding of the input files or stdin (default utf-8)
  --max-line-chars N     a longer input line (or folder document) is reported and skipped
                         (default ${DEFAULT_MAX_LINE_CHARS.toLocaleString('en-US')} characters)
  --output PATH          where to write (default: stdout; - for stdout); a folder for ccks and brat. A file is
                         written under a temporary name beside it and renamed when complete
  --output-format FMT    ${OUTPUT_FORMATS.join(' | ')}
                         jsonl: the input objects with "entities": [{type, start, end, text, score}] added
                         tsv: a header line, then one entity a line: doc, type, start, end, text, score
                         (doc = line number)
                         ccks, brat: folders (two files a document: not for stdout; use jsonl or conll there)
                         conll: character BIO lines (-DOCSTART- <id> per document)
                         html: one standalone page, entities highlighted and typed inline, a legend of the
                         model's labels (held in memory until the end: for viewing, not for huge batches)
                         (default: jsonl with --input or --input-format jsonl, else tsv)
  --threads N            worker threads, each with its own tagger (default 1; output order is kept)
  --offsets UNIT         utf16 (default, JavaScript string offsets) or codepoint (jsonl and tsv only)
  --kbest K              also give the K most probable taggings as "paths" (jsonl only)
  --no-consistency       do not apply the model's entity-string consistency check
  --no-scores            leave out the entity scores (faster)
  --force                write even if OUTPUT exists (never over the input, nor through a link to it)
  -h, --help             show this help

Offsets are end exclusive. A record that fails (bad JSON, no text, invalid bytes, a line over the limit, a
document the output format cannot hold) is reported on stderr with its line number or file, the run goes on,
and the exit code is 1. Ctrl-C stops the run with exit code 130 and leaves no partial output file.
Colours (terminal only) are turned off by NO_COLOR.`;

interface Resolved {
  model: string;
  kernels: string;
  tagOptions: TagOptions;
  threads: number;
}

function resolveCommon(values: OptionValues): Resolved {
  const offsets = stringOption(values, 'offsets') ?? 'utf16';
  if (offsets !== 'utf16' && offsets !== 'codepoint') throw new UsageError(`option --offsets: expected utf16 or codepoint, got '${offsets}'`);
  const threads = integerOption(values, 'threads', 1);
  if (threads < 1 || threads > MAX_THREADS) throw new UsageError(`option --threads: expected 1 to ${MAX_THREADS}, got ${threads}`);
  const kbestRaw = stringOption(values, 'kbest');
  const kbest = kbestRaw === undefined ? undefined : integerOption(values, 'kbest', 0);
  if (kbest !== undefined && (kbest < 1 || kbest > 64)) throw new UsageError(`option --kbest: expected 1 to 64, got ${kbest}`);
  const tagOptions: TagOptions = { offsets };
  if (kbest !== undefined) tagOptions.kbest = kbest;
  if (values['no-consistency'] === true) tagOptions.consistency = false;
  if (values['no-scores'] === true) tagOptions.scores = false;

  let model = stringOption(values, 'model');
  if (model === undefined) {
    model = defaultModelPath();
    if (!existsSync(model)) throw new UsageError(`no model: the default model ${model} does not exist yet; pass --model FILE`);
  }
  const kernels = stringOption(values, 'kernels') ?? preferredKernels().path;
  if (stringOption(values, 'kernels') === undefined && !existsSync(kernels)) {
    throw new Error(`the kernels ${kernels} are missing: run npm run build:kernels`);
  }
  return { model, kernels, tagOptions, threads };
}

function outputFormatOf(values: OptionValues, fallback: OutputFormat): OutputFormat {
  const v = stringOption(values, 'output-format');
  if (v === undefined) return fallback;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(v)) {
    throw new UsageError(`option --output-format: unknown format '${v}'; expected one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return v as OutputFormat;
}

function inputFormatOf(values: OptionValues): InputFormat | undefined {
  const v = stringOption(values, 'input-format');
  if (v === undefined) return undefined;
  if (!(INPUT_FORMATS as readonly string[]).includes(v)) {
    throw new UsageError(`option --input-format: unknown format '${v}'; expected one of ${INPUT_FORMATS.join(', ')}`);
  }
  return v as InputFormat;
}

export const tagCommand: Command = {
  name: 'tag',
  summary: 'tag texts, stdin lines or a corpus (interactive prompt on a terminal; worker threads)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        kernels: { type: 'string' },
        input: { type: 'string' },
        'input-format': { type: 'string' },
        encoding: { type: 'string' },
        'max-line-chars': { type: 'string' },
        output: { type: 'string' },
        'output-format': { type: 'string' },
        threads: { type: 'string' },
        offsets: { type: 'string' },
        kbest: { type: 'string' },
        'no-consistency': { type: 'boolean' },
        'no-scores': { type: 'boolean' },
        force: { type: 'boolean' },
      },
      { min: 0, max: Infinity, names: 'TEXT...' },
    );
    const input = stringOption(values, 'input');
    const inputFormat = inputFormatOf(values);
    const rawOutput = stringOption(values, 'output');
    const output = rawOutput === '-' ? undefined : rawOutput; // undefined: stdout
    const lineOptions = { encoding: encodingOption(values), maxLineChars: integerOption(values, 'max-line-chars', DEFAULT_MAX_LINE_CHARS) };
    if (lineOptions.maxLineChars < 1) throw new UsageError(`option --max-line-chars: expected a positive integer, got ${lineOptions.maxLineChars}`);
    if (input !== undefined && positionals.length > 0) throw new UsageError('give either TEXT arguments or --input, not both');
    const fromStdin = input === '-' || (input === undefined && positionals.length === 0);
    const interactiveMode = input === undefined && positionals.length === 0 && process.stdin.isTTY === true;
    if (interactiveMode && rawOutput !== undefined) throw new UsageError('--output needs --input, TEXT arguments or stdin lines (stdin is a terminal)');

    const lineFallback: OutputFormat = input !== undefined || inputFormat === 'jsonl' ? 'jsonl' : 'tsv';
    const outputFormat = outputFormatOf(values, lineFallback);
    const common = resolveCommon(values);
    const { tagOptions } = common;
    if (isFolderFormat(outputFormat)) {
      if (rawOutput === undefined) throw new UsageError(`--output-format ${outputFormat} needs --output (a folder)`);
      if (output === undefined) {
        throw new UsageError(`--output-format ${outputFormat} writes two files a document and cannot go to stdout; give --output FOLDER, or use --output-format jsonl or conll for a stream`);
      }
    }
    if (isFolderFormat(outputFormat) || outputFormat === 'conll' || outputFormat === 'html') {
      if (tagOptions.offsets === 'codepoint') throw new UsageError(`--offsets codepoint works with jsonl and tsv output only (${outputFormat} files use UTF-16 offsets)`);
      if (tagOptions.kbest !== undefined) throw new UsageError(`--kbest works with jsonl output only`);
    }
    if (outputFormat === 'tsv' && tagOptions.kbest !== undefined) throw new UsageError('--kbest works with jsonl output only');
    if (input !== undefined && output !== undefined && path.resolve(input) === path.resolve(output)) {
      throw new UsageError('--output must differ from --input');
    }

    const [modelBytes, kernelBytes] = await Promise.all([readSource(common.model, 'model'), readSource(common.kernels, 'kernels')]);
    const kernels = await WebAssembly.compile(kernelBytes);

    if (interactiveMode) {
      const tagger = await createTagger({ model: modelBytes, kernels });
      const { interrupted } = await interactive({
        tagger,
        input: process.stdin,
        output: process.stdout,
        colour: useColour(process.stdout),
        terminal: true,
        tagOptions,
      });
      return interrupted ? EXIT_INTERRUPTED : EXIT_OK;
    }

    let source: InputSource;
    let label: string | undefined;
    if (input !== undefined && input !== '-') {
      source = await openInput(input, inputFormat, lineOptions);
      label = source.format === 'jsonl' || source.format === 'text' ? path.basename(input) : undefined;
    } else if (positionals.length > 0) {
      if (inputFormat !== undefined) throw new UsageError('--input-format applies to --input or stdin, not to TEXT arguments');
      source = argumentInput(positionals);
    } else {
      if (inputFormat !== undefined && isFolderFormat(inputFormat)) throw new UsageError(`stdin can be read as text or jsonl lines, not ${inputFormat}`);
      source = stdinInput(process.stdin, inputFormat ?? 'text', lineOptions);
      label = 'stdin';
    }

    // the model and kernels are inputs too: --output must not replace them either
    const inputs = [common.model, common.kernels, ...(input === undefined ? [] : [input])];
    if (output !== undefined) await ensureWritable(output, values.force === true, inputs);
    const pool = await createPool({ model: modelBytes, kernels }, common.threads);
    const batchMode = input !== undefined;
    let stats;
    let sink: Sink | undefined;
    let finished = false;
    try {
      const target = output ?? process.stdout;
      if (outputFormat === 'jsonl') sink = await jsonlSink(target);
      else if (outputFormat === 'tsv') sink = await tsvSink(target, output === undefined && useColour(process.stdout));
      else if (outputFormat === 'html') sink = await htmlSink(target, pool.info.labels);
      else sink = await corpusSink(target, outputFormat, label);
      stats = await runBatch(source, pool, sink, {
        tagOptions,
        label,
        onFailure: (where, message) => err(`cner tag: ${where}: ${message}`),
        progress: batchMode ? createProgress(process.stderr) : undefined,
        // stdin: one line a job, so each result is written as soon as it is ready (a live pipe is not held back)
        chunkDocs: fromStdin ? 1 : undefined,
      });
      finished = true;
    } finally {
      if (!finished) await sink?.abort?.();
      await pool.close();
    }
    if (batchMode || output !== undefined) {
      const rate = stats.seconds > 0 ? Math.round(stats.chars / stats.seconds) : 0;
      err(
        `tagged ${stats.docs} document${stats.docs === 1 ? '' : 's'} (${stats.chars} characters, ${stats.entities} entities) ` +
          `in ${stats.seconds.toFixed(2)} s, ${rate} chars/s, ${common.threads} thread${common.threads === 1 ? '' : 's'}` +
          (stats.failed > 0 ? `; ${stats.failed} failed` : ''),
      );
    } else if (stats.failed > 0) {
      err(`cner tag: ${stats.failed} record${stats.failed === 1 ? '' : 's'} failed`);
    }
    return stats.failed > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};

export default tagCommand;
