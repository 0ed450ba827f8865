/**
 * createTagger's construction path: model bytes are read with readModelAsync (WebCrypto) while the kernels are
 * instantiated; the content id is ready at once; a verified digest may be passed in; errors keep their order.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTagger } from '../../src/tagger.js';
import { ModelFormatError, readModel } from '../../src/model/format.js';
import { randomModel } from '../helpers/random-model.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wasmPath = resolve(root, 'build/kernels.wasm');
let wasm: Uint8Array<ArrayBuffer>;

const DICT = {
  kind: 'dict' as const,
  variant: 'jieba' as const,
  total: 1000,
  words: ['右下腹', '呕吐', '恶心', '患者', '腹部', '诊断', '阑尾炎', '压痛', '急性'].sort(),
  freqs: [5, 5, 5, 5, 5, 5, 5, 5, 5],
};
const TEXT = '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛，反跳痛。诊断：急性阑尾炎。';
/** random int8 weights and a dictionary segmenter (the lazily built trie) */
const model = () => randomModel({ text: TEXT, segmenter: DICT, cut: (t) => Array.from(t), int8: true, seed: 21, arch: { charDim: 8, wordDim: 8, lstm: [8] } });

beforeAll(() => {
  if (!existsSync(wasmPath)) throw new Error('build/kernels.wasm is missing: run npm run build:kernels first');
  wasm = new Uint8Array(readFileSync(wasmPath));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('createTagger from model bytes', () => {
  it('has the content id at once, equal to the file digest, and answers like a tagger made from readModel()', async () => {
    const m = model();
    const digest = createHash('sha256').update(m.bytes).digest('hex');
    const fromBytes = await createTagger({ model: m.bytes, kernels: wasm });
    const fromFile = await createTagger({ model: readModel(m.bytes), kernels: new WebAssembly.Module(wasm) });
    expect(fromBytes.info.sha256).toBe(digest);
    expect(fromFile.info.sha256).toBe(digest);
    expect(fromBytes.tag(TEXT, { kbest: 3 })).toEqual(fromFile.tag(TEXT, { kbest: 3 }));
    expect(fromBytes.tagMany([TEXT, '腹部压痛', ''])).toEqual(fromFile.tagMany([TEXT, '腹部压痛', '']));
  });

  it('takes a verified digest as info.sha256; refuses a malformed one, and one given with a ModelFile', async () => {
    const m = model();
    const digest = createHash('sha256').update(m.bytes).digest('hex');
    const t = await createTagger({ model: m.bytes, kernels: wasm, sha256: digest });
    expect(t.info.sha256).toBe(digest);
    await expect(createTagger({ model: m.bytes, kernels: wasm, sha256: digest.toUpperCase() })).rejects.toThrow(TypeError);
    await expect(createTagger({ model: m.bytes, kernels: wasm, sha256: 7 as unknown as string })).rejects.toThrow(/sha256/);
    await expect(createTagger({ model: readModel(m.bytes), kernels: wasm, sha256: digest })).rejects.toThrow(/ModelFile/);
    // the file's own digests are checked whatever digest is given
    const changed = m.bytes.slice();
    changed[changed.length - 1] ^= 1;
    await expect(createTagger({ model: changed, kernels: wasm, sha256: digest })).rejects.toThrow(/payload checksum/);
  });

  it('works without WebCrypto', async () => {
    const m = model();
    const want = (await createTagger({ model: m.bytes, kernels: wasm })).tag(TEXT, { kbest: 2 });
    vi.stubGlobal('crypto', undefined);
    const t = await createTagger({ model: m.bytes, kernels: wasm });
    expect(t.info.sha256).toBe(createHash('sha256').update(m.bytes).digest('hex'));
    expect(t.tag(TEXT, { kbest: 2 })).toEqual(want);
  });

  it('reports a bad model before missing or bad kernels, and bad kernels for a good model', async () => {
    const m = model();
    const broken = m.bytes.slice();
    broken[150] ^= 1;
    await expect(createTagger({ model: broken } as never)).rejects.toBeInstanceOf(ModelFormatError);
    await expect(createTagger({ model: broken, kernels: new Uint8Array([0, 1, 2, 3]) })).rejects.toBeInstanceOf(ModelFormatError);
    await expect(createTagger({ model: m.bytes } as never)).rejects.toThrow(/kernels is missing/);
    await expect(createTagger({ model: m.bytes, kernels: new Uint8Array([0, 1, 2, 3]) })).rejects.toBeInstanceOf(WebAssembly.CompileError);
  });
});
