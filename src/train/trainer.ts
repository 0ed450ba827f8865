/**
 * The training loop: bucketed mini-batches, forward–backward on a TrainingBackend, Adam with global-norm
 * clipping, Viterbi decoding of the dev set after every epoch with entity-level strict F1, best-model
 * selection, early stopping, resumable checkpoints, progress on stderr and the learning curve (JSON + SVG).
 *
 * Reproducible from the seed: for a given worker count a run (and a resumed run) is bit-for-bit the same —
 * batches, dropout masks (a function of seed, step and sentence), the split of a batch between workers and
 * the order the workers' gradients are summed are all fixed. Runs with DIFFERENT worker counts add the
 * gradient in a different order, so they agree only to float rounding and drift apart slowly over many steps.
 *
 * The pieces: ema.ts (the moving average of the weights), early-stop.ts (best epoch, patience, averaged or raw),
 * checkpoint.ts, progress.ts; train() below is the loop over the named steps of a TrainingRun.
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sliceChannelIds } from '../features/channels.js';
import type { Architecture, Weights } from '../model/layout.js';
import type { TrainingBackend } from './backend.js';
import { createTrainingBackend } from './backend-select.js';
import { type Sentence, validateSentence } from './batch.js';
import { type Checkpoint, type EpochReport, type TrainerState, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { EarlyStopper, betterOf } from './early-stop.js';
import { Ema } from './ema.js';
import { spanF1 } from './metrics.js';
import { ParamLayout, initParameters } from './params.js';
import { ProgressBar, type ProgressSink, learningCurveSvg } from './progress.js';
import { Rng, hash32 } from './rng.js';

export interface TrainInput {
  arch: Architecture;
  /** tag labels (header.tags.labels): labels[id] of every tag id */
  labels: string[];
  train: Sentence[];
  /**
   * sentences scored after every epoch (tags = gold); the best epoch by their F1 is kept. Empty = nothing to
   * select on (a final fit on train + dev): every epoch counts as the best, so the LAST epoch's weights (averaged,
   * with ema) are kept, and patience never stops the run.
   */
  dev: Sentence[];
  /** starting parameters (e.g. with pre-trained embeddings); default: initParameters with the config seed */
  initial?: Weights | Float32Array;
}

export interface TrainOptions {
  config: TrainConfig;
  /** folder for checkpoint.bin, curve.json, curve.svg (none written when absent) */
  outDir?: string;
  /** continue from outDir/checkpoint.bin when it exists */
  resume?: boolean;
  /** default: the one config.backend names (createTrainingBackend: wasm with config.workers, webgpu or auto; disposed at the end) */
  backend?: TrainingBackend;
  /** called with the parameters whenever dev F1 improves (write the model file here) */
  onBest?: (weights: Weights, report: EpochReport) => void | Promise<void>;
  onEpoch?: (report: EpochReport) => void;
  /** called after every optimiser step with the global step count */
  onStep?: (step: number, loss: number) => void;
  /** where progress goes (default process.stderr); false = silent */
  progress?: ProgressSink | false;
  /** stop (after a checkpoint) once this many wall-clock seconds have passed in this call */
  maxSeconds?: number;
  signal?: AbortSignal;
}

export interface TrainResult {
  /** best epoch by dev F1, or the last epoch when there is no dev set (epoch 0 = never evaluated) */
  best: { epoch: number; f1: number; weights: Weights };
  /** the parameters at the end */
  final: Weights;
  history: EpochReport[];
  stoppedBy: 'epochs' | 'patience' | 'time' | 'abort';
  steps: number;
  seconds: number;
}

/**
 * Cuts sentences longer than `max` into pieces of at most `max` characters, preferring cuts that do not fall
 * inside an entity (a cut just before a position whose tag is O or B-…); `isInside(tagId)` tells I- tags.
 */
export function splitLongSentences(sentences: Sentence[], max: number, isInside: (tag: number) => boolean = () => false): Sentence[] {
  if (!(Number.isInteger(max) && max >= 1)) throw new Error(`splitLongSentences: expected max ≥ 1, got ${max}`);
  const out: Sentence[] = [];
  for (const s of sentences) {
    const T = s.charIds.length;
    let start = 0;
    while (T - start > max) {
      let cut = start + max;
      const floor = start + Math.ceil(max / 2);
      while (cut > floor && isInside(s.tagIds[cut])) cut--;
      if (isInside(s.tagIds[cut])) cut = start + max;
      out.push(sliceSentence(s, start, cut));
      start = cut;
    }
    out.push(start === 0 ? s : sliceSentence(s, start, T));
  }
  return out;
}

