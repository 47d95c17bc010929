import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { build, type BuildFailure, type Message } from 'esbuild';
import { InvalidJobError } from '../errors';

/** A job module and everything it imports, as one CommonJS file. */
export interface JobBundle {
  readonly code: Uint8Array;
  /** SHA-256 of `code`, lowercase hex: the artifact's name in the blob store. */
  readonly sha256: string;
  /** esbuild's warnings, formatted `file:line:column: text`. */
  readonly warnings: string[];
}

/**
 * Bundles a job module with esbuild into one CommonJS file a TaskManager can `require`
 * without TypeScript or `node_modules`: platform node, target node20, every import bundled
 * except Node's builtins, not minified (user stack traces stay readable). An inline source
 * map without sources content lets a task place a failing user function in the job's
 * TypeScript file and line (`job-stack.ts`), for a few KB: its sources are relative to the
 * directory the user ran from, and Sluice's own and `node_modules` sources are on its ignore
 * list, so only the job's frames are shown.
 */
export async function bundleJob(modulePath: string): Promise<JobBundle> {
  const entry = resolve(modulePath);
  if (!existsSync(entry)) throw new InvalidJobError(`job module not found: ${modulePath}`);
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: false,
      // Operator names may come from function names; keep them exactly as in the source.
      keepNames: true,
      sourcemap: 'external',
      sourcesContent: false,
      // Source paths in the map are relative to the output file: make them relative to here.
      outfile: resolve('sluice-job-bundle.js'),
      write: false,
      logLevel: 'silent',
    });
  } catch (err) {
    const messages = (err as Partial<BuildFailure>).errors;
    if (!Array.isArray(messages)) throw err;
    throw new InvalidJobError(
      `bundling ${modulePath} failed: ${messages.slice(0, 5).map(formatMessage).join('; ')}`,
      {
        cause: err,
      },
    );
  }
  const output = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  if (!output || !map) throw new InvalidJobError(`bundling ${modulePath} produced no output`);
  const code = withInlineMap(output.text, map.text);
  return {
    code,
    sha256: createHash('sha256').update(code).digest('hex'),
    warnings: result.warnings.map(formatMessage),
  };
}

/** Where Sluice's own sources live: bundled into jobs, but not the job's frames. */
const SLUICE_DIR = resolve(__dirname, '..') + sep;

/** Appends the map as an inline data URL, Sluice's and `node_modules` sources on its ignore list. */
function withInlineMap(code: string, mapText: string): Uint8Array {
  const map = JSON.parse(mapText) as { sources: string[]; ignoreList?: number[] };
  map.ignoreList = map.sources.flatMap((source, index) => {
    const absolute = resolve(source);
    const library = absolute.startsWith(SLUICE_DIR) || absolute.split(/[\\/]/).includes('node_modules');
    return library ? [index] : [];
  });
  const inline = Buffer.from(JSON.stringify(map)).toString('base64');
  return Buffer.from(`${code}//# sourceMappingURL=data:application/json;base64,${inline}\n`);
}

function formatMessage(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column}: `
    : '';
  return `${where}${message.text}`;
}
