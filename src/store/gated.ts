/**
 * The gated publish the scheduled retraining job calls after evaluating its candidate. Platform-neutral.
 *
 *   const lock = await acquireLock(store, { owner })        // before training
 *   … train, evaluate candidate (and re-evaluate the current model) on the test split …
 *   const { decision, result } = await gatedPublish(store, bytes, { metrics, currentMetrics, margin })
 *   await lock.release()
 */
import { decidePublish, type GateDecision, type ModelMetrics } from './gate.js';
import { publishModel, readManifest, type PublishOptions, type PublishResult } from './manifest.js';
import type { ObjectStore } from './object-store.js';

export interface GatedPublishOptions extends Omit<PublishOptions, 'metrics' | 'expectedCurrentSha'> {
  /** the candidate's metrics on the test split */
  metrics: ModelMetrics;
  /**
   * the current model's metrics on the SAME split (re-evaluated by the job); default: the metrics stored in
   * the manifest's current entry (valid only if the split has not changed — the gate checks `split`)
   */
  currentMetrics?: ModelMetrics;
  margin?: number;
  perTypeFloors?: Record<string, number>;
  requireSplit?: boolean;
}

export interface GatedPublishResult {
  decision: GateDecision;
  /** present when the decision was to publish */
  result?: PublishResult;
}

export async function gatedPublish(store: ObjectStore, bytes: Uint8Array, options: GatedPublishOptions): Promise<GatedPublishResult> {
  if (!options || typeof options !== 'object') throw new TypeError('gatedPublish: expected options { metrics, ... }');
  const { metrics, currentMetrics, margin, perTypeFloors, requireSplit, ...publishOptions } = options;
  const manifest = await readManifest(store);
  let current: ModelMetrics | null = null;
  if (manifest) {
    current = currentMetrics ?? manifest.current.metrics;
    if (current === null) {
      return {
        decision: {
          publish: false,
          reasons: [`REFUSE: current model v${manifest.current.version} has no recorded metrics: re-evaluate it and pass currentMetrics`],
        },
      };
    }
  }
  const decision = decidePublish({ candidate: metrics, current, margin, perTypeFloors, requireSplit });
  if (!decision.publish) return { decision };
  const result = await publishModel(store, bytes, {
    ...publishOptions,
    metrics,
    expectedCurrentSha: manifest ? manifest.current.sha256 : null,
  });
  return { decision, result };
}
