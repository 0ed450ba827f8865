/**
 * `cner publish MODEL --to URL`: uploads a model file to object storage (content-addressed), reads it back and
 * verifies its SHA-256, then points manifest.json at it. Optionally gated on test-split metrics.
 */
import { UsageError } from '../command.js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { checkMetrics, type ModelMetrics } from '../../../store/gate.js';
import { gatedPublish } from '../../../store/gated.js';
import { publishModel, type ManifestEntry, type PublishResult } from '../../../store/manifest.js';
import { openStore } from '../../../store/open.js';

export const name = 'publish';
export const summary = 'upload a model to S3 / R2 / file:// storage, verify it, and make it current in manifest.json';
export const usage = `usage: cner publish MODEL --to URL [options]

Uploads MODEL to URL as models/<sha256>.cner, reads it back (size + SHA-256), and only then rewrites
manifest.json so that it names the model (the previous one goes to the manifest's history).

  URL   file://DIR | s3://BUCKET[/PREFIX] | r2://BUCKET[/PREFIX]
        s3/r2 read S3_ENDPOINT (or AWS_ENDPOINT_URL), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
        R2_ACCOUNT_ID (r2:// without S3_ENDPOINT); see docs/store.md

options:
  --to URL                the store (required)
  --note TEXT             a note kept in the manifest entry (an operator note, never patient text)
  --name NAME             entry name (default: the model header's name)
  --metrics FILE          JSON { split, microF1, perType: { TYPE: { f1 } } } on the test split, kept in the entry
  --gate                  publish only if at least as good as the current model (needs --metrics)
  --margin X              with --gate: how far micro-F1 may drop and still publish (default 0)
  --floor TYPE=F          with --gate: minimum F1 of an entity type (repeatable)
  --current-metrics FILE  with --gate: the current model's metrics on the same split (default: the manifest's)
  -h, --help              this text

exit status: 0 published (or already current), 1 error, 2 usage error, 3 refused by the gate
`;


/** Errors reach the dispatcher (src/hosts/cli/main.ts): UsageError → exit 2, anything else → exit 1. */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        note: { type: 'string' },
        name: { type: 'string' },
        metrics: { type: 'string' },
        gate: { type: 'boolean' },
        margin: { type: 'string' },
        floor: { type: 'string', multiple: true },
        'current-metrics': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one MODEL file, got ${positionals.length}`);
  if (!v.to) throw new UsageError('--to URL is required');
  if (!v.gate && (v.margin !== undefined || v.floor !== undefined || v['current-metrics'] !== undefined)) {
    throw new UsageError('--margin, --floor and --current-metrics need --gate');
  }
  if (v.gate && v.metrics === undefined) throw new UsageError('--gate needs --metrics FILE');

  const file = positionals[0];
  const bytes = new Uint8Array(readFileSync(file));
  const metrics = v.metrics !== undefined ? readMetrics(v.metrics, '--metrics') : null;
  const store = openStore(v.to);
  const common = { note: v.note, name: v.name };

  let result: PublishResult;
  if (v.gate) {
    const margin = v.margin === undefined ? 0 : Number(v.margin);
    if (!Number.isFinite(margin) || margin < 0 || margin > 1) throw new UsageError(`--margin: expected a number in [0, 1], got ${JSON.stringify(v.margin)}`);
    const perTypeFloors: Record<string, number> = {};
    for (const f of v.floor ?? []) {
      const m = /^([^=]+)=([0-9.]+)$/.exec(f);
      const x = m ? Number(m[2]) : NaN;
      if (!m || !(x >= 0 && x <= 1)) throw new UsageError(`--floor: expected TYPE=F with F in [0, 1], got ${JSON.stringify(f)}`);
      perTypeFloors[m[1]] = x;
    }
    const currentMetrics = v['current-metrics'] !== undefined ? readMetrics(v['current-metrics'], '--current-metrics') : undefined;
    const g = await gatedPublish(store, bytes, { ...common, metrics: metrics!, currentMetrics, margin, perTypeFloors });
    for (const r of g.decision.reasons) process.stdout.write(`gate: ${r}\n`);
    if (!g.result) {
      process.stdout.write(`not published: the gate refused ${basename(file)}; ${store.description} unchanged\n`);
      return 3;
    }
    result = g.result;
  } else {
    result = await publishModel(store, bytes, { ...common, metrics });
  }

  const e = result.entry;
  if (!result.changed) {
    process.stdout.write(`already current: ${describeEntry(e)} in ${store.description}; manifest unchanged\n`);
    return 0;
  }
  process.stdout.write(
    `published ${describeEntry(e)} to ${store.description}${e.key}\n` +
      `  ${result.uploaded ? 'uploaded and verified' : 'identical object already stored (verified)'}; manifest.json now names it\n` +
      `  previous: ${result.previous ? describeEntry(result.previous) : 'none (first publish)'}\n`,
  );
  return 0;
}

export function describeEntry(e: ManifestEntry): string {
  const f1 = e.metrics ? `, micro-F1 ${e.metrics.microF1.toFixed(4)}` : '';
  return `v${e.version} ${e.name} sha256 ${e.sha256.slice(0, 16)}… (${e.size} bytes${f1})`;
}

function readMetrics(path: string, flag: string): ModelMetrics {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${flag}: cannot read JSON from ${path}: ${(e as Error).message}`);
  }
  try {
    checkMetrics(json, flag);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return json;
}

export default { name, summary, usage, run };
