/**
 * The private scratch folder of a retraining run: its temporary copies of the training data are clinical text, so
 * they live in a per-user folder of mode 0700, are removed when the run ends, and what a killed run left is removed
 * by the next. Node only.
 */
import { rmSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { processExists } from '../store/file.js';
import type { Env } from '../store/open.js';

/**
 * The private folder a run keeps its temporary copies of the training data in (clinical text): CNER_SCRATCH_DIR,
 * else $XDG_CACHE_HOME/cner/retrain, else ~/.cache/cner/retrain. Per user, never the shared system temp folder.
 */
export function scratchRoot(env: Env = process.env): string {
  if (env.CNER_SCRATCH_DIR) return path.resolve(env.CNER_SCRATCH_DIR);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(homedir(), '.cache'), 'cner', 'retrain');
}

export interface Scratch {
  root: string;
  /** this run's folder: `<root>/run-<pid>-<random>`, mode 0700 */
  dir: string;
  /** how many folders of runs whose process is gone were removed on opening */
  removed: number;
  /** removes `dir` (also done on process exit, so process.exit after a second Ctrl-C leaves nothing) */
  dispose(): Promise<void>;
}

const SCRATCH_RUN = /^run-([0-9]+)-[A-Za-z0-9]+$/;

/**
 * Opens a run folder under `root`: creates the root with mode 0700 (refusing one that is a link or belongs
 * to another user, and tightening a looser mode), removes the folders of runs whose process no longer exists
 * (a SIGKILLed run), and creates this run's folder.
 */
export async function openScratch(root: string): Promise<Scratch> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const st = await lstat(root);
  if (!st.isDirectory()) throw new Error(`scratch folder ${root} is not a folder (a link?): refusing to copy training data there`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`scratch folder ${root} belongs to another user (uid ${st.uid}): refusing to copy training data there`);
  if ((st.mode & 0o077) !== 0) await chmod(root, 0o700);
  let removed = 0;
  for (const name of await readdir(root)) {
    const m = SCRATCH_RUN.exec(name);
    if (!m || Number(m[1]) === process.pid || processExists(Number(m[1]))) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed++;
  }
  const dir = await mkdtemp(path.join(root, `run-${process.pid}-`)); // mode 0700
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', onExit);
  return {
    root,
    dir,
    removed,
    async dispose() {
      process.removeListener('exit', onExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
