import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP forwarder in front of a server whose link can be partitioned: while `partition()` is in
 * force, bytes in both directions are held back (connections stay open, calls time out), as on
 * a network partition rather than a refused connection. `heal()` delivers what was held back, in
 * order, as TCP's retransmissions would, and lets bytes through again.
 */
export interface TcpPartition {
  /** Port the forwarder listens on (loopback). */
  readonly port: number;
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpPartition(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpPartition> {
  let cut = false;
  const sockets = new Set<net.Socket>();
  const held: { to: net.Socket; chunk: Buffer }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (cut) held.push({ to, chunk });
        else to.write(chunk);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    partition: () => {
      cut = true;
    },
    heal: () => {
      cut = false;
      for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
