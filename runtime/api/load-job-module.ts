import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidJobError } from '../errors';
import type { JobDefinition } from './job';
import { jobFromModule } from './job';

/**
 * Loads a job module (TypeScript source or a bundled .js) and returns its job definition.
 * TypeScript loads through tsx's require hook, registered here on first use: task threads run
 * plain JavaScript and load a job's bundle on a cluster, so only embedded runs of a .ts job pay
 * for the hook (see runtime/taskmanager/task-thread-script.ts).
 */
export function loadJobModule(modulePath: string): JobDefinition {
  const absolute = resolve(modulePath);
  if (!existsSync(absolute)) throw new InvalidJobError(`job module not found: ${modulePath}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (/\.[cm]?tsx?$/.test(absolute)) require('tsx/cjs');
  let mod: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(absolute);
  } catch (err) {
    throw new InvalidJobError(
      `loading job module ${modulePath} failed: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  try {
    return jobFromModule(mod, modulePath);
  } catch (err) {
    throw new InvalidJobError((err as Error).message);
  }
}
