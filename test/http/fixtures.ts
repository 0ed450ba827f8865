/** Model files for the Node-side HTTP tests, written into a temporary folder. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupModel } from '../helpers/random-model.js';

/** 腹 → B-BODY, 部 → I-BODY (after 腹), 痛 → B-SIGNS; everything else O. */
export function knownModelBytes(strength = 8): Uint8Array {
  return lookupModel({ tagOf: { 腹: 'B-BODY', 部: 'I-BODY', 痛: 'B-SIGNS' }, chars: '患者右下三天伴恶心呕吐查体压', strength }).bytes;
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeModelFile(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
