/**
 * Copies a store's published models and its manifest into wrangler's LOCAL R2 bucket (the one `wrangler dev`
 * binds as MODELS), so the Worker serves what `cner publish` / `cner retrain` published — locally, offline.
 * wrangler dev's local R2 has no S3 endpoint, so this goes through `wrangler r2 object put --local`.
 * Each model is verified against its manifest SHA-256 before it is copied; the manifest goes last.
 *
 *   npx tsx scripts/fill-local-r2.ts --from file:///srv/cner-models [--bucket cner-models]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MANIFEST_KEY, fetchVerifiedModel, readManifest, serializeManifest } from '../src/store/manifest.js';
import { openStore } from '../src/store/open.js';

const { values } = parseArgs({ options: { from: { type: 'string' }, bucket: { type: 'string', default: 'cner-models' } } });
if (!values.from) {
  console.error('usage: tsx scripts/fill-local-r2.ts --from STORE_URL [--bucket cner-models]');
  process.exit(2);
}
const store = openStore(values.from);
const manifest = await readManifest(store);
if (!manifest) {
  console.error(`no manifest.json in ${values.from}: publish a model there first`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'cner-r2-'));
const put = (key: string, file: string, type: string) =>
  execFileSync('npx', ['wrangler', 'r2', 'object', 'put', `${values.bucket}/${key}`, '--file', file, '--content-type', type, '--local'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  });
try {
  for (const entry of [manifest.current, ...manifest.history]) {
    if (!entry) continue;
    const bytes = await fetchVerifiedModel(store, entry);
    const file = join(dir, `${entry.sha256}.cner`);
    writeFileSync(file, bytes);
    put(entry.key, file, 'application/octet-stream');
    console.log(`copied ${entry.key} (v${entry.version}, ${bytes.length} bytes)`);
  }
  const mfile = join(dir, 'manifest.json');
  writeFileSync(mfile, serializeManifest(manifest));
  put(MANIFEST_KEY, mfile, 'application/json');
  console.log(`copied ${MANIFEST_KEY}: current v${manifest.current?.version} ${manifest.current?.sha256.slice(0, 12)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
