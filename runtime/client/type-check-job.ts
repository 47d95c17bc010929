import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type * as TS from 'typescript';
import { InvalidJobError } from '../errors';

/** At most this many errors are listed; the count says how many there were. */
const MAX_LISTED = 20;

/** Options used when no tsconfig.json is found above the job: strict, as a new project would set. */
const DEFAULT_OPTIONS: TS.CompilerOptions = {
  strict: true,
  target: 9 /* ES2022 */,
  module: 100 /* Node16 */,
  moduleResolution: 3 /* Node16 */,
  esModuleInterop: true,
  skipLibCheck: true,
  isolatedModules: true,
};

export interface TypeCheckSummary {
  /** The user's own source files that were checked (the job and what it imports outside node_modules). */
  readonly checkedFiles: number;
  readonly durationMs: number;
}

/**
 * Type-checks a job module before it is bundled or run, as `tsc --noEmit` would, with the
 * nearest tsconfig.json above the job (else strict defaults). Only the job and the user's own
 * files it imports are checked: declaration files, node_modules and Sluice's own sources are
 * not, which keeps it to about a second. JavaScript jobs are not checked.
 * @throws InvalidJobError listing each error as `file:line:column - error TS<code>: message`.
 */
export function typeCheckJob(modulePath: string, cwd = process.cwd()): TypeCheckSummary {
  const started = Date.now();
  const entry = resolve(cwd, modulePath);
  if (!/\.[cm]?tsx?$/.test(entry)) return { checkedFiles: 0, durationMs: 0 };
  if (!existsSync(entry)) throw new InvalidJobError(`job module not found: ${modulePath}`);
  const ts = loadTypeScript();
  const program = ts.createProgram({ rootNames: [entry], options: compilerOptions(ts, entry) });
  const ownFiles = program
    .getSourceFiles()
    .filter((file) => !file.isDeclarationFile && isUserFile(resolve(file.fileName)));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ownFiles.flatMap((file) => [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ]),
  ].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length > 0) {
    const listed = diagnostics.slice(0, MAX_LISTED).map((d) => formatDiagnostic(ts, d, cwd));
    const more = diagnostics.length > MAX_LISTED ? `\n... and ${diagnostics.length - MAX_LISTED} more` : '';
    const count = diagnostics.length === 1 ? '1 type error' : `${diagnostics.length} type errors`;
    throw new InvalidJobError(
      `${relative(cwd, entry)} has ${count} (run again with --skip-type-check to run it anyway):\n` +
        listed.join('\n') +
        more,
    );
  }
  return { checkedFiles: ownFiles.length, durationMs: Date.now() - started };
}

/** `file:line:column - error TS2345: message`, the file relative to `cwd`. */
export function formatDiagnostic(ts: typeof TS, diagnostic: TS.Diagnostic, cwd: string): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
  const code = `error TS${diagnostic.code}`;
  if (!diagnostic.file || diagnostic.start === undefined) return `${code}: ${message}`;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${relative(cwd, diagnostic.file.fileName)}:${line + 1}:${character + 1} - ${code}: ${message}`;
}

function compilerOptions(ts: typeof TS, entry: string): TS.CompilerOptions {
  const configPath = ts.findConfigFile(dirname(entry), (file) => ts.sys.fileExists(file));
  if (!configPath) return { ...DEFAULT_OPTIONS, noEmit: true };
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new InvalidJobError(`reading ${configPath} failed: ${formatDiagnostic(ts, d, process.cwd())}`);
      },
    },
  );
  return { ...(parsed?.options ?? DEFAULT_OPTIONS), noEmit: true };
}

/** Sluice's own directory: its sources are checked by its own build, not with each job. */
const SLUICE_ROOT = packageRoot(__dirname);

function isUserFile(file: string): boolean {
  return (
    !file.split(sep).includes('node_modules') &&
    !file.startsWith(join(SLUICE_ROOT, 'runtime') + sep) &&
    !file.startsWith(join(SLUICE_ROOT, 'dist') + sep)
  );
}

function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** typescript is a peer dependency: the project's own compiler, so checks agree with the editor. */
function loadTypeScript(): typeof TS {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('typescript') as typeof TS;
  } catch (err) {
    throw new InvalidJobError(
      'type-checking the job needs the typescript package: run `npm install --save-dev typescript`, ' +
        'or pass --skip-type-check',
      { cause: err },
    );
  }
}
