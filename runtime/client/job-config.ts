import { resolve } from 'node:path';
import type { JobSettings } from '../api/job-settings';
import type { ConfigKey } from '../config';
import { CONFIG_OPTIONS, parseDynamicProperties } from '../config';
import { readYamlFile } from '../config/config-sources';
import type { OptionType } from '../config/option-types';
import type { RawEntry } from '../config/config-sources';
import { formatProblems } from '../config/resolve-config';
import { suggestClosest } from '../config/suggest';
import type { ConfigProblem } from '../errors';
import { ConfigError } from '../errors';

/**
 * The config keys a job can set for itself on `sluice run` (`--config <file>`, `-D key=value`),
 * and the job setting each becomes; besides these, every `restart-strategy.*` key. They travel
 * with the job (its build settings), so they apply to this job only; every other key
 * configures the cluster's processes.
 */
export const JOB_LEVEL_KEYS = {
  'parallelism.default': 'parallelism',
  'pipeline.max-parallelism': 'maxParallelism',
  'pipeline.operator-chaining': 'chaining',
  'pipeline.two-input-chaining': 'twoInputChaining',
  'execution.buffer-timeout': 'bufferTimeoutMs',
  'execution.exchange': 'exchange',
  'state.backend': 'stateBackend',
  'execution.checkpointing.interval': 'checkpointIntervalMs',
  'execution.checkpointing.mode': 'checkpointingMode',
  'execution.checkpointing.timeout': 'checkpointTimeoutMs',
  'execution.checkpointing.min-pause': 'checkpointMinPauseMs',
  'execution.checkpointing.max-concurrent-checkpoints': 'maxConcurrentCheckpoints',
  'execution.checkpointing.tolerable-failed-checkpoints': 'tolerableFailedCheckpoints',
  'execution.checkpointing.externalized-checkpoint-retention': 'checkpointRetention',
  'state.checkpoints.num-retained': 'retainedCheckpoints',
} as const satisfies Partial<Record<ConfigKey, keyof JobSettings>>;

type JobLevelKey = keyof typeof JOB_LEVEL_KEYS;

/** `restart-strategy.*` keys travel as they are (`JobSettings.restartStrategy`); the job manager applies them. */
const RESTART_PREFIX = 'restart-strategy.';
const isRestartKey = (key: string): key is ConfigKey =>
  key.startsWith(RESTART_PREFIX) && key in CONFIG_OPTIONS;

export interface JobConfigSources {
  /** YAML file (nested maps or dotted keys, like the cluster's config file); relative to `cwd`. */
  readonly file?: string;
  /** `-D key=value` arguments; they win over the file. */
  readonly define?: readonly string[];
  readonly cwd?: string;
}

/**
 * Job settings from a config file and `-D` pairs, validated with the keys' own types.
 * @throws ConfigError listing every problem: unknown keys (with a suggestion), cluster-level
 *   keys (which cannot change for one job), invalid values, an unreadable file.
 */
export function jobSettingsFromConfig(sources: JobConfigSources): Partial<JobSettings> {
  const entries: RawEntry[] = [];
  const problems: ConfigProblem[] = [];
  if (sources.file !== undefined) {
    const read = readYamlFile(resolve(sources.cwd ?? process.cwd(), sources.file));
    entries.push(...read.entries);
    problems.push(...read.problems);
  }
  const defined = parseDynamicProperties(sources.define ?? []);
  entries.push(...Object.entries(defined).map(([key, value]) => ({ key, value, source: '-D' })));

  const settings: Record<string, unknown> = {};
  const restartStrategy: Record<string, string | number | boolean> = {};
  for (const entry of entries) {
    const result = settingOf(entry);
    if ('problem' in result) problems.push(result.problem);
    else if (isRestartKey(entry.key)) restartStrategy[entry.key] = result.value as string | number | boolean;
    else settings[result.field] = result.value;
  }
  if (problems.length > 0) throw new ConfigError(formatProblems(problems), problems);
  if (Object.keys(restartStrategy).length > 0) settings.restartStrategy = restartStrategy;
  return settings as Partial<JobSettings>;
}

function settingOf(entry: RawEntry): { field: string; value: unknown } | { problem: ConfigProblem } {
  const { key, source } = entry;
  const jobLevel = [...Object.keys(JOB_LEVEL_KEYS), `${RESTART_PREFIX}*`];
  if (!(key in JOB_LEVEL_KEYS) && !isRestartKey(key)) {
    if (key in CONFIG_OPTIONS) {
      const message = `a cluster setting, not one a job can set for itself (set it on the job manager and TaskManagers); job-level keys: ${jobLevel.join(', ')}`;
      return { problem: { key, source, message } };
    }
    const near = suggestClosest(key, Object.keys(CONFIG_OPTIONS));
    const hint = near === undefined ? '' : `; did you mean ${near}?`;
    return { problem: { key, source, message: `unknown config key${hint}` } };
  }
  const type = CONFIG_OPTIONS[key as ConfigKey].type as OptionType<unknown>;
  const parsed = type.schema.safeParse(entry.value);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => i.message).join(', ');
    return { problem: { key, source, message: `${reason}: expected ${type.expected}` } };
  }
  return { field: JOB_LEVEL_KEYS[key as JobLevelKey] ?? key, value: parsed.data };
}
