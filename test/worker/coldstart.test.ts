/**
 * The cold-start path inside workerd: readModelAsync (WebCrypto digests) reads and refuses exactly what readModel
 * does, sha256Async equals the JavaScript digest, createTagger has the content id at once, and the lazily built
 * segmenter dictionary cuts exactly like one built word by word.
 */
import { describe, expect, it } from 'vitest';
import kernels from '../../build/kernels.wasm';
import vectorModel from '../vectors/model.cner';
import { encodeModelSections, ModelFormatError, readModel, readModelAsync } from '../../src/model/format.js';
import { sha256, sha256Async, toHex } from '../../src/model/sha256.js';
import { createTagger } from '../../src/tagger.js';
import { CodeUnitTrie, JiebaDictionary, createSegmenter } from '../../src/segment/index.js';
import { randomModel } from '../helpers/random-model.js';

const outcome = async (read: () => unknown): Promise<string> => {
  try {
    await read();
    return 'ok';
  } catch (e) {
    return e instanceof ModelFormatError ? `${e.code}: ${e.message}` : `${(e as Error).name}: ${(e as Error).message}`;
  }
};

describe('cold-start path in workerd', () => {
  it('readModelAsync equals readModel, with the content id computed by WebCrypto', async () => {
    expect(typeof crypto.subtle.digest).toBe('function');
    const bytes = new Uint8Array(vectorModel);
    const sync = readModel(bytes);
    const file = await readModelAsync(vectorModel);
    expect(file.header).toEqual(sync.header);
    expect([...file.weights.keys()]).toEqual([...sync.weights.keys()]);
    for (const [name, t] of sync.weights) expect(file.weights.get(name)!.data, name).toEqual(t.data);
    expect(file.sha256).toBe(sync.sha256);
    expect(file.sha256).toBe(toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))));
  });

  it('refuses changed bytes and broken contents with the same code and message as readModel', async () => {
    const good = randomModel({ seed: 3, int8: true }).bytes;
    const files: Uint8Array[] = [];
    for (const p of [0, 9, 20, 50, 80, 120, good.length - 1]) {
      const bad = good.slice();
      bad[p] ^= 4;
      files.push(bad);
    }
    files.push(good.subarray(0, good.length - 1));
    const dv = new DataView(good.buffer, good.byteOffset);
    const table = new TextDecoder().decode(good.subarray(104 + dv.getUint32(16, true), 104 + dv.getUint32(16, true) + dv.getUint32(20, true)));
    files.push(encodeModelSections({ header: '{"name": 1}', table, payload: good.subarray(dv.getUint32(24, true)) }));
    for (const [i, f] of files.entries()) {
      const want = await outcome(() => readModel(f));
      expect(want, `file ${i}`).not.toBe('ok');
      expect(await outcome(() => readModelAsync(f)), `file ${i}`).toBe(want);
    }
  });

  it('sha256Async equals the JavaScript SHA-256', async () => {
    for (const n of [0, 3, 64, 1000, 100_001]) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
      expect(await sha256Async(data), `length ${n}`).toEqual(sha256(data));
    }
  });

  it('createTagger from bytes has the content id at once; the lazily built dictionary cuts like an eager one', async () => {
    const tagger = await createTagger({ model: new Uint8Array(vectorModel), kernels });
    expect(tagger.info.sha256).toBe(readModel(new Uint8Array(vectorModel)).sha256);
    const spec = tagger.header.segmenter;
    if (spec.kind !== 'dict') throw new Error('the vector model has a dictionary segmenter');
    const eager = new CodeUnitTrie(16);
    spec.words.forEach((w, i) => eager.set(w, spec.freqs[i]));
    const reference = new JiebaDictionary(eager, spec.total);
    const segmenter = createSegmenter(spec);
    const texts = [...spec.words, spec.words.join(''), spec.words.join('，'), '患者右下腹痛三天😀，abc 12.5mg', ''];
    for (const t of texts) expect(segmenter.cutEnds(t), t).toEqual(reference.cutEnds(t));
  });
});
