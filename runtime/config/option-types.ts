import { z } from 'zod';
import {
  formatBytes,
  formatDurationMs,
  parseDurationMs,
  parseMemoryBytes,
  parseMemoryMb,
} from './parse-units';
import type { UnitParseResult } from './parse-units';

/**
 * The value types a config key can have. Each wraps a zod schema that accepts what the sources
 * deliver (YAML gives typed scalars, environment variables and `-D` flags give strings) and
 * produces the resolved value, plus the words the docs table and error messages use.
 */
export interface OptionType<T> {
  /** Parses one raw value; issue messages are short reasons ("below the minimum 1"). */
  readonly schema: z.ZodType<T>;
  /** Type column of the docs table: `int (1..32768)`, `duration`, `memory (MB)`. */
  readonly label: string;
  /** What an error says was expected: "an integer between 1 and 32768". */
  readonly expected: string;
  /** Renders a value for the docs' default column. */
  format(value: T): string;
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Strings from env and `-D` become numbers when they look like one; anything else is left to fail. */
function coerceNumeric(input: unknown): unknown {
  return typeof input === 'string' && NUMERIC.test(input) ? Number(input) : input;
}

function rangeWords(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function rangeLabel(base: string, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${base} (${min}..${max})`;
  if (min !== undefined) return `${base} (>= ${min})`;
  return base;
}

export function intType(range: { min?: number; max?: number } = {}): OptionType<number> {
  let inner = z.number({ error: 'not a number' }).int({ error: 'not a whole number' });
  if (range.min !== undefined) inner = inner.min(range.min, { error: `below the minimum ${range.min}` });
  if (range.max !== undefined) inner = inner.max(range.max, { error: `above the maximum ${range.max}` });
  return {
    schema: z.preprocess(coerceNumeric, inner),
    label: rangeLabel('int', range.min, range.max),
    expected: `an integer${rangeWords(range.min, range.max)}`,
    format: String,
  };
}

/** A TCP port; 0 asks the OS for any free port where the key's description says so. */
export function portType(): OptionType<number> {
  return { ...intType({ min: 0, max: 65535 }), label: 'port', expected: 'a port number between 0 and 65535' };
}

/** A finite number; `exclusiveMin` for "> 0" quantities such as cpu cores. */
export function numberType(range: { min?: number; exclusiveMin?: number } = {}): OptionType<number> {
  const { min, exclusiveMin } = range;
  const inner = z.number({ error: 'not a number' }).superRefine((n, ctx) => {
    if (min !== undefined && n < min) ctx.addIssue({ code: 'custom', message: `below the minimum ${min}` });
    if (exclusiveMin !== undefined && n <= exclusiveMin) {
      ctx.addIssue({ code: 'custom', message: `must be greater than ${exclusiveMin}` });
    }
  });
  const bound =
    exclusiveMin !== undefined ? `> ${exclusiveMin}` : min !== undefined ? `>= ${min}` : undefined;
  return {
    schema: z.preprocess(coerceNumeric, inner),
    label: bound ? `number (${bound})` : 'number',
    expected: bound ? `a number ${bound}` : 'a number',
    format: String,
  };
}

/** `true`/`false`, also as strings in any case (env and `-D` values are strings). */
export function booleanType(): OptionType<boolean> {
  const coerce = (input: unknown): unknown => {
    if (typeof input !== 'string') return input;
    const lower = input.trim().toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : input;
  };
  return {
    schema: z.preprocess(coerce, z.boolean({ error: 'not true or false' })),
    label: 'boolean',
    expected: 'true or false',
    format: String,
  };
}

export interface StringRules {
  /** Reject the empty string. */
  nonEmpty?: boolean;
  /** Extra check: returns a reason when the value is not acceptable. */
  check?: (value: string) => string | undefined;
  label?: string;
  expected?: string;
}

/** A string; YAML numbers (e.g. an all-digit token) are accepted and turned into strings. */
export function stringType(rules: StringRules = {}): OptionType<string> {
  const coerce = (input: unknown): unknown =>
    typeof input === 'number' && Number.isFinite(input) ? String(input) : input;
  let inner = z.string({ error: 'not a string' });
  if (rules.nonEmpty) inner = inner.min(1, { error: 'empty' });
  const check = rules.check;
  const schema = check
    ? inner.superRefine((value, ctx) => {
        const reason = check(value);
        if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
      })
    : inner;
  return {
    schema: z.preprocess(coerce, schema),
    label: rules.label ?? 'string',
    expected: rules.expected ?? (rules.nonEmpty ? 'a non-empty string' : 'a string'),
    format: (value) => (value === '' ? "''" : value),
  };
}

export function enumType<const V extends readonly [string, ...string[]]>(values: V): OptionType<V[number]> {
  const list = values.join(', ');
  return {
    schema: z.enum(values, { error: () => `not one of ${list}` }) as unknown as z.ZodType<V[number]>,
    label: values.join(' | '),
    expected: `one of ${list}`,
    format: String,
  };
}

function unitSchema(parse: (input: unknown) => UnitParseResult, min: number): z.ZodType<number> {
  return z.unknown().transform((input, ctx) => {
    const result = parse(input);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.reason });
      return z.NEVER;
    }
    if (result.value < min) {
      ctx.addIssue({ code: 'custom', message: `below the minimum ${min}` });
      return z.NEVER;
    }
    return result.value;
  });
}

/** A duration resolved to milliseconds: a number of ms or a string with a unit ("10 s"). */
export function durationType(range: { min?: number } = {}): OptionType<number> {
  const min = range.min ?? 0;
  return {
    schema: unitSchema(parseDurationMs, min),
    label: 'duration',
    expected: `a duration${min > 0 ? ` of at least ${min} ms` : ''} in milliseconds or with a unit ('100 ms', '10 s', '5 min', '1 h')`,
    format: formatDurationMs,
  };
}

/** A memory size resolved to MB: a number of MB or a string with a unit ("512 mb", "1 gb", "256m"). */
export function memoryMbType(): OptionType<number> {
  return {
    schema: unitSchema(parseMemoryMb, 0),
    label: 'memory (MB)',
    expected: "a memory size in MB or with a unit ('512 mb', '1 gb', '256m')",
    format: (mb) => `${mb} mb`,
  };
}

/** A memory size resolved to bytes: a number of bytes or a string with a unit ("32 kb", "1 mb"). */
export function memoryBytesType(range: { min?: number } = {}): OptionType<number> {
  const min = range.min ?? 0;
  return {
    schema: unitSchema(parseMemoryBytes, min),
    label: 'memory (bytes)',
    expected: `a memory size${min > 0 ? ` of at least ${min} bytes` : ''} in bytes or with a unit ('32 kb', '1 mb')`,
    format: formatBytes,
  };
}

/** An absolute URL with one of the given schemes (`['http:', 'https:']`). */
export function urlType(protocols: readonly string[]): OptionType<string> {
  const schemes = protocols.map((p) => `${p}//`).join(', ');
  return stringType({
    nonEmpty: true,
    label: `URL (${schemes})`,
    expected: `a URL starting with ${schemes}`,
    check: (value) => {
      if (!URL.canParse(value)) return 'not a valid URL';
      const url = new URL(value);
      return protocols.includes(url.protocol) ? undefined : `scheme '${url.protocol}' not allowed`;
    },
  });
}

/**
 * Makes a type optional: unset resolves to `undefined`. An empty string counts as unset, so
 * `SLUICE_S3_BUCKET=` in a shell or compose file clears the key instead of failing validation.
 */
export function optionalType<T>(type: OptionType<T>): OptionType<T | undefined> {
  const clear = (input: unknown): unknown => (input === '' || input === null ? undefined : input);
  return {
    schema: z.preprocess(clear, type.schema.optional()) as z.ZodType<T | undefined>,
    label: `${type.label}, optional`,
    expected: type.expected,
    format: (value) => (value === undefined ? '' : type.format(value)),
  };
}
