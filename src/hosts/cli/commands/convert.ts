import { CORPUS_FORMATS, FILE_FORMATS, FOLDER_FORMATS, formatHelpLines, formatNames } from '../../../corpus/index.js';
import { writeCorpus } from '../../../io/corpus-io.js';
import { EXIT_OK, UsageError, encodingOption, err, formatOption, out, parseCommandArgs, type Command } from '../command.js';
import { assertStreamable, ensureWritable, entityCount, readCorpusArg, reportIssues, writeCorpusToStdout } from '../shared.js';

const usage = `Usage: cner convert [--from FMT] --to FMT INPUT OUTPUT

Converts a corpus between formats. Formats: ${CORPUS_FORMATS.join(', ')}.
${formatHelpLines()}
${formatNames(FOLDER_FORMATS, 'and')} are written as folders, the others as one file; every file is written under a temporary name
and renamed when complete. OUTPUT is never the INPUT (nor a link to it), even with --force.
INPUT - reads stdin and OUTPUT - writes stdout, in a one-file format (${FILE_FORMATS.join(', ')}).

Options:
  --from FMT     input format (default: detected from INPUT)
  --to FMT       output format (required)
  --lenient      list misaligned spans on stderr and skip them instead of failing
  --encoding ENC utf-8 (default), gb18030 or gbk: the encoding of the input files
  --no-doc-ids   bio output: leave out the -DOCSTART- <id> lines (the plain paper format; ids are lost)
  --force        write even if OUTPUT exists
  -h, --help     show this help`;

export const convertCommand: Command = {
  name: 'convert',
  summary: `convert a corpus between ${formatNames(CORPUS_FORMATS, 'and')}`,
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        from: { type: 'string' },
        to: { type: 'string' },
        lenient: { type: 'boolean' },
        'no-doc-ids': { type: 'boolean' },
        force: { type: 'boolean' },
        encoding: { type: 'string' },
      },
      { min: 2, max: 2, names: 'INPUT OUTPUT' },
    );
    const from = formatOption(values, 'from');
    const to = formatOption(values, 'to');
    if (!to) throw new UsageError('option --to is required');
    const [input, output] = positionals;
    assertStreamable(output, to);
    await ensureWritable(output, values.force === true, [input]);
    const read = await readCorpusArg(input, 'input', { format: from, strict: values.lenient !== true, encoding: encodingOption(values) });
    reportIssues(read.issues, input);
    const docIds = values['no-doc-ids'] !== true;
    let files = 1;
    if (output === '-') await writeCorpusToStdout(read.docs, to, docIds);
    else files = (await writeCorpus(output, read.docs, { format: to, docIds })).files;
    // the summary goes to stderr when stdout carries the corpus
    (output === '-' ? err : out)(
      `converted ${read.docs.length} documents (${entityCount(read.docs)} entities) from ${read.format} to ${to}: ` +
        `${read.files} file${read.files === 1 ? '' : 's'} read, ${output === '-' ? 'stdout' : `${files}`} written`,
    );
    return EXIT_OK;
  },
};

export default convertCommand;
