/**
 * The batch loop of `cner tag`: reads documents, groups them into jobs (up to `chunkDocs` documents or
 * `chunkChars` characters), keeps up to `2 × threads` jobs in flight on the pool, and writes results strictly in
 * input order. A record that cannot be read, tagged or written is reported (where + why, never its text) and
 * the run goes on.
 */
import type { TagOptions } from '../../../tagger.js';
import type { InputDoc, InputSource } from './input.js';
import type { Sink, TaggedDoc } from './output.js';
import { whereOf } from './output.js';
import type { TaggerPool } from './pool.js';
import type { Progress } from './progress.js';

export interface BatchOptions {
  tagOptions: TagOptions;
  /** called for each record that failed (before the run goes on) */
  onFailure: (where: string, message: string) => void;
  progress?: Progress;
  /** label of the input used in messages (`file:line`) */
  label?: string;
  /** a job holds at most this many documents (default 64; 1 keeps a stdin pipe live) */
  chunkDocs?: number;
  /** or this many characters (default 16,384) */
  chunkChars?: number;
}

export interface BatchStats {
  docs: number;
  chars: number;
  entities: number;
  failed: number;
  seconds: number;
}

export const DEFAULT_CHUNK_DOCS = 64;
export const DEFAULT_CHUNK_CHARS = 16_384;

export async function runBatch(source: InputSource, pool: TaggerPool, sink: Sink, options: BatchOptions): Promise<BatchStats> {
  const chunkDocs = options.chunkDocs ?? DEFAULT_CHUNK_DOCS;
  const chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const maxInFlight = Math.max(2, pool.threads * 2);
  const t0 = performance.now();
  const stats: BatchStats = { docs: 0, chars: 0, entities: 0, failed: 0, seconds: 0 };
  let position = 0;

  const fail = (where: string, message: string) => {
    stats.failed++;
    options.progress?.clear();
    options.onFailure(where, message);
  };
  const showProgress = () =>
    options.progress?.update({ done: position, total: source.total, docs: stats.docs, chars: stats.chars, failed: stats.failed });

  // the reader (this function) submits jobs; the writer (below) lands them in order as soon as each is done,
  // so with one document a job every result is written as soon as it is ready (stdin pipes stay live)
  type Flight = { docs: InputDoc[]; result: Promise<TaggedDoc[] | Error>; progress: number };
  const queue: Flight[] = [];
  let wakeWriter: (() => void) | null = null;
  let wakeReader: (() => void) | null = null;
  let finished = false;
  let writeError: unknown = null;
  const signal = (which: 'writer' | 'reader') => {
    const f = which === 'writer' ? wakeWriter : wakeReader;
    if (which === 'writer') wakeWriter = null;
    else wakeReader = null;
    f?.();
  };

  const land = async (flight: Flight) => {
    const r = await flight.result;
    if (r instanceof Error) {
      for (const d of flight.docs) fail(whereOf(d, options.label), `tagging failed: ${r.message}`);
    } else {
      for (const f of await sink.write(r)) fail(f.where, f.message);
      for (const t of r) {
        stats.docs++;
        stats.chars += t.doc.text.length;
        stats.entities += t.result.entities.length;
      }
    }
    position = Math.max(position, flight.progress);
    showProgress();
  };
  const writer = (async () => {
    try {
      for (;;) {
        if (queue.length === 0) {
          if (finished) return;
          await new Promise<void>((resolve) => (wakeWriter = resolve));
          continue;
        }
        await land(queue[0]);
        queue.shift();
        signal('reader');
      }
    } catch (e) {
      writeError = e;
      signal('reader');
      throw e;
    }
  })();
  writer.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled

  const submit = async (docs: InputDoc[], progress: number) => {
    const result = pool.tagMany(
      docs.map((d) => d.text),
      options.tagOptions,
    ).then(
      (results) => docs.map((doc, i) => ({ doc, result: results[i] })),
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    queue.push({ docs, result, progress });
    signal('writer');
    while (queue.length >= maxInFlight && writeError === null) await new Promise<void>((resolve) => (wakeReader = resolve));
    if (writeError !== null) throw writeError;
  };

  let chunk: InputDoc[] = [];
  let chunkLength = 0;
  try {
    for await (const item of source.items) {
      if (writeError !== null) throw writeError;
      if (item.kind === 'failure') {
        fail(item.where, item.message);
        continue;
      }
      chunk.push(item);
      chunkLength += item.text.length;
      if (chunk.length >= chunkDocs || chunkLength >= chunkChars) {
        const docs = chunk;
        chunk = [];
        chunkLength = 0;
        await submit(docs, item.progress);
      }
    }
    if (chunk.length > 0) await submit(chunk, chunk[chunk.length - 1].progress);
  } finally {
    finished = true;
    signal('writer');
  }
  await writer;
  for (const f of await sink.close()) fail(f.where, f.message);
  position = source.total;
  showProgress();
  options.progress?.done();
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}
