/**
 * `cner publish MODEL --to URL`: uploads a model file to object storage (content-addressed), reads it back and
 * verifies its SHA-256, then points manifest.json at it. It refuses a model that scores below the current one
 * (unless --force): on --gate DATA (both models evaluated on it), on --metrics figures, or else on the test
 * figures both model files record.
 */
import { UsageError } from '../command.js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readModel } from '../../../model/format.js';
import { checkMetrics, decidePublish, recordedMetrics, type GateDecision, type ModelMetrics } from '../../../store/gate.js';
import { sha256Hex } from '../../../store/hash.js';
import { fetchVerifiedModel, publishModel, readManifest, type Manifest, type ManifestEntry } from '../../../store/manifest.js';
import { probeConditionalWrites, type ObjectStore } from '../../../store/object-store.js';
import { openStore } from '../../../store/open.js';

export const name = 'publish';
export const summary = 'upload a model to S3 / R2 / file:// storage, verify it, and make it current in manifest.json';
export const usage = `usage: cner publish MODEL --to URL [options]

Uploads MODEL to URL as models/<sha256>.cner, reads it back (size + SHA-256), and only then rewrites
manifest.json so that it names the model (the previous one goes to the manifest's history).

A model that scores below the current one is refused (exit 3, both figures printed) unless --force. The
figures compared, first that applies:
  --gate DATA     both models tagged and scored on the labelled corpus DATA (strict micro-F1, whole documents)
  --metrics FILE  the candidate's figures from FILE vs the current model's (--current-metrics FILE, or the
                  figures stored in the manifest when it was published)
  otherwise       the test figures each model file records (written by cner train: document-level strict
                  micro-F1, else sentence-level); a candidate with none vs a current model with some is refused

  URL   file://DIR | s3://BUCKET[/PREFIX] | r2://BUCKET[/PREFIX]
        s3/r2 read S3_ENDPOINT (or AWS_ENDPOINT_URL), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
        R2_ACCOUNT_ID (r2:// without S3_ENDPOINT); see docs/store.md. A store that ignores conditional writes
        (s3rver; S3_CONDITIONAL_WRITES=0) gets a warning: concurrent publishes to it are unsafe.

options:
  --to URL                the store (required)
  --note TEXT             a note kept in the manifest entry (an operator note, never patient text)
  --name NAME             entry name (default: the model header's name)
  --gate DATA             compare both models on this labelled corpus (file or folder, any corpus format)
  --metrics FILE          JSON { split, microF1, perType: { TYPE: { f1 } } } on the test split, kept in the entry
  --current-metrics FILE  with --metrics: the current model's figures on the same split (default: the manifest's)
  --margin X              how far micro-F1 may drop and still publish (default 0)
  --floor TYPE=F          minimum F1 of an entity type (repeatable)
  --force                 publish even when the comparison refuses (it is still printed)
  -h, --help              this text

exit status: 0 published (or already current), 1 error, 2 usage error, 3 refused (worse, or not comparable)
`;

const EXIT_REFUSED = 3;

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
        gate: { type: 'string' },
        metrics: { type: 'string' },
        'current-metrics': { type: 'string' },
        margin: { type: 'string' },
        floor: { type: 'string', multiple: true },
        force: { type: 'boolean' },
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
  if (v['current-metrics'] !== undefined && v.metrics === undefined) throw new UsageError('--current-metrics needs --metrics FILE');
  if (v.gate !== undefined && v['current-metrics'] !== undefined) throw new UsageError('give --gate DATA or --current-metrics, not both');
  const margin = v.margin === undefined ? 0 : Number(v.margin);
  if (v.margin !== undefined && (v.margin.trim() === '' || !Number.isFinite(margin) || margin < 0 || margin > 1)) {
    throw new UsageError(`--margin: expected a number in [0, 1], got ${JSON.stringify(v.margin)}`);
  }
  const perTypeFloors: Record<string, number> = {};
  for (const f of v.floor ?? []) {
    const m = /^([^=]+)=([0-9.]+)$/.exec(f);
    const x = m ? Number(m[2]) : NaN;
    if (!m || !(x >= 0 && x <= 1)) throw new UsageError(`--floor: expected TYPE=F with F in [0, 1], got ${JSON.stringify(f)}`);
    perTypeFloors[m[1]] = x;
  }

  const file = positionals[0];
  const bytes = readModelFile(file);
  const metrics = v.metrics !== undefined ? readMetrics(v.metrics, '--metrics') : null;
  const currentMetrics = v['current-metrics'] !== undefined ? readMetrics(v['current-metrics'], '--current-metrics') : undefined;
  const store = openStore(v.to);
  await warnIfUnsafe(store, 'publish');

  const manifest = await readManifest(store);
  const sha256 = await sha256Hex(bytes);
  if (manifest && manifest.current.sha256 !== sha256) {
    let decision: GateDecision;
    try {
      decision = await compare({ store, manifest, bytes, metrics, currentMetrics, gate: v.gate, margin, perTypeFloors });
    } catch (e) {
      // e.g. the current model's object is damaged: --force still lets a good model replace it
      if (!v.force || e instanceof UsageError) throw e;
      decision = { publish: false, reasons: [`REFUSE: could not compare with the current v${manifest.current.version}: ${(e as Error).message}`] };
    }
    for (const r of decision.reasons) process.stdout.write(`gate: ${r}\n`);
    if (!decision.publish) {
      if (!v.force) {
        process.stdout.write(`not published: ${basename(file)} was refused; ${store.description} unchanged (--force publishes it anyway)\n`);
        return EXIT_REFUSED;
      }
      process.stdout.write('gate: refused, publishing anyway (--force)\n');
    }
  }

  // the model the decision compared against must still be current when the manifest is written
  const result = await publishModel(store, bytes, {
    note: v.note,
    name: v.name,
    metrics,
    expectedCurrentSha: manifest ? manifest.current.sha256 : null,
  });
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

