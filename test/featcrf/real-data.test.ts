import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recordIdOf, splitByRecord } from '../../src/corpus/index.js';
import { readCorpus } from '../../src/io/corpus-io.js';
import { runFeatureCrfExperiment } from '../../scripts/featcrf/experiment.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CCKS = path.resolve(ROOT, '../shared/data/ccks2017/train');
const present = existsSync(CCKS);
if (!present) console.log(`[featcrf real-data] skipped: ${CCKS} (CCKS 2017) is not present on this machine`);

describe.skipIf(!present)('feature CRF on CCKS 2017 (real data, short training)', () => {
  it(
    'reaches a sensible F1 after 20 L-BFGS iterations on the default record split',
    async () => {
      const { docs } = await readCorpus(CCKS);
      const split = splitByRecord(docs, { recordKey: recordIdOf }); // default seed 2017, 80/10/10
      expect(split.train.length).toBeGreaterThan(900);
      const r = runFeatureCrfExperiment({ ...split, seed: 1, options: { maxIterations: 20, evalEvery: 20 } });
      console.log(
        `[featcrf real-data] 20 iterations in ${r.info.trainSeconds.toFixed(1)} s: dev strict F1 ${r.dev.strict.f1.toFixed(4)}, ` +
          `test strict F1 ${r.strict.f1.toFixed(4)}, test relaxed F1 ${r.relaxed.f1.toFixed(4)}`,
      );
      // measured: dev strict F1 0.91, test ≈ 0.90 at 20 iterations (0.949 / 0.937 after the full 100–130)
      expect(r.dev.strict.f1).toBeGreaterThan(0.87);
      expect(r.strict.f1).toBeGreaterThan(0.86);
      expect(r.relaxed.f1).toBeGreaterThan(r.strict.f1);
      expect(r.relaxed.f1).toBeGreaterThan(0.92);
      expect(Object.keys(r.perType).sort()).toEqual(['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT']);
      expect(r.perType.CHECK.strict.f1).toBeGreaterThan(0.85);
      expect(r.info.numFeatures).toBeGreaterThan(50_000);
    },
    300_000,
  );
});
