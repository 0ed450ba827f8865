/**
 * `cner rollback --to URL [--version N|SHA]`: points manifest.json back to an earlier model (after verifying
 * that model's object), or lists the published models.
 */
import { UsageError } from '../command.js';
import { parseArgs } from 'node:util';
import { readManifest, rollback, type RollbackOptions } from '../../../store/manifest.js';
import { openStore } from '../../../store/open.js';
import { describeEntry, warnIfUnsafe } from './publish.js';

export const name = 'rollback';
export const summary = 'point manifest.json back to an earlier published model (or list them)';
export const usage = `usage: cner rollback --to URL [--version N|SHA]
       cner rollback --to URL --list

Makes an earlier model current again. The model object is fetched and its SHA-256 checked first; a missing
or corrupted object is refused and the manifest is left as it is.

options:
  --to URL          file://DIR | s3://BUCKET[/PREFIX] | r2://BUCKET[/PREFIX] (required; docs/store.md)
  --version N|SHA   the entry's version number (1-7 digits) or its sha256 / a unique prefix of 6+ hex digits;
                    default: the model that was current before the current one
  --list            print the current model and the history, change nothing
  -h, --help        this text

exit status: 0 done (or already current), 1 error, 2 usage error
`;


/** Errors reach the dispatcher (src/hosts/cli/main.ts): UsageError → exit 2, anything else → exit 1. */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        to: { type: 'string' },
        version: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (!v.to) throw new UsageError('--to URL is required');
  if (v.list && v.version !== undefined) throw new UsageError('give --list or --version, not both');
  const store = openStore(v.to);

  if (v.list) {
    const m = await readManifest(store);
    if (!m) {
      process.stdout.write(`nothing published in ${store.description}\n`);
      return 0;
    }
    process.stdout.write(`current: ${describeEntry(m.current)}\n`);
    for (const e of m.history) process.stdout.write(`history: ${describeEntry(e)} published ${e.publishedAt}\n`);
    return 0;
  }

  const options: RollbackOptions = {};
  if (v.version !== undefined) {
    if (/^\d{1,7}$/.test(v.version)) options.version = Number(v.version);
    else if (/^[0-9a-f]{6,64}$/i.test(v.version)) options.sha = v.version.toLowerCase();
    else throw new UsageError(`--version: expected a version number or 6-64 hex digits of a sha256, got ${JSON.stringify(v.version)}`);
  }
  await warnIfUnsafe(store, 'rollback');
  const r = await rollback(store, options);
  if (!r.changed) {
    process.stdout.write(`already current: ${describeEntry(r.entry)} in ${store.description}; manifest unchanged\n`);
    return 0;
  }
  process.stdout.write(
    `rolled back ${store.description}manifest.json\n  was: ${describeEntry(r.previous)}\n  now: ${describeEntry(r.entry)} (object verified)\n`,
  );
  return 0;
}

export default { name, summary, usage, run };
