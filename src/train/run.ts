/**
 * A full training run on a labelled corpus: read → split by record (80/10/10: seeded shuffle, seed 2017, or
 * config.split 'blocked': contiguous by record id) → feature space
 * (segmenter dictionary, vocabularies, tag set) → sentences → train with early stopping on dev F1 → the best
 * model written through src/model/format.ts (f32 and int8-per-row) with its learning curve and a summary.
 *
 * From the command line: `cner train`, or scripts/train-run.ts for the bare run (its header lists the flags).
 *
 * With `evaluate`, the best model (f32 and int8) is also scored the way users meet it — evaluateModel: the
 * tagger on the whole test documents, strict and relaxed, consistency on and off — and those document-level
 * figures go into each model header's `training.metrics.testDocuments` and the summary.
 *
 * runTraining is the sequence of those steps, each a function below: readRunSplit → readInputs → buildFeatureSpace
 * → sentenceSets → initialWeights → trainNetwork (the backend made once, by createTrainingBackend) → testScores →
 * ModelFiles.writeBoth → evaluateDocuments → summary.json.
 */

import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/output-file.js';
import { join } from 'node:path';
import { buildConsistencyTable } from '../consistency/index.js';
import { wordRowsPerWord } from '../features/index.js';
import { type CorpusFormat, type Split, type SplitMode, recordIdOf, looksLikeCcksIds, splitByRecord } from '../corpus/index.js';
import { readCorpus } from '../io/corpus-io.js';
import type { Doc } from '../corpus/document.js';
import type { Weights } from '../model/layout.js';
import { type ModelHeader, writeModel } from '../model/format.js';
import type { EntityEvalReport, NoveltyScores, ScoreSet } from '../eval/index.js';
import { WasmBackend } from './backend.js';
import { type ChosenBackend, createTrainingBackend } from './backend-select.js';
import type { Sentence } from './batch.js';
import type { EpochReport } from './checkpoint.js';
import { charLmForRun } from './charlm.js';
import { type TrainConfig, type TrainOn, architectureFor } from './config.js';
import {
  type FeatureSpace, buildFeatureSpace, crossFoldLexicons, docsToSentences, featurizer, insideTagPredicate, lexiconOf, outsideLexiconOf,
} from './data.js';
import { type ModelEvaluation, evaluateModel } from './evaluate.js';
import { formatScore, spanF1 } from './metrics.js';
import { ParamLayout, initParameters } from './params.js';
import type { Embeddings } from './embed/types.js';
import { applyPretrained, loadWord2Vec } from './pretrained.js';
import { quantizeWeights, quantizedNames } from './quantize.js';
import { Rng, hash32 } from './rng.js';
import { type SegdictVariant, readLexiconWords } from './segdict.js';
import { augmentedSentences } from './augment.js';
import type { ProgressSink } from './progress.js';
import { type TrainInput, type TrainResult, splitLongSentences, train } from './trainer.js';

export interface RunOptions {
  data: string;
  format?: CorpusFormat;
  out: string;
  config: TrainConfig;
  maxMinutes?: number;
  resume?: boolean;
  unlabeled?: string;
  segmenter?: SegdictVariant;
  /** corpus description and terms for the model header */
  corpus?: string;
  license?: string;
  log?: (line: string) => void;
  /** training progress bar sink (default process.stderr); false = silent */
  progress?: ProgressSink | false;
  /** score the best model (f32 and int8) on the test documents with evaluateModel (see the file header) */
  evaluate?: boolean;
}

/** Document-level scores of one model file on the test split (evaluateModel), compact enough for a header. */
export interface DocumentMetrics {
  level: 'document';
  docs: number;
  /** consistency check layer on (the tagger's default) */
  consistency: { strict: ScoreSet; relaxed: ScoreSet };
  /** consistency check layer off */
  noConsistency: { strict: ScoreSet; relaxed: ScoreSet };
  /** strict scores of the test entities seen in the training part and of the unseen ones (consistency on) */
  novelty?: NoveltyScores;
}

/** The part of an evaluateModel report that goes into a model header. */
export function documentMetrics(e: ModelEvaluation): DocumentMetrics {
  const pick = (r: EntityEvalReport) => ({ strict: r.strict, relaxed: r.relaxed });
  const novelty = e.withConsistency.novelty;
  return { level: 'document', docs: e.withConsistency.docs, consistency: pick(e.withConsistency), noConsistency: pick(e.withoutConsistency), ...(novelty ? { novelty } : {}) };
}

