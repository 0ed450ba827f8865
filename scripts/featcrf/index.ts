export { trainFeatureCrf, loadFeatureCrf, evaluateFeatureCrf, FeatureCrf } from './model.js';
export type { FeatureCrfOptions, FeatureCrfJson, TrainInfo } from './model.js';
export { runFeatureCrfExperiment } from './experiment.js';
export type { FeatureCrfExperimentInput, FeatureCrfExperimentResult, Prf, TypeScores } from './experiment.js';
export type { Segmenter } from './features.js';
