/**
 * Durations and memory sizes as people write them in a config file ("100 ms", "5 min", "512 mb",
 * "1g"), resolved to plain numbers. Units follow Flink's `TimeUtils` and `MemorySize`: memory
 * units are binary (1 kb = 1024 bytes), `m` alone means minutes in a duration and mebibytes in
 * a memory size. A bare number uses the key's base unit (ms, MB or bytes).
 */

/** Either the parsed number or why the input was rejected (phrased to follow "got X: "). */
export type UnitParseResult = { ok: true; value: number } | { ok: false; reason: string };

const MS_PER_UNIT: ReadonlyMap<string, number> = unitTable([
  [['ms', 'milli', 'millis', 'millisecond', 'milliseconds'], 1],
  [['s', 'sec', 'secs', 'second', 'seconds'], 1000],
  [['m', 'min', 'mins', 'minute', 'minutes'], 60_000],
  [['h', 'hour', 'hours'], 3_600_000],
  [['d', 'day', 'days'], 86_400_000],
]);

const BYTES_PER_UNIT: ReadonlyMap<string, number> = unitTable([
  [['b', 'byte', 'bytes'], 1],
  [['k', 'kb', 'kib', 'kibibyte', 'kibibytes'], 1024],
  [['m', 'mb', 'mib', 'mebibyte', 'mebibytes'], 1024 ** 2],
  [['g', 'gb', 'gib', 'gibibyte', 'gibibytes'], 1024 ** 3],
  [['t', 'tb', 'tib', 'tebibyte', 'tebibytes'], 1024 ** 4],
]);

/** A non-negative decimal, optional whitespace, optional alphabetic unit. */
const QUANTITY = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/;

function unitTable(rows: Array<[string[], number]>): Map<string, number> {
  const table = new Map<string, number>();
  for (const [names, factor] of rows) for (const name of names) table.set(name, factor);
  return table;
}

/**
 * Parses a duration to whole milliseconds. Accepts a number (already milliseconds) or a string
 * such as `"250"`, `"100 ms"`, `"10 s"`, `"5 min"`, `"1 h"`, `"2d"`.
 */
export function parseDurationMs(input: unknown): UnitParseResult {
  return parseQuantity(input, MS_PER_UNIT, 1, 'millisecond', 'ms, s, min, h, d');
}

/** Parses a memory size to whole mebibytes: a number is MB; strings like `"512 mb"`, `"1 gb"`, `"256m"`. */
export function parseMemoryMb(input: unknown): UnitParseResult {
  return parseQuantity(input, BYTES_PER_UNIT, 1024 ** 2, 'MB', 'b, kb, mb, gb, tb');
}

/** Parses a memory size to whole bytes: a number is bytes; strings like `"32 kb"`, `"1 mb"`. */
export function parseMemoryBytes(input: unknown): UnitParseResult {
  return parseQuantity(input, BYTES_PER_UNIT, 1, 'byte', 'b, kb, mb, gb, tb');
}

function parseQuantity(
  input: unknown,
  units: ReadonlyMap<string, number>,
  baseFactor: number,
  baseName: string,
  unitList: string,
): UnitParseResult {
  if (typeof input === 'number') return checkWhole(input, baseName);
  if (typeof input !== 'string') return { ok: false, reason: 'not a number or a string with a unit' };
  const match = QUANTITY.exec(input);
  if (!match) return { ok: false, reason: 'not a non-negative number with an optional unit' };
  const amount = Number(match[1]);
  const unitName = (match[2] ?? '').toLowerCase();
  if (unitName === '') return checkWhole(amount, baseName);
  const factor = units.get(unitName);
  if (factor === undefined) return { ok: false, reason: `unknown unit '${match[2]}' (use ${unitList})` };
  // Round the product to kill binary noise ("0.1 s" * 1000), then insist on a whole base unit.
  const scaled = Math.round(amount * factor * 1e6) / 1e6 / baseFactor;
  return checkWhole(scaled, baseName);
}

function checkWhole(value: number, baseName: string): UnitParseResult {
  if (!Number.isFinite(value) || value < 0) return { ok: false, reason: 'must be a finite number >= 0' };
  if (!Number.isInteger(value)) return { ok: false, reason: `must be a whole number of ${baseName}s` };
  if (value > Number.MAX_SAFE_INTEGER) return { ok: false, reason: 'too large' };
  return { ok: true, value };
}

/** Renders milliseconds with the largest unit that divides them: 100 → "100 ms", 300000 → "5 min". */
export function formatDurationMs(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ];
  for (const [name, factor] of units) if (ms !== 0 && ms % factor === 0) return `${ms / factor} ${name}`;
  return `${ms} ms`;
}

/** Renders bytes with the largest binary unit that divides them: 32768 → "32 kb". */
export function formatBytes(bytes: number): string {
  const units: Array<[string, number]> = [
    ['tb', 1024 ** 4],
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
  ];
  for (const [name, factor] of units)
    if (bytes !== 0 && bytes % factor === 0) return `${bytes / factor} ${name}`;
  return `${bytes} b`;
}
