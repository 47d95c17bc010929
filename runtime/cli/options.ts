import { InvalidArgumentError } from 'commander';

/** Parses `--parallelism` and similar positive integers. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not an integer >= 1`);
  return n;
}

/** Collects repeated `--arg key=value` flags into a record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`'${value}' is not of the form key=value`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Collects repeated flags into a list. */
export function keyValueList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
