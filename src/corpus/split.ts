/**
 * Seeded, record-level train/dev/test split.
 *
 * All documents of a record go to the same side (CCKS 2017: the four sections of record 12 — 一般项目-12,
 * 病史特点-12, 诊疗经过-12, 出院情况-12 — share record id "12"). The split is a pure function of the set of record
 * ids, the seed and the ratios: record ids are sorted (numerically when both are integers, else by UTF-16 code
 * units — no locale), shuffled with Fisher–Yates driven by mulberry32(seed), and cut into
 * dev = round(n·dev/Σ), test = round(n·test/Σ), train = the rest (300 records at 80/10/10 → 240/30/30).
 * Documents keep their input order within each side. Same on every run and machine.
 *
 * The 'blocked' mode (issue 16) cuts the same sizes without a shuffle: records in id order, test = the last
 * round(n·test/Σ), dev = the round(n·dev/Σ) before them, train = the rest (CCKS 2017, 300 records: train 1–240,
 * dev 241–270, test 271–300). The release comes in blocks of similar templates, so a random split puts near-copies
 * of test records in training; the blocked split stands for new records (the seed plays no part in it).
 */
import type { Doc } from './document.js';

export const DEFAULT_SEED = 2017;
export const DEFAULT_RATIOS: readonly [number, number, number] = [80, 10, 10];

/** The four CCKS 2017 sections. */
export const CCKS_SECTIONS: readonly string[] = ['一般项目', '病史特点', '诊疗经过', '出院情况'];

/** mulberry32: a small 32-bit seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new Error(`mulberry32 expects an integer seed, got ${String(seed)}`);
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy of `items`, driven by mulberry32(seed). */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Locale-free id order: integers numerically (and before other ids), other ids by UTF-16 code units. */
export function compareIds(a: string, b: string): number {
  const ia = /^\d+$/.test(a);
  const ib = /^\d+$/.test(b);
  if (ia && ib) return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
  if (ia !== ib) return ia ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Record id of a CCKS 2017 document: `病史特点-12` → "12". Throws for ids of another shape. */
export function recordIdOf(doc: Doc | string): string {
  const id = typeof doc === 'string' ? doc : doc.id;
  const m = /^(.+)-(\d+)$/.exec(id);
  if (!m) throw new Error(`recordIdOf expects a CCKS id <section>-<record number>, got ${JSON.stringify(id)}`);
  return String(Number(m[2]));
}

/** True when every id is a CCKS 2017 section id (`<one of the four sections>-<number>`). */
export function looksLikeCcksIds(docs: readonly Doc[]): boolean {
  return docs.length > 0 && docs.every((d) => CCKS_SECTIONS.some((s) => new RegExp(`^${s}-\\d+$`).test(d.id)));
}

/** How records are assigned: 'random' (seeded shuffle, the default) or 'blocked' (contiguous by record id). */
export type SplitMode = 'random' | 'blocked';
export const SPLIT_MODES: readonly SplitMode[] = ['random', 'blocked'];
const DEFAULT_SPLIT_MODE: SplitMode = 'random';

export function isSplitMode(s: unknown): s is SplitMode {
  return typeof s === 'string' && (SPLIT_MODES as readonly string[]).includes(s);
}

export interface SplitOptions {
  /** 'random' (default) or 'blocked' (see the file header) */
  mode?: SplitMode;
  seed?: number;
  /** Relative sizes of train, dev, test (default 80,10,10; any non-negative numbers with a positive sum). */
  ratios?: readonly [number, number, number];
  /** Record key of a document (default: the document id). Use `recordIdOf` for CCKS 2017. */
  recordKey?: (doc: Doc) => string;
  /** Name of the record key for the manifest (default 'doc-id', or 'ccks-record' when recordKey is recordIdOf). */
  recordKeyName?: string;
}

export interface SplitSide {
  records: string[];
  docs: number;
  entities: number;
}

export interface SplitManifest {
  /** present only for the blocked split (a random split's manifest is unchanged) */
  mode?: 'blocked';
  seed: number;
  ratios: [number, number, number];
  recordKey: string;
  records: number;
  train: SplitSide;
  dev: SplitSide;
  test: SplitSide;
}

export interface Split {
  train: Doc[];
  dev: Doc[];
  test: Doc[];
  manifest: SplitManifest;
}

export function splitByRecord(docs: readonly Doc[], options: SplitOptions = {}): Split {
  if (!Array.isArray(docs)) throw new TypeError(`splitByRecord expects an array of documents, got ${typeof docs}`);
  const mode = options.mode ?? DEFAULT_SPLIT_MODE;
  if (!isSplitMode(mode)) throw new Error(`split mode must be ${SPLIT_MODES.join(' or ')}, got ${JSON.stringify(options.mode)}`);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new Error(`split seed must be an integer, got ${String(seed)}`);
  const ratios = [...(options.ratios ?? DEFAULT_RATIOS)] as [number, number, number];
  if (ratios.length !== 3 || ratios.some((r) => !Number.isFinite(r) || r < 0) || ratios[0] + ratios[1] + ratios[2] <= 0) {
    throw new Error(`split ratios must be three non-negative numbers with a positive sum, got ${JSON.stringify(options.ratios)}`);
  }
  const recordKey = options.recordKey ?? ((d: Doc) => d.id);
  const recordKeyName = options.recordKeyName ?? (options.recordKey === recordIdOf ? 'ccks-record' : options.recordKey ? 'custom' : 'doc-id');

  const keys = docs.map((d) => recordKey(d));
  const records = [...new Set(keys)].sort(compareIds);
  const ordered = mode === 'blocked' ? records : seededShuffle(records, seed);
  const total = ratios[0] + ratios[1] + ratios[2];
  const n = records.length;
  const nDev = Math.round((n * ratios[1]) / total);
  const nTest = Math.min(n - nDev, Math.round((n * ratios[2]) / total));
  const nTrain = n - nDev - nTest;
  const side = new Map<string, 'train' | 'dev' | 'test'>();
  ordered.forEach((r, i) => side.set(r, i < nTrain ? 'train' : i < nTrain + nDev ? 'dev' : 'test'));

  const out: Split = {
    train: [],
    dev: [],
    test: [],
    manifest: {
      ...(mode === 'blocked' ? { mode } : {}),
      seed,
      ratios,
      recordKey: recordKeyName,
      records: n,
      train: { records: [], docs: 0, entities: 0 },
      dev: { records: [], docs: 0, entities: 0 },
      test: { records: [], docs: 0, entities: 0 },
    },
  };
  docs.forEach((d, i) => {
    const s = side.get(keys[i])!;
    out[s].push(d);
    out.manifest[s].docs++;
    out.manifest[s].entities += d.entities.length;
  });
  for (const r of records) out.manifest[side.get(r)!].records.push(r);
  return out;
}
