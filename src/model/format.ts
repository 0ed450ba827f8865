/**
 * The model file: one self-describing binary file (byte layout in docs/model-format.md).
 *
 *   preamble (104 bytes) · header JSON · tensor-table JSON · zero padding · payload (tensors, each aligned)
 *
 * The preamble holds the magic, the format version, the section lengths and two SHA-256 digests: one of the
 * payload, one of every other byte of the file (preamble fields, payload digest, header, table, padding), so
 * nothing can change undetected. readModel() checks everything — layout, digests, header, tensor table, and
 * the tensors against the header's architecture (src/model/layout.ts) — and refuses with a ModelFormatError
 * whose `code` says which check failed. Reading and writing are synchronous and platform-neutral;
 * readModelAsync() runs the same checks with WebCrypto's native SHA-256 (what createTagger uses).
 */

import {
  type Architecture,
  type DType,
  type Tensor,
  type TensorData,
  type Weights,
  checkOptionalChannels,
  tensorSpecs,
} from './layout.js';
import { Sha256, sha256, sha256Async, toHex } from './sha256.js';
import { type NormalizeOptions, resolveNormalizeOptions } from '../text/normalize.js';
import { type SegmenterSpec, validateSegmenterSpec } from '../segment/spec.js';
import { type ConsistencyTable, checkTable } from '../consistency/index.js';
import { CHANNELS, type FeatureOptions, type Vocabulary, channelColumns } from '../features/index.js';

/** "CNERMODL" */
export const MAGIC = new Uint8Array([0x43, 0x4e, 0x45, 0x52, 0x4d, 0x4f, 0x44, 0x4c]);
export const FORMAT_VERSION = 1;
/** every tensor starts at a multiple of this many bytes (from the start of the file) */
export const ALIGNMENT = 64;
export const PREAMBLE_BYTES = 104;
/** tensors whose names start with this prefix are carried along without an architecture check */
export const AUX_PREFIX = 'aux.';

export type ModelFormatErrorCode =
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'TRUNCATED'
  | 'BAD_LAYOUT'
  | 'CHECKSUM'
  | 'BAD_HEADER'
  | 'BAD_TENSOR_TABLE'
  | 'VOCAB_MISMATCH'
  | 'TENSOR_MISMATCH'
  | 'BAD_TENSOR_VALUES';

export class ModelFormatError extends Error {
  readonly code: ModelFormatErrorCode;
  constructor(code: ModelFormatErrorCode, message: string) {
    super(`model file: ${message} [${code}]`);
    this.name = 'ModelFormatError';
    this.code = code;
  }
}

export interface TagScheme {
  scheme: 'BIO';
  /** labels[0] = 'O', then 'B-T', 'I-T' for each type (src/tags/bio.ts tagSet) */
  labels: string[];
}

export interface QuantizationInfo {
  /** 'int8-per-row': some tensors are stored as i8 with a NAME.scale companion (layout.ts) */
  scheme: 'none' | 'int8-per-row';
  /** names of the quantised tensors (informational) */
  tensors?: string[];
  [key: string]: unknown;
}

/** Where the model came from and how well it did; free-form beyond these fields. */
export interface TrainingInfo {
  /** corpus name / description, e.g. 'CCKS 2017 task 2 training release' */
  corpus?: string;
  /** terms the data came under; a model trained on research data must say so */
  license?: string;
  seed?: number;
  epochs?: number;
  /** evaluation figures, e.g. { test: { precision, recall, f1 }, ... } */
  metrics?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ModelHeader {
  name: string;
  version: string;
  /** ISO 8601 time of writing */
  created: string;
  architecture: Architecture;
  vocab: Vocabulary;
  tags: TagScheme;
  normalization: NormalizeOptions;
  segmenter: SegmenterSpec;
  consistency?: ConsistencyTable | null;
  quantization?: QuantizationInfo;
  training?: TrainingInfo | null;
  /** feature options shared by the trainer and the tagger (src/features) */
  features?: FeatureOptions;
  /** any other fields are preserved by readModel/writeModel */
  [key: string]: unknown;
}

export interface ModelFile {
  header: ModelHeader;
  /** may share memory with the bytes given to readModel (zero copy when aligned) */
  weights: Weights;
  /**
   * SHA-256 of the whole file, lower-case hex: the model's content id (same as `sha256sum model`). readModel
   * computes it on first read; readModelAsync has it ready; options.sha256 (a digest the caller verified) is used as is.
   */
  readonly sha256: string;
}

/** One row of the tensor table. `offset` is relative to the start of the payload. */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  length: number;
}

