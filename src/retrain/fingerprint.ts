/**
 * The data fingerprint of a retraining run: what the trained model depends on (documents and settings), kept in
 * the manifest note of the model it published, so a rerun on the same data changes nothing. Node only.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DEFAULT_RATIOS, DEFAULT_SEED, compareIds, type Doc } from '../corpus/index.js';
import { readCorpus } from '../io/corpus-io.js';
import type { ManifestEntry } from '../store/manifest.js';
import { type TrainConfig, identityOf } from '../train/config.js';
import type { SegdictVariant } from '../train/segdict.js';
import { kind, sortKeys } from './util.js';

/** What besides the documents determines the trained model. */
export interface FingerprintSettings {
  train: TrainConfig;
  model: 'int8' | 'f32';
  segmenter?: SegdictVariant;
  unlabeled?: string;
}

const FINGERPRINT_VERSION = 'cner-retrain-fingerprint-1';

/**
 * SHA-256 (hex) of the documents (sorted by id; entities sorted by start, end, type) and the training
 * settings. Files the settings name (unlabeled text, pre-trained vectors, extra training corpora) count by their
 * content, not path.
 * `checkpointMinutes` does not change the model and is left out.
 */
export async function dataFingerprint(docs: readonly Doc[], settings: FingerprintSettings): Promise<string> {
  if (!Array.isArray(docs)) throw new TypeError(`dataFingerprint: expected an array of documents, got ${kind(docs)}`);
  const h = createHash('sha256');
  h.update(`${FINGERPRINT_VERSION}\n`);
  hashDocs(h, docs);
  // config fields added later count only when set (identityOf), so an upgrade alone does not retrain
  const { checkpointMinutes: _ignored, embeddings, extraTrain, ...rest } = identityOf(settings.train) as unknown as TrainConfig;
  const files: Record<string, string | null> = {
    char: embeddings.char ? await fileSha256(embeddings.char) : null,
    word: embeddings.word ? await fileSha256(embeddings.word) : null,
    unlabeled: settings.unlabeled ? await fileSha256(settings.unlabeled) : null,
  };
  if (embeddings.bigram) files.bigram = await fileSha256(embeddings.bigram);
  // extra training corpora count by their documents (a corpus may be a folder)
  if (extraTrain?.length) {
    files.extraTrain = (await Promise.all(extraTrain.map(async (p) => {
      const e = createHash('sha256');
      hashDocs(e, (await readCorpus(p, { strict: false })).docs);
      return e.digest('hex');
    }))).join(',');
  }
  const split = { seed: DEFAULT_SEED, ratios: DEFAULT_RATIOS };
  h.update(JSON.stringify({ train: sortKeys(rest), files, model: settings.model, segmenter: settings.segmenter ?? null, split }));
  return h.digest('hex');
}

/** Documents into a hash: sorted by id, entities sorted by start, end, type. */
function hashDocs(h: ReturnType<typeof createHash>, docs: readonly Doc[]): void {
  const sorted = [...docs].sort((a, b) => compareIds(a.id, b.id));
  h.update(`docs ${sorted.length}\n`);
  for (const d of sorted) {
    const ents = [...d.entities]
      .sort((a, b) => a.start - b.start || a.end - b.end || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
      .map((e) => [e.start, e.end, e.type]);
    h.update(JSON.stringify([d.id, d.text, ents]) + '\n');
  }
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const NOTE_TAG = 'cner-retrain fingerprint=';

/** The manifest note of a retrained model: the operator note (if any) and the fingerprint. */
export function fingerprintNote(fingerprint: string, docs: number, note?: string): string {
  return `${note ? `${note}; ` : ''}${NOTE_TAG}${fingerprint} docs=${docs}`;
}

/** The data fingerprint a manifest entry was published with by this job, or null. */
export function fingerprintOfEntry(entry: ManifestEntry | null | undefined): string | null {
  const m = entry?.note ? new RegExp(`${NOTE_TAG}([0-9a-f]{64})`).exec(entry.note) : null;
  return m ? m[1] : null;
}
