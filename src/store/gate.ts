/**
 * The publish gate of the scheduled retraining job. Platform-neutral.
 *
 * A candidate replaces the current model only when it is at least as good ON THE SAME TEST SPLIT:
 *   candidate.microF1 ≥ current.microF1 − margin, and every per-type floor holds (candidate F1 ≥ floor).
 * Metrics from different test splits are not comparable: the job must re-evaluate the current model on the
 * candidate's split (it has the current model file) and pass those metrics as `current`.
 */

/** Scores of one model on one test split (what the manifest stores beside each model). */
export interface ModelMetrics {
  /** identifies the test split, e.g. the SHA-256 of its sorted document ids; compared verbatim */
  split?: string;
  /** micro-averaged entity F1 in [0, 1] (conlleval semantics) */
  microF1: number;
  microPrecision?: number;
  microRecall?: number;
  /** per entity type: F1 in [0, 1] and optional support (gold entity count) */
  perType?: Record<string, { f1: number; precision?: number; recall?: number; support?: number }>;
}

export interface GateInput {
  candidate: ModelMetrics;
  /** the current model's metrics on the same split; null when nothing is published yet */
  current: ModelMetrics | null;
  /** how much lower the candidate's micro-F1 may be and still publish (≥ 0, default 0) */
  margin?: number;
  /** minimum F1 per entity type, e.g. { DISEASE: 0.6 }; a type missing from candidate.perType fails */
  perTypeFloors?: Record<string, number>;
  /** refuse when either side lacks `split` (default true); a differing split always refuses */
  requireSplit?: boolean;
}

export interface GateDecision {
  publish: boolean;
  /** every check, passed or failed, in words (numbers only, no text from documents) */
  reasons: string[];
}

/** Rounding slack so that equal scores computed in different orders still count as equal. */
const EPS = 1e-9;

export function decidePublish(input: GateInput): GateDecision {
  if (input === null || typeof input !== 'object') throw new TypeError(`decidePublish: expected { candidate, current, ... }, got ${input === null ? 'null' : typeof input}`);
  const { candidate, current } = input;
  const margin = input.margin ?? 0;
  const requireSplit = input.requireSplit ?? true;
  checkMetrics(candidate, 'candidate');
  if (current !== null) checkMetrics(current, 'current');
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0 || margin > 1) {
    throw new TypeError(`decidePublish: margin must be a number in [0, 1], got ${String(margin)}`);
  }
  const floors = input.perTypeFloors ?? {};
  if (floors === null || typeof floors !== 'object') throw new TypeError(`decidePublish: perTypeFloors must be an object of type → F1`);
  for (const [type, f] of Object.entries(floors)) {
    if (typeof f !== 'number' || !Number.isFinite(f) || f < 0 || f > 1) {
      throw new TypeError(`decidePublish: perTypeFloors.${type} must be a number in [0, 1], got ${String(f)}`);
    }
  }

  const reasons: string[] = [];
  let ok = true;
  const fail = (r: string) => {
    ok = false;
    reasons.push(`REFUSE: ${r}`);
  };
  const pass = (r: string) => reasons.push(`ok: ${r}`);

  if (current === null) {
    pass('no current model: the first candidate is published');
  } else {
    if (candidate.split !== undefined && current.split !== undefined) {
      if (candidate.split !== current.split) {
        fail(`test splits differ (candidate ${short(candidate.split)}, current ${short(current.split)}): re-evaluate the current model on the candidate's split`);
      } else {
        pass(`same test split ${short(candidate.split)}`);
      }
    } else if (requireSplit) {
      fail(`test split not recorded for the ${candidate.split === undefined ? 'candidate' : 'current model'}: cannot confirm both were scored on the same split`);
    } else {
      reasons.push('warning: test split not recorded; assuming the same split');
    }
    const threshold = current.microF1 - margin;
    const cmp = `candidate micro-F1 ${fmt(candidate.microF1)} vs current ${fmt(current.microF1)} (margin ${fmt(margin)})`;
    if (candidate.microF1 + EPS >= threshold) pass(cmp);
    else fail(`${cmp}: below ${fmt(threshold)}`);
  }

  for (const [type, floor] of Object.entries(floors)) {
    const score = candidate.perType?.[type];
    if (score === undefined) fail(`type ${type} has a floor ${fmt(floor)} but no score in the candidate's metrics`);
    else if (score.f1 + EPS >= floor) pass(`type ${type} F1 ${fmt(score.f1)} ≥ floor ${fmt(floor)}`);
    else fail(`type ${type} F1 ${fmt(score.f1)} below floor ${fmt(floor)}`);
  }

  return { publish: ok, reasons };
}

