/** Checks shared by the tests of training runs with an input channel: the model files survive a round trip. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type ModelFile, readModel, writeModel } from '../../src/model/format.js';
import { createTagger } from '../../src/tagger.js';

const kernels = readFileSync(new URL('../../build/kernels.wasm', import.meta.url));

/**
 * For each model file: readModel then writeModel gives the same bytes, `check` passes on the file read, and a tagger
 * from the file and one from the rewritten bytes tag every text the same, finding something.
 */
export async function expectRoundTrip(
  paths: readonly string[],
  texts: readonly string[],
  check: (file: ModelFile) => void = () => {},
): Promise<void> {
  for (const path of paths) {
    const bytes = readFileSync(path);
    const file = readModel(bytes);
    const again = writeModel(file.header, file.weights);
    expect(Buffer.from(again).equals(bytes), 'byte-identical round trip').toBe(true);
    check(file);
    const a = await createTagger({ model: bytes, kernels });
    const b = await createTagger({ model: again, kernels });
    let found = 0;
    for (const text of texts) {
      const x = a.tag(text);
      expect(b.tag(text)).toEqual(x);
      found += x.entities.length;
    }
    expect(found, 'the model tags something').toBeGreaterThan(0);
  }
}
