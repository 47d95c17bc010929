import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';

export type ExecutableStatus = { available: true; path: string } | { available: false; reason: string };

/** The first executable regular file named `name` on PATH (from `env`, default process.env). */
export async function findExecutable(
  name: string,
  options: { env?: Record<string, string | undefined> } = {},
): Promise<ExecutableStatus> {
  const searchPath = (options.env ?? process.env).PATH ?? '';
  const dirs = searchPath.split(path.delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      const stat = await fs.stat(candidate);
      if (!stat.isFile()) continue;
      await fs.access(candidate, fsConstants.X_OK);
      return { available: true, path: candidate };
    } catch {
      // Not here, or not executable: keep looking.
    }
  }
  return { available: false, reason: `${name} is not on PATH` };
}
