import { createSocket } from 'node:dgram';
import type { Sink } from '../../runtime/api';

/**
 * Counts records like `countingSink`, and also tells a listening bench, by one UDP datagram
 * `<attempt> <subtask>` to 127.0.0.1:`port`, the moment its writer receives its first record.
 * The recovery bench (bench/scenarios/recovery.ts) reads from it when records flow again after
 * a failover, to the millisecond, instead of from task metrics that are reported once a second.
 */
export function probeSink<T>(port: number): Sink<T> {
  return {
    createWriter(ctx) {
      let count = 0;
      const socket = createSocket('udp4');
      socket.unref();
      const probe = `${ctx.attemptNumber ?? -1} ${ctx.subtaskIndex}`;
      return {
        write: () => {
          if (count++ === 0) socket.send(probe, port, '127.0.0.1');
        },
        finish: () => ctx.emitResult(count),
        close: () => void socket.close(),
      };
    },
  };
}
