import { connectRpc, startRpcServer } from '../../../runtime/rpc/rpc-auth';
import type { RpcConnection } from '../../../runtime/rpc/rpc-connection';
import { waitFor } from '../../../runtime/util/wait';

describe('control channel', () => {
  it('authenticates with the shared secret, then carries requests, replies, errors and messages both ways', async () => {
    const accepted: RpcConnection[] = [];
    const rejected: string[] = [];
    const server = await startRpcServer({
      host: '127.0.0.1',
      port: 0,
      secret: 'right',
      serverId: 'jm',
      onConnection: (c) => {
        accepted.push(c);
        c.handle('add', (b) => (b as number[]).reduce((x, y) => x + y, 0));
        c.handle('fail', () => {
          throw new Error('no such thing');
        });
      },
      onRejected: (reason) => rejected.push(reason),
    });
    try {
      await expect(
        connectRpc({ host: '127.0.0.1', port: server.port, secret: 'wrong', id: 'tm-1' }),
      ).rejects.toThrow(/rejected: authentication failed/);
      expect(rejected).toEqual(['authentication failed']);
      const client = await connectRpc({ host: '127.0.0.1', port: server.port, secret: 'right', id: 'tm-2' });
      expect(client.peerId).toBe('jm');
      expect(await client.call('add', [1, 2, 3])).toBe(6);
      await expect(client.call('fail', null)).rejects.toThrow('no such thing');
      await expect(client.call('missing', null)).rejects.toThrow(/no handler for control message 'missing'/);
      const got: unknown[] = [];
      client.handle('hello', (b) => void got.push(b));
      await waitFor(() => accepted.length === 1);
      expect(accepted[0]!.peerId).toBe('tm-2');
      accepted[0]!.notify('hello', { big: 'x'.repeat(200_000) });
      await waitFor(() => got.length === 1);
      const closed = new Promise((r) => accepted[0]!.once('close', r));
      client.close();
      await closed;
      await expect(client.call('add', [1])).rejects.toThrow(/closed/);
    } finally {
      await server.close();
    }
  });
});
