import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, describeError } from '../errors';
import { parseRestUrls } from './job-manager-endpoints';
import { RestClient } from './rest-client';
import { normalizeRestUrl } from './rest-url';

/** Where `sluice run` sends a job: in this process, to a job manager, or whichever is there. */
export type TargetKind = 'embedded' | 'cluster' | 'auto';
export const TARGET_KINDS: readonly TargetKind[] = ['embedded', 'cluster', 'auto'];

/** Written by `npm run local` next to the project; other fields (pids, ports…) are ignored here. */
export const LOCAL_CLUSTER_FILE = join('.sluice', 'local-cluster.json');

const localClusterSchema = z.looseObject({
  restUrl: z.string().min(1),
  /** Every job manager's REST URL (`--jobmanagers N`); the first is `restUrl`. */
  restUrls: z.array(z.string().min(1)).optional(),
  token: z.string().min(1).optional(),
  /** The cluster's blob store config keys (`storage.*`, `s3.*`). */
  storeConfig: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type LocalClusterInfo = z.infer<typeof localClusterSchema>;

export interface ClusterTargetOptions {
  readonly target?: TargetKind;
  /** `--rest-url`: one URL, or every job manager's, comma-separated. */
  readonly restUrl?: string;
  /** `--token` */
  readonly token?: string;
  /** Environment to read `SLUICE_REST_URL` and `SLUICE_TOKEN` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory holding `.sluice/local-cluster.json` (default the working directory). */
  readonly cwd?: string;
  /** How long each job manager of the local cluster gets to answer `/livez` (default 3 s). */
  readonly probeTimeoutMs?: number;
}

export type ResolvedTarget =
  | { readonly kind: 'embedded'; readonly reason: string }
  | {
      readonly kind: 'cluster';
      /** The job manager to talk to first. */
      readonly restUrl: string;
      /** Every job manager known (`restUrl` first): a client falls back to the others. */
      readonly restUrls: readonly string[];
      readonly token?: string;
      /** Where the address came from, for messages. */
      readonly source: '--rest-url' | 'SLUICE_REST_URL' | typeof LOCAL_CLUSTER_FILE;
    };

/**
 * Decides where a command goes. The address comes from `--rest-url`, else `SLUICE_REST_URL`,
 * else the local cluster file when that cluster answers `/livez`; the token from `--token`,
 * else `SLUICE_TOKEN`, else the local cluster file (only when talking to that same cluster, so
 * its token is never sent elsewhere). `auto` without an address runs embedded; `cluster`
 * without one throws a `ConfigError` saying how to give one.
 */
export async function resolveClusterTarget(options: ClusterTargetOptions = {}): Promise<ResolvedTarget> {
  const target = options.target ?? 'auto';
  if (target === 'embedded') return { kind: 'embedded', reason: '--target embedded' };
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = explicitAddress(options.restUrl, env.SLUICE_REST_URL);
  const local = await readLocalCluster(cwd, explicit === undefined);
  const token = (sameUrl: string) =>
    options.token ||
    env.SLUICE_TOKEN ||
    (local.info && local.urls?.includes(sameUrl) ? local.info.token : undefined);

  if (explicit)
    return withToken(
      { kind: 'cluster', restUrl: explicit.urls[0]!, restUrls: explicit.urls, source: explicit.source },
      token(explicit.urls[0]!),
    );
  if (local.info && local.urls) {
    // Any of its job managers will do: the one first in the file may be the one that died.
    const probes: string[] = [];
    for (const url of local.urls) {
      const probe = await probeLive(url, options.probeTimeoutMs ?? LOCAL_PROBE_TIMEOUT_MS);
      if (probe === true) {
        const restUrls = [url, ...local.urls.filter((u) => u !== url)];
        return withToken({ kind: 'cluster', restUrl: url, restUrls, source: LOCAL_CLUSTER_FILE }, token(url));
      }
      probes.push(`${url}: ${probe}`);
    }
    local.problem = `the local cluster in ${LOCAL_CLUSTER_FILE} does not answer (${probes.join('; ')})`;
  }
  const reason = local.problem ?? `no --rest-url, SLUICE_REST_URL or ${LOCAL_CLUSTER_FILE}`;
  if (target === 'auto') return { kind: 'embedded', reason };
  throw new ConfigError(
    `no job manager to send the job to (${reason}): pass --rest-url, set SLUICE_REST_URL, or start a local cluster with \`npm run local\``,
  );
}

/** Reads and validates the local cluster file; never throws (a broken file is a reason, not a crash). */
export function readLocalClusterInfo(cwd: string): { info?: LocalClusterInfo; problem?: string } {
  const path = join(cwd, LOCAL_CLUSTER_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8'); // a small file, read once per command
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return missing ? {} : { problem: `cannot read ${LOCAL_CLUSTER_FILE}: ${describeError(err)}` };
  }
  let parsed: ReturnType<typeof localClusterSchema.safeParse>;
  try {
    parsed = localClusterSchema.safeParse(JSON.parse(text));
  } catch (err) {
    return { problem: `${LOCAL_CLUSTER_FILE} is not JSON: ${describeError(err)}` };
  }
  if (!parsed.success) return { problem: `${LOCAL_CLUSTER_FILE} has no valid restUrl` };
  return { info: parsed.data };
}

function explicitAddress(
  flag: string | undefined,
  fromEnv: string | undefined,
): { urls: string[]; source: '--rest-url' | 'SLUICE_REST_URL' } | undefined {
  if (flag) return { urls: parseOrExplain(flag, '--rest-url'), source: '--rest-url' };
  if (fromEnv) return { urls: parseOrExplain(fromEnv, 'SLUICE_REST_URL'), source: 'SLUICE_REST_URL' };
  return undefined;
}

function parseOrExplain(urls: string, where: string): string[] {
  try {
    return parseRestUrls(urls);
  } catch (err) {
    throw new ConfigError(`${where}: ${describeError(err)}`);
  }
}

async function readLocalCluster(
  cwd: string,
  needed: boolean,
): Promise<{ info?: LocalClusterInfo; urls?: string[]; problem?: string }> {
  const read = readLocalClusterInfo(cwd);
  if (!read.info) return needed ? read : {};
  try {
    const listed = [read.info.restUrl, ...(read.info.restUrls ?? [])].map((url) => normalizeRestUrl(url));
    return { info: read.info, urls: [...new Set(listed)] };
  } catch (err) {
    return { problem: `${LOCAL_CLUSTER_FILE}: ${describeError(err)}` };
  }
}

/**
 * A job manager busy restoring a job, or with its Redis down, still gets the command: its
 * answer says what is wrong, where a short or readiness probe sent `auto` runs off to embedded
 * mode without a word. A dead one refuses the connection at once; only a hung one waits this long.
 */
const LOCAL_PROBE_TIMEOUT_MS = 3_000;

/** True when `/livez` answers like a job manager in time, else the reason it did not. */
async function probeLive(url: string, timeoutMs: number): Promise<true | string> {
  try {
    const live = await new RestClient({ url, timeoutMs }).live();
    return live?.status === 'UP' ? true : 'unexpected /livez answer';
  } catch (err) {
    return describeError(err);
  }
}

function withToken<T extends object>(target: T, token: string | undefined): T & { token?: string } {
  return token ? { ...target, token } : target;
}

/** A REST client of the target's job managers: the first one, then the others when it is gone. */
export function restClientFor(target: Extract<ResolvedTarget, { kind: 'cluster' }>): RestClient {
  return new RestClient({
    url: target.restUrl,
    fallbackUrls: target.restUrls,
    ...(target.token ? { token: target.token } : {}),
  });
}
