import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { JobArgs } from '../api/job';

/** `s3://bucket/key`, `https://…`, `file:…`: a scheme, left as it is (a Windows drive letter is not one). */
const URL_LIKE = /^[a-z][a-z0-9+.-]+:/i;

/**
 * Job arguments as the user meant them where they typed them: a value that is a relative path
 * becomes an absolute one, so the job reads the same file embedded and on a cluster (where tasks
 * run in the TaskManagers' working directories). A value counts as a relative path when it
 * names an existing file or directory relative to `cwd`, or starts with `./` or `../` (an
 * output directory that does not exist yet). URLs, absolute paths and every other value
 * (`q1`, `1000`, `a,b`) are passed unchanged.
 */
export function resolveJobArgs(args: JobArgs, cwd = process.cwd()): JobArgs {
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) resolved[key] = resolveArg(value, cwd);
  return resolved;
}

function resolveArg(value: string, cwd: string): string {
  if (value === '' || isAbsolute(value) || URL_LIKE.test(value)) return value;
  const explicit = /^\.\.?([/\\]|$)/.test(value);
  return explicit || existsSync(resolve(cwd, value)) ? resolve(cwd, value) : value;
}
