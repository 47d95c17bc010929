import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Sink, SinkWriter } from '../sink';
import { formatRecord } from './client-sinks';

const FLUSH_CHARS = 64 * 1024;

/** Text lines into `<dir>/part-<subtask>.txt`, one file per subtask, replaced on each run. */
export function fileSink<T>(dir: string): Sink<T> {
  return {
    createWriter({ subtaskIndex }): SinkWriter<T> {
      mkdirSync(dir, { recursive: true });
      const fd = openSync(join(dir, `part-${subtaskIndex}.txt`), 'w');
      let pending: string[] = [];
      let pendingChars = 0;
      const flush = (): void => {
        if (pending.length === 0) return;
        writeSync(fd, pending.join(''));
        pending = [];
        pendingChars = 0;
      };
      let closed = false;
      return {
        write(record) {
          const line = formatRecord(record) + '\n';
          pending.push(line);
          pendingChars += line.length;
          if (pendingChars >= FLUSH_CHARS) flush();
        },
        finish: flush,
        close() {
          if (closed) return;
          closed = true;
          flush();
          closeSync(fd);
        },
      };
    },
  };
}
