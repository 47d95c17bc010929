import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

/**
 * Loads the Lua scripts in `./lua` and registers them on a connection with ioredis
 * `defineCommand` (EVALSHA with a transparent EVAL fallback when the server lost its script
 * cache, e.g. after a restart).
 *
 * A line `-- @include name` is replaced by `./lua/includes/name.lua`, so helpers such as the
 * server clock are written once. Deployments that bundle the runtime must ship the `lua/`
 * folder next to this file.
 */
const LUA_DIR = path.join(__dirname, 'lua');
const INCLUDE_LINE = /^-- @include ([a-z0-9-]+)\s*$/gm;

export interface LuaCommandSpec {
  /** File name inside `lua/`. */
  file: string;
  /** How many leading arguments are KEYS; must match the script's header. */
  numberOfKeys: number;
}

/** Calls a defined command: keys first, then ARGV, as ioredis expects. */
export type LuaCommandRunner<Name extends string> = (
  name: Name,
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>;

const sourceCache = new Map<string, string>();

/** Source of one script with its includes expanded (each include at most once). */
export function loadLuaScript(file: string): string {
  const cached = sourceCache.get(file);
  if (cached !== undefined) return cached;
  const seen = new Set<string>();
  const source = readFileSync(path.join(LUA_DIR, file), 'utf8').replace(
    INCLUDE_LINE,
    (_line, name: string) => {
      if (seen.has(name)) return '';
      seen.add(name);
      return readFileSync(path.join(LUA_DIR, 'includes', `${name}.lua`), 'utf8');
    },
  );
  sourceCache.set(file, source);
  return source;
}

/** Defines every command in `specs` on `redis` and returns a typed way to call them. */
export function defineLuaCommands<Name extends string>(
  redis: Redis,
  specs: Readonly<Record<Name, LuaCommandSpec>>,
): LuaCommandRunner<Name> {
  for (const [name, spec] of Object.entries<LuaCommandSpec>(specs)) {
    redis.defineCommand(name, { lua: loadLuaScript(spec.file), numberOfKeys: spec.numberOfKeys });
  }
  // defineCommand adds methods at run time, which ioredis's types cannot know about.
  const commands = redis as unknown as Record<
    string,
    ((...args: (string | number)[]) => Promise<unknown>) | undefined
  >;
  return (name, keys, args) => {
    const command = commands[name];
    if (command === undefined) throw new Error(`Lua command ${name} is not defined`);
    return command.call(redis, ...keys, ...args);
  };
}
