import { InvalidJobError } from '../errors';

const TAG_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Names a side output of records of type T (Flink's OutputTag): process functions emit to it
 * with `ctx.output(tag, value)`, and `stream.getSideOutput(tag)` reads it as a stream. Tags are
 * equal when their ids are, so a tag may be created again where it is read.
 */
export class OutputTag<T> {
  /** Never set: keeps T part of the type, so a tag of numbers is not a tag of strings. */
  declare readonly __type?: (value: T) => T;

  constructor(readonly id: string) {
    if (typeof id !== 'string' || !TAG_ID.test(id))
      throw new InvalidJobError(
        `OutputTag id '${String(id)}' must be 1-128 characters of letters, digits, '.', '_' or '-'`,
      );
  }
}

/**
 * The tag's id, after checking that `tag` is an OutputTag (job code is plain JavaScript at run
 * time). By shape, not instanceof: in a TaskManager the job's bundle has its own copy of this class.
 */
export function outputTagId<T>(tag: OutputTag<T>, where: string): string {
  const id = (tag as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string' || !TAG_ID.test(id)) throw new InvalidJobError(`${where} needs an OutputTag`);
  return id;
}
