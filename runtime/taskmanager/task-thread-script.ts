import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { Logger } from '../util/logger';

/** What a task thread runs when the runtime cannot be bundled: the runtime through tsx. */
const TSX_BOOTSTRAP = join(__dirname, 'task-thread-bootstrap.js');

let script: string | undefined;

/**
 * The file every task thread starts from. Task threads start on each deployment and each
 * recovery, so their start-up is on the failover path: loading the runtime's TypeScript
 * through tsx's require hook costs each thread about half a CPU second, loading plain
 * JavaScript a fifth of that. The installed package runs its compiled JavaScript directly; in
 * the repository (TypeScript sources) the task thread's entry is bundled with esbuild once per
 * process into `node_modules/.cache/sluice/` (named by its content hash, so processes of
 * different versions never share one; written atomically). Job modules written in TypeScript
 * still load through tsx: `loadJobModule` registers it when it meets one.
 */
export function taskThreadScript(logger: Logger): string {
  if (script !== undefined) return script;
  if (__filename.endsWith('.js')) return (script = join(__dirname, 'task-worker.js'));
  try {
    script = bundleTaskThread();
  } catch (err) {
    logger.warn(
      { err },
      'could not bundle the task thread; task threads load the runtime through tsx (slower start)',
    );
    script = TSX_BOOTSTRAP;
  }
  return script;
}

/** Node options that load modules into a thread before its script runs. */
const MODULE_LOADING_FLAGS: ReadonlySet<string> = new Set([
  '--import',
  '--loader',
  '--experimental-loader',
  '--require',
  '-r',
]);

/**
 * The Node options a task thread starts with: the process's (a worker inherits them), without
 * those that load modules before the script (`node --import tsx`, as the bench and scripts run
 * in the repository). A task thread's script loads what it needs itself (plain JavaScript, and
 * tsx's require hook once it meets a job module in TypeScript), while an inherited `--import
 * tsx` gives every thread module hooks of its own, through which every module then loads:
 * about half a CPU second more per task thread here.
 */
export function taskThreadExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.indexOf('=');
    if (!MODULE_LOADING_FLAGS.has(eq === -1 ? arg : arg.slice(0, eq))) kept.push(arg);
    else if (eq === -1) i++; // the flag's value is the next argument
  }
  return kept;
}

function bundleTaskThread(): string {
  const result = buildSync({
    entryPoints: [join(__dirname, 'task-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    write: false,
    sourcemap: 'inline',
    // Stack traces name the runtime's TypeScript sources, as they did when threads ran them through tsx.
    banner: { js: 'process.setSourceMapsEnabled(true);' },
    logLevel: 'silent',
    // The one use of __dirname in a task thread (job-stack.ts tells runtime frames from the
    // job's) must name the sources' folder, not the bundle's.
    define: { __dirname: JSON.stringify(__dirname) },
  });
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  // Beside the packages the bundle leaves external, so `require` finds them from there.
  const dir = join(__dirname, '..', '..', 'node_modules', '.cache', 'sluice');
  const file = join(dir, `task-thread-${hash}.js`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, file);
  }
  return file;
}
