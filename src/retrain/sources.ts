/**
 * The retraining job's annotated data: every source (a folder or file, or an s3:// / r2:// prefix downloaded into
 * the run's scratch folder; any corpus format) read and merged, a later source winning on a duplicate id. Node only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareIds, type CorpusFormat, type CorpusIssue, type Doc } from '../corpus/index.js';
import { readCorpus } from '../io/corpus-io.js';
import { openStore, type Env } from '../store/open.js';
import type { RetrainSource } from './config.js';
import { kind } from './util.js';

export interface SourceReport {
  /** the path or URL as configured (resolved) */
  source: string;
  format: CorpusFormat;
  /** files read (objects downloaded, for a bucket prefix) */
  files: number;
  docs: number;
  entities: number;
  /** corpus issues (bad spans or records skipped) */
  issues: number;
  /** documents of this source that replaced one of an earlier source (same id) */
  replacing: number;
}

export interface LoadedData {
  /** merged documents, sorted by id (compareIds) */
  docs: Doc[];
  sources: SourceReport[];
  /** ids found in more than one source: `from` = the source index replaced, `to` = the one kept */
  duplicates: Array<{ id: string; from: number; to: number }>;
  /** issues of every source (file, line, doc id, message — no text) */
  issues: CorpusIssue[];
}

export interface LoadSourcesOptions {
  /** default format for sources without their own */
  format?: CorpusFormat;
  /** environment for s3:// / r2:// sources (default process.env) */
  env?: Env;
  /** scratch folder for downloaded prefixes (required when a source is a bucket prefix) */
  scratchDir?: string;
  log?: (line: string) => void;
}

/** Reads every source and merges them: on a duplicate document id the later source wins (reported). */
export async function loadSources(sources: readonly RetrainSource[], options: LoadSourcesOptions = {}): Promise<LoadedData> {
  if (!Array.isArray(sources) || sources.length === 0) throw new TypeError(`loadSources: expected a non-empty array of sources, got ${kind(sources)}`);
  const log = options.log ?? (() => {});
  const byId = new Map<string, { doc: Doc; source: number }>();
  const reports: SourceReport[] = [];
  const duplicates: LoadedData['duplicates'] = [];
  const issues: CorpusIssue[] = [];
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i];
    let local = src.location;
    let downloaded: number | undefined;
    if (/^(s3|r2):\/\//i.test(src.location)) {
      if (!options.scratchDir) throw new Error(`source ${i} is a bucket prefix: loadSources needs options.scratchDir`);
      local = path.join(options.scratchDir, `source-${i}`);
      downloaded = await downloadPrefix(src.location, local, options.env ?? process.env);
      log(`source ${i}: ${downloaded} object(s) downloaded from ${src.location}`);
    }
    let read;
    try {
      read = await readCorpus(local, { format: src.format ?? options.format, strict: false });
    } catch (e) {
      throw new Error(`source ${i} (${src.location}): ${(e as Error).message}`);
    }
    const report: SourceReport = {
      source: src.location,
      format: read.format,
      files: downloaded ?? read.files,
      docs: read.docs.length,
      entities: read.docs.reduce((s, d) => s + d.entities.length, 0),
      issues: read.issues.length,
      replacing: 0,
    };
    issues.push(...read.issues.map((x) => ({ ...x, file: `source ${i}: ${x.file}` })));
    for (const doc of read.docs) {
      const prev = byId.get(doc.id);
      if (prev) {
        duplicates.push({ id: doc.id, from: prev.source, to: i });
        report.replacing++;
      }
      byId.set(doc.id, { doc, source: i });
    }
    reports.push(report);
    log(`source ${i}: ${report.format}, ${report.docs} docs, ${report.entities} entities, ${report.issues} issue(s), ${report.replacing} replacing earlier ids`);
  }
  const docs = [...byId.values()].map((x) => x.doc).sort((a, b) => compareIds(a.id, b.id));
  return { docs, sources: reports, duplicates, issues };
}

/** Downloads every object under an s3:// / r2:// prefix into `dir` (keys become relative paths). */
export async function downloadPrefix(url: string, dir: string, env: Env = process.env): Promise<number> {
  const store = openStore(url, env);
  const listed = await store.list('');
  let n = 0;
  for (const obj of listed) {
    // folder markers and hidden objects are not data
    if (obj.key.endsWith('/') || obj.key.split('/').some((s) => s.startsWith('.'))) continue;
    const bytes = await store.get(obj.key);
    if (!bytes) throw new Error(`${url}: object ${obj.key} vanished during the download`);
    const target = path.join(dir, ...obj.key.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
    n++;
  }
  if (n === 0) throw new Error(`${url}: no objects under this prefix`);
  return n;
}
