import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileError } from './file-error';
import type { Sink, SinkWriter } from '../sink';
import { formatRecord } from './client-sinks';

const FLUSH_CHARS = 64 * 1024;

/** Text lines into `<dir>/part-<subtask>.txt`, one file per subtask, replaced on each run. */
export function fileSink<T>(dir: string): Sink<T> {
  return {
    createWriter({ subtaskIndex, taskManagerId }): SinkWriter<T> {
      const file = join(resolve(dir), `part-${subtaskIndex}.txt`);
      let fd: number;
      try {
        mkdirSync(resolve(dir), { recursive: true });
        fd = openSync(file, 'w');
      } catch (err) {
        throw fileError('write', file, taskManagerId, err);
      }
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
