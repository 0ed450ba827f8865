import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  ALIGNMENT,
  FORMAT_VERSION,
  MAGIC,
  type ModelFormatErrorCode,
  type ModelHeader,
  ModelFormatError,
  checkVocab,
  encodeModelSections,
  readModel,
  writeModel,
} from '../../src/model/format.js';
import { type Architecture, type Tensor, type Weights, tensorSpecs } from '../../src/model/layout.js';
import { randomModel } from '../helpers/random-model.js';
import { quantizeMatrix, quantizeWeights, randomWeights } from '../reference/weights.js';
import { rawFile, reassemble, sections } from './files.js';

/** The error code readModel throws for these bytes (fails the test when it does not throw). */
function codeOf(bytes: Uint8Array, read = readModel): ModelFormatErrorCode {
  try {
    read(bytes);
  } catch (e) {
    if (e instanceof ModelFormatError) return e.code;
    throw e;
  }
  throw new Error('expected readModel to refuse the file');
}

function writeCode(header: ModelHeader, weights: Weights): ModelFormatErrorCode {
  try {
    writeModel(header, weights);
  } catch (e) {
    if (e instanceof ModelFormatError) return e.code;
    throw e;
  }
  throw new Error('expected writeModel to refuse');
}

/** The code readModel gives a raw file of this header and these tensors, and the code writeModel gives. */
function codes(header: unknown, weights: Weights): [ModelFormatErrorCode, ModelFormatErrorCode] {
  return [codeOf(rawFile(header, [...weights])), writeCode(header as ModelHeader, weights)];
}

/** A copy of `weights` changed by `f`. */
function edited(weights: Weights, f: (w: Weights) => void): Weights {
  const w = new Map(weights);
  f(w);
  return w;
}

