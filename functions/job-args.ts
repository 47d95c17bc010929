import type { JobArgs } from '../runtime/api';

/**
 * `--arg name=N` as an integer >= min, or `fallback` when absent. Anything else (`abc`, `1.5`,
 * an empty value, below `min`) is refused with the argument's name, before the job starts,
 * instead of running with NaN.
 */
export function intArg(args: JobArgs, name: string, fallback: number, min = 0): number {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min)
    throw new Error(`--arg ${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}