const DTYPE_BYTES: Record<DType, number> = { f32: 4, i8: 1, i32: 4 };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ───────────────────────────────────────────── writing ─────────────────────────────────────────────

/** Serialise a model. Checks the header and the weights exactly as readModel would, then writes. */
export function writeModel(header: ModelHeader, weights: Weights): Uint8Array {
  if (!(weights instanceof Map)) throw new TypeError(`writeModel: weights must be a Map<string, Tensor>, got ${typeof weights}`);
  const h = checkHeader(header);
  checkVocab(h);
  const entries: TensorEntry[] = [];
  const ordered = orderTensors(h, weights);
  let offset = 0;
  for (const [name, t] of ordered) {
    checkTensorObject(name, t);
    const length = t.data.byteLength;
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset, length });
    offset = alignUp(offset + length, ALIGNMENT);
  }
  checkTensorsAgainstHeader(h, new Map(ordered));
  for (const [name, t] of ordered) checkValues(name, t);
  const payloadLength = entries.length ? entries[entries.length - 1].offset + entries[entries.length - 1].length : 0;
  const payload = new Uint8Array(payloadLength);
  for (let i = 0; i < entries.length; i++) writeTensorBytes(payload, entries[i].offset, ordered[i][1]);
  return encodeModelSections({ header: JSON.stringify(h), table: JSON.stringify(entries), payload });
}

/**
 * Low level: assemble a file from raw sections, computing both digests. Used by writeModel, and by tests and
 * tools that need a well-checksummed file with arbitrary (even invalid) contents. `version` and
 * `payloadOffset` may be overridden for the same reason.
 */
export function encodeModelSections(parts: {
  header: string | Uint8Array;
  table: string | Uint8Array;
  payload: Uint8Array;
  version?: number;
  alignment?: number;
  payloadOffset?: number;
}): Uint8Array {
  const enc = new TextEncoder();
  const headerBytes = typeof parts.header === 'string' ? enc.encode(parts.header) : parts.header;
  const tableBytes = typeof parts.table === 'string' ? enc.encode(parts.table) : parts.table;
  const alignment = parts.alignment ?? ALIGNMENT;
  const metaEnd = PREAMBLE_BYTES + headerBytes.length + tableBytes.length;
  const payloadOffset = parts.payloadOffset ?? alignUp(metaEnd, alignment);
  const total = payloadOffset + parts.payload.length;
  const file = new Uint8Array(Math.max(total, metaEnd));
  file.set(MAGIC, 0);
  const dv = new DataView(file.buffer);
  dv.setUint32(8, parts.version ?? FORMAT_VERSION, true);
  dv.setUint32(12, alignment, true);
  dv.setUint32(16, headerBytes.length, true);
  dv.setUint32(20, tableBytes.length, true);
  setU64(dv, 24, payloadOffset);
  setU64(dv, 32, parts.payload.length);
  file.set(headerBytes, PREAMBLE_BYTES);
  file.set(tableBytes, PREAMBLE_BYTES + headerBytes.length);
  file.set(parts.payload, payloadOffset);
  file.set(sha256(parts.payload), 40);
  file.set(metaDigest(file, payloadOffset), 72);
  return file;
}

/** Tensors in file order: the architecture's (each i8 one followed by its scale), then aux.* sorted. */
function orderTensors(h: ModelHeader, weights: Weights): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const seen = new Set<string>();
  for (const spec of tensorSpecs(h.architecture)) {
    for (const name of [spec.name, `${spec.name}.scale`]) {
      const t = weights.get(name);
      if (t !== undefined) {
        out.push([name, t]);
        seen.add(name);
      }
    }
  }
  const rest = [...weights.keys()].filter((n) => !seen.has(n)).sort();
  for (const name of rest) out.push([name, weights.get(name)!]);
  return out;
}

