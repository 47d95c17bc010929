import { ensureRedisServer } from './provision-redis';

/** Jest globalSetup: provision what the suites need before any of them starts. */
export default async function globalSetup(): Promise<void> {
  try {
    await ensureRedisServer();
  } catch (err) {
    // One clear line instead of every Redis-backed suite failing on its own.
    const stop = new Error(`npm test cannot start: ${(err as Error).message}`);
    stop.stack = stop.message;
    throw stop;
  }
}
