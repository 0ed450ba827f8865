/**
 * The report of a retraining run: what happened, with counts, ids, scores and hashes — never document text —
 * written as `<reportDir>/<runId>.json` and a markdown summary beside it. Node only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TrainConfig } from '../train/config.js';
import type { ModelScores } from './scores.js';
import type { SourceReport } from './sources.js';

export type RetrainStatus = 'published' | 'unchanged' | 'refused' | 'lock-held' | 'error';

export interface RetrainReport {
  schema: 1;
  job: 'cner retrain';
  runId: string;
  status: RetrainStatus;
  exitCode: number;
  /** one line saying what happened */
  message: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  store: string;
  data: null | {
    fingerprint: string;
    docs: number;
    entities: number;
    types: Record<string, number>;
    sources: SourceReport[];
    duplicates: { count: number; ids: string[] };
    issues: { count: number; first: string[] };
  };
  split: null | {
    seed: number;
    ratios: [number, number, number];
    recordKey: string;
    id: string;
    train: { records: number; docs: number; entities: number };
    dev: { records: number; docs: number; entities: number };
    test: { records: number; docs: number; entities: number };
  };
  training: null | {
    workDir: string;
    config: TrainConfig;
    seconds: number;
    params: number;
    bestEpoch: number;
    devF1: number;
    stoppedBy: string;
    model: 'int8' | 'f32';
    file: string;
    sha256: string;
    bytes: number;
  };
  evaluation: null | {
    docs: number;
    consistency: boolean;
    candidate: ModelScores;
    current: null | (ModelScores & { sha256: string; version: number; name: string });
  };
  gate: null | { publish: boolean; reasons: string[]; margin: number; perTypeFloors: Record<string, number>; metric: string };
  published: null | { sha256: string; version: number; key: string; previous: { sha256: string; version: number } | null };
  current: null | { sha256: string; version: number; fingerprint: string | null };
  lock: { owner: string; acquired: boolean; released: boolean; holder?: { owner: string; startedAt: string; expiresAt: string } | null };
  error: null | { name: string; message: string };
}

/** Writes `<reportDir>/<runId>.json` and `.md` (a suffix `-2`, `-3`… when a run of the same millisecond exists). */
export async function writeRetrainReport(reportDir: string, report: RetrainReport): Promise<{ json: string; md: string }> {
  await mkdir(reportDir, { recursive: true });
  for (let n = 1; ; n++) {
    const base = path.join(reportDir, n === 1 ? report.runId : `${report.runId}-${n}`);
    try {
      await writeFile(`${base}.json`, JSON.stringify(report, null, 2) + '\n', { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      throw e;
    }
    await writeFile(`${base}.md`, formatRetrainMarkdown(report));
    return { json: `${base}.json`, md: `${base}.md` };
  }
}

/** A short markdown summary of a report (scores, counts, hashes; no document text). */
export function formatRetrainMarkdown(r: RetrainReport): string {
  const f = (x: number) => x.toFixed(4);
  const lines: string[] = [`# cner retrain ${r.runId}: ${r.status}`, '', r.message, ''];
  lines.push(`- exit code ${r.exitCode}; ${r.seconds.toFixed(1)} s; store ${r.store || '(not opened)'}`);
  if (r.data) {
    lines.push(
      `- data: ${r.data.docs} docs, ${r.data.entities} entities from ${r.data.sources.length} source(s); ` +
        `${r.data.duplicates.count} duplicate id(s) replaced by a later source; ${r.data.issues.count} corpus issue(s) skipped`,
      `- fingerprint \`${r.data.fingerprint}\``,
    );
  }
  if (r.current) lines.push(`- current model before the run: v${r.current.version} \`${r.current.sha256.slice(0, 16)}\``);
  if (r.split) {
    lines.push(
      `- split (seed ${r.split.seed}, ${r.split.ratios.join('/')}, by ${r.split.recordKey}): train ${r.split.train.docs} / dev ${r.split.dev.docs} / ` +
        `test ${r.split.test.docs} docs; test split \`${r.split.id.slice(0, 16)}\``,
    );
  }
  if (r.training) {
    lines.push(`- training: ${r.training.seconds.toFixed(1)} s, best epoch ${r.training.bestEpoch} (dev F1 ${f(r.training.devF1)}), stopped by ${r.training.stoppedBy}; ${r.training.model} model ${r.training.bytes} bytes \`${r.training.sha256.slice(0, 16)}\``);
  }
  if (r.published) lines.push(`- **published v${r.published.version}** \`${r.published.sha256}\``);
  else lines.push('- published: nothing');
  if (r.lock.acquired === false && r.status === 'lock-held') lines.push(`- lock held by ${r.lock.holder?.owner ?? 'another run'} until ${r.lock.holder?.expiresAt ?? '?'}`);
  if (r.error) lines.push(`- error (${r.error.name}): ${r.error.message}`);
  const ev = r.evaluation;
  if (ev) {
    lines.push('', `## Scores on the test split (${ev.docs} docs, consistency ${ev.consistency ? 'on' : 'off'})`, '');
    lines.push('| model | strict P | strict R | strict F1 | relaxed F1 |', '|---|---:|---:|---:|---:|');
    const row = (label: string, s: ModelScores) =>
      lines.push(`| ${label} | ${f(s.strict.micro.precision)} | ${f(s.strict.micro.recall)} | ${f(s.strict.micro.f1)} | ${f(s.relaxed.micro.f1)} |`);
    row('candidate', ev.candidate);
    if (ev.current) row(`current v${ev.current.version}`, ev.current);
    const types = [...new Set([...Object.keys(ev.candidate.strict.perType), ...Object.keys(ev.current?.strict.perType ?? {})])].sort();
    if (types.length) {
      lines.push('', '| type | gold | candidate strict F1 | current strict F1 | candidate relaxed F1 | current relaxed F1 |', '|---|---:|---:|---:|---:|---:|');
      const g = (s: ModelScores | null | undefined, k: 'strict' | 'relaxed', t: string) => (s?.[k].perType[t] ? f(s[k].perType[t].f1) : '–');
      for (const t of types) {
        const gold = ev.candidate.strict.perType[t]?.gold ?? ev.current?.strict.perType[t]?.gold ?? 0;
        lines.push(`| ${t} | ${gold} | ${g(ev.candidate, 'strict', t)} | ${g(ev.current, 'strict', t)} | ${g(ev.candidate, 'relaxed', t)} | ${g(ev.current, 'relaxed', t)} |`);
      }
    }
  }
  if (r.gate) {
    lines.push('', `## Gate: ${r.gate.publish ? 'publish' : 'refuse'} (margin ${r.gate.margin})`, '');
    for (const reason of r.gate.reasons) lines.push(`- ${reason}`);
  }
  return lines.join('\n') + '\n';
}