interface CompareInput {
  store: ObjectStore;
  manifest: Manifest;
  bytes: Uint8Array;
  metrics: ModelMetrics | null;
  currentMetrics: ModelMetrics | undefined;
  gate: string | undefined;
  margin: number;
  perTypeFloors: Record<string, number>;
}

/** The candidate against the current model, on the figures the options name (see the usage text). */
async function compare(c: CompareInput): Promise<GateDecision> {
  const cur = c.manifest.current;
  const gate = (candidate: ModelMetrics, current: ModelMetrics, source: string, requireSplit: boolean): GateDecision => {
    const d = decidePublish({ candidate, current, margin: c.margin, perTypeFloors: c.perTypeFloors, requireSplit });
    return { publish: d.publish, reasons: [`compared on ${source} (current: v${cur.version} ${cur.name})`, ...d.reasons] };
  };

  if (c.gate !== undefined) {
    // Node-only evaluation code, loaded only for --gate
    const [{ readCorpus }, { evaluateModel }, { summarizeEvaluation, testSplitId, toModelMetrics }] = await Promise.all([
      import('../../../io/corpus-io.js'),
      import('../../../train/evaluate.js'),
      import('../../../retrain/scores.js'),
    ]);
    let docs;
    try {
      docs = (await readCorpus(c.gate, { strict: false })).docs;
    } catch (e) {
      throw new UsageError(`--gate: cannot read a corpus from ${c.gate}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`);
    }
    if (docs.length === 0) throw new UsageError(`--gate: no labelled documents in ${c.gate}`);
    const split = await testSplitId(docs);
    const score = async (model: Uint8Array) => toModelMetrics(summarizeEvaluation((await evaluateModel(model, docs)).withConsistency), split);
    const currentBytes = await fetchVerifiedModel(c.store, cur);
    return gate(await score(c.bytes), await score(currentBytes), `${c.gate} (${docs.length} documents, strict micro-F1)`, true);
  }

  if (c.metrics) {
    const current = c.currentMetrics ?? cur.metrics;
    if (!current) return { publish: true, reasons: [`ok: the current v${cur.version} has no recorded figures: nothing to compare --metrics with`] };
    return gate(c.metrics, current, `the --metrics figures${c.currentMetrics ? ' and --current-metrics' : ' and the manifest\'s'}`, true);
  }

  const candidate = recordedMetrics(readModel(c.bytes).header);
  const current = recordedMetrics(readModel(await fetchVerifiedModel(c.store, cur)).header);
  for (const [level, what] of [['documents', 'document-level'], ['sentences', 'sentence-level']] as const) {
    const a = candidate[level];
    const b = current[level];
    if (a && b) return gate(a, b, `the test figures both model files record (${what} strict micro-F1; the split is not recorded)`, false);
  }
  const figure = current.documents ?? current.sentences;
  if (!figure) return { publish: true, reasons: [`ok: the current v${cur.version} records no test figures: nothing to compare with`] };
  return {
    publish: false,
    reasons: [
      `REFUSE: the candidate records no test figures comparable with the current v${cur.version}'s ` +
        `(micro-F1 ${figure.microF1.toFixed(4)}, ${current.documents ? 'document' : 'sentence'}-level): ` +
        'give --gate DATA to score both on a labelled corpus, --metrics FILE, or --force',
    ],
  };
}

/**
 * Warns (stderr, once per run) when the store does not enforce conditional writes, found by a probe: two
 * publishers or rollbacks at once could then overwrite each other's manifest.
 */
export async function warnIfUnsafe(store: ObjectStore, command: string): Promise<void> {
  if (await probeConditionalWrites(store)) return;
  process.stderr.write(
    `cner ${command}: warning: ${store.description} ${store.conditionalWrites ? 'ignores conditional writes (If-None-Match / If-Match)' : 'is used without conditional writes (S3_CONDITIONAL_WRITES=0)'}: ` +
      'concurrent publishes and rollbacks to it are unsafe (one can silently replace another); run one at a time\n',
  );
}

export function describeEntry(e: ManifestEntry): string {
  const f1 = e.metrics ? `, micro-F1 ${e.metrics.microF1.toFixed(4)}` : '';
  return `v${e.version} ${e.name} sha256 ${e.sha256.slice(0, 16)}… (${e.size} bytes${f1})`;
}

function readModelFile(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read MODEL ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a model file' : (e as Error).message}`);
  }
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
