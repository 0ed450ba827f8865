import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RATIOS, DEFAULT_SEED, FILE_FORMATS, SPLIT_MODES, formatNames, isSplitMode, looksLikeCcksIds, recordIdOf, splitByRecord } from '../../../corpus/index.js';
import { writeCorpus } from '../../../io/corpus-io.js';
import { writeFileAtomic } from '../../../io/output-file.js';
import { EXIT_OK, UsageError, encodingOption, formatOption, integerOption, out, parseCommandArgs, requireOption, stringOption, type Command } from '../command.js';
import { alignTable } from '../../../eval/report.js';
import { ensureWritable, readCorpusArg, reportIssues } from '../shared.js';

export const SPLIT_MANIFEST = 'split-manifest.json';

const usage = `Usage: cner split INPUT --out DIR [--split random|blocked] [--seed N] [--ratios 80,10,10]

Splits a corpus by RECORD into train/dev/test with a seeded shuffle (the same on every run and machine) and
writes DIR/train.jsonl, DIR/dev.jsonl, DIR/test.jsonl and DIR/${SPLIT_MANIFEST} (seed, ratios and the record
ids of each side). All documents of a record land on the same side. INPUT - reads stdin (${formatNames(FILE_FORMATS)}).

Options:
  --out DIR            output folder (required)
  --split MODE         random (default): a seeded shuffle of the records; blocked: the records in id order,
                       test = the last 10 %, dev = the 10 % before, train = the rest (new records; no seed)
  --seed N             shuffle seed (default ${DEFAULT_SEED})
  --ratios A,B,C       train,dev,test proportions (default ${DEFAULT_RATIOS.join(',')})
  --record-key KEY     auto (default): the CCKS record number when the input is CCKS 2017 data (every id
                       <section>-<n> with one of its four sections), else the document id;
                       ccks: the number after the last '-' of the id; doc: the document id
  --from FMT           input format (default: detected)
  --lenient            list misaligned spans on stderr and skip them instead of failing
  --encoding ENC       utf-8 (default), gb18030 or gbk: the encoding of the input files
  --force              write into a non-empty DIR
  -h, --help           show this help`;

function parseRatios(s: string | undefined): [number, number, number] {
  if (s === undefined) return [...DEFAULT_RATIOS] as [number, number, number];
  const parts = s.split(',');
  if (parts.length !== 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p.trim()))) {
    throw new UsageError(`option --ratios: expected three non-negative numbers like 80,10,10, got '${s}'`);
  }
  const r = parts.map(Number) as [number, number, number];
  if (r[0] + r[1] + r[2] <= 0) throw new UsageError('option --ratios: the proportions must not all be zero');
  return r;
}

export const splitCommand: Command = {
  name: 'split',
  summary: 'split a corpus by record into train/dev/test (seeded, 80/10/10)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        out: { type: 'string' },
        split: { type: 'string' },
        seed: { type: 'string' },
        ratios: { type: 'string' },
        'record-key': { type: 'string' },
        from: { type: 'string' },
        lenient: { type: 'boolean' },
        force: { type: 'boolean' },
        encoding: { type: 'string' },
      },
      { min: 1, max: 1, names: 'INPUT' },
    );
    const outDir = requireOption(values, 'out');
    const mode = stringOption(values, 'split') ?? 'random';
    if (!isSplitMode(mode)) throw new UsageError(`option --split: expected ${SPLIT_MODES.join(' or ')}, got '${mode}'`);
    const seed = integerOption(values, 'seed', DEFAULT_SEED);
    const ratios = parseRatios(stringOption(values, 'ratios'));
    const keyChoice = stringOption(values, 'record-key') ?? 'auto';
    if (!['auto', 'ccks', 'doc'].includes(keyChoice)) throw new UsageError(`option --record-key: expected auto, ccks or doc, got '${keyChoice}'`);
    const from = formatOption(values, 'from');
    const [input] = positionals;

    await ensureWritable(outDir, values.force === true, [input]);
    const read = await readCorpusArg(input, 'input', { format: from, strict: values.lenient !== true, encoding: encodingOption(values) });
    reportIssues(read.issues, input);
    const byRecord = keyChoice === 'ccks' || (keyChoice === 'auto' && (read.format === 'ccks' || looksLikeCcksIds(read.docs)));
    const split = splitByRecord(read.docs, byRecord ? { mode, seed, ratios, recordKey: recordIdOf } : { mode, seed, ratios });

    await mkdir(outDir, { recursive: true });
    for (const side of ['train', 'dev', 'test'] as const) await writeCorpus(path.join(outDir, `${side}.jsonl`), split[side], { format: 'jsonl' });
    const manifest = { input: input === '-' ? 'stdin' : path.basename(path.resolve(input)), format: read.format, ...split.manifest };
    await writeFileAtomic(path.join(outDir, SPLIT_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');

    const rows = [['side', 'records', 'docs', 'entities']];
    for (const side of ['train', 'dev', 'test'] as const) {
      const m = split.manifest[side];
      rows.push([side, String(m.records.length), String(m.docs), String(m.entities)]);
    }
    const how = mode === 'blocked' ? 'blocked by record id' : `seed ${seed}`;
    out(`split ${split.manifest.records} records (key ${split.manifest.recordKey}, ${how}, ratios ${ratios.join(',')}) into ${outDir}`);
    out(alignTable(rows));
    return EXIT_OK;
  },
};

export default splitCommand;
