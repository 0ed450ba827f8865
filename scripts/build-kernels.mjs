// Compiles the AssemblyScript kernels to SIMD WebAssembly with zero imports.
//   assembly/index.ts -> build/kernels.wasm   (inference: embeddings, LSTM, dense, CRF)
//   assembly/train.ts -> build/train.wasm     (training: backward passes, optimiser), when present
//   assembly/embed.ts -> build/embed.wasm     (word2vec / GloVe pre-training), when present
// Flags (see ../shared/TOOLCHAIN.md): --enable simd, --runtime stub, --use abort= (no imports at all),
// -O3 for speed, --noAssert (the TS wrappers validate shapes and ids before any kernel call).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const entries = [
  ['assembly/index.ts', 'build/kernels.wasm'],
  ['assembly/train.ts', 'build/train.wasm'],
  ['assembly/embed.ts', 'build/embed.wasm'],
];
mkdirSync(join(root, 'build'), { recursive: true });
let failed = 0;
for (const [src, out] of entries) {
  if (!existsSync(join(root, src))) continue;
  try {
    execFileSync(process.execPath, [
    asc, src, '-o', out,
    '--enable', 'simd', '--runtime', 'stub', '--use', 'abort=',
    '-O3', '--noAssert', '--converge', '--initialMemory', '2',
    ], { cwd: root, stdio: 'inherit' });
    console.log(`${out}: ${statSync(join(root, out)).size} bytes`);
  } catch {
    console.error(`failed to compile ${src}`);
    failed++;
  }
}
if (failed) process.exit(1);
