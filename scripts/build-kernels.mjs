// Compiles the AssemblyScript kernels to SIMD WebAssembly with zero imports.
//   assembly/index.ts -> build/kernels.wasm   (inference: embeddings, LSTM, dense, CRF)
//   assembly/index.ts -> build/kernels-relaxed.wasm  (the same sources with --enable relaxed-simd: the kernels'
//                        ASC_FEATURE_RELAXED_SIMD branches use relaxed_madd and the i8 dot product; chosen at run
//                        time where the engine has relaxed SIMD, see src/model/kernels.ts)
//   assembly/train.ts -> build/train.wasm     (training: backward passes, optimiser), when present
//   assembly/embed.ts -> build/embed.wasm     (word2vec / GloVe pre-training), when present
// Flags (see ../shared/TOOLCHAIN.md): --enable simd, --runtime stub, --use abort= (no imports at all),
// -O3 for speed, --noAssert (the TS wrappers validate shapes and ids before any kernel call).
// A .wasm newer than every file under assembly/ and than this script is up to date and not compiled again
// (so `npm run build` after a finished build, and `prepare` when npx links the checkout, take no time);
// `--force` compiles anyway.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const entries = [
  ['assembly/index.ts', 'build/kernels.wasm', []],
  ['assembly/index.ts', 'build/kernels-relaxed.wasm', ['--enable', 'relaxed-simd']],
  ['assembly/train.ts', 'build/train.wasm', []],
  ['assembly/embed.ts', 'build/embed.wasm', []],
];
mkdirSync(join(root, 'build'), { recursive: true });

/** The newest modification time (ms) of a file or of anything under a folder. */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

const force = process.argv.includes('--force');
const sourcesTime = Math.max(newest(join(root, 'assembly')), statSync(fileURLToPath(import.meta.url)).mtimeMs);
let failed = 0;
for (const [src, out, extra] of entries) {
  if (!existsSync(join(root, src))) continue;
  if (!force && existsSync(join(root, out)) && statSync(join(root, out)).mtimeMs >= sourcesTime) {
    console.log(`${out}: up to date`);
    continue;
  }
  try {
    execFileSync(process.execPath, [
    asc, src, '-o', out,
    '--enable', 'simd', '--runtime', 'stub', '--use', 'abort=',
    '-O3', '--noAssert', '--converge', '--initialMemory', '2', ...extra,
    ], { cwd: root, stdio: 'inherit' });
    console.log(`${out}: ${statSync(join(root, out)).size} bytes`);
  } catch {
    console.error(`failed to compile ${src}`);
    failed++;
  }
}
if (failed) process.exit(1);
