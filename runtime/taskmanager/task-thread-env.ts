import { CONFIG_OPTIONS, envNameForKey } from '../config';
import { maskUrlPasswords } from '../config/redact';

/** Env names of the config keys the schema marks secret (`SLUICE_REST_TOKEN`, `SLUICE_S3_SECRET_KEY`…). */
const SECRET_CONFIG_VARS: ReadonlySet<string> = new Set(
  Object.entries(CONFIG_OPTIONS as Record<string, { secret: boolean }>)
    .filter(([, option]) => option.secret)
    .map(([key]) => envNameForKey(key)),
);

/**
 * Names that hold credentials by convention, whoever set them: `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`, `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (the ECS task role's endpoint),
 * `GITHUB_TOKEN`, `SLUICE_TOKEN`, `*_PASSWORD`…
 */
const CREDENTIAL_NAME = /TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|ACCESS_KEY|PRIVATE_KEY|API_KEY|AUTH/i;

/**
 * The environment of a task thread: the TaskManager's, without secrets. Job code runs in the
 * thread and is not trusted with the cluster's credentials (issue 7): the cluster secret
 * (`rest.token`, which also authenticates the control and data planes), every config key the
 * schema marks secret, any variable whose name says it holds a credential, and passwords inside
 * URLs (`redis://:pw@host`) are left out. The runtime parts that need credentials (blob store,
 * exchange, slot registry) run on the TaskManager's main thread and read its own environment;
 * a connector that needs cloud access from a task thread must get it from the TaskManager
 * explicitly, never by reading `process.env`.
 */
export function taskThreadEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || SECRET_CONFIG_VARS.has(name) || CREDENTIAL_NAME.test(name)) continue;
    out[name] = maskUrlPasswords(value);
  }
  return out;
}
