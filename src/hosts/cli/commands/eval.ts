import { FILE_FORMATS, formatNames } from '../../../corpus/index.js';
import { conllevalDocs, evaluateEntities, formatConlleval, formatEntityReport, type PairBy } from '../../../eval/index.js';
import { EXIT_OK, UsageError, encodingOption, formatOption, out, parseCommandArgs, requireOption, stringOption, type Command } from '../command.js';
import { entityCount, readCorpusArg, reportIssues } from '../shared.js';

const usage = `Usage: cner eval --gold G --pred P [--train T] [--json] [--relaxed]

Scores predicted entities against gold entities: strict (exact span and type) and relaxed (overlapping span,
same type) precision, recall and F1 — per type, micro and macro — a type confusion matrix and an error breakdown
(type, boundary, boundary+type, missed, spurious). G and P may be in any corpus format (detected, or named).
Documents pair by id, or by position when the ids differ (e.g. Yidu files); paired texts must be identical.
Either path may be - for stdin (${formatNames(FILE_FORMATS)}), e.g. cner tag --input gold.jsonl | cner eval --gold gold.jsonl --pred -
Figures with no value (a precision without predicted entities, a recall without gold ones) print n/a.
With --train (the corpus the model was trained on, e.g. the train.jsonl of cner split) the report adds strict
scores on SEEN and UNSEEN entities: a gold entity is unseen when its string never occurs as an entity of its type
in T, a predicted entity likewise by its string and predicted type.

Options:
  --gold PATH          gold corpus (required)
  --pred PATH          predicted corpus (required)
  --train PATH         training corpus: adds the seen / unseen entity scores
  --train-format FMT   format of the training corpus (default: detected)
  --gold-format FMT    format of the gold corpus (default: detected)
  --pred-format FMT    format of the predicted corpus (default: detected)
  --json               print the full report as JSON instead of tables
  --relaxed            add the relaxed scores to the table (the JSON always has both)
  --conlleval          also score per-character BIO tags with conlleval semantics
  --pair-by MODE       auto (default), id or order
  --lenient            list misaligned spans on stderr and skip them instead of failing
  --encoding ENC       utf-8 (default), gb18030 or gbk: the encoding of both corpora
  -h, --help           show this help`;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'score predictions against gold entities (strict/relaxed P/R/F1, confusion, errors)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        gold: { type: 'string' },
        pred: { type: 'string' },
        train: { type: 'string' },
        'train-format': { type: 'string' },
        'gold-format': { type: 'string' },
        'pred-format': { type: 'string' },
        json: { type: 'boolean' },
        relaxed: { type: 'boolean' },
        conlleval: { type: 'boolean' },
        'pair-by': { type: 'string' },
        lenient: { type: 'boolean' },
        encoding: { type: 'string' },
      },
      { min: 0, max: 0, names: 'no positional arguments' },
    );
    const goldPath = requireOption(values, 'gold');
    const predPath = requireOption(values, 'pred');
    const pairBy = (stringOption(values, 'pair-by') ?? 'auto') as PairBy;
    if (!['auto', 'id', 'order'].includes(pairBy)) throw new UsageError(`option --pair-by: expected auto, id or order, got '${pairBy}'`);
    const strict = values.lenient !== true;
    const encoding = encodingOption(values);
    const trainPath = stringOption(values, 'train');
    if ([goldPath, predPath, trainPath].filter((p) => p === '-').length > 1) throw new UsageError('only one of --gold, --pred and --train can be - (stdin)');
    const gold = await readCorpusArg(goldPath, 'gold corpus', { format: formatOption(values, 'gold-format'), strict, encoding });
    const pred = await readCorpusArg(predPath, 'predicted corpus', { format: formatOption(values, 'pred-format'), strict, encoding });
    reportIssues(gold.issues, goldPath);
    reportIssues(pred.issues, predPath);
    const train = trainPath === undefined ? undefined : await readCorpusArg(trainPath, 'training corpus', { format: formatOption(values, 'train-format'), strict, encoding });
    if (train) reportIssues(train.issues, trainPath!);

    const report = evaluateEntities(gold.docs, pred.docs, { pairBy, train: train?.docs });
    const conll = values.conlleval === true ? conllevalDocs(gold.docs, pred.docs, { pairBy }) : undefined;
    if (values.json === true) {
      const side = (p: string, r: typeof gold) => ({ path: p, format: r.format, docs: r.docs.length, entities: entityCount(r.docs) });
      out(JSON.stringify({ gold: side(goldPath, gold), pred: side(predPath, pred), ...(train ? { train: side(trainPath!, train) } : {}), ...report, ...(conll ? { conlleval: conll } : {}) }, null, 2));
    } else {
      out(formatEntityReport(report, { relaxed: values.relaxed === true }));
      if (conll) out('conlleval (per-character BIO tags)\n' + formatConlleval(conll));
    }
    return EXIT_OK;
  },
};

export default evalCommand;