export interface RunSummary {
  data: { train: object; dev: object; test: object };
  vocab: { chars: number; words: number };
  arch: object;
  params: number;
  pretrained: object[];
  history: EpochReport[];
  /** devF1: 0 when there are no dev sentences (data.dev.sentences 0: nothing to select on; say n/a, see formatScore) */
  best: { epoch: number; devF1: number };
  /** sentence-level strict scores of the best model on the test split; null when the test split has no sentences */
  test: { precision: number; recall: number; f1: number } | null;
  stoppedBy: TrainResult['stoppedBy'];
  seconds: number;
  models: { f32: string; int8: string };
  /** evaluateModel on the test documents (only with `evaluate`); absent when the test split is empty */
  evaluation?: { f32: ModelEvaluation; int8: ModelEvaluation };
  /** the same on the dev documents (only with `evaluate`); absent when the dev split is empty */
  devEvaluation?: { f32: ModelEvaluation; int8: ModelEvaluation };
  /** what trained the network (config.backend): kind, e.g. "wasm, 2 workers" or "webgpu: NVIDIA H200 (GPU)", the adapter, why auto chose wasm */
  backend: BackendRecord;
  /** the record split (mode: config.split, absent in summaries made before it existed; ids on each side) */
  split: { mode?: SplitMode; seed: number; recordKey: string; train: string[]; dev: string[]; test: string[] };
}

/** The backend line of the model card (header training.backend) and of the run summary. */
export type BackendRecord = Omit<ChosenBackend, 'backend'>;

function header(space: FeatureSpace, config: TrainConfig, arch: ReturnType<typeof architectureFor>, consistency: ReturnType<typeof buildConsistencyTable>, opts: RunOptions, extra: Record<string, unknown>): ModelHeader {
  return {
    name: 'cner-bilstm-crf',
    version: '0.1.0',
    created: new Date().toISOString(),
    architecture: arch,
    vocab: space.vocab,
    tags: { scheme: 'BIO', labels: space.labels },
    normalization: space.normalization,
    segmenter: space.segmenter,
    features: space.features,
    // the outsideLex channel's word list (src/features/outside-lexicon.ts), when the run has the channel
    ...(space.outsideLexicon ? { outsideLexicon: space.outsideLexicon } : {}),
    consistency,
    quantization: { scheme: 'none' },
    training: {
      corpus: opts.corpus ?? opts.data.split('/').slice(-2).join('/'),
      license: opts.license ?? 'research use only (trained on data released for an evaluation campaign)',
      seed: config.seed,
      config,
      ...extra,
    },
  };
}

/**
 * The corpus at `data` split the way every run splits it: by record (CCKS ids: all sections of a record on one
 * side), 80/10/10, seed 2017 (src/corpus/split.ts defaults); `mode` 'blocked': contiguous by record id instead.
 * Lenient reading: bad spans are skipped and counted.
 */
export async function readSplit(data: string, format?: CorpusFormat, mode: SplitMode = 'random'): Promise<{ split: Split; issues: number }> {
  const corpus = await readCorpus(data, { format, strict: false });
  const split = splitByRecord(corpus.docs, { mode, ...(looksLikeCcksIds(corpus.docs) ? { recordKey: recordIdOf } : {}) });
  return { split, issues: corpus.issues.length };
}

/** Unlabeled texts (one record a line), as the run reads them for the segmenter dictionary. */
export function readUnlabeled(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length);
}

