import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
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
 * map without sources content maps stack traces back to the job's files when the
 * TaskManager enables source maps, for a few KB.
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
      sourcemap: 'inline',
      sourcesContent: false,
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
  const output = result.outputFiles[0];
  if (!output) throw new InvalidJobError(`bundling ${modulePath} produced no output`);
  const code = output.contents;
  return {
    code,
    sha256: createHash('sha256').update(code).digest('hex'),
    warnings: result.warnings.map(formatMessage),
  };
}

function formatMessage(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column}: `
    : '';
  return `${where}${message.text}`;
}
