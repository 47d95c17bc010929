import { Redis } from 'ioredis';
import { startRedis } from './redis-server';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startRedis', () => {
  it('starts a server that answers on its port and is gone after stop', async () => {
    const server = await startRedis();
    const client = new Redis(server.url);
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await client.ping()).toBe('PONG');
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    } finally {
      client.disconnect();
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    await server.stop(); // idempotent
  });

  it('gives two servers two ports', async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()]);
    try {
      expect(a.port).not.toBe(b.port);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('explains how to install redis-server when the binary is missing', async () => {
    await expect(startRedis({ binary: 'redis-server-that-does-not-exist' })).rejects.toThrow(
      /not installed.*apt-get install redis-server/,
    );
  });
});
