/**
 * Scores a model FILE the way users meet it: the tagger (src/tagger.ts) on whole documents, entity-level
 * strict and relaxed P/R/F1 from src/eval/. The trainer, `cner train`, the experiments and the retraining
 * gate all measure through this one function.
 */
import { readFileSync } from 'node:fs';
import type { Doc } from '../corpus/document.js';
import { type EntityEvalReport, evaluateEntities } from '../eval/index.js';
import { defaultKernelsPath } from '../io/artefacts.js';
import { createTagger } from '../tagger.js';

export interface ModelEvaluation {
  /** consistency check layer on */
  withConsistency: EntityEvalReport;
  /** consistency check layer off */
  withoutConsistency: EntityEvalReport;
  /** characters tagged per second (both passes) */
  charsPerSecond: number;
}

let kernelsBytes: Uint8Array | undefined;
function kernels(): Uint8Array {
  kernelsBytes ??= new Uint8Array(readFileSync(defaultKernelsPath()));
  return kernelsBytes;
}

/**
 * Tags `docs` with the model and scores the result against their gold entities. With `train` (the documents the
 * model was trained on) each report also holds the seen / unseen entity scores (EntityEvalReport.novelty).
 */
export async function evaluateModel(model: Uint8Array, docs: readonly Doc[], options: { train?: readonly Doc[] } = {}): Promise<ModelEvaluation> {
  if (!(model instanceof Uint8Array)) throw new TypeError(`evaluateModel: expected model bytes (Uint8Array), got ${typeof model}`);
  if (!Array.isArray(docs) || docs.length === 0) throw new Error('evaluateModel: expected at least one gold document');
  const tagger = await createTagger({ model, kernels: kernels() });
  const texts = docs.map((d) => d.text);
  const t0 = performance.now();
  const run = (consistency: boolean): Doc[] =>
    tagger.tagMany(texts, { consistency, scores: false }).map((r, i) => ({
      id: docs[i].id,
      text: docs[i].text,
      entities: r.entities.map((e) => ({ start: e.start, end: e.end, type: e.type })),
    }));
  const on = run(true);
  const off = run(false);
  const seconds = (performance.now() - t0) / 1000;
  const chars = texts.reduce((a, t) => a + t.length, 0) * 2;
  return {
    withConsistency: evaluateEntities(docs, on, { pairBy: 'order', train: options.train }),
    withoutConsistency: evaluateEntities(docs, off, { pairBy: 'order', train: options.train }),
    charsPerSecond: chars / seconds,
  };
}
