/**
 * Runs in Node before the workerd tests: writes the stand-in bundled model when models/default.cner does not
 * exist yet (see test/worker/vitest.config.ts for how the Worker's import is pointed at it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { standInModelPath, usesStandInModel } from './paths.js';
import { randomModel } from '../helpers/random-model.js';

export default function setup(): void {
  if (!usesStandInModel()) return;
  const path = standInModelPath();
  const { bytes } = randomModel({
    text: '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛。诊断：急性阑尾炎。行胃镜检查示慢性胃炎。',
    types: ['BODY', 'SIGNS', 'CHECK', 'DISEASE', 'TREATMENT'],
    seed: 7,
    extra: { name: 'stand-in-bundled-model' },
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  console.log(`worker tests: models/default.cner is absent; the Worker bundles a stand-in random model (${bytes.length} bytes) from ${path}`);
}
