/**
 * The run-time choice between build/kernels.wasm and build/kernels-relaxed.wasm (src/model/kernels.ts,
 * src/io/artefacts.ts), in fresh Node processes: V8 flags are per process and this one may have set them.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultKernelsPath, defaultModelPath, relaxedKernelsPath } from '../../src/io/artefacts.js';
import { chooseKernelBuild } from '../../src/model/kernels.js';
import { runCli } from '../onprem/helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodeMajor = Number(process.versions.node.split('.')[0]);

function child(env: Record<string, string | undefined>, ...flags: string[]): string {
  return execFileSync(
    process.execPath,
    [...flags, '--import', 'tsx', join(ROOT, 'test', 'kernels', 'builds-child.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

describe('choosing the kernel build', () => {
  it.skipIf(nodeMajor !== 20)(
    'Node 20: no relaxed SIMD until artefacts turns it on at run time, then the relaxed build compiles (worker threads too)',
    () => {
      const out = JSON.parse(child({ CNER_KERNELS: 'auto' }));
      expect(out.before).toEqual({
        supported: false,
        auto: 'simd',
        relaxedError:
          'kernels: the relaxed-SIMD build was asked for but this engine has no relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd)',
        loadError: expect.stringMatching(
          /^loadInferenceKernels: the module does not compile on this engine, which has no relaxed SIMD: if these are build\/kernels-relaxed\.wasm, load build\/kernels\.wasm instead \(/,
        ),
      });
      expect(out.preferred).toEqual({ build: 'simd', path: defaultKernelsPath() }); // auto does not set the flag
      expect(out.after).toEqual({ enabled: true, auto: 'relaxed', workerCompiles: true, qmax: 8191 });
    },
  );

  it('the plain build by default; CNER_KERNELS=relaxed and =simd force either build', () => {
    expect(JSON.parse(child({ CNER_KERNELS: undefined })).preferred).toEqual({
      build: 'simd',
      path: defaultKernelsPath(),
    });
    expect(JSON.parse(child({ CNER_KERNELS: 'relaxed' })).preferred).toEqual({
      build: 'relaxed',
      path: relaxedKernelsPath(),
    });
    expect(JSON.parse(child({ CNER_KERNELS: 'simd' })).preferred).toEqual({
      build: 'simd',
      path: defaultKernelsPath(),
    });
  });

  it('CNER_KERNELS=auto takes the relaxed build where the engine has relaxed SIMD from the start (here: the flag on the command line)', () => {
    const out = JSON.parse(child({ CNER_KERNELS: 'auto' }, '--experimental-wasm-relaxed-simd'));
    expect(out.before.supported).toBe(true);
    expect(out.preferred).toEqual({ build: 'relaxed', path: relaxedKernelsPath() });
  });

  it('CNER_KERNELS and the choice are checked with exact messages', () => {
    expect(() => chooseKernelBuild('fast' as 'auto')).toThrow(
      "kernels: expected a build auto, simd, relaxed, got 'fast'",
    );
    expect(() => chooseKernelBuild(3 as unknown as 'auto')).toThrow(
      'kernels: expected a build auto, simd, relaxed, got number',
    );
    expect(() => child({ CNER_KERNELS: 'fastest' })).toThrow(
      /CNER_KERNELS: expected auto, simd, relaxed, got 'fastest'/,
    );
  });
});

describe('cner tag with either build', () => {
  it('CNER_KERNELS=relaxed tags on worker threads (the flags reach them) and finds what the plain build finds', async () => {
    const input = '患者右上腹痛三天，伴恶心，既往有高血压病史。\n双肺呼吸音粗，未闻及干湿啰音。\n';
    const args = ['tag', '--model', defaultModelPath(), '--threads', '2', '--input', '-', '--input-format', 'text'];
    const results = [];
    for (const build of ['simd', 'relaxed']) {
      const r = await runCli(args, { input, env: { CNER_KERNELS: build } });
      expect(r.code, r.stderr).toBe(0);
      results.push(
        r.stdout
          .trim()
          .split('\n')
          .map(
            (line) => JSON.parse(line) as { entities: { type: string; start: number; end: number; score: number }[] },
          ),
      );
    }
    const [plain, relaxed] = results;
    expect(relaxed.length).toBe(2);
    expect(plain.flatMap((d) => d.entities).length).toBeGreaterThan(2);
    relaxed.forEach((doc, i) => {
      expect(doc.entities.map(({ type, start, end }) => ({ type, start, end }))).toEqual(
        plain[i].entities.map(({ type, start, end }) => ({ type, start, end })),
      );
      doc.entities.forEach((e, j) => expect(Math.abs(e.score - plain[i].entities[j].score)).toBeLessThan(1e-3));
    });
  });
});
