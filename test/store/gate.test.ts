import { describe, expect, it } from 'vitest';
import { decidePublish, recordedMetrics, type ModelMetrics } from '../../src/store/gate.js';
import { gatedPublish } from '../../src/store/gated.js';
import { readManifest } from '../../src/store/manifest.js';
import { MemoryStore } from '../../src/store/memory.js';
import { PreconditionFailedError } from '../../src/store/object-store.js';
import { randomModel } from '../helpers/random-model.js';

const m = (microF1: number, perType: Record<string, number> = {}, split = 'test-v1'): ModelMetrics => ({
  split,
  microF1,
  perType: Object.fromEntries(Object.entries(perType).map(([t, f1]) => [t, { f1 }])),
});

describe('decidePublish', () => {
  it('publishes the first model', () => {
    const d = decidePublish({ candidate: m(0.5), current: null });
    expect(d.publish).toBe(true);
    expect(d.reasons[0]).toMatch(/no current model/);
  });

  it('better → publish; equal → publish; worse → refuse', () => {
    expect(decidePublish({ candidate: m(0.86), current: m(0.85) }).publish).toBe(true);
    expect(decidePublish({ candidate: m(0.85), current: m(0.85) }).publish).toBe(true);
    // equal up to summation-order rounding
    expect(decidePublish({ candidate: m(0.1 + 0.2), current: m(0.3) }).publish).toBe(true);
    const worse = decidePublish({ candidate: m(0.84), current: m(0.85) });
    expect(worse.publish).toBe(false);
    expect(worse.reasons.join('\n')).toMatch(/REFUSE: candidate micro-F1 0.8400 vs current 0.8500 \(margin 0.0000\): below 0.8500/);
  });

  it('within the margin → publish; beyond it → refuse', () => {
    expect(decidePublish({ candidate: m(0.845), current: m(0.85), margin: 0.005 }).publish).toBe(true);
    expect(decidePublish({ candidate: m(0.8449), current: m(0.85), margin: 0.005 }).publish).toBe(false);
  });

  it('a violated per-type floor refuses even a better model; a missing type too', () => {
    const d = decidePublish({ candidate: m(0.9, { BODY: 0.95, DISEASE: 0.55 }), current: m(0.85), perTypeFloors: { BODY: 0.9, DISEASE: 0.6 } });
    expect(d.publish).toBe(false);
    expect(d.reasons).toContain('ok: type BODY F1 0.9500 ≥ floor 0.9000');
    expect(d.reasons).toContain('REFUSE: type DISEASE F1 0.5500 below floor 0.6000');
    const missing = decidePublish({ candidate: m(0.9, { BODY: 0.95 }), current: null, perTypeFloors: { CHECK: 0.5 } });
    expect(missing.publish).toBe(false);
    expect(missing.reasons.join()).toMatch(/CHECK has a floor 0.5000 but no score/);
    expect(decidePublish({ candidate: m(0.9, { BODY: 0.9 }), current: m(0.9), perTypeFloors: { BODY: 0.9 } }).publish).toBe(true);
  });

  it('different or unrecorded test splits refuse', () => {
    const d = decidePublish({ candidate: m(0.99, {}, 'test-v2'), current: m(0.5, {}, 'test-v1') });
    expect(d.publish).toBe(false);
    expect(d.reasons.join()).toMatch(/test splits differ .* re-evaluate the current model/);
    const noSplit = { microF1: 0.9 };
    expect(decidePublish({ candidate: noSplit, current: m(0.8) }).publish).toBe(false);
    const lax = decidePublish({ candidate: noSplit, current: m(0.8), requireSplit: false });
    expect(lax.publish).toBe(true);
    expect(lax.reasons.join()).toMatch(/warning: test split not recorded/);
  });

  it('validates its input', () => {
    expect(() => decidePublish({ candidate: m(1.2), current: null })).toThrow(/candidate.microF1: expected a number in \[0, 1\], got 1.2/);
    expect(() => decidePublish({ candidate: m(0.5), current: m(0.5), margin: -0.1 })).toThrow(/margin must be a number in \[0, 1\]/);
    expect(() => decidePublish({ candidate: m(0.5), current: null, perTypeFloors: { X: 2 } })).toThrow(/perTypeFloors.X/);
    expect(() => decidePublish({ candidate: { microF1: 0.5, perType: { X: { f1: NaN } } }, current: null })).toThrow(/candidate.perType.X.f1/);
  });
});

describe('gatedPublish', () => {
  const [a, b, c] = [1, 2, 3].map((seed) => randomModel({ seed }).bytes);

  it('publishes when at least as good, keeps the current one otherwise', async () => {
    const store = new MemoryStore();
    const first = await gatedPublish(store, a, { metrics: m(0.8) });
    expect(first.decision.publish).toBe(true);
    expect(first.result?.entry.version).toBe(1);

    const worse = await gatedPublish(store, b, { metrics: m(0.7) });
    expect(worse.decision.publish).toBe(false);
    expect(worse.result).toBeUndefined();
    expect((await readManifest(store))!.current.version).toBe(1);

    // the current model re-evaluated on a new split: the job passes currentMetrics
    const better = await gatedPublish(store, c, { metrics: m(0.75, {}, 'test-v2'), currentMetrics: m(0.74, {}, 'test-v2') });
    expect(better.decision.publish).toBe(true);
    const man = (await readManifest(store))!;
    expect(man.current.metrics?.split).toBe('test-v2');
    expect(man.history.map((e) => e.version)).toEqual([1]);
  });

  it('refuses when the current model has no metrics to compare with', async () => {
    const store = new MemoryStore();
    const { publishModel } = await import('../../src/store/manifest.js');
    await publishModel(store, a);
    const r = await gatedPublish(store, b, { metrics: m(0.99) });
    expect(r.decision.publish).toBe(false);
    expect(r.decision.reasons[0]).toMatch(/no recorded metrics/);
  });

  it('does not publish over a model its decision did not compare against', async () => {
    const store = new MemoryStore();
    const { publishModel } = await import('../../src/store/manifest.js');
    await publishModel(store, a, { metrics: m(0.8) });
    // someone publishes c between the gate's read and the publish: intercept the first manifest HEAD after the read
    let reads = 0;
    const racing = Object.create(store) as MemoryStore;
    racing.get = async (key: string) => {
      const r = await store.get(key);
      if (key === 'manifest.json' && ++reads === 1) await publishModel(store, c, { metrics: m(0.95) });
      return r;
    };
    await expect(gatedPublish(racing, b, { metrics: m(0.85) })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await readManifest(store))!.current.metrics?.microF1).toBe(0.95);
  });
});

describe('recordedMetrics (the test figures a model file records)', () => {
  it('reads document-level strict figures with per-type F1, and sentence-level F1; ignores junk', () => {
    const header = {
      training: {
        metrics: {
          test: { precision: 0.9, recall: 0.9, f1: 0.91, level: 'sentence' },
          testDocuments: { consistency: { strict: { micro: { f1: 0.92 }, perType: { BODY: { f1: 0.8 }, BAD: { f1: 7 } } } } },
        },
      },
    };
    expect(recordedMetrics(header)).toEqual({ documents: { microF1: 0.92, perType: { BODY: { f1: 0.8 } } }, sentences: { microF1: 0.91 } });
    expect(recordedMetrics({ training: { metrics: { test: { f1: 'x' } } } })).toEqual({});
    expect(recordedMetrics({ training: null })).toEqual({});
    expect(recordedMetrics(null)).toEqual({});
  });
});
