import type { StreamExecutionEnvironment } from './environment';

/** Arguments given with `--arg key=value`. */
export type JobArgs = Readonly<Record<string, string>>;

/** A job module's default export. `build` must be deterministic for the same args. */
export interface JobDefinition {
  readonly kind: 'sluice-job';
  readonly name: string;
  readonly build: (env: StreamExecutionEnvironment, args: JobArgs) => void;
}

export function defineJob(
  name: string,
  build: (env: StreamExecutionEnvironment, args: JobArgs) => void,
): JobDefinition {
  if (!name || typeof name !== 'string') throw new TypeError('defineJob: a job needs a non-empty name');
  return Object.freeze({ kind: 'sluice-job', name, build });
}

/** Finds the job definition in a loaded module (default export, CommonJS or ESM shape). */
export function jobFromModule(mod: unknown, modulePath: string): JobDefinition {
  const candidates = [
    mod,
    (mod as { default?: unknown })?.default,
    (mod as { default?: { default?: unknown } })?.default?.default,
  ];
  for (const c of candidates) {
    if (c && typeof c === 'object' && (c as JobDefinition).kind === 'sluice-job') return c as JobDefinition;
  }
  throw new TypeError(
    `${modulePath} does not export a job: its default export must be defineJob(name, build)`,
  );
}