export async function runTraining(opts: RunOptions): Promise<RunSummary> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const { config } = opts;
  mkdirSync(opts.out, { recursive: true });
  const t0 = performance.now();
  const { split, finalFit } = await readRunSplit(opts, log);
  const inputs = readInputs(opts);
  const space = buildFeatureSpace(split.train, {
    segmenter: opts.segmenter,
    extraTexts: inputs.extraTexts,
    segmenterLexicon: inputs.segmenterLexicon,
    extraChars: inputs.charVectors?.vocab,
    extraWords: inputs.wordVectors?.vocab,
    wordPositions: config.wordPositions,
    // bigrams: those of the training split only (the pre-trained vectors initialise them; new bigrams are <unk>,
    // which keeps the table, and the model file, small)
    bigramMinCount: config.bigramDim > 0 ? config.bigramMinCount : undefined,
    outsideLexicon: inputs.outsideLexicon,
  });
  const outsideLexWords = outsideLexiconOf(space)?.size;
  if (outsideLexWords !== undefined) {
    const stored = inputs.outsideLexicon === 'segmenter' ? "marked in the segmenter's dictionary (stored once)" : 'stored in the model file';
    log(`outside lexicon: ${outsideLexWords} words, ${stored}`);
  }
  const sets = await sentenceSets(split, space, inputs, config, log);
  const arch = architectureFor(config, {
    charVocab: space.vocab.chars.length,
    wordVocab: space.vocab.words.length * wordRowsPerWord(space.features),
    tags: space.labels.length,
    bigramVocab: space.vocab.bigrams?.length,
    outsideLexWords,
  });
  const layout = new ParamLayout(arch);
  log(
    `data: train ${sets.train.stats.docs} docs ${sets.trainSentences.length} sentences ${sets.train.stats.chars} chars · dev ${sets.dev.stats.sentences} sentences ` +
      `· test ${sets.test.stats.sentences} sentences · vocab ${space.vocab.chars.length} chars ${space.vocab.words.length} words${space.vocab.bigrams ? ` ${space.vocab.bigrams.length} bigrams` : ''} · ` +
      `${space.labels.length} tags · ${layout.total} parameters (prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const { initial, pretrained } = initialWeights(layout, space, inputs, config, log, split.train);
  const files = new ModelFiles(opts, space, arch, buildConsistencyTable(split.train, space.normalization));
  const hasDev = sets.dev.sentences.length > 0;
  const result = await trainNetwork(layout, files, { arch, labels: space.labels, train: sets.trainSentences, dev: sets.dev.sentences, initial }, opts, log);
  const test = testScores(layout, result.best.weights, sets.test.sentences, space.labels);
  const bestReport = result.history.find((h) => h.epoch === result.best.epoch);
  files.metrics = {
    dev: bestReport && hasDev ? { precision: bestReport.devPrecision, recall: bestReport.devRecall, f1: bestReport.devF1 } : undefined,
    test: test ? { precision: test.precision, recall: test.recall, f1: test.f1, level: 'sentence' } : undefined,
  };
  files.writeBoth(result.best, {}, {});
  const { evaluation, devEvaluation } = opts.evaluate ? await evaluateDocuments(files, result.best, split, log) : {};
  const summary: RunSummary = {
    data: { train: { ...sets.train.stats, trainingSentences: sets.trainSentences.length, ...(sets.extra ? { extra: sets.extra.stats } : {}) }, dev: sets.dev.stats, test: sets.test.stats },
    vocab: { chars: space.vocab.chars.length, words: space.vocab.words.length },
    arch,
    params: layout.total,
    pretrained,
    history: result.history,
    best: { epoch: result.best.epoch, devF1: result.best.f1 },
    test: test ? { precision: test.precision, recall: test.recall, f1: test.f1 } : null,
    stoppedBy: result.stoppedBy,
    backend: files.backend!,
    seconds: (performance.now() - t0) / 1000,
    models: { f32: files.f32Path, int8: files.q8Path },
    evaluation,
    devEvaluation,
    split: {
      mode: config.split,
      seed: split.manifest.seed,
      recordKey: split.manifest.recordKey,
      train: split.manifest.train.records,
      dev: split.manifest.dev.records,
      test: split.manifest.test.records,
    },
  };
  writeFileAtomicSync(join(opts.out, 'summary.json'), JSON.stringify(summary, null, 1));
  const kept = finalFit ? `kept epoch ${result.best.epoch} (final fit, no dev)` : `best epoch ${result.best.epoch}: dev F1 ${hasDev ? formatScore(result.best.f1) : 'n/a (no dev sentences)'}`;
  log(`${kept} · test ${test ? `P ${formatScore(test.precision)} R ${formatScore(test.recall)} F1 ${formatScore(test.f1)}` : 'n/a (no test sentences)'} · stopped by ${result.stoppedBy}`);
  return summary;
}

/**
 * The documents the network is fitted on (config.trainOn): the train part; with 'train+dev' the dev part too; with
 * 'all' every record. The trainer's vocabularies, segmenter words, vectors and consistency table come from these.
 */
export function fitDocs(split: Pick<Split, 'train' | 'dev' | 'test'>, trainOn: TrainOn): Doc[] {
  if (trainOn === 'all') return [...split.train, ...split.dev, ...split.test];
  return trainOn === 'train+dev' ? [...split.train, ...split.dev] : [...split.train];
}

/**
 * The record split of the corpus; a final fit (config.trainOn 'train+dev' or 'all') trains on the dev records (and
 * with 'all' the test records) too and selects nothing on dev (the trainer keeps the last epoch). The manifest keeps
 * the record split itself either way, so a 'train+dev' fit is still scored on the held-out test part.
 */
async function readRunSplit(opts: RunOptions, log: (line: string) => void): Promise<{ split: Split; finalFit: boolean }> {
  const { config } = opts;
  const { split: corpusSplit, issues } = await readSplit(opts.data, opts.format, config.split);
  if (issues) log(`corpus: ${issues} issue(s) while reading (skipped)`);
  if (config.trainOn === 'train') return { split: corpusSplit, finalFit: false };
  const split: Split = { ...corpusSplit, train: fitDocs(corpusSplit, config.trainOn), dev: [], test: config.trainOn === 'all' ? [] : corpusSplit.test };
  if (config.trainOn === 'all') {
    log(`final fit on every record: ${corpusSplit.dev.length} dev and ${corpusSplit.test.length} test documents join the training data; the last of ${config.epochs} epochs is kept, and nothing is held out to score it`);
  } else log(`final fit: ${corpusSplit.dev.length} dev documents join the training data; the last of ${config.epochs} epochs is kept`);
  return { split, finalFit: true };
}

/** What the run reads besides the corpus: unlabeled texts, pre-trained vectors, the segmenter's outside words. */
interface RunInputs {
  extraTexts: string[];
  charVectors?: Embeddings;
  wordVectors?: Embeddings;
  bigramVectors?: Embeddings;
  segmenterLexicon?: string[];
  /** the outsideLex channel's words: its own list, or 'segmenter' (the segmenterLexicon words, stored once) */
  outsideLexicon?: 'segmenter' | string[];
}

function readInputs(opts: RunOptions): RunInputs {
  const { config } = opts;
  const extraTexts = opts.unlabeled ? readUnlabeled(opts.unlabeled) : [];
  // Tokens of the pre-trained vectors join the vocabularies, so words and characters never seen in the
  // training split still get their pre-trained embedding at tagging time.
  const charVectors = config.embeddings.char && config.charDim > 0 ? loadWord2Vec(config.embeddings.char) : undefined;
  const wordVectors = config.embeddings.word && config.wordDim > 0 ? loadWord2Vec(config.embeddings.word) : undefined;
  if (config.embeddings.bigram && config.bigramDim === 0) throw new Error('config: embeddings.bigram names bigram vectors but bigramDim is 0 (no bigram channel)');
  const bigramVectors = config.embeddings.bigram && config.bigramDim > 0 ? loadWord2Vec(config.embeddings.bigram) : undefined;
  // outside words for the segmenter (config.segmenterLexicon), also a source of augment's replacements
  const segmenterLexicon = readLexiconWords(config.segmenterLexicon);
  // the outsideLex channel's list: its own file, or the segmenter's outside words (the same file: stored once)
  let outsideLexicon: RunInputs['outsideLexicon'];
  if (config.outsideLexDim > 0) {
    const own = config.outsideLexicon !== '' && config.outsideLexicon !== config.segmenterLexicon;
    try {
      outsideLexicon = own ? readLexiconWords(config.outsideLexicon) : 'segmenter';
    } catch (e) {
      throw new Error((e as Error).message.replace(/^segmenter lexicon /, 'outsideLexicon '));
    }
  }
  return { extraTexts, charVectors, wordVectors, bigramVectors, segmenterLexicon, outsideLexicon };
}

type SentenceSet = ReturnType<typeof docsToSentences>;

/** The sentences of each part, and the training sentences: train, extraTrain and augmented copies, long ones cut. */
async function sentenceSets(
  split: Split,
  space: FeatureSpace,
  inputs: RunInputs,
  config: TrainConfig,
  log: (line: string) => void,
): Promise<{ train: SentenceSet; dev: SentenceSet; test: SentenceSet; extra: SentenceSet | null; trainSentences: Sentence[] }> {
  const f = featurizer(space);
  // the lexicon channel: training documents see a jackknife lexicon (without their fold), dev and test the
  // lexicon of the whole train split — the strings of the consistency table the tagger will match
  const fullLexicon = config.lexDim > 0 ? lexiconOf(split.train, space) : null;
  const trainLexicons = config.lexDim > 0
    ? crossFoldLexicons(split.train, space, config.lexiconFolds, hash32(config.seed, 7), looksLikeCcksIds(split.train) ? recordIdOf : undefined)
    : null;
  const train = docsToSentences(split.train, space, f, trainLexicons);
  const dev = docsToSentences(split.dev, space, f, fullLexicon);
  const test = docsToSentences(split.test, space, f, fullLexicon);
  // extra labelled documents (config.extraTrain) add training sentences only (see config.ts)
  const extraDocs: Doc[] = [];
  for (const p of config.extraTrain) {
    const c = await readCorpus(p, { strict: false });
    if (c.issues.length) log(`extraTrain ${p}: ${c.issues.length} issue(s) while reading (skipped)`);
    extraDocs.push(...c.docs);
  }
  const extra = extraDocs.length ? docsToSentences(extraDocs, space, f, fullLexicon) : null;
  if (extra) log(`extraTrain: ${extra.stats.docs} documents, ${extra.stats.sentences} sentences, ${extra.stats.entities} entities join the training sentences`);
  // augmented copies of the training documents (config.augment; none by default): training sentences only
  const augmented = augmentedSentences(split.train, space, f, trainLexicons, config.augment, config.seed, inputs.segmenterLexicon, log);
  const trainSentences = splitLongSentences([...train.sentences, ...(extra ? extra.sentences : []), ...augmented], config.maxSentenceLength, insideTagPredicate(space.labels));
  return { train, dev, test, extra, trainSentences };
}

/** The seeded initial parameters with the pre-trained vectors copied in. */
function initialWeights(layout: ParamLayout, space: FeatureSpace, inputs: RunInputs, config: TrainConfig, log: (line: string) => void, train: readonly Doc[]) {
  const initial = initParameters(layout, new Rng(hash32(config.seed, 1)));
  const pretrained = [];
  if (inputs.charVectors) pretrained.push(applyPretrained(layout, initial, 'embed.char', space.vocab.chars, inputs.charVectors));
  if (inputs.wordVectors) pretrained.push(applyPretrained(layout, initial, 'embed.word', space.vocab.words, inputs.wordVectors, wordRowsPerWord(space.features)));
  if (inputs.bigramVectors && space.vocab.bigrams) pretrained.push(applyPretrained(layout, initial, 'embed.bigram', space.vocab.bigrams, inputs.bigramVectors));
  for (const p of pretrained) log(`pre-trained ${p.tensor}: ${p.found} of ${p.vocab} tokens found`);
  // the charLm channel: its frozen LMs, pre-trained on the unlabeled texts and the training part's (not dev, not test)
  if (layout.arch.charLmHidden) {
    const texts = [...inputs.extraTexts, ...train.map((d) => d.text)];
    const lm = charLmForRun(layout.arch, texts, space.normalization, space.vocab.chars, config.charLm, hash32(config.seed, 8), log);
    for (const [name, t] of lm.tensors) initial.set(t.data, layout.slot(name).offset);
  }
  return { initial, pretrained };
}

/**
 * The network trained on the backend config.backend names (created here, once, and disposed), the best model
 * written as it improves (files.save).
 */
async function trainNetwork(layout: ParamLayout, files: ModelFiles, input: TrainInput, opts: RunOptions, log: (line: string) => void): Promise<TrainResult> {
  const { config } = opts;
  // the backend (config.backend: wasm, webgpu or auto), named in the log, the model card and the summary
  const { backend, ...backendRecord } = await createTrainingBackend(layout, { backend: config.backend, workers: config.workers, seed: config.seed });
  log(`backend: ${backendRecord.name}${backendRecord.note ? ` (${backendRecord.note})` : ''}`);
  files.backend = backendRecord;
  const hasDev = input.dev.length > 0;
  try {
    return await train(input, {
      config,
      outDir: opts.out,
      resume: opts.resume,
      backend,
      maxSeconds: opts.maxMinutes ? opts.maxMinutes * 60 : undefined,
      progress: opts.progress,
      onBest: (w, r) => files.save(w, { epochs: r.epoch, metrics: hasDev ? { dev: { precision: r.devPrecision, recall: r.devRecall, f1: r.devF1 } } : {} }),
    });
  } finally {
    await backend.dispose();
  }
}

/** Sentence-level strict scores of the weights on the test sentences; an empty split has no score (null, n/a). */
function testScores(layout: ParamLayout, weights: Weights, sentences: Sentence[], labels: string[]) {
  if (sentences.length === 0) return null;
  const b = new WasmBackend(layout);
  b.setParameters(weights);
  return spanF1(
    sentences.map((s) => s.tagIds),
    b.decodeSync(sentences),
    labels,
  );
}

/** The run's two model files (f32 model.cner, int8 model.q8.cner) and what their headers carry. */
class ModelFiles {
  readonly f32Path: string;
  readonly q8Path: string;
  /** the backend that trained the network (set by trainNetwork before the first save) */
  backend: BackendRecord | undefined;
  /** the best model's dev and test figures, once known */
  metrics: Record<string, unknown> = {};

  constructor(
    private readonly opts: RunOptions,
    private readonly space: FeatureSpace,
    private readonly arch: ReturnType<typeof architectureFor>,
    private readonly consistency: ReturnType<typeof buildConsistencyTable>,
  ) {
    this.f32Path = join(opts.out, 'model.cner');
    this.q8Path = join(opts.out, 'model.q8.cner');
  }

  private header(extra: Record<string, unknown>): ModelHeader {
    return header(this.space, this.opts.config, this.arch, this.consistency, this.opts, { ...extra, backend: this.backend });
  }

  /** The f32 model file. */
  save(weights: Weights, extra: Record<string, unknown>): void {
    writeFileAtomicSync(this.f32Path, writeModel(this.header(extra), weights));
  }

  /** Both files of the best model, each header with the metrics and its own extra figures. */
  writeBoth(best: TrainResult['best'], f32Extra: Record<string, unknown>, q8Extra: Record<string, unknown>): void {
    this.save(best.weights, { epochs: best.epoch, metrics: { ...this.metrics, ...f32Extra } });
    const q = quantizeWeights(best.weights, this.arch);
    const qh = this.header({ epochs: best.epoch, metrics: { ...this.metrics, ...q8Extra } });
    qh.quantization = { scheme: 'int8-per-row', tensors: quantizedNames(q) };
    writeFileAtomicSync(this.q8Path, writeModel(qh, q));
  }
}

/**
 * Document-level figures through the tagger, test and dev parts; each file is scored on its own and carries its own
 * figures (the files are written again with them); seen / unseen entities: against the documents the network was
 * fitted on (a final fit: train + dev).
 */
async function evaluateDocuments(
  files: ModelFiles,
  best: TrainResult['best'],
  split: Split,
  log: (line: string) => void,
): Promise<Pick<RunSummary, 'evaluation' | 'devEvaluation'>> {
  const score = async (docs: Doc[]) => ({
    f32: await evaluateModel(readFileSync(files.f32Path), docs, { train: split.train }),
    int8: await evaluateModel(readFileSync(files.q8Path), docs, { train: split.train }),
  });
  let evaluation: RunSummary['evaluation'];
  let devEvaluation: RunSummary['devEvaluation'];
  if (split.test.length > 0) evaluation = await score(split.test);
  else log('evaluate: the test split is empty, no document-level figures');
  // the dev part too: the part recipes are chosen on (a final fit has none)
  if (split.dev.length > 0) devEvaluation = await score(split.dev);
  const extra = (k: 'f32' | 'int8') => ({
    ...(evaluation ? { testDocuments: documentMetrics(evaluation[k]) } : {}),
    ...(devEvaluation ? { devDocuments: documentMetrics(devEvaluation[k]) } : {}),
  });
  if (evaluation || devEvaluation) files.writeBoth(best, extra('f32'), extra('int8'));
  return { evaluation, devEvaluation };
}
