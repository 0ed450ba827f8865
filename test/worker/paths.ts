/**
 * Which file the Worker bundles as its default model during the workerd tests (Node side only).
 *
 *   CNER_WORKER_TEST_MODEL=path   use this model file
 *   else models/default.cner      when it exists (the trained default model)
 *   else build/test/worker-default.cner, a small random model written by global-setup.ts
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const realDefaultModel = join(projectRoot, 'models', 'default.cner');

export function standInModelPath(): string {
  return join(projectRoot, 'build', 'test', 'worker-default.cner');
}

/** The file the Worker's `import … from '../../models/default.cner'` resolves to in the tests. */
export function bundledModelPath(): string {
  const override = process.env.CNER_WORKER_TEST_MODEL;
  if (override) return resolve(override);
  return existsSync(realDefaultModel) ? realDefaultModel : standInModelPath();
}

export function usesStandInModel(): boolean {
  return bundledModelPath() === standInModelPath();
}