function writeTensorBytes(payload: Uint8Array, offset: number, t: Tensor): void {
  if (LITTLE_ENDIAN || t.dtype === 'i8') {
    payload.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
    return;
  }
  const dv = new DataView(payload.buffer, payload.byteOffset + offset, t.data.byteLength);
  for (let i = 0; i < t.data.length; i++) {
    if (t.dtype === 'f32') dv.setFloat32(i * 4, t.data[i], true);
    else dv.setInt32(i * 4, t.data[i], true);
  }
}

function checkTensorObject(name: string, t: Tensor): void {
  if (!t || typeof t !== 'object') throw new ModelFormatError('TENSOR_MISMATCH', `tensor ${name}: expected { dtype, shape, data }`);
  const want = { f32: Float32Array, i8: Int8Array, i32: Int32Array }[t.dtype];
  if (want === undefined) throw new ModelFormatError('BAD_TENSOR_TABLE', `tensor ${name}: unknown dtype ${JSON.stringify(String(t.dtype))}`);
  if (!(t.data instanceof want)) {
    throw new ModelFormatError('TENSOR_MISMATCH', `tensor ${name}: dtype ${t.dtype} needs a ${want.name}, got ${t.data?.constructor?.name ?? typeof t.data}`);
  }
  checkShape(name, t.shape, 'TENSOR_MISMATCH');
  const n = product(t.shape);
  if (n !== t.data.length) {
    throw new ModelFormatError('TENSOR_MISMATCH', `tensor ${name}: shape [${t.shape}] holds ${n} values, data has ${t.data.length}`);
  }
}

// ───────────────────────────────────────────── reading ─────────────────────────────────────────────

export interface ReadModelOptions {
  /**
   * The SHA-256 of the whole file (64 lower-case hex digits) when the caller has ALREADY VERIFIED it over exactly
   * these bytes (e.g. against a manifest, with WebCrypto): it becomes `ModelFile.sha256` without another pass
   * over the file. It replaces no check: the file's own header and payload digests are always verified.
   */
  sha256?: string;
}

/**
 * Parse and check a model file. Throws ModelFormatError (with a `code`) on anything wrong.
 * Synchronous: the two digests are computed in JavaScript (~10–25 ms per MB). Callers that can await should use
 * readModelAsync, which runs the same checks with WebCrypto's native digest.
 */
export function readModel(input: Uint8Array | ArrayBuffer, options?: ReadModelOptions): ModelFile {
  const known = knownDigest(options, 'readModel');
  const layout = readLayout(input, 'readModel');
  const { bytes, payloadOffset, total } = layout;
  // the header digest first, then the payload's: a changed header is reported as such
  checkMetaDigest(layout, metaDigest(bytes, payloadOffset));
  checkPayloadDigest(layout, sha256(bytes.subarray(payloadOffset, total)));
  const contents = readContents(layout);
  // the content id costs another pass over the file: computed on first use, then kept
  let id: string | null = known;
  return {
    header: contents.header,
    weights: contents.weights,
    get sha256(): string {
      return (id ??= toHex(sha256(bytes)));
    },
  };
}

/**
 * readModel with the digests computed by WebCrypto (`crypto.subtle`, native; the JavaScript SHA-256 where a
 * platform lacks it): the same checks in the same order, the same ModelFormatError codes and messages. The
 * content id (`sha256`) is computed alongside (or taken from options.sha256), so reading it costs nothing.
 * Do not change the bytes while the promise is pending.
 */
export async function readModelAsync(input: Uint8Array | ArrayBuffer, options?: ReadModelOptions): Promise<ModelFile> {
  const known = knownDigest(options, 'readModelAsync');
  const layout = readLayout(input, 'readModelAsync');
  const { bytes, payloadOffset, total } = layout;
  // WebCrypto takes its copy of the bytes now; the digests run (on Node's thread pool) while the header and the
  // tensor table are parsed below. Nothing is returned, and no content error is thrown, before both digests match.
  const meta = sha256Async(metaBytes(bytes, payloadOffset));
  const payload = sha256Async(bytes.subarray(payloadOffset, total));
  const whole = known === null ? sha256Async(bytes) : null;
  let contents: { header: ModelHeader; weights: Weights } | null = null;
  let contentError: unknown = null;
  try {
    contents = readContents(layout);
  } catch (e) {
    contentError = e;
  }
  // await all three before judging, so no digest promise is left to reject unobserved
  const [metaD, payloadD, wholeD] = await Promise.all([meta, payload, whole]);
  checkMetaDigest(layout, metaD);
  checkPayloadDigest(layout, payloadD);
  if (contents === null) throw contentError;
  const id = known ?? toHex(wholeD as Uint8Array);
  return { header: contents.header, weights: contents.weights, sha256: id };
}