describe('model file round trip', () => {
  it('reads back exactly what was written (f32), with extra header fields kept', () => {
    const m = randomModel({ extra: { license: 'test-only', notes: { a: [1, 2, 3] } } });
    const file = readModel(m.bytes);
    expect(file.header).toEqual(m.header);
    expect(file.header.license).toBe('test-only');
    expect([...file.weights.keys()].sort()).toEqual([...m.weights.keys()].sort());
    for (const [name, t] of m.weights) {
      const got = file.weights.get(name)!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data, name).toEqual(t.data);
    }
    expect(file.sha256).toBe(createHash('sha256').update(m.bytes).digest('hex'));
  });

  it('reads back int8 tensors with their scales', () => {
    const m = randomModel({ int8: true, seed: 5 });
    const file = readModel(m.bytes);
    const w = file.weights.get('lstm.0.fw.w_ih')!;
    expect(w.dtype).toBe('i8');
    expect(w.data).toEqual(m.weights.get('lstm.0.fw.w_ih')!.data);
    expect(file.weights.get('lstm.0.fw.w_ih.scale')!.data).toEqual(m.weights.get('lstm.0.fw.w_ih.scale')!.data);
    expect(file.weights.get('lstm.0.fw.bias')!.dtype).toBe('f32');
  });

  it('is deterministic and follows the documented layout', () => {
    const a = randomModel({ seed: 9 }).bytes;
    const b = randomModel({ seed: 9 }).bytes;
    expect(a).toEqual(b);
    expect(a.subarray(0, 8)).toEqual(MAGIC);
    expect(new TextDecoder().decode(a.subarray(0, 8))).toBe('CNERMODL');
    const dv = new DataView(a.buffer);
    expect(dv.getUint32(8, true)).toBe(FORMAT_VERSION);
    expect(dv.getUint32(12, true)).toBe(ALIGNMENT);
    const s = sections(a);
    expect(s.payloadOffset % ALIGNMENT).toBe(0);
    expect(s.payloadOffset + s.payloadLength).toBe(a.length);
    for (const e of s.table) expect((s.payloadOffset + e.offset) % ALIGNMENT, e.name).toBe(0);
    expect(Buffer.from(a.subarray(40, 72)).toString('hex')).toBe(createHash('sha256').update(s.payload).digest('hex'));
    const meta = createHash('sha256').update(a.subarray(0, 72)).update(a.subarray(104, s.payloadOffset)).digest('hex');
    expect(Buffer.from(a.subarray(72, 104)).toString('hex')).toBe(meta);
    // the table lists tensors in layout order, each i8 tensor followed by its scale
    const q = sections(randomModel({ int8: true }).bytes).table.map((e) => e.name);
    expect(q.indexOf('embed.char.scale')).toBe(q.indexOf('embed.char') + 1);
  });

  it('accepts an ArrayBuffer and a Uint8Array at an odd offset (copying unaligned tensors)', () => {
    const m = randomModel({ seed: 2 });
    const ab = m.bytes.slice().buffer;
    expect(readModel(ab).header).toEqual(m.header);
    const shifted = new Uint8Array(m.bytes.length + 3);
    shifted.set(m.bytes, 3);
    const file = readModel(shifted.subarray(3));
    expect(file.weights.get('dense.w')!.data).toEqual(m.weights.get('dense.w')!.data);
    expect(file.sha256).toBe(readModel(m.bytes).sha256);
  });

  it('keeps aux.* tensors of any dtype', () => {
    const m = randomModel();
    const weights = new Map(m.weights);
    weights.set('aux.ids', { dtype: 'i32', shape: [3], data: new Int32Array([7, -1, 2]) });
    const file = readModel(writeModel(m.header, weights));
    expect(file.weights.get('aux.ids')!.data).toEqual(new Int32Array([7, -1, 2]));
  });

  it('refuses input that is not bytes with a TypeError', () => {
    expect(() => readModel('CNERMODL' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => readModel(null as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
});

describe('corrupted files are refused with the right code', () => {
  const good = randomModel({ seed: 11 }).bytes;
  const s = sections(good);

  it('a truncated file, cut at every byte', () => {
    for (let len = 0; len < good.length; len++) {
      expect(codeOf(good.subarray(0, len)), `cut at ${len}`).toBe('TRUNCATED');
    }
  });

  it('trailing bytes', () => {
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(codeOf(longer)).toBe('BAD_LAYOUT');
  });

  it('a changed byte in every region', () => {
    const regions: Array<[string, number, number, ModelFormatErrorCode[]]> = [
      ['magic', 0, 8, ['BAD_MAGIC']],
      ['version', 8, 12, ['UNSUPPORTED_VERSION']],
      ['alignment', 12, 16, ['BAD_LAYOUT']],
      ['lengths and payload offset', 16, 40, ['BAD_LAYOUT', 'TRUNCATED', 'CHECKSUM']],
      ['payload digest', 40, 72, ['CHECKSUM']],
      ['header digest', 72, 104, ['CHECKSUM']],
      ['header JSON', 104, 104 + s.headerLength, ['CHECKSUM']],
      ['tensor table', 104 + s.headerLength, 104 + s.headerLength + s.tableLength, ['CHECKSUM']],
      ['padding', 104 + s.headerLength + s.tableLength, s.payloadOffset, ['CHECKSUM']],
      ['payload', s.payloadOffset, good.length, ['CHECKSUM']],
    ];
    for (const [name, from, to, codes] of regions) {
      const step = Math.max(1, Math.floor((to - from) / 40));
      for (let p = from; p < to; p += step) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = good.slice();
          bad[p] ^= mask;
          expect(codes, `${name}: byte ${p} ^ ${mask}`).toContain(codeOf(bad));
        }
      }
    }
    // the payload digest names the payload, the header digest the rest
    const p = good.slice();
    p[s.payloadOffset + 5] ^= 1;
    expect(() => readModel(p)).toThrow(/payload checksum/);
    const h = good.slice();
    h[110] ^= 1;
    expect(() => readModel(h)).toThrow(/header checksum/);
  });

  it('a file that is not a model at all', () => {
    expect(codeOf(new TextEncoder().encode('{"name": "not a model"} and some more bytes to be long enough'))).toBe('BAD_MAGIC');
    expect(codeOf(new Uint8Array(200))).toBe('BAD_MAGIC');
  });

  it('another format version', () => {
    const v2 = encodeModelSections({ header: JSON.stringify(s.header), table: JSON.stringify(s.table), payload: s.payload, version: 2 });
    expect(codeOf(v2)).toBe('UNSUPPORTED_VERSION');
    const v0 = encodeModelSections({ header: JSON.stringify(s.header), table: JSON.stringify(s.table), payload: s.payload, version: 0 });
    expect(codeOf(v0)).toBe('UNSUPPORTED_VERSION');
    expect(() => readModel(v2)).toThrow(/version 2/);
  });

  it('a misaligned payload offset', () => {
    const f = encodeModelSections({
      header: JSON.stringify(s.header),
      table: JSON.stringify(s.table),
      payload: s.payload,
      payloadOffset: s.payloadOffset + 4,
    });
    expect(codeOf(f)).toBe('BAD_LAYOUT');
  });

  it('a header that is not JSON, not UTF-8, not an object, or lacks a field', () => {
    expect(codeOf(reassemble(good, () => ({ header: '{"name": "x",' })))).toBe('BAD_HEADER');
    const notUtf8 = encodeModelSections({ header: new Uint8Array([0x7b, 0xff, 0x7d]), table: JSON.stringify(s.table), payload: s.payload });
    expect(codeOf(notUtf8)).toBe('BAD_HEADER');
    expect(codeOf(reassemble(good, () => ({ header: '[1, 2]' })))).toBe('BAD_HEADER');
    for (const field of ['name', 'version', 'created', 'architecture', 'vocab', 'tags', 'normalization', 'segmenter']) {
      const bytes = reassemble(good, ({ header }) => {
        delete header[field];
        return { header };
      });
      expect(codeOf(bytes), `without ${field}`).toBe('BAD_HEADER');
    }
    const cases: Array<[string, (h: any) => void]> = [
      ['architecture.lstm not an array', (h) => (h.architecture.lstm = 3)],
      ['architecture.crf not a boolean', (h) => (h.architecture.crf = 'yes')],
      ['architecture.charDim negative', (h) => (h.architecture.charDim = -1)],
      ['tags.scheme not BIO', (h) => (h.tags.scheme = 'BIOES')],
      ['vocab.chars holds a number', (h) => (h.vocab.chars[3] = 5)],
      ['normalization.lowercase a string', (h) => (h.normalization.lowercase = 'no')],
      ['segmenter kind unknown', (h) => (h.segmenter = { kind: 'hmm' })],
      ['consistency malformed', (h) => (h.consistency = { version: 1, entries: { x: { BODY: -1 } } })],
      ['quantization scheme unknown', (h) => (h.quantization = { scheme: 'int4' })],
    ];
    for (const [what, edit] of cases) {
      const bytes = reassemble(good, ({ header }) => {
        edit(header);
        return { header };
      });
      expect(codeOf(bytes), what).toBe('BAD_HEADER');
    }
  });

  it('vocabularies and labels that do not fit the architecture', () => {
    const cases: Array<[string, (h: any) => void]> = [
      ['one char too many', (h) => h.vocab.chars.push('☃')],
      ['one word too few', (h) => h.vocab.words.pop()],
      ['no <pad> first', (h) => (h.vocab.chars[0] = 'x')],
      ['duplicate char', (h) => (h.vocab.chars[3] = h.vocab.chars[2])],
      ['label count', (h) => h.tags.labels.pop()],
      ['labels[0] not O', (h) => h.tags.labels.reverse()],
      ['malformed label', (h) => (h.tags.labels[1] = 'BODY')],
      ['B without I', (h) => (h.tags.labels[2] = 'I-OTHER')],
    ];
    for (const [what, edit] of cases) {
      const bytes = reassemble(good, ({ header }) => {
        edit(header);
        return { header };
      });
      expect(codeOf(bytes), what).toBe('VOCAB_MISMATCH');
    }
  });

  it('an inconsistent tensor table', () => {
    const cases: Array<[string, (t: any[]) => void]> = [
      ['not JSON', () => undefined],
      ['duplicate name', (t) => (t[1].name = t[0].name)],
      ['overlap', (t) => (t[1].offset = t[0].offset)],
      ['out of bounds', (t) => (t[t.length - 1].offset += 64 * 1000)],
      ['misaligned', (t) => (t[1].offset += 4)],
      ['shape product ≠ byte length', (t) => (t[0].shape = [t[0].shape[0], t[0].shape[1] + 1])],
      ['length ≠ shape product', (t) => (t[0].length -= 4)],
      ['unknown dtype', (t) => (t[0].dtype = 'f16')],
      ['negative offset', (t) => (t[0].offset = -64)],
      ['fractional shape', (t) => (t[0].shape = [1.5, 2])],
      ['row not an object', (t) => (t[0] = 'embed.char')],
      ['not an array', (t) => t.splice(0)],
    ];
    for (const [what, edit] of cases) {
      const bytes = reassemble(good, ({ table }) => {
        if (what === 'not JSON') return { table: '[{"name":' };
        if (what === 'not an array') return { table: '{"embed.char": {}}' };
        edit(table);
        return { table };
      });
      expect(codeOf(bytes), what).toBe('BAD_TENSOR_TABLE');
    }
  });

  it('tensors missing, extra, of the wrong shape or dtype for the architecture', () => {
    const m = randomModel({ seed: 4 });
    const list = (): [string, Tensor][] => [...m.weights];
    expect(readModel(rawFile(m.header, list())).header.name).toBe(m.header.name);

    expect(codeOf(rawFile(m.header, list().filter(([n]) => n !== 'crf.trans')))).toBe('TENSOR_MISMATCH');
    expect(codeOf(rawFile(m.header, [...list(), ['extra.thing', { dtype: 'f32', shape: [1], data: new Float32Array(1) }]]))).toBe(
      'TENSOR_MISMATCH',
    );
    // wrong shape: the header's architecture says a different LSTM size
    const other = randomModel({ seed: 4, arch: { lstm: [6, 4] } });
    expect(codeOf(rawFile(m.header, [...other.weights]))).toBe('TENSOR_MISMATCH');
    // dense.w transposed
    const transposed = list().map(([n, t]): [string, Tensor] => (n === 'dense.w' ? [n, { ...t, shape: [...t.shape].reverse() }] : [n, t]));
    expect(codeOf(rawFile(m.header, transposed))).toBe('TENSOR_MISMATCH');
    // an architecture without a CRF does not take CRF tensors
    expect(codeOf(rawFile({ ...m.header, architecture: { ...m.header.architecture, crf: false } }, list()))).toBe('TENSOR_MISMATCH');
    // i32 where f32 is needed
    const asI32 = list().map(([n, t]): [string, Tensor] =>
      n === 'dense.b' ? [n, { dtype: 'i32', shape: t.shape, data: new Int32Array(t.data.length) }] : [n, t],
    );
    expect(codeOf(rawFile(m.header, asI32))).toBe('TENSOR_MISMATCH');

    const q = randomModel({ seed: 4, int8: true });
    const qlist = (): [string, Tensor][] => [...q.weights];
    expect(readModel(rawFile(q.header, qlist())).weights.size).toBe(q.weights.size);
    expect(codeOf(rawFile(q.header, qlist().filter(([n]) => n !== 'dense.w.scale')))).toBe('TENSOR_MISMATCH');
    const badScale = qlist().map(([n, t]): [string, Tensor] => (n === 'dense.w.scale' ? [n, { ...t, shape: [t.shape[0] - 1], data: t.data.subarray(1) }] : [n, t]));
    expect(codeOf(rawFile(q.header, badScale))).toBe('TENSOR_MISMATCH');
    // int8 on a tensor that may not be quantised (a bias)
    const i8Bias = qlist().map(([n, t]): [string, Tensor] =>
      n === 'dense.b' ? [n, { dtype: 'i8', shape: t.shape, data: new Int8Array(t.data.length) }] : [n, t],
    );
    expect(codeOf(rawFile(q.header, i8Bias))).toBe('TENSOR_MISMATCH');
    // int8 tensors under quantization.scheme 'none'
    expect(codeOf(rawFile({ ...q.header, quantization: { scheme: 'none' } }, qlist()))).toBe('TENSOR_MISMATCH');
  });

  it('non-finite weights', () => {
    const m = randomModel({ seed: 4 });
    const nan = [...m.weights].map(([n, t]): [string, Tensor] => {
      if (n !== 'crf.trans') return [n, t];
      const data = new Float32Array(t.data as Float32Array);
      data[3] = NaN;
      return [n, { ...t, data }];
    });
    expect(codeOf(rawFile(m.header, nan))).toBe('BAD_TENSOR_VALUES');
    expect(writeCode(m.header, new Map(nan))).toBe('BAD_TENSOR_VALUES');
  });
});

describe('writeModel checks its input like readModel', () => {
  const m = randomModel({ seed: 6 });
  it('refuses a wrong shape, a missing tensor, a data/shape mismatch, a bad header', () => {
    const w1 = new Map(m.weights);
    w1.set('dense.b', { dtype: 'f32', shape: [99], data: new Float32Array(99) });
    expect(writeCode(m.header, w1)).toBe('TENSOR_MISMATCH');
    const w2 = new Map(m.weights);
    w2.delete('embed.word');
    expect(writeCode(m.header, w2)).toBe('TENSOR_MISMATCH');
    const w3 = new Map(m.weights);
    w3.set('dense.b', { dtype: 'f32', shape: [m.header.architecture.tags], data: new Float32Array(1) });
    expect(writeCode(m.header, w3)).toBe('TENSOR_MISMATCH');
    const w4 = new Map(m.weights);
    w4.set('dense.b', { dtype: 'f32', shape: [m.header.architecture.tags], data: new Int32Array(m.header.architecture.tags) as any });
    expect(writeCode(m.header, w4)).toBe('TENSOR_MISMATCH');
    expect(writeCode({ ...m.header, name: 3 as unknown as string }, m.weights)).toBe('BAD_HEADER');
    expect(writeCode({ ...m.header, tags: { scheme: 'BIO', labels: ['O'] } }, m.weights)).toBe('VOCAB_MISMATCH');
    expect(() => writeModel(m.header, {} as Weights)).toThrow(TypeError);
  });
});

/** Seeded random weights for `architecture`, its quantizable tensors int8 per row when `int8`. */
const randomWeightsFor = (architecture: Architecture, seed: number, int8 = false): Weights => {
  const w = randomWeights(architecture, seed);
  return int8 ? quantizeWeights(architecture, w) : w;
};

describe('a model with an entity-lexicon channel (architecture.lexTypes / lexDim, tensor embed.lex)', () => {
  const TABLE = { version: 1 as const, entries: { 腹部: { BODY: 2 }, 压痛: { SIGNS: 1 }, 阑尾炎: { DISEASE: 1 } } };

  /** randomModel's header with a lexicon channel (2 types × 3) and random weights for the new architecture. */
  function lexModel(opts: { int8?: boolean; seed?: number } = {}) {
    const base = randomModel({ consistency: TABLE, seed: opts.seed ?? 3 });
    const architecture = { ...base.header.architecture, lexTypes: 2, lexDim: 3 };
    const weights = randomWeightsFor(architecture, opts.seed ?? 3, opts.int8);
    const header: ModelHeader = { ...base.header, architecture, quantization: { scheme: opts.int8 ? 'int8-per-row' : 'none' } };
    return { header, weights, bytes: writeModel(header, weights) };
  }


  it('round-trips (f32 and int8; embed.lex stays f32 [5·lexTypes, lexDim])', () => {
    for (const int8 of [false, true]) {
      const m = lexModel({ int8 });
      const file = readModel(m.bytes);
      expect(file.header).toEqual(m.header);
      expect(file.header.architecture.lexTypes).toBe(2);
      expect(file.header.architecture.lexDim).toBe(3);
      const lex = file.weights.get('embed.lex')!;
      expect(lex.dtype).toBe('f32');
      expect(lex.shape).toEqual([10, 3]);
      expect(lex.data).toEqual(m.weights.get('embed.lex')!.data);
      expect(file.weights.get('lstm.0.fw.w_ih')!.shape).toEqual([24, 8 + 4 + 6]);
      expect(file.weights.get('lstm.0.fw.w_ih')!.dtype).toBe(int8 ? 'i8' : 'f32');
      expect(file.weights.has('embed.lex.scale')).toBe(false);
      expect([...file.weights.keys()].sort()).toEqual([...m.weights.keys()].sort());
    }
    // the table lists embed.lex right after the word embeddings (layout order)
    const names = sections(lexModel().bytes).table.map((e) => e.name);
    expect(names.slice(0, 4)).toEqual(['embed.char', 'embed.word', 'embed.lex', 'lstm.0.fw.w_ih']);
  });

  it('lexTypes = lexDim = 0 given explicitly is a model without the channel', () => {
    const m = randomModel({ seed: 3 });
    const header = { ...m.header, architecture: { ...m.header.architecture, lexTypes: 0, lexDim: 0 } };
    expect(readModel(writeModel(header, m.weights)).weights.has('embed.lex')).toBe(false);
  });

  it('refused without header.consistency (its string table): VOCAB_MISMATCH', () => {
    const m = lexModel();
    for (const consistency of [null, undefined]) {
      const header = { ...m.header, consistency };
      expect(codes(header, m.weights)).toEqual(['VOCAB_MISMATCH', 'VOCAB_MISMATCH']);
      expect(() => writeModel(header as ModelHeader, m.weights)).toThrow(/lexicon channel .*header\.consistency.* is missing/);
    }
    // an empty table is a table
    expect(readModel(writeModel({ ...m.header, consistency: { version: 1, entries: {} } }, m.weights)).header.architecture.lexTypes).toBe(2);
  });

  it('refused when lexTypes is not the number of entity types of the tag set: VOCAB_MISMATCH', () => {
    const m = lexModel();
    for (const lexTypes of [1, 3]) {
      const architecture = { ...m.header.architecture, lexTypes };
      const weights = new Map(m.weights);
      // tensors shaped for that lexTypes, so only the tag-set check can refuse
      for (const spec of tensorSpecs(architecture)) {
        const n = spec.shape.reduce((p, d) => p * d, 1);
        weights.set(spec.name, { dtype: 'f32', shape: spec.shape, data: new Float32Array(n) });
      }
      const header = { ...m.header, architecture };
      expect(codes(header, weights), `lexTypes ${lexTypes}`).toEqual(['VOCAB_MISMATCH', 'VOCAB_MISMATCH']);
      expect(() => writeModel(header, weights)).toThrow(new RegExp(`lexTypes is ${lexTypes}, the tag set has 2 entity types`));
    }
  });

  it('refused when only one of lexTypes / lexDim is set, or either is not a natural number: BAD_HEADER', () => {
    const m = lexModel();
    const cases: [string, Record<string, unknown>][] = [
      ['lexDim absent', { lexTypes: 2, lexDim: undefined }],
      ['lexTypes absent', { lexTypes: undefined, lexDim: 3 }],
      ['lexDim 0', { lexTypes: 2, lexDim: 0 }],
      ['lexTypes 0', { lexTypes: 0, lexDim: 3 }],
      ['lexDim negative', { lexTypes: 2, lexDim: -3 }],
      ['lexTypes fractional', { lexTypes: 2.5, lexDim: 3 }],
      ['lexDim a string', { lexTypes: 2, lexDim: '3' }],
    ];
    for (const [what, over] of cases) {
      const architecture: Record<string, unknown> = { ...m.header.architecture, ...over };
      for (const k of ['lexTypes', 'lexDim']) if (architecture[k] === undefined) delete architecture[k];
      expect(codes({ ...m.header, architecture }, m.weights), what).toEqual(['BAD_HEADER', 'BAD_HEADER']);
    }
    const half = { ...m.header, architecture: { ...m.header.architecture, lexDim: 0 } };
    expect(() => writeModel(half, m.weights)).toThrow(/lexTypes and lexDim must both be > 0 .* got 2 and 0/);
  });

  it('refused when embed.lex is missing, mis-shaped, int8, or present without the channel: TENSOR_MISMATCH', () => {
    const m = lexModel();
    const edit = (f: (w: Weights) => void): Weights => edited(m.weights, f);
    const lex = m.weights.get('embed.lex')!;
    const cases: [string, Weights][] = [
      ['missing', edit((w) => w.delete('embed.lex'))],
      ['[3, 10] (transposed)', edit((w) => w.set('embed.lex', { ...lex, shape: [3, 10] }))],
      ['[5, 6] (one row block)', edit((w) => w.set('embed.lex', { ...lex, shape: [5, 6] }))],
      ['[12, 3] (rows for 2 types + 2)', edit((w) => w.set('embed.lex', { dtype: 'f32', shape: [12, 3], data: new Float32Array(36) }))],
      ['[30] (flat)', edit((w) => w.set('embed.lex', { ...lex, shape: [30] }))],
    ];
    for (const [what, weights] of cases) expect(codes(m.header, weights), what).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
    // int8 is refused: embed.lex is not quantizable (also under the int8 scheme)
    const { q, scale } = quantizeMatrix(lex);
    const i8 = edit((w) => {
      w.set('embed.lex', q);
      w.set('embed.lex.scale', scale);
    });
    expect(codes({ ...m.header, quantization: { scheme: 'int8-per-row' } }, i8)).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
    // a model without the channel does not take embed.lex
    const plain = randomModel({ seed: 3, consistency: TABLE });
    expect(codes(plain.header, new Map([...plain.weights, ['embed.lex', lex]]))).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
    // nor does it take the tensors of the channel's wider layer-0 input
    expect(codes(plain.header, edit((w) => w.delete('embed.lex')))).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
  });
});

describe('a model with a character-bigram channel (architecture.bigramVocab / bigramDim, vocab.bigrams, tensor embed.bigram)', () => {
  const BIGRAMS = ['<pad>', '<unk>', '患者', '右下', '下腹', '腹痛', '痛\u0003', '\u{20000}痛'];
  const TABLE = { version: 1 as const, entries: { 腹部: { BODY: 2 }, 压痛: { SIGNS: 1 } } };

  /** randomModel's header with a bigram channel (8 bigrams × 3; optionally a lexicon channel too) and random weights. */
  function bigramModel(opts: { int8?: boolean; seed?: number; lex?: boolean } = {}) {
    const base = randomModel({ seed: opts.seed ?? 3, consistency: opts.lex ? TABLE : null });
    const architecture = { ...base.header.architecture, bigramVocab: BIGRAMS.length, bigramDim: 3, ...(opts.lex ? { lexTypes: 2, lexDim: 2 } : {}) };
    const weights = randomWeightsFor(architecture, opts.seed ?? 3, opts.int8);
    const header: ModelHeader = {
      ...base.header,
      architecture,
      vocab: { ...base.header.vocab, bigrams: [...BIGRAMS] },
      quantization: { scheme: opts.int8 ? 'int8-per-row' : 'none' },
    };
    return { header, weights, bytes: writeModel(header, weights) };
  }

  const withVocab = (h: ModelHeader, bigrams: unknown): ModelHeader => {
    const vocab: Record<string, unknown> = { ...h.vocab, bigrams };
    if (bigrams === undefined) delete vocab.bigrams;
    return { ...h, vocab } as unknown as ModelHeader;
  };

  it('round-trips (f32 and int8; embed.bigram [bigramVocab, bigramDim] is int8 + scale under int8), vocab.bigrams kept exactly', () => {
    for (const int8 of [false, true]) {
      const m = bigramModel({ int8 });
      const file = readModel(m.bytes);
      expect(file.header).toEqual(m.header);
      expect(file.header.vocab.bigrams).toEqual(BIGRAMS);
      expect(file.header.architecture.bigramVocab).toBe(8);
      expect(file.header.architecture.bigramDim).toBe(3);
      const big = file.weights.get('embed.bigram')!;
      expect(big.dtype).toBe(int8 ? 'i8' : 'f32');
      expect(big.shape).toEqual([8, 3]);
      expect(big.data).toEqual(m.weights.get('embed.bigram')!.data);
      expect(file.weights.has('embed.bigram.scale')).toBe(int8);
      if (int8) expect(file.weights.get('embed.bigram.scale')!.data).toEqual(m.weights.get('embed.bigram.scale')!.data);
      expect(file.weights.get('lstm.0.fw.w_ih')!.shape).toEqual([24, 8 + 4 + 3]);
      expect([...file.weights.keys()].sort()).toEqual([...m.weights.keys()].sort());
    }
    // the table lists embed.bigram right after the word embeddings and before embed.lex (layout order)
    expect(sections(bigramModel().bytes).table.map((e) => e.name).slice(0, 3)).toEqual(['embed.char', 'embed.word', 'embed.bigram']);
    const both = bigramModel({ lex: true });
    expect(sections(both.bytes).table.map((e) => e.name).slice(0, 5)).toEqual(['embed.char', 'embed.word', 'embed.bigram', 'embed.lex', 'lstm.0.fw.w_ih']);
    const file = readModel(both.bytes);
    expect(file.header.vocab.bigrams).toEqual(BIGRAMS);
    expect(file.weights.get('lstm.0.fw.w_ih')!.shape).toEqual([24, 8 + 4 + 3 + 2 * 2]);
  });

  it('bigramDim 0 (bigramVocab given or not) is a model without the channel', () => {
    const m = randomModel({ seed: 3 });
    for (const over of [{ bigramDim: 0 }, { bigramVocab: 0, bigramDim: 0 }, { bigramVocab: 8, bigramDim: 0 }]) {
      const header = { ...m.header, architecture: { ...m.header.architecture, ...over } };
      const file = readModel(writeModel(header, m.weights));
      expect(file.weights.has('embed.bigram'), JSON.stringify(over)).toBe(false);
      expect(file.header.vocab.bigrams).toBeUndefined();
    }
  });

  it('refused when vocab.bigrams is missing, of another length, or badly formed: VOCAB_MISMATCH', () => {
    const m = bigramModel();
    const cases: [string, unknown][] = [
      ['missing', undefined],
      ['one short', BIGRAMS.slice(0, 7)],
      ['one more', [...BIGRAMS, '肺炎']],
      ['a duplicate', [...BIGRAMS.slice(0, 7), '腹痛']],
      ['<pad> again', [...BIGRAMS.slice(0, 7), '<pad>']],
      ['an empty entry', [...BIGRAMS.slice(0, 7), '']],
      ['<pad>/<unk> swapped', ['<unk>', '<pad>', ...BIGRAMS.slice(2)]],
      ['no <pad>/<unk>', [...BIGRAMS.slice(2), '甲乙', '丙丁']],
    ];
    for (const [what, bigrams] of cases) {
      expect(codes(withVocab(m.header, bigrams), m.weights), what).toEqual(['VOCAB_MISMATCH', 'VOCAB_MISMATCH']);
    }
    expect(() => writeModel(withVocab(m.header, undefined), m.weights)).toThrow(/bigram channel but header\.vocab\.bigrams is missing/);
    expect(() => writeModel(withVocab(m.header, BIGRAMS.slice(0, 7)), m.weights)).toThrow(/header\.vocab\.bigrams has 7 entries, the architecture says 8 rows/);
    expect(() => writeModel(withVocab(m.header, [...BIGRAMS.slice(0, 7), '腹痛']), m.weights)).toThrow(/header\.vocab\.bigrams\[7\] duplicates an earlier entry/);
    // checkVocab (for hosts handed a ModelFile) says the same
    expect(() => checkVocab(withVocab(m.header, undefined))).toThrow(ModelFormatError);
    expect(() => checkVocab(m.header)).not.toThrow();
  });

  it('refused when vocab.bigrams is present without the channel: VOCAB_MISMATCH', () => {
    const plain = randomModel({ seed: 3 });
    const header = withVocab(plain.header, [...BIGRAMS]);
    expect(codes(header, plain.weights)).toEqual(['VOCAB_MISMATCH', 'VOCAB_MISMATCH']);
    expect(() => writeModel(header, plain.weights)).toThrow(/header\.vocab\.bigrams is present but the architecture has no bigram channel/);
    // also with bigramVocab set but bigramDim 0
    const dim0 = { ...header, architecture: { ...header.architecture, bigramVocab: 8, bigramDim: 0 } };
    expect(codes(dim0, plain.weights)).toEqual(['VOCAB_MISMATCH', 'VOCAB_MISMATCH']);
  });

  it('refused when vocab.bigrams is not an array of strings, or the bigram fields are not natural numbers / bigramVocab < 2: BAD_HEADER', () => {
    const m = bigramModel();
    for (const bigrams of ['患者', [1, 2, 3], { 0: '<pad>' }, null]) {
      expect(codes(withVocab(m.header, bigrams), m.weights), JSON.stringify(bigrams)).toEqual(['BAD_HEADER', 'BAD_HEADER']);
    }
    const cases: [string, Record<string, unknown>][] = [
      ['bigramVocab absent', { bigramVocab: undefined }],
      ['bigramVocab 0', { bigramVocab: 0 }],
      ['bigramVocab 1', { bigramVocab: 1 }],
      ['bigramVocab fractional', { bigramVocab: 7.5 }],
      ['bigramVocab a string', { bigramVocab: '8' }],
      ['bigramDim negative', { bigramDim: -3 }],
      ['bigramDim fractional', { bigramDim: 2.5 }],
      ['bigramDim a string', { bigramDim: '3' }],
    ];
    for (const [what, over] of cases) {
      const architecture: Record<string, unknown> = { ...m.header.architecture, ...over };
      for (const k of ['bigramVocab', 'bigramDim']) if (architecture[k] === undefined) delete architecture[k];
      expect(codes({ ...m.header, architecture }, m.weights), what).toEqual(['BAD_HEADER', 'BAD_HEADER']);
    }
    const one = { ...m.header, architecture: { ...m.header.architecture, bigramVocab: 1 } };
    expect(() => writeModel(one, m.weights)).toThrow(/bigramVocab ≥ 2, got 1/);
  });

  it('refused when embed.bigram is missing, mis-shaped, int8 without its scale, or present without the channel: TENSOR_MISMATCH', () => {
    const m = bigramModel();
    const edit = (f: (w: Weights) => void): Weights => edited(m.weights, f);
    const big = m.weights.get('embed.bigram')!;
    const cases: [string, Weights][] = [
      ['missing', edit((w) => w.delete('embed.bigram'))],
      ['[3, 8] (transposed)', edit((w) => w.set('embed.bigram', { ...big, shape: [3, 8] }))],
      ['[9, 3] (one row more)', edit((w) => w.set('embed.bigram', { dtype: 'f32', shape: [9, 3], data: new Float32Array(27) }))],
      ['[24] (flat)', edit((w) => w.set('embed.bigram', { ...big, shape: [24] }))],
    ];
    for (const [what, weights] of cases) expect(codes(m.header, weights), what).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
    const { q, scale } = quantizeMatrix(big);
    // int8 needs its scale, and the int8 scheme in the header
    expect(codes({ ...m.header, quantization: { scheme: 'int8-per-row' } }, edit((w) => w.set('embed.bigram', q)))).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
    const i8 = edit((w) => {
      w.set('embed.bigram', q);
      w.set('embed.bigram.scale', scale);
    });
    expect(codes(m.header, i8)).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
    const ok = readModel(writeModel({ ...m.header, quantization: { scheme: 'int8-per-row' } }, i8));
    expect(ok.weights.get('embed.bigram')!.dtype).toBe('i8');
    // a model without the channel does not take embed.bigram, nor the channel's wider layer-0 input
    const plain = randomModel({ seed: 3 });
    expect(codes(plain.header, new Map([...plain.weights, ['embed.bigram', big]]))).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
    expect(codes(plain.header, edit((w) => w.delete('embed.bigram')))).toEqual(['TENSOR_MISMATCH', 'TENSOR_MISMATCH']);
  });
});
