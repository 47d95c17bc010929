import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { LOCAL_CLUSTER_FILE, TARGET_KINDS } from '../client/cluster-target';
import { JOB_ID_PATTERN } from '../jobmanager/rest/rest-schemas';

/** Parses `--parallelism` and similar positive integers. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not an integer >= 1`);
  return n;
}

/** Collects repeated `--arg key=value` flags into a record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`'${value}' is not of the form key=value`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Collects repeated flags into a list. */
export function keyValueList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A job id argument: 32 lowercase hex characters, checked before any request is made. */
export function jobIdArgument(value: string): string {
  if (!JOB_ID_PATTERN.test(value))
    throw new InvalidArgumentError(`'${value}' is not a job id (32 lowercase hex characters)`);
  return value;
}

/** `--rest-url` and `--token` flags shared by every command that talks to a job manager. */
export interface ClusterFlags {
  restUrl?: string;
  token?: string;
}

/** Adds `--rest-url` and `--token` to a command. */
export function addClusterOptions(command: Command): Command {
  return command
    .option(
      '--rest-url <url>',
      `job manager REST address; with several job managers (HA) list all, comma-separated, and the others are tried when one is gone (default: SLUICE_REST_URL, else the cluster in ${LOCAL_CLUSTER_FILE})`,
    )
    .option(
      '--token <token>',
      `bearer token of the REST API (default: SLUICE_TOKEN, else ${LOCAL_CLUSTER_FILE})`,
    );
}

/** `--target embedded|cluster|auto`. */
export function targetOption(): Option {
  return new Option(
    '--target <target>',
    'where the job runs: in this process, on a job manager, or a job manager when one is found',
  )
    .choices(TARGET_KINDS)
    .default('auto');
}
