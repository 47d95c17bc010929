import { promises as fs } from 'node:fs';

/** How much of the end of a log is read to find its last lines. */
const TAIL_BYTES = 16 * 1024;

/** The last `maxLines` lines of `text`, without a trailing newline. */
export function lastLines(text: string, maxLines: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(Math.max(0, lines.length - maxLines)).join('\n');
}

/** The last `maxLines` lines of a file; '' when the file is missing or empty. */
export async function readLogTail(file: string, maxLines: number): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    // The buffer may start mid-line; that line only shows when the whole log is shorter than the tail.
    return lastLines(buffer.toString('utf8'), maxLines);
  } finally {
    await handle.close();
  }
}
