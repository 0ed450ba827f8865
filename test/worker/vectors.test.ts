/**
 * The shared test vectors (test/vectors/) inside workerd: the same model and inputs give the same entities
 * as the Node library and the browser — through the platform-neutral tagger directly and through the
 * Worker's HTTP API with the model published to its R2 bucket. Probabilities are compared with the
 * cross-engine tolerance (Math.exp/log differ in the last bit between V8 versions); everything else exactly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import kernels from '../../build/kernels.wasm';
import vectorModel from '../vectors/model.cner';
import vectorsJson from '../vectors/vectors.json' with { type: 'json' };
import { createTagger, type Tagger } from '../../src/tagger.js';
import { publishModel } from '../../src/store/index.js';
import { CROSS_ENGINE_TOLERANCE, diffResult, type VectorFile } from '../vectors/compare.js';
import { clearBucket, store, tag } from './helpers.js';

const vectors = vectorsJson as unknown as VectorFile;
const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
let tagger: Tagger;

beforeAll(async () => {
  tagger = await createTagger({ model: new Uint8Array(vectorModel), kernels });
});

describe('shared test vectors in workerd', () => {
  it('the tagger reproduces every case', () => {
    expect(tagger.info.sha256).toBe(vectors.model.sha256);
    const diffs = vectors.cases.flatMap((c) =>
      diffResult(c.name, roundTrip(tagger.tag(c.text, c.options)), c.expected, { tolerance: CROSS_ENGINE_TOLERANCE }),
    );
    expect(diffs).toEqual([]);
  });

  it('the Worker API serving the vector model from R2 gives the same entities', async () => {
    await clearBucket();
    await publishModel(store(), new Uint8Array(vectorModel));
    // the API exposes offsets, scores, kbest and consistency; window-size cases are library-only
    const apiCases = vectors.cases.filter((c) => Object.keys(c.options).every((k) => ['offsets', 'scores', 'kbest', 'consistency'].includes(k)));
    expect(apiCases.length).toBeGreaterThan(10);
    for (const c of apiCases) {
      const res = await tag({ text: c.text, options: c.options });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model: { sha256: string }; entities: unknown[]; paths?: unknown[] };
      expect(body.model.sha256).toBe(vectors.model.sha256);
      const actual = { entities: body.entities, ...(body.paths ? { paths: body.paths } : {}) };
      expect(diffResult(c.name, actual, c.expected, { tolerance: CROSS_ENGINE_TOLERANCE })).toEqual([]);
    }
    await clearBucket();
  });
});
