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
