/**
 * The package as users get it, for test/package/pack.test.ts and bench/startup.bench.ts: `npm run build`
 * (incremental: a no-op when dist/ is current), `npm pack --ignore-scripts`, then an offline install of the
 * tarball into an empty temporary project (`npm ci --offline`).
 *
 * The repository's own `npm ci` puts the dependencies' tarballs in npm's cache but not their registry metadata,
 * which a plain `npm install --offline cner-x.tgz` needs; so the empty project gets a package-lock.json that pins
 * the tarball and the runtime dependencies to the versions of the repository's lock (lockedProject).
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Why the package cannot be packed here (npm missing), or null. */
export function npmUnavailable(): string | null {
  const r = spawnSync('npm', ['--version'], { encoding: 'utf8' });
  return r.error !== undefined || r.status !== 0 ? '`npm --version` failed, so the package cannot be packed here' : null;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (no shell); never rejects, so a caller can look at the exit code and the output. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

export function expectOk(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout.slice(-4000)}\nstderr:\n${r.stderr.slice(-4000)}`);
}

/** This process's environment without what npm scripts and vitest add, so nothing of the repository leaks in. */
export function projectEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'NODE_OPTIONS' || k === 'VITEST' || k.startsWith('VITEST_')) delete env[k];
  return env;
}

type LockEntry = Record<string, unknown> & { version: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };

/**
 * package.json and package-lock.json of an empty project that depends on the packed tarball: the tarball's entry
 * says what the repository's package.json says, and every runtime dependency (with its own dependencies, optional
 * platform packages included) is the entry of the repository's lock, with its registry tarball URL.
 */
function lockedProject(tarballName: string, integrity: string): { manifest: object; lock: object } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & { version: string; dependencies: Record<string, string> };
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const registry = 'https://registry.npmjs.org/';
  const packages: Record<string, object> = {
    '': { name: 'cner-pack-test', dependencies: { cner: `file:${tarballName}` } },
    'node_modules/cner': {
      version: pkg.version,
      resolved: `file:${tarballName}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: { cner: 'bin/cner.mjs' },
      engines: pkg.engines,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
    },
  };
  const pending = Object.keys(pkg.dependencies);
  while (pending.length > 0) {
    const name = pending.pop()!;
    const key = `node_modules/${name}`;
    if (key in packages) continue;
    const entry = repoLock.packages[key];
    if (entry === undefined) throw new Error(`package-lock.json has no hoisted entry for the runtime dependency ${name}`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    const base = name.slice(name.lastIndexOf('/') + 1);
    packages[key] = { ...rest, resolved: `${registry}${name}/-/${base}-${entry.version}.tgz` };
    pending.push(...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}));
  }
  return {
    manifest: { name: 'cner-pack-test', private: true, type: 'module', dependencies: { cner: `file:${tarballName}` } },
    lock: { name: 'cner-pack-test', lockfileVersion: 3, requires: true, packages },
  };
}

export interface Installed {
  /** the empty project with cner installed (node_modules/cner, node_modules/.bin/cner) */
  project: string;
  tarball: string;
  /** paths inside the tarball */
  files: string[];
  /** tarball bytes, and the bytes of its files */
  packedSize: number;
  unpackedSize: number;
}

/** Builds, packs into `dir` and installs the tarball offline into `dir`/project (see the top of this file). */
export async function packAndInstall(dir: string): Promise<Installed> {
  expectOk(await run('npm', ['run', 'build'], ROOT), 'npm run build');
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  expectOk(pack, 'npm pack');
  const info = (JSON.parse(pack.stdout) as { filename: string; integrity: string; size: number; unpackedSize: number; files: { path: string }[] }[])[0];
  const project = join(dir, 'project');
  mkdirSync(project);
  copyFileSync(join(dir, info.filename), join(project, info.filename));
  const { manifest, lock } = lockedProject(info.filename, info.integrity);
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
  const install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project, projectEnv());
  expectOk(install, `npm ci --offline with ${info.filename} (the dependencies' tarballs must be in npm's cache: run the repository's npm ci first)`);
  return { project, tarball: join(dir, info.filename), files: info.files.map((f) => f.path), packedSize: info.size, unpackedSize: info.unpackedSize };
}