function sliceSentence(s: Sentence, a: number, b: number): Sentence {
  return { ...sliceChannelIds(s, s.tagIds.length, a, b), tagIds: s.tagIds.slice(a, b) };
}

/**
 * Mini-batches of sentence indices, bucketed by length: shuffle, take pools of 50 batches, sort each pool by
 * length, cut it into batches, shuffle the batch order. Little padding, different batches every epoch.
 */
export function makeBatches(lengths: ArrayLike<number>, batchSize: number, rng: Rng): number[][] {
  const idx = rng.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  const pool = batchSize * 50;
  const batches: number[][] = [];
  for (let p = 0; p < idx.length; p += pool) {
    const part = idx.slice(p, p + pool).sort((a, b) => lengths[a] - lengths[b] || a - b);
    for (let i = 0; i < part.length; i += batchSize) batches.push(part.slice(i, i + batchSize));
  }
  return rng.shuffle(batches);
}

/**
 * The key a checkpoint is resumed against: a hash of the training data (sentence count and lengths, the lexicon and
 * bigram ids), then a part for each of these channels when it is on, so a run without them keeps the key it had
 * before they joined it (its checkpoints stay valid):
 *   outsideLex=<hash>   every outsideLex id of train and dev (they follow the outside word list)
 *   charLm=<settings>   config.charLm's steps/batch/seqLen/lr (hidden and dim are in the architecture)
 * Parts are separated by a space (DATA_KEY_PARTS names them, resume's messages compare them).
 */
export function dataKey(input: Pick<TrainInput, 'arch' | 'train' | 'dev'>, config: Pick<TrainConfig, 'charLm'>): string {
  const { train, dev } = input;
  let h = hash32(train.length, dev.length);
  for (const s of train) {
    h = hash32(h, s.charIds.length, s.charIds[0], s.tagIds[s.tagIds.length - 1]);
    // the optional channels' ids (jackknife lexicons depend on lexiconFolds and the seed)
    if (s.lexIds) for (let i = 0; i < s.lexIds.length; i++) h = hash32(h, s.lexIds[i]);
    if (s.bigramIds) h = hash32(h, s.bigramIds.length, s.bigramIds[0]);
  }
  for (const s of dev) h = hash32(h, s.charIds.length);
  const parts = [h.toString(16)];
  if ((input.arch.outsideLexDim ?? 0) > 0) {
    let o = hash32(train.length, dev.length);
    for (const s of [...train, ...dev]) {
      const ids = s.outsideLexIds;
      o = hash32(o, ids ? ids.length : -1);
      if (ids) for (let i = 0; i < ids.length; i++) o = hash32(o, ids[i]);
    }
    parts.push(`outsideLex=${o.toString(16)}`);
  }
  if ((input.arch.charLmHidden ?? 0) > 0) {
    const lm = config.charLm;
    parts.push(`charLm=${lm.steps}/${lm.batch}/${lm.seqLen}/${lm.lr}`);
  }
  return parts.join(' ');
}

/** What a differing part of the data key means (dataKey), for resume's message. */
const DATA_KEY_PARTS: Record<string, (checkpoint: string, now: string) => string> = {
  outsideLex: () => 'another outside word list (the outsideLex ids of the sentences differ)',
  charLm: (checkpoint, now) => `charLm steps/batch/seqLen/lr ${checkpoint}, the config says ${now}`,
};

/** Why a checkpoint's data key `was` differs from this run's `key` (both from dataKey): the message of the refusal. */
function dataKeyMismatch(was: string, key: string): string {
  const [wasBase, ...wasParts] = was.split(' ');
  const [base, ...parts] = key.split(' ');
  if (wasBase === base) {
    // the architectures are equal (checked first), so both keys name the same channels unless `was` is older
    for (const part of parts) {
      const name = part.slice(0, part.indexOf('='));
      const old = wasParts.find((p) => p.startsWith(`${name}=`));
      if (old === undefined) {
        return `resume: the checkpoint was made by an older cner, whose data key did not cover the ${name} channel; start the run over (--force)`;
      }
      if (old !== part) return `resume: the checkpoint was made with ${DATA_KEY_PARTS[name](old.slice(name.length + 1), part.slice(name.length + 1))}`;
    }
  }
  return 'resume: the checkpoint was made on different training data';
}

