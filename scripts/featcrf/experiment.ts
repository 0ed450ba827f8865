/**
 * The experiment entry the runner calls: train on `train`, stop on `dev`, report on `test`.
 */
import type { Doc } from '../../src/corpus/document.js';
import { evaluateFeatureCrf, trainFeatureCrf, type FeatureCrf, type FeatureCrfOptions, type TrainInfo } from './model.js';
import type { EntityEvalReport, Prf as EvalPrf } from '../../src/eval/index.js';

export interface Prf {
  p: number;
  r: number;
  f1: number;
}

export interface TypeScores {
  strict: Prf;
  relaxed: Prf;
}

export interface FeatureCrfExperimentInput {
  train: Doc[];
  dev: Doc[];
  test: Doc[];
  seed: number;
  /** overrides of the training options (seed is taken from `seed`) */
  options?: Omit<FeatureCrfOptions, 'seed'>;
}

export interface FeatureCrfExperimentResult {
  /** micro scores on the test part */
  strict: Prf;
  relaxed: Prf;
  perType: Record<string, TypeScores>;
  /** the same on the dev part (the part that chose the stopping iteration) */
  dev: { strict: Prf; relaxed: Prf; perType: Record<string, TypeScores> };
  /** the full src/eval reports */
  reports: { dev: EntityEvalReport; test: EntityEvalReport };
  info: TrainInfo;
  /** seconds to tag the test part */
  predictSeconds: number;
  model: FeatureCrf;
}

export function runFeatureCrfExperiment(input: FeatureCrfExperimentInput): FeatureCrfExperimentResult {
  if (!input || !Array.isArray(input.train) || !Array.isArray(input.dev) || !Array.isArray(input.test)) {
    throw new TypeError('runFeatureCrfExperiment: expected { train: Doc[], dev: Doc[], test: Doc[], seed }');
  }
  if (!Number.isInteger(input.seed)) throw new TypeError(`runFeatureCrfExperiment: seed must be an integer, got ${input.seed}`);
  const model = trainFeatureCrf(input.train, input.dev, { ...input.options, seed: input.seed });
  const dev = evaluateFeatureCrf(model, input.dev);
  const t0 = performance.now();
  const test = evaluateFeatureCrf(model, input.test);
  const predictSeconds = (performance.now() - t0) / 1000;
  const t = summarise(test);
  return { ...t, dev: summarise(dev), reports: { dev, test }, info: model.info, predictSeconds, model };
}

const prf = (x: EvalPrf): Prf => ({ p: x.precision, r: x.recall, f1: x.f1 });

function summarise(r: EntityEvalReport): { strict: Prf; relaxed: Prf; perType: Record<string, TypeScores> } {
  const perType: Record<string, TypeScores> = {};
  for (const t of r.types) perType[t] = { strict: prf(r.strict.perType[t]), relaxed: prf(r.relaxed.perType[t]) };
  return { strict: prf(r.strict.micro), relaxed: prf(r.relaxed.micro), perType };
}
