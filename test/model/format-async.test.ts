/**
 * readModelAsync (WebCrypto digests) against readModel (JavaScript digests): the same files, the same refusals
 * with the same codes and messages, in the same order; the content id ready at once; options.sha256; and the
 * fallback when WebCrypto is missing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import {
  ModelFormatError,
  PREAMBLE_BYTES,
  type ModelFile,
  encodeModelSections,
  readModel,
  readModelAsync,
} from '../../src/model/format.js';
import { sha256, sha256Async } from '../../src/model/sha256.js';
import type { Tensor } from '../../src/model/layout.js';
import { randomModel, rng } from '../helpers/random-model.js';
import { rawFile, reassemble, sections } from './files.js';

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** What a reader does with these bytes: 'ok' or the error's class, code and message. */
function outcomeSync(bytes: Uint8Array): string {
  try {
    readModel(bytes);
    return 'ok';
  } catch (e) {
    return describeError(e);
  }
}

async function outcomeAsync(bytes: Uint8Array): Promise<string> {
  try {
    await readModelAsync(bytes);
    return 'ok';
  } catch (e) {
    return describeError(e);
  }
}

function describeError(e: unknown): string {
  if (e instanceof ModelFormatError) return `ModelFormatError ${e.code}: ${e.message}`;
  return `${(e as Error).name}: ${(e as Error).message}`;
}

