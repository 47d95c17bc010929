import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';

/**
 * The job's own frames of a user function's failure (issue 7 item 6): the stack reduced to
 * frames in the job's files, source-mapped through the bundle's inline map to the job's
 * TypeScript file and line. Frames of Sluice, of `node_modules` and of Node itself are left out,
 * so the result is safe to show clients (no server paths); the full stack goes to logs only.
 */
export function jobStackOf(err: unknown, modulePath: string): string | undefined {
  const bundle = resolve(modulePath);
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const frames = (e.stack ?? '')
      .split('\n')
      .map((line) => jobFrame(line, bundle))
      .filter((frame): frame is string => frame !== undefined);
    // The innermost error with job frames is the user's own: report it, not a wrapper.
    if (frames.length > 0 && !hasJobFrames(e.cause, bundle)) {
      return [`${e.name}: ${e.message}`, ...frames.map((f) => `    at ${f}`)].join('\n');
    }
  }
  return undefined;
}

function hasJobFrames(err: unknown, bundle: string): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e.stack ?? '').split('\n').some((line) => jobFrame(line, bundle) !== undefined)) return true;
  }
  return false;
}

const FRAME = /^\s*at (?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;
/** Where Sluice's own code lives (`runtime/`, or its build output): never a job frame. */
const SLUICE_DIR = resolve(__dirname, '..') + sep;

/** `fn (file.ts:line:column)` for a frame of the job, else undefined. */
function jobFrame(line: string, bundle: string): string | undefined {
  const match = FRAME.exec(line);
  if (!match) return undefined;
  const [, fn, file, lineText, columnText] = match as unknown as [
    string,
    string | undefined,
    string,
    string,
    string,
  ];
  let place: { file: string; line: number; column: number } | undefined = {
    file,
    line: Number(lineText),
    column: Number(columnText),
  };
  const map = inlineMapOf(bundle);
  // Node maps frames itself when source maps are on (tsx turns them on), resolving sources
  // against the bundle's directory: take those back to the map's own relative source.
  const source = map && relative(dirname(bundle), file).split(sep).join('/');
  if (map && file === bundle) place = mapThroughBundle(map, place.line, place.column);
  else if (map && source && map.sources.includes(source)) {
    if (map.ignoreList?.includes(map.sources.indexOf(source))) return undefined;
    place = { ...place, file: source };
  } else if (!isAbsolute(file) || isLibraryPath(file)) return undefined;
  // A module run as TypeScript (embedded) is its own source.
  else place = { ...place, file: relative(process.cwd(), file) };
  if (!place) return undefined;
  const where = `${place.file}:${place.line}:${place.column}`;
  return fn ? `${fn} (${where})` : where;
}

function isLibraryPath(file: string): boolean {
  return file.startsWith(SLUICE_DIR) || file.split(/[\\/]/).includes('node_modules');
}

const maps = new Map<string, TraceMap | undefined>();

/** A bundle frame mapped to its source; undefined for sources on the map's ignore list (libraries). */
function mapThroughBundle(
  map: TraceMap,
  line: number,
  column: number,
): { file: string; line: number; column: number } | undefined {
  const position = originalPositionFor(map, { line, column: column - 1 });
  if (position.source === null || position.line === null) return undefined;
  const index = map.resolvedSources.indexOf(position.source);
  if (index >= 0 && map.ignoreList?.includes(index)) return undefined;
  return { file: position.source, line: position.line, column: position.column + 1 };
}

function inlineMapOf(bundle: string): TraceMap | undefined {
  if (!maps.has(bundle)) maps.set(bundle, readInlineMap(bundle));
  return maps.get(bundle);
}

const INLINE_MAP = '//# sourceMappingURL=data:application/json;base64,';

function readInlineMap(bundle: string): TraceMap | undefined {
  try {
    const code = readFileSync(bundle, 'utf8');
    const at = code.lastIndexOf(INLINE_MAP);
    if (at < 0) return undefined;
    const json = Buffer.from(code.slice(at + INLINE_MAP.length).trim(), 'base64').toString('utf8');
    return new TraceMap(json);
  } catch {
    // A bundle without a readable map: its frames cannot be placed, the message still goes out.
    return undefined;
  }
}