/** The test figures a model file records about itself (its header's `training.metrics`, written by `cner train`). */
export interface RecordedMetrics {
  /** whole test documents through the tagger, strict entity match, consistency layer on (`testDocuments`) */
  documents?: ModelMetrics;
  /** test sentences, strict entity match (`test`) */
  sentences?: ModelMetrics;
}

/**
 * Reads a model header's recorded test figures. Unknown shapes and out-of-range numbers are ignored (a model
 * card is free-form beyond these fields); neither figure records which split it was measured on.
 */
export function recordedMetrics(header: unknown): RecordedMetrics {
  const get = (x: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), x);
  const unit = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
  const out: RecordedMetrics = {};
  const metrics = get(header, 'training', 'metrics');
  const strict = get(metrics, 'testDocuments', 'consistency', 'strict');
  const micro = get(strict, 'micro');
  if (unit(get(micro, 'f1'))) {
    const perType: NonNullable<ModelMetrics['perType']> = {};
    const types = get(strict, 'perType');
    if (types !== null && typeof types === 'object') {
      for (const [t, v] of Object.entries(types as Record<string, unknown>)) if (unit(get(v, 'f1'))) perType[t] = { f1: get(v, 'f1') as number };
    }
    out.documents = { microF1: get(micro, 'f1') as number, perType };
  }
  if (unit(get(metrics, 'test', 'f1'))) out.sentences = { microF1: get(metrics, 'test', 'f1') as number };
  return out;
}

/** Validates a metrics object (the gate and the manifest both use it); throws naming the bad field. */
export function checkMetrics(m: unknown, what = 'metrics'): asserts m is ModelMetrics {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) {
    throw new TypeError(`${what}: expected an object { microF1, perType?, split? }, got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}`);
  }
  const x = m as Record<string, unknown>;
  checkUnit(x.microF1, `${what}.microF1`);
  for (const k of ['microPrecision', 'microRecall'] as const) if (x[k] !== undefined) checkUnit(x[k], `${what}.${k}`);
  if (x.split !== undefined && (typeof x.split !== 'string' || x.split === '')) {
    throw new TypeError(`${what}.split: expected a non-empty string, got ${typeof x.split}`);
  }
  if (x.perType !== undefined) {
    if (x.perType === null || typeof x.perType !== 'object' || Array.isArray(x.perType)) {
      throw new TypeError(`${what}.perType: expected an object of type → { f1 }, got ${x.perType === null ? 'null' : typeof x.perType}`);
    }
    for (const [type, s] of Object.entries(x.perType as Record<string, unknown>)) {
      if (s === null || typeof s !== 'object') throw new TypeError(`${what}.perType.${type}: expected { f1 }, got ${s === null ? 'null' : typeof s}`);
      const score = s as Record<string, unknown>;
      checkUnit(score.f1, `${what}.perType.${type}.f1`);
      for (const k of ['precision', 'recall'] as const) if (score[k] !== undefined) checkUnit(score[k], `${what}.perType.${type}.${k}`);
      if (score.support !== undefined && (!Number.isInteger(score.support) || (score.support as number) < 0)) {
        throw new TypeError(`${what}.perType.${type}.support: expected a non-negative integer, got ${String(score.support)}`);
      }
    }
  }
}

function checkUnit(v: unknown, what: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new TypeError(`${what}: expected a number in [0, 1], got ${typeof v === 'number' ? String(v) : typeof v}`);
  }
}

function fmt(x: number): string {
  return x.toFixed(4);
}

function short(s: string): string {
  return s.length > 16 ? `${s.slice(0, 12)}…` : s;
}
