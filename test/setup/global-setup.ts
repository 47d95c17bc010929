import { AWS_CLI, CHROMIUM, REDIS_SERVER, ensureSystemPackage } from './provision-system-package';

/** Jest globalSetup: provision what the suites need before any of them starts. */
export default async function globalSetup(): Promise<void> {
  try {
    for (const pkg of [REDIS_SERVER, CHROMIUM, AWS_CLI]) await ensureSystemPackage(pkg);
  } catch (err) {
    // One clear line instead of every suite that needs the program failing on its own.
    const stop = new Error(`npm test cannot start: ${(err as Error).message}`);
    stop.stack = stop.message;
    throw stop;
  }
}