/** The preamble, read and checked: magic, version, section lengths and offsets against the file's size. */
interface Layout {
  bytes: Uint8Array;
  alignment: number;
  headerLength: number;
  tableLength: number;
  payloadOffset: number;
  payloadLength: number;
  /** end of the tensor table (start of the padding) */
  metaEnd: number;
  /** payloadOffset + payloadLength = the file's length */
  total: number;
}

function readLayout(input: Uint8Array | ArrayBuffer, fn: string): Layout {
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) bytes = input;
  else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
  else throw new TypeError(`${fn}: expected a Uint8Array or an ArrayBuffer, got ${describe(input)}`);

  // magic and version
  const n = bytes.length;
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= n) throw new ModelFormatError('TRUNCATED', `the file is ${n} bytes, shorter than its ${MAGIC.length}-byte magic`);
    if (bytes[i] !== MAGIC[i]) throw new ModelFormatError('BAD_MAGIC', 'not a model file (the first 8 bytes are not "CNERMODL")');
  }
  if (n < 12) throw new ModelFormatError('TRUNCATED', `the file is ${n} bytes, the version field ends at byte 12`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) {
    throw new ModelFormatError('UNSUPPORTED_VERSION', `format version ${version} is not supported (this reader reads version ${FORMAT_VERSION})`);
  }
  if (n < PREAMBLE_BYTES) throw new ModelFormatError('TRUNCATED', `the file is ${n} bytes, the preamble alone is ${PREAMBLE_BYTES}`);

  // layout
  const alignment = dv.getUint32(12, true);
  const headerLength = dv.getUint32(16, true);
  const tableLength = dv.getUint32(20, true);
  const payloadOffset = getU64(dv, 24);
  const payloadLength = getU64(dv, 32);
  if (alignment < 16 || alignment > 4096 || (alignment & (alignment - 1)) !== 0) {
    throw new ModelFormatError('BAD_LAYOUT', `alignment ${alignment} is not a power of two in [16, 4096]`);
  }
  const metaEnd = PREAMBLE_BYTES + headerLength + tableLength;
  if (payloadOffset < metaEnd || payloadOffset % alignment !== 0) {
    throw new ModelFormatError(
      'BAD_LAYOUT',
      `payload offset ${payloadOffset} must be a multiple of ${alignment} at or after the end of header and table (${metaEnd})`,
    );
  }
  const total = payloadOffset + payloadLength;
  if (!Number.isSafeInteger(total)) throw new ModelFormatError('BAD_LAYOUT', 'payload offset + length overflows');
  if (n < total) throw new ModelFormatError('TRUNCATED', `the file is ${n} bytes, its preamble says ${total}`);
  if (n > total) throw new ModelFormatError('BAD_LAYOUT', `the file is ${n} bytes, ${n - total} more than its preamble says`);
  return { bytes, alignment, headerLength, tableLength, payloadOffset, payloadLength, metaEnd, total };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function knownDigest(options: ReadModelOptions | undefined, fn: string): string | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: expected options to be an object, got ${describe(options)}`);
  const known = options.sha256;
  if (known === undefined) return null;
  if (typeof known !== 'string' || !SHA256_HEX.test(known)) {
    throw new TypeError(`${fn}: options.sha256 must be 64 lower-case hex digits, got ${typeof known === 'string' ? `a string of ${known.length} characters` : describe(known)}`);
  }
  return known;
}

function checkMetaDigest(layout: Layout, digest: Uint8Array): void {
  if (!equalBytes(digest, layout.bytes.subarray(72, 104))) {
    throw new ModelFormatError('CHECKSUM', 'header checksum mismatch: the preamble, header or tensor table was changed');
  }
}

function checkPayloadDigest(layout: Layout, digest: Uint8Array): void {
  if (!equalBytes(digest, layout.bytes.subarray(40, 72))) {
    throw new ModelFormatError('CHECKSUM', 'payload checksum mismatch: the tensor data was changed');
  }
}

/** Header, tensor table and tensors, checked (the layout is; the digests are checked by the caller). */
function readContents(layout: Layout): { header: ModelHeader; weights: Weights } {
  const { bytes, headerLength, tableLength, metaEnd, payloadOffset, payloadLength, alignment } = layout;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let headerJson: unknown;
  try {
    headerJson = JSON.parse(decoder.decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  } catch {
    throw new ModelFormatError('BAD_HEADER', `the header (${headerLength} bytes) is not UTF-8 JSON`);
  }
  const header = checkHeader(headerJson);
  let tableJson: unknown;
  try {
    tableJson = JSON.parse(decoder.decode(bytes.subarray(PREAMBLE_BYTES + headerLength, metaEnd)));
  } catch {
    throw new ModelFormatError('BAD_TENSOR_TABLE', `the tensor table (${tableLength} bytes) is not UTF-8 JSON`);
  }
  const entries = checkTable_(tableJson, payloadLength, alignment, payloadOffset);
  checkVocab(header);

  const weights: Weights = new Map();
  for (const e of entries) weights.set(e.name, readTensor(bytes, payloadOffset + e.offset, e));
  checkTensorsAgainstHeader(header, weights);
  for (const [name, t] of weights) checkValues(name, t);
  return { header, weights };
}

function readTensor(bytes: Uint8Array, at: number, e: TensorEntry): Tensor {
  const count = product(e.shape);
  const abs = bytes.byteOffset + at;
  let data: TensorData;
  if (e.dtype === 'i8') data = new Int8Array(bytes.buffer, abs, count);
  else if (LITTLE_ENDIAN && abs % 4 === 0) {
    data = e.dtype === 'f32' ? new Float32Array(bytes.buffer, abs, count) : new Int32Array(bytes.buffer, abs, count);
  } else {
    const dv = new DataView(bytes.buffer, abs, e.length);
    if (e.dtype === 'f32') {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(i * 4, true);
    } else {
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getInt32(i * 4, true);
    }
  }
  return { dtype: e.dtype, shape: [...e.shape], data };
}

/** Validate the tensor table: well-formed rows, aligned, in bounds, no overlaps, no duplicate names. */
function checkTable_(json: unknown, payloadLength: number, alignment: number, payloadOffset: number): TensorEntry[] {
  const bad = (msg: string) => new ModelFormatError('BAD_TENSOR_TABLE', msg);
  if (!Array.isArray(json)) throw bad(`expected the tensor table to be a JSON array, got ${describe(json)}`);
  const names = new Set<string>();
  const entries: TensorEntry[] = json.map((row: unknown, i: number) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw bad(`row ${i}: expected an object, got ${describe(row)}`);
    const r = row as Record<string, unknown>;
    if (typeof r.name !== 'string' || r.name.length === 0) throw bad(`row ${i}: expected a non-empty string name`);
    const name = r.name;
    if (names.has(name)) throw bad(`row ${i}: duplicate tensor name ${JSON.stringify(name)}`);
    names.add(name);
    if (typeof r.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, r.dtype)) {
      throw bad(`tensor ${name}: unknown dtype ${JSON.stringify(String(r.dtype))} (expected f32, i8 or i32)`);
    }
    const dtype = r.dtype as DType;
    checkShape(name, r.shape, 'BAD_TENSOR_TABLE');
    const shape = r.shape as number[];
    for (const key of ['offset', 'length'] as const) {
      if (!Number.isSafeInteger(r[key]) || (r[key] as number) < 0) {
        throw bad(`tensor ${name}: ${key} must be a non-negative integer, got ${String(r[key])}`);
      }
    }
    const offset = r.offset as number;
    const length = r.length as number;
    const want = product(shape) * DTYPE_BYTES[dtype];
    if (length !== want) throw bad(`tensor ${name}: shape [${shape}] of ${dtype} needs ${want} bytes, the table says ${length}`);
    if ((payloadOffset + offset) % alignment !== 0) throw bad(`tensor ${name}: offset ${offset} is not aligned to ${alignment} bytes`);
    if (offset + length > payloadLength) {
      throw bad(`tensor ${name}: bytes [${offset}, ${offset + length}) lie outside the ${payloadLength}-byte payload`);
    }
    return { name, dtype, shape: [...shape], offset, length };
  });
  const byOffset = [...entries].filter((e) => e.length > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    if (byOffset[i].offset < prev.offset + prev.length) {
      throw bad(`tensors ${prev.name} and ${byOffset[i].name} overlap`);
    }
  }
  return entries;
}

// ───────────────────────────────────────────── checks ─────────────────────────────────────────────

/** Check the header's fields and types (not yet against the tensors). Returns it typed; extras kept. */
export function checkHeader(json: unknown): ModelHeader {
  const bad = (msg: string) => new ModelFormatError('BAD_HEADER', msg);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad(`expected the header to be a JSON object, got ${describe(json)}`);
  const h = json as Record<string, unknown>;
  for (const key of ['name', 'version', 'created'] as const) {
    if (typeof h[key] !== 'string') throw bad(`header.${key}: expected a string, got ${describe(h[key])}`);
  }
  checkArchitecture(h.architecture);
  const vocab = h.vocab as Record<string, unknown>;
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab)) throw bad(`header.vocab: expected { chars, words }, got ${describe(vocab)}`);
  for (const ch of CHANNELS) {
    const key = ch.vocabKey;
    if (key === undefined) continue;
    const list = vocab[key];
    if (!ch.core && list === undefined) continue;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
      throw bad(`header.vocab.${key}: expected an array of strings, got ${describe(list)}`);
    }
  }
  const tags = h.tags as Record<string, unknown>;
  if (!tags || typeof tags !== 'object') throw bad(`header.tags: expected { scheme, labels }, got ${describe(tags)}`);
  if (tags.scheme !== 'BIO') throw bad(`header.tags.scheme: expected 'BIO', got ${JSON.stringify(String(tags.scheme))}`);
  if (!Array.isArray(tags.labels) || !tags.labels.every((s) => typeof s === 'string')) {
    throw bad(`header.tags.labels: expected an array of strings, got ${describe(tags.labels)}`);
  }
  if (!h.normalization || typeof h.normalization !== 'object' || Array.isArray(h.normalization)) {
    throw bad(`header.normalization: expected an object, got ${describe(h.normalization)}`);
  }
  try {
    resolveNormalizeOptions(h.normalization as NormalizeOptions);
  } catch (e) {
    throw bad(`header.normalization: ${(e as Error).message}`);
  }
  try {
    validateSegmenterSpec(h.segmenter);
  } catch (e) {
    throw bad(`header.segmenter: ${(e as Error).message}`);
  }
  if (h.consistency !== undefined && h.consistency !== null) {
    try {
      checkTable(h.consistency);
    } catch (e) {
      throw bad(`header.consistency: ${(e as Error).message}`);
    }
  }
  if (h.quantization !== undefined) {
    const q = h.quantization as Record<string, unknown>;
    if (!q || typeof q !== 'object' || (q.scheme !== 'none' && q.scheme !== 'int8-per-row')) {
      throw bad(`header.quantization: expected { scheme: 'none' | 'int8-per-row' }, got ${describe(q)}`);
    }
  }
  if (h.training !== undefined && h.training !== null && (typeof h.training !== 'object' || Array.isArray(h.training))) {
    throw bad(`header.training: expected an object or null, got ${describe(h.training)}`);
  }
  return json as ModelHeader;
}

function checkArchitecture(a: unknown): asserts a is Architecture {
  const bad = (msg: string) => new ModelFormatError('BAD_HEADER', `header.architecture${msg}`);
  if (!a || typeof a !== 'object' || Array.isArray(a)) throw bad(`: expected an object, got ${describe(a)}`);
  const r = a as Record<string, unknown>;
  const int = (key: string, min: number) => {
    if (!Number.isSafeInteger(r[key]) || (r[key] as number) < min) throw bad(`.${key}: expected an integer ≥ ${min}, got ${String(r[key])}`);
  };
  // the core channels' sizes and dimensions are required, the optional channels' integers ≥ 0 when present
  const core = CHANNELS.filter((ch) => ch.core);
  for (const ch of core) int(ch.sizeField, 2);
  for (const ch of core) int(ch.dimField, 0);
  int('tags', 1);
  if (core.every((ch) => r[ch.dimField] === 0)) throw bad(`: ${core.map((ch) => ch.dimField).join(' + ')} must be > 0`);
  for (const ch of CHANNELS) if (!ch.core) for (const key of [ch.sizeField, ch.dimField]) if (r[key] !== undefined) int(key, 0);
  // a field this reader does not know is a part of the network it cannot run (a newer channel, say): refuse it
  // by name rather than misread the tensors
  const known = new Set<string>(['lstm', 'tags', 'crf', ...CHANNELS.flatMap((ch) => [ch.sizeField, ch.dimField])]);
  for (const key of Object.keys(r)) {
    if (!known.has(key)) throw bad(`.${key}: unknown field (the model needs a newer reader; this one knows ${[...known].join(', ')})`);
  }
  try {
    checkOptionalChannels(r as unknown as Architecture);
  } catch (e) {
    throw bad(`: ${(e as Error).message.replace(/^architecture: /, '')}`);
  }
  if (!Array.isArray(r.lstm) || !r.lstm.every((h) => Number.isSafeInteger(h) && h >= 1)) {
    throw bad(`.lstm: expected an array of positive integers, got ${describe(r.lstm)}`);
  }
  if (typeof r.crf !== 'boolean') throw bad(`.crf: expected a boolean, got ${describe(r.crf)}`);
}

/** Vocabularies and tag labels against the architecture. */
/**
 * Vocabularies, tag labels and the input channels' tables against the architecture (what readModel and
 * writeModel check beyond checkHeader); exported for hosts that are handed a ModelFile object.
 */
export function checkVocab(h: ModelHeader): void {
  const bad = (msg: string) => new ModelFormatError('VOCAB_MISMATCH', msg);
  const a = h.architecture;
  const features = h.features as FeatureOptions | undefined;
  if (features !== undefined && (typeof features !== 'object' || features === null || Array.isArray(features))) {
    throw new ModelFormatError('BAD_HEADER', `header.features: expected an object, got ${describe(features)}`);
  }
  if (features?.wordPositions !== undefined && typeof features.wordPositions !== 'boolean') {
    throw new ModelFormatError('BAD_HEADER', `header.features.wordPositions: expected a boolean, got ${describe(features.wordPositions)}`);
  }
  // each channel's vocabulary list (header.vocab.<vocabKey>): present exactly when the channel is on (core lists
  // always), rows of its table = entries × rows per entry, <pad> and <unk> first, distinct non-empty strings
  for (const ch of CHANNELS) {
    const key = ch.vocabKey;
    if (key === undefined) continue;
    const list = h.vocab[key];
    if (!ch.core) {
      const on = channelColumns(ch, a) > 0;
      if (on && !Array.isArray(list)) throw bad(`the architecture has a ${ch.name} channel but header.vocab.${key} is missing`);
      if (!on && list !== undefined) throw bad(`header.vocab.${key} is present but the architecture has no ${ch.name} channel (${ch.dimField} 0)`);
      if (list === undefined) continue;
    }
    const rows = a[ch.sizeField] ?? 0;
    const per = ch.vocabRowsPerEntry?.(features) ?? 1;
    if (list!.length * per !== rows) {
      throw bad(`header.vocab.${key} has ${list!.length} entries${per > 1 ? ` × ${per} positions` : ''}, the architecture says ${rows} rows`);
    }
    if (list![0] !== '<pad>' || list![1] !== '<unk>') throw bad(`header.vocab.${key}: entries 0 and 1 must be '<pad>' and '<unk>'`);
    const seen = new Set<string>();
    for (let i = 0; i < list!.length; i++) {
      if (list![i].length === 0) throw bad(`header.vocab.${key}[${i}] is empty`);
      if (seen.has(list![i])) throw bad(`header.vocab.${key}[${i}] duplicates an earlier entry`);
      seen.add(list![i]);
    }
  }
  const labels = h.tags.labels;
  if (labels.length !== a.tags) throw bad(`header.tags.labels has ${labels.length} labels, the architecture says ${a.tags} tags`);
  if (labels[0] !== 'O') throw bad(`header.tags.labels[0] must be 'O'`);
  const seen = new Set<string>(['O']);
  for (let i = 1; i < labels.length; i++) {
    const l = labels[i];
    if (!/^[BI]-\S+$/.test(l)) throw bad(`header.tags.labels[${i}] is not 'B-<type>' or 'I-<type>'`);
    if (seen.has(l)) throw bad(`header.tags.labels[${i}] duplicates an earlier label`);
    seen.add(l);
  }
  for (const l of labels) {
    if (l === 'O') continue;
    const other = (l[0] === 'B' ? 'I' : 'B') + l.slice(1);
    if (!seen.has(other)) throw bad(`header.tags.labels has ${l} without ${other}`);
  }
  // what else the header must hold for a channel that is on (the lexicon: its string table, header.consistency)
  for (const ch of CHANNELS) {
    if (channelColumns(ch, a) === 0 || !ch.checkHeader) continue;
    const problem = ch.checkHeader({ architecture: a, labels, consistency: h.consistency, header: h });
    if (problem !== undefined) throw bad(problem);
  }
}

/** Every tensor the architecture needs, with its shape and dtype; no unexpected tensors. */
function checkTensorsAgainstHeader(h: ModelHeader, weights: Weights): void {
  const bad = (msg: string) => new ModelFormatError('TENSOR_MISMATCH', msg);
  const expected = new Set<string>();
  let anyInt8 = false;
  for (const spec of tensorSpecs(h.architecture)) {
    expected.add(spec.name);
    const t = weights.get(spec.name);
    if (t === undefined) throw bad(`tensor ${spec.name} is missing`);
    if (!sameShape(t.shape, spec.shape)) throw bad(`tensor ${spec.name} has shape [${t.shape}], the architecture needs [${spec.shape}]`);
    if (t.dtype === 'i8' && spec.quantizable) {
      anyInt8 = true;
      const scaleName = `${spec.name}.scale`;
      expected.add(scaleName);
      const s = weights.get(scaleName);
      if (s === undefined) throw bad(`tensor ${spec.name} is int8 but ${scaleName} is missing`);
      if (s.dtype !== 'f32' || !sameShape(s.shape, [spec.shape[0]])) {
        throw bad(`tensor ${scaleName} must be f32 of shape [${spec.shape[0]}], got ${s.dtype} [${s.shape}]`);
      }
    } else if (t.dtype !== 'f32') {
      throw bad(`tensor ${spec.name} must be f32${spec.quantizable ? ' or i8' : ''}, got ${t.dtype}`);
    }
  }
  for (const name of weights.keys()) {
    if (!expected.has(name) && !name.startsWith(AUX_PREFIX)) {
      throw bad(`tensor ${JSON.stringify(name)} is not part of the architecture (extra tensors must be named ${AUX_PREFIX}*)`);
    }
  }
  const scheme = h.quantization?.scheme ?? 'none';
  if (anyInt8 && scheme !== 'int8-per-row') throw bad(`int8 tensors present but header.quantization.scheme is '${scheme}'`);
}

/** f32 values must be finite; int8 scales must also be ≥ 0. */
function checkValues(name: string, t: Tensor): void {
  if (t.dtype !== 'f32') return;
  const d = t.data as Float32Array;
  const isScale = name.endsWith('.scale');
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isFinite(v) || (isScale && v < 0)) {
      throw new ModelFormatError('BAD_TENSOR_VALUES', `tensor ${name}: value ${i} is ${v} (expected ${isScale ? 'finite and ≥ 0' : 'finite'})`);
    }
  }
}

// ───────────────────────────────────────────── helpers ─────────────────────────────────────────────

/** SHA-256 over bytes [0, 72) and [104, payloadOffset): everything but the payload and this digest. */
function metaDigest(file: Uint8Array, payloadOffset: number): Uint8Array {
  return new Sha256().update(file.subarray(0, 72)).update(file.subarray(PREAMBLE_BYTES, payloadOffset)).digest();
}

/** The bytes metaDigest covers, in one array (for a one-shot digest such as WebCrypto's). */
function metaBytes(file: Uint8Array, payloadOffset: number): Uint8Array {
  const out = new Uint8Array(72 + payloadOffset - PREAMBLE_BYTES);
  out.set(file.subarray(0, 72), 0);
  out.set(file.subarray(PREAMBLE_BYTES, payloadOffset), 72);
  return out;
}

function checkShape(name: string, shape: unknown, code: ModelFormatErrorCode): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Number.isSafeInteger(product(shape))) {
    throw new ModelFormatError(code, `tensor ${name}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
}

function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function setU64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, v % 0x100000000, true);
  dv.setUint32(at + 4, Math.floor(v / 0x100000000), true);
}

function getU64(dv: DataView, at: number): number {
  return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 0x100000000;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