/**
 * The loop, as named steps: start (or resume) → per epoch: trainEpoch → evaluateEpoch → endEpoch (best model,
 * checkpoint, curve) → patience → result.
 */
export async function train(input: TrainInput, options: TrainOptions): Promise<TrainResult> {
  checkInput(input);
  const layout = new ParamLayout(input.arch);
  const ownBackend = !options.backend;
  const { config } = options;
  const backend = options.backend ?? (await createTrainingBackend(layout, { backend: config.backend, workers: config.workers, seed: config.seed })).backend;
  try {
    const run = new TrainingRun(input, options, layout, backend);
    let stoppedBy: TrainResult['stoppedBy'] = 'epochs';
    while (run.state.epoch < options.config.epochs) {
      const interrupted = await run.trainEpoch();
      if (interrupted) {
        stoppedBy = interrupted;
        break;
      }
      await run.endEpoch(await run.evaluateEpoch());
      if (run.stopper.shouldStop) {
        stoppedBy = 'patience';
        break;
      }
    }
    return await run.result(stoppedBy);
  } finally {
    if (ownBackend) await backend.dispose();
  }
}

function checkInput(input: TrainInput): void {
  const { arch, labels } = input;
  if (!Array.isArray(labels) || labels.length !== arch.tags) throw new Error(`train: expected ${arch.tags} tag labels, got ${labels?.length}`);
  if (input.train.length === 0) throw new Error('train: no training sentences');
  input.train.forEach((s, i) => validateSentence(s, arch, i));
  input.dev.forEach((s, i) => validateSentence(s, arch, i));
}

/** One call of train(): the backend, the checkpointed state, the weight average and the best weights so far. */
class TrainingRun {
  readonly state: TrainerState;
  readonly stopper: EarlyStopper;
  /** the moving average of the weights (config.ema > 0) */
  private readonly ema: Ema | undefined;
  /** the weights of the best epoch so far */
  private best: Float32Array | undefined;
  private readonly config: TrainConfig;
  private readonly bar: ProgressBar | undefined;
  private readonly ckPath: string | undefined;
  private readonly batchRng: Rng;
  private readonly lengths: number[];
  private readonly totalChars: number;
  private readonly callStart: number;
  private lastCheckpoint: number;

  constructor(
    private readonly input: TrainInput,
    private readonly options: TrainOptions,
    private readonly layout: ParamLayout,
    private readonly backend: TrainingBackend,
  ) {
    const config = (this.config = options.config);
    const sink: ProgressSink | undefined = options.progress === false ? undefined : (options.progress ?? process.stderr);
    this.bar = sink ? new ProgressBar(sink, config.epochs, input.dev.length > 0) : undefined;
    this.ckPath = options.outDir ? join(options.outDir, 'checkpoint.bin') : undefined;
    if (options.outDir) mkdirSync(options.outDir, { recursive: true });
    this.batchRng = new Rng(hash32(config.seed, 2));
    const key = dataKey(input, config);
    const resumed = options.resume && this.ckPath && existsSync(this.ckPath) ? this.resume(this.ckPath, key) : undefined;
    if (resumed) {
      this.state = resumed.state;
      this.best = resumed.best;
      this.ema = resumed.ema;
    } else {
      backend.setParameters(input.initial ?? initParameters(layout, new Rng(hash32(config.seed, 1))));
      this.ema = config.ema > 0 ? new Ema(config.ema, backend) : undefined; // starts at the parameters
      this.state = {
        arch: input.arch, labels: input.labels, ema: config.ema, emaWarmup: true, dataKey: key, epoch: 0, batchIndex: 0, epochRng: this.batchRng.getState(), step: 0, adamStep: 0,
        epochLoss: 0, epochSentences: 0, epochChars: 0, epochSeconds: 0, bestF1: -1, bestEpoch: 0, badEpochs: 0,
        history: [], elapsedSeconds: 0,
      };
    }
    this.stopper = new EarlyStopper(config.patience, input.dev.length > 0, this.state);
    this.lengths = input.train.map((s) => s.charIds.length);
    this.totalChars = this.lengths.reduce((a, b) => a + b, 0);
    this.callStart = performance.now();
    this.lastCheckpoint = performance.now();
  }

