/**
 * Output files that never destroy input (Node only).
 *
 * - `assertNotAlias(output, inputs)`: refuses an output that is the same file as an input — compared by device
 *   and inode, so a symbolic link or a hard link to the input is caught as well as the same path — and an output
 *   folder that holds an input, or lies inside an input folder.
 * - `openAtomic(file)` / `writeFileAtomic(file, content)` / `writeFileAtomicSync`: write to a temporary file beside the final one
 *   (`.<name>.<pid>-<random>.tmp`) and rename it over the final name at the end, so a killed run never leaves a
 *   half-written file under the final name. Live temporary files are listed, so `removeTempFiles()` can delete
 *   them when the process is interrupted (SIGINT, SIGTERM); `abort()` deletes one on error. What a SIGKILL leaves
 *   behind is deleted by the next run that writes the same output (`removeStaleTempFiles`).
 */
import { createWriteStream, mkdirSync, renameSync, unlinkSync, writeFileSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

const live = new Set<string>();

/** Deletes every temporary output file of this process that was not yet renamed (synchronous: safe in a signal handler). */
export function removeTempFiles(): void {
  for (const f of live) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** The temporary name of an output: beside it, hidden, unique to this process. */
export function tempNameFor(file: string): string {
  const dir = path.dirname(path.resolve(file));
  return path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
};

/**
 * Deletes the temporary files that killed runs (SIGKILL, power loss) left beside `file`: `.<name>.<pid>-<hex>.tmp`
 * of a process that no longer runs. They may hold clinical text, so they are not left lying around.
 */
export async function removeStaleTempFiles(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)-[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) await unlink(path.join(dir, name)).catch(() => {});
  }
}

/** The real path of `p`, or of its nearest existing folder joined with the rest when `p` does not exist. */
async function realPathOf(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(await realPathOf(parent), path.basename(abs));
  }
}

const inside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

async function statOrNull(p: string) {
  try {
    return await stat(p);
  } catch {
    return null;
  }
}

/**
 * Throws when writing `output` could touch one of `inputs` (`-`, stdin/stdout, is skipped): the same file by
 * device + inode (symbolic and hard links included), or a folder output that holds an input or is inside an input folder.
 */
export async function assertNotAlias(output: string, inputs: readonly string[]): Promise<void> {
  if (output === '-') return;
  const out = await statOrNull(output);
  const outReal = await realPathOf(output);
  for (const input of inputs) {
    if (input === '-') continue;
    const inp = await statOrNull(input);
    if (inp === null) continue;
    if (out !== null && out.dev === inp.dev && out.ino === inp.ino) {
      throw new Error(`the output ${output} is the input ${input} (the same file, maybe through a link); choose another output`);
    }
    const inReal = await realPathOf(input);
    if ((inp.isDirectory() && inside(outReal, inReal)) || ((out === null || out.isDirectory()) && inside(inReal, outReal))) {
      throw new Error(`the output ${output} and the input ${input} overlap (one folder holds the other); choose another output`);
    }
  }
}

export interface AtomicFile {
  /** the final name */
  path: string;
  /** the temporary file being written */
  temp: string;
  stream: WriteStream;
  /** closes the stream and renames the temporary file to the final name */
  commit(): Promise<void>;
  /** closes the stream and deletes the temporary file */
  abort(): Promise<void>;
}

const codeOf = (e: unknown): string => (e as { code?: string }).code ?? 'error';

/** Opens a temporary file beside `file` (its folder is made) that becomes `file` on commit. */
export async function openAtomic(file: string): Promise<AtomicFile> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await removeStaleTempFiles(file);
  const temp = tempNameFor(file);
  const stream = createWriteStream(temp, { flags: 'wx' });
  live.add(temp);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (e) => reject(new Error(`cannot write ${file} (${codeOf(e)})`)));
    });
  } catch (e) {
    live.delete(temp);
    throw e;
  }
  let failure: Error | null = null;
  stream.on('error', (e) => (failure = new Error(`cannot write ${file} (${codeOf(e)})`)));
  const close = () =>
    new Promise<void>((resolve) => {
      if (stream.closed) resolve();
      else stream.end(() => resolve());
      stream.once('error', () => resolve());
    });
  const abort = async () => {
    await close();
    await unlink(temp).catch(() => {});
    live.delete(temp);
  };
  return {
    path: file,
    temp,
    stream,
    async commit() {
      await close();
      if (failure) {
        await abort();
        throw failure;
      }
      await rename(temp, file);
      live.delete(temp);
    },
    abort,
  };
}

/** Writes `content` to `file` through a temporary file renamed at the end. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temp = tempNameFor(file);
  live.add(temp);
  try {
    await writeFile(temp, content, { flag: 'wx' });
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw e;
  } finally {
    live.delete(temp);
  }
}

/** writeFileAtomic, synchronous (a training run's model files, summary and vectors). */
export function writeFileAtomicSync(file: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temp = tempNameFor(file);
  live.add(temp);
  try {
    writeFileSync(temp, content, { flag: 'wx' });
    renameSync(temp, file);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
    throw e;
  } finally {
    live.delete(temp);
  }
}
