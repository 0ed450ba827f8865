/**
 * Config files on disk (training, run and retraining configs): reading the JSON, and the one path resolver: every
 * field the config's schema marks `x-path` resolves against the config file's folder, never the working directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type JsonSchema, mapPaths } from '../schema/index.js';

/** The folder a config file's relative paths resolve against. */
export function configFolder(file: string): string {
  return dirname(resolve(file));
}

/** The parsed JSON of a config file; throws `config FILE: cannot read JSON (why)`. */
export function readConfigFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`config ${file}: cannot read JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * `value` (valid against `schema`) with every x-path field resolved against `baseDir`: a path becomes absolute;
 * a 'location' may also be a URL: a file:// URL becomes an absolute one (file:///abs/dir), s3:// and r2:// stay.
 */
export function resolveConfigPaths<T>(value: T, schema: JsonSchema, baseDir: string): T {
  return mapPaths(value, schema, (text, kind) => {
    const url = kind === 'location' ? /^([a-z0-9]+):\/\/(.*)$/i.exec(text) : null;
    if (!url) return resolve(baseDir, text);
    if (url[1].toLowerCase() !== 'file') return text;
    // file://rel/dir → <baseDir>/rel/dir, file:///abs and file://localhost/abs stay where they are (store/open.ts)
    const local = url[2].startsWith('localhost/') ? url[2].slice('localhost'.length) : url[2];
    return `file://${encodeURI(resolve(baseDir, decodeURIComponent(local)))}`;
  });
}