  /** Loads the checkpoint into the backend after checking that it was made for this architecture, data and config. */
  private resume(ckPath: string, key: string): { state: TrainerState; best?: Float32Array; ema?: Ema } {
    const { arch, labels } = this.input;
    const { config, layout } = this;
    const ck = readCheckpoint(ckPath);
    if (JSON.stringify(ck.state.arch) !== JSON.stringify(arch)) throw new Error('resume: the checkpoint was made for a different architecture');
    if (JSON.stringify(ck.state.labels) !== JSON.stringify(labels)) throw new Error('resume: the checkpoint was made for a different tag set');
    if (ck.state.dataKey !== key) throw new Error(dataKeyMismatch(ck.state.dataKey, key));
    if (ck.params.length !== layout.total) throw new Error(`resume: checkpoint holds ${ck.params.length} parameters, expected ${layout.total}`);
    for (const [name, a] of [['best', ck.best], ['ema', ck.ema]] as const) {
      if (a && a.length !== layout.total) throw new Error(`resume: checkpoint's ${name} weights hold ${a.length} parameters, expected ${layout.total}`);
    }
    if (ck.state.ema !== undefined && ck.state.ema !== config.ema) {
      // its best weights and dev scores were chosen under the other setting
      throw new Error(`resume: the checkpoint was made with ema ${ck.state.ema}, the config says ${config.ema}`);
    }
    if (ck.state.ema !== undefined && ck.state.ema > 0 && ck.state.emaWarmup !== true) {
      // its average, best weights and dev scores lean on the random initial weights (no warm-up then)
      throw new Error(`resume: the checkpoint was made by an older cner whose weight average (ema ${ck.state.ema}) had no warm-up; start the run over (--force)`);
    }
    this.backend.setParameters(ck.params);
    this.backend.setOptimizerState({ step: ck.state.adamStep, m: ck.m, v: ck.v });
    const state = { ...ck.state, ema: config.ema, emaWarmup: true };
    this.bar?.message(`resuming at epoch ${state.epoch + 1}, batch ${state.batchIndex} (step ${state.step})`);
    return { state, best: ck.best, ema: config.ema > 0 ? new Ema(config.ema, this.backend, ck.ema ?? ck.params) : undefined };
  }

  /**
   * The mini-batches of the epoch in progress, from state.batchIndex on: forward–backward, optimiser step, the
   * average, progress, timed checkpoints. Returns why it stopped early ('time', 'abort'; after a checkpoint), or
   * undefined when the epoch is done.
   */
  async trainEpoch(): Promise<'time' | 'abort' | undefined> {
    const st = this.state;
    const { config, options, backend } = this;
    this.batchRng.setState(st.epochRng);
    const batches = makeBatches(this.lengths, config.batchSize, this.batchRng);
    let segStart = performance.now();
    for (let bi = st.batchIndex; bi < batches.length; bi++) {
      if (options.signal?.aborted || (options.maxSeconds !== undefined && (performance.now() - this.callStart) / 1000 >= options.maxSeconds)) {
        st.batchIndex = bi;
        st.epochSeconds += (performance.now() - segStart) / 1000;
        await this.checkpoint();
        return options.signal?.aborted ? 'abort' : 'time';
      }
      const idx = batches[bi];
      const sentences = idx.map((i) => this.input.train[i]);
      backend.zeroGrad();
      const stats = await backend.forwardBackward(sentences, { dropout: config.dropout, seed: hash32(config.seed, 3, st.step), keys: idx });
      if (!Number.isFinite(stats.loss)) throw new Error(`training diverged: loss ${stats.loss} at step ${st.step}`);
      await backend.step(config.optimizer, sentences.length);
      this.ema?.update(st.step); // in the backend: no parameters read back
      st.step++;
      options.onStep?.(st.step, stats.loss / stats.sentences);
      st.epochLoss += stats.loss;
      st.epochSentences += stats.sentences;
      st.epochChars += stats.chars;
      const now = performance.now();
      const epochSecs = st.epochSeconds + (now - segStart) / 1000;
      const rate = st.epochChars / Math.max(1e-9, epochSecs);
      const remaining = this.totalChars - st.epochChars + (config.epochs - st.epoch - 1) * this.totalChars;
      this.bar?.update({
        epoch: st.epoch + 1, done: bi + 1, total: batches.length, loss: st.epochLoss / st.epochSentences,
        devF1: st.history.length && this.input.dev.length ? st.history[st.history.length - 1].devF1 : undefined, charsPerSec: rate, etaSeconds: remaining / rate,
      });
      if ((now - this.lastCheckpoint) / 60000 >= config.checkpointMinutes) {
        st.batchIndex = bi + 1;
        st.epochSeconds += (now - segStart) / 1000;
        segStart = now;
        await this.checkpoint();
      }
    }
    st.epochSeconds += (performance.now() - segStart) / 1000;
    st.batchIndex = batches.length; // the epoch's step count, for its report (endEpoch sets it back to 0)
    return undefined;
  }