function expectSameFile(a: ModelFile, b: ModelFile): void {
  expect(b.header).toEqual(a.header);
  expect([...b.weights.keys()]).toEqual([...a.weights.keys()]);
  for (const [name, t] of a.weights) {
    const u = b.weights.get(name)!;
    expect(u.dtype, name).toBe(t.dtype);
    expect(u.shape, name).toEqual(t.shape);
    expect(u.data, name).toEqual(t.data);
  }
  expect(b.sha256).toBe(a.sha256);
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('readModelAsync reads what readModel reads', () => {
  it('f32 and int8 models, an ArrayBuffer, a Uint8Array at an odd offset; the content id is the file digest', async () => {
    for (const m of [randomModel({ seed: 1 }), randomModel({ seed: 2, int8: true })]) {
      const sync = readModel(m.bytes);
      const file = await readModelAsync(m.bytes);
      expectSameFile(sync, file);
      expect(file.sha256).toBe(hex(m.bytes));
      expectSameFile(sync, await readModelAsync(m.bytes.slice().buffer));
      const shifted = new Uint8Array(m.bytes.length + 3);
      shifted.set(m.bytes, 3);
      expectSameFile(sync, await readModelAsync(shifted.subarray(3)));
    }
  });

  it('takes a verified digest as the content id (both readers), and refuses one that is not 64 lower-case hex digits', async () => {
    const m = randomModel({ seed: 3 });
    const known = hex(m.bytes);
    expect((await readModelAsync(m.bytes, { sha256: known })).sha256).toBe(known);
    expect(readModel(m.bytes, { sha256: known }).sha256).toBe(known);
    // the option names the content id only: the file's own digests are still checked
    const changed = m.bytes.slice();
    changed[changed.length - 1] ^= 1;
    await expect(readModelAsync(changed, { sha256: known })).rejects.toThrow(/payload checksum/);
    expect(() => readModel(changed, { sha256: known })).toThrow(/payload checksum/);
    for (const bad of [known.toUpperCase(), known.slice(1), `${known}0`, 42, null]) {
      await expect(readModelAsync(m.bytes, { sha256: bad as string })).rejects.toThrow(TypeError);
      expect(() => readModel(m.bytes, { sha256: bad as string })).toThrow(TypeError);
    }
    await expect(readModelAsync(m.bytes, 'x' as never)).rejects.toThrow(TypeError);
    await expect(readModelAsync('CNERMODL' as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });

  it('works without WebCrypto (the JavaScript digest), with the same result', async () => {
    const m = randomModel({ seed: 4, int8: true });
    const want = readModel(m.bytes);
    vi.stubGlobal('crypto', undefined);
    expect((globalThis as { crypto?: unknown }).crypto).toBeUndefined();
    expectSameFile(want, await readModelAsync(m.bytes));
    const changed = m.bytes.slice();
    changed[200] ^= 1;
    expect(await outcomeAsync(changed)).toBe(outcomeSync(changed));
  });

  it('falls back to the JavaScript digest when WebCrypto refuses', async () => {
    const m = randomModel({ seed: 5 });
    const want = readModel(m.bytes);
    vi.stubGlobal('crypto', { subtle: { digest: () => Promise.reject(new Error('no')) } });
    expectSameFile(want, await readModelAsync(m.bytes));
    vi.stubGlobal('crypto', {
      subtle: {
        digest: () => {
          throw new Error('no');
        },
      },
    });
    expectSameFile(want, await readModelAsync(m.bytes));
  });
});

describe('sha256Async', () => {
  it('equals sha256 with WebCrypto, without it, and on a SharedArrayBuffer view', async () => {
    const random = rng(9);
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 70_001]) {
      const data = new Uint8Array(n).map(() => Math.floor(random() * 256));
      expect(Buffer.from(await sha256Async(data)).toString('hex'), `length ${n}`).toBe(hex(data));
      const shared = new Uint8Array(new SharedArrayBuffer(n + 8), 8, n);
      shared.set(data);
      expect(await sha256Async(shared)).toEqual(sha256(data));
    }
    vi.stubGlobal('crypto', undefined);
    expect(Buffer.from(await sha256Async(new Uint8Array([0x61, 0x62, 0x63]))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    await expect(sha256Async('abc' as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe('readModelAsync refuses exactly what readModel refuses, with the same code and message', () => {
  const good = randomModel({ seed: 11, int8: true }).bytes;
  const s = sections(good);

  async function same(bytes: Uint8Array, what: string): Promise<string> {
    const want = outcomeSync(bytes);
    expect(await outcomeAsync(bytes), what).toBe(want);
    return want;
  }

  it('truncations, trailing bytes, another magic or version', async () => {
    for (let len = 0; len < good.length; len += len < 120 ? 1 : 997) {
      expect(await same(good.subarray(0, len), `cut at ${len}`)).toMatch(/TRUNCATED/);
    }
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(await same(longer, 'trailing byte')).toMatch(/BAD_LAYOUT/);
    expect(await same(new Uint8Array(200), 'zeros')).toMatch(/BAD_MAGIC/);
    const v2 = encodeModelSections({ header: JSON.stringify(s.header), table: JSON.stringify(s.table), payload: s.payload, version: 2 });
    expect(await same(v2, 'version 2')).toMatch(/UNSUPPORTED_VERSION/);
  });

  it('a changed byte anywhere (digest errors first: the header digest before the payload digest)', async () => {
    const random = rng(12);
    const positions = [...Array.from({ length: 104 }, (_, i) => i), ...Array.from({ length: 300 }, () => Math.floor(random() * good.length))];
    let checksum = 0;
    for (const p of positions) {
      const bad = good.slice();
      bad[p] ^= 1 << Math.floor(random() * 8);
      if ((await same(bad, `byte ${p}`)).includes('CHECKSUM')) checksum++;
    }
    expect(checksum).toBeGreaterThan(250);
    // both digests wrong: the header's is reported
    const both = good.slice();
    both[PREAMBLE_BYTES + 2] ^= 1;
    both[s.payloadOffset + 1] ^= 1;
    expect(await same(both, 'both')).toMatch(/header checksum/);
  });

  it('a broken header, table or tensors behind valid digests', async () => {
    const files: Array<[string, Uint8Array]> = [
      ['header not JSON', reassemble(good, () => ({ header: '{"name": "x",' }))],
      ['header not UTF-8', encodeModelSections({ header: new Uint8Array([0x7b, 0xff, 0x7d]), table: JSON.stringify(s.table), payload: s.payload })],
      ['header an array', reassemble(good, () => ({ header: '[1, 2]' }))],
      ['no segmenter', reassemble(good, ({ header }) => (delete header.segmenter, { header }))],
      ['segmenter unsorted', reassemble(good, ({ header }) => ((header.segmenter = { kind: 'dict', variant: 'jieba', total: 10, words: ['b', 'a'], freqs: [1, 1] }), { header }))],
      ['one char too many', reassemble(good, ({ header }) => (header.vocab.chars.push('☃'), { header }))],
      ['label count', reassemble(good, ({ header }) => (header.tags.labels.pop(), { header }))],
      ['table not JSON', reassemble(good, () => ({ table: '[{"name":' }))],
      ['table overlap', reassemble(good, ({ table }) => ((table[1].offset = table[0].offset), { table }))],
      ['unknown dtype', reassemble(good, ({ table }) => (((table[0] as { dtype: string }).dtype = 'f16'), { table }))],
    ];
    const m = randomModel({ seed: 13 });
    const list = (): [string, Tensor][] => [...m.weights];
    files.push(['missing tensor', rawFile(m.header, list().filter(([n]) => n !== 'crf.trans'))]);
    files.push(['extra tensor', rawFile(m.header, [...list(), ['extra', { dtype: 'f32', shape: [1], data: new Float32Array(1) }]])]);
    files.push([
      'NaN weight',
      rawFile(
        m.header,
        list().map(([n, t]): [string, Tensor] => {
          if (n !== 'crf.trans') return [n, t];
          const data = new Float32Array(t.data as Float32Array);
          data[3] = NaN;
          return [n, { ...t, data }];
        }),
      ),
    ]);
    const codes = new Set<string>();
    for (const [what, bytes] of files) {
      const outcome = await same(bytes, what);
      expect(outcome, what).toMatch(/^ModelFormatError /);
      codes.add(outcome.split(':')[0]);
    }
    expect([...codes].sort()).toEqual(
      ['BAD_HEADER', 'BAD_TENSOR_TABLE', 'BAD_TENSOR_VALUES', 'TENSOR_MISMATCH', 'VOCAB_MISMATCH'].map((c) => `ModelFormatError ${c}`),
    );
  });

  it('a content error behind a wrong digest is reported as the checksum error', async () => {
    const broken = reassemble(good, () => ({ header: '{"name": "x",' })); // BAD_HEADER with valid digests
    const bad = broken.slice();
    bad[bad.length - 1] ^= 1; // and now a payload digest mismatch too
    expect(await same(bad, 'both')).toMatch(/CHECKSUM.*payload checksum/);
  });
});
