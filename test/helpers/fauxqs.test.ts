import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../../runtime/util/wait';
import { startFauxqs } from './fauxqs';

/** True while `pid` is a live process (a zombie awaiting its reaper counts as ended). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('startFauxqs', () => {
  it('serves on a loopback port until stopped, and stop ends the process', async () => {
    const server = await startFauxqs();
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.endpoint}/health`)).ok).toBe(true);
    expect(await isRunning(server.pid)).toBe(true);
    await server.stop();
    expect(await isRunning(server.pid)).toBe(false);
    await expect(fetch(`${server.endpoint}/health`)).rejects.toThrow();
    await server.stop(); // idempotent
  });

  it('gives concurrent servers their own ports and state', async () => {
    const [a, b] = await Promise.all([startFauxqs(), startFauxqs()]);
    try {
      expect(a.port).not.toBe(b.port);
      const put = await fetch(`${a.endpoint}/only-in-a`, { method: 'PUT' });
      expect(put.ok).toBe(true);
      expect((await fetch(`${a.endpoint}/only-in-a`, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(`${b.endpoint}/only-in-a`, { method: 'HEAD' })).status).toBe(404);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('does not outlive a test process that is killed with SIGKILL', async () => {
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'hold-fauxqs.ts')],
      {
        cwd: join(__dirname, '..', '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    holder.stdout.setEncoding('utf8');
    holder.stdout.on('data', (chunk: string) => (out += chunk));
    const pid = await waitFor(() => (out.includes('\n') ? Number(out.trim()) : 0), {
      timeoutMs: 20_000,
      what: 'the holder to report the fauxqs pid',
    });
    expect(await isRunning(pid)).toBe(true);
    holder.kill('SIGKILL');
    await waitFor(async () => !(await isRunning(pid)), { timeoutMs: 10_000, what: `fauxqs ${pid} to exit` });
  });
});