  /** Dev F1 of the weights in the backend (no dev sentences: spanF1 of nothing). */
  private async scoreDev(): Promise<ReturnType<typeof spanF1>> {
    const { dev, labels } = this.input;
    if (dev.length === 0) return spanF1([], [], labels);
    const paths = await this.backend.decode(dev);
    return spanF1(
      dev.map((s) => s.tagIds),
      paths,
      labels,
    );
  }

  /**
   * The epoch's report: dev scores the averaged weights and the raw ones, and the better of the two stands for the
   * epoch (betterOf); with no dev sentences the average stands. Training resumes from the raw weights either way.
   */
  async evaluateEpoch(): Promise<EpochReport> {
    const st = this.state;
    const trainSeconds = st.epochSeconds;
    const t0 = performance.now();
    const averaged = this.ema ? await this.ema.withAverage(() => this.scoreDev()) : undefined;
    const plain = !this.ema || this.input.dev.length > 0 ? await this.scoreDev() : undefined;
    const { kept, score } = betterOf(averaged, plain);
    const report: EpochReport = {
      epoch: st.epoch + 1,
      loss: st.epochLoss / Math.max(1, st.epochSentences),
      devF1: score.f1,
      devPrecision: score.precision,
      devRecall: score.recall,
      charsPerSec: st.epochChars / Math.max(1e-9, trainSeconds),
      seconds: trainSeconds + (performance.now() - t0) / 1000,
      steps: st.batchIndex,
    };
    if (averaged) Object.assign(report, { kept, devF1Average: averaged.f1, ...(plain ? { devF1Raw: plain.f1 } : {}) });
    return report;
  }

  /** Records the epoch: best weights (onBest), progress, onEpoch, the next epoch's state, checkpoint and curve. */
  async endEpoch(report: EpochReport): Promise<void> {
    const st = this.state;
    st.history.push(report);
    const improved = this.stopper.observe(report.epoch, report.devF1);
    if (improved) {
      await this.backend.sync?.();
      this.best = report.kept === 'average' ? this.ema!.read() : this.backend.getFlatParameters();
      await this.options.onBest?.(this.layout.toWeights(this.best), report);
    }
    this.bar?.epochDone(report, improved);
    this.options.onEpoch?.(report);
    st.elapsedSeconds += report.seconds;
    st.epoch++;
    st.batchIndex = 0;
    st.epochRng = this.batchRng.getState();
    st.epochLoss = st.epochSentences = st.epochChars = st.epochSeconds = 0;
    await this.checkpoint();
    this.writeCurve();
  }

  /** The curve once more and the result of this call. */
  async result(stoppedBy: TrainResult['stoppedBy']): Promise<TrainResult> {
    const st = this.state;
    this.writeCurve();
    await this.backend.sync?.();
    const final = this.backend.getParameters();
    return {
      best: { epoch: st.bestEpoch, f1: Math.max(0, st.bestF1), weights: this.best ? this.layout.toWeights(this.best) : final },
      final,
      history: st.history,
      stoppedBy,
      steps: st.step,
      seconds: (performance.now() - this.callStart) / 1000,
    };
  }

  private async checkpoint(): Promise<void> {
    if (!this.ckPath) return;
    await this.backend.sync?.();
    const opt = this.backend.getOptimizerState();
    this.state.adamStep = opt.step;
    const ck: Checkpoint = { state: this.state, params: this.backend.getFlatParameters(), m: opt.m, v: opt.v, best: this.best, ema: this.ema?.read() };
    writeCheckpoint(this.ckPath, ck);
    this.lastCheckpoint = performance.now();
  }

  private writeCurve(): void {
    const { outDir } = this.options;
    if (!outDir) return;
    const { arch, dev } = this.input;
    writeFileSync(join(outDir, 'curve.json'), JSON.stringify(this.state.history, null, 1));
    writeFileSync(join(outDir, 'curve.svg'), learningCurveSvg(this.state.history, `${arch.crf ? 'BiLSTM-CRF' : 'BiLSTM'} ${JSON.stringify(arch.lstm)}`, dev.length > 0));
  }
}
