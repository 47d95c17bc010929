/** The shared process handling of local/process against real child processes. */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFreePort } from '../../../local/process/free-port';
import { readLogTail } from '../../../local/process/log-tail';
import { startProcess } from '../../../local/process/managed-process';
import { ProcessStartError } from '../../../local/process/process-errors';
import { waitUntilReady } from '../../../local/process/wait-ready';
import { waitFor } from '../../../runtime/util/wait';
import { descendants, isRunning } from '../../helpers/processes';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'sluice-managed-process-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** `node -e script` as a managed process. */
const node = (
  name: string,
  script: string,
  extra: { logFile?: string; stopGraceMs?: number; detached?: boolean } = {},
) => startProcess({ name, command: process.execPath, args: ['-e', script], ...extra });

test('a missing binary is a spawn failure with the hint', async () => {
  const failure = await startProcess({
    name: 'x',
    command: 'no-such-binary-xyz',
    missingBinaryHint: 'install xyz',
  }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ProcessStartError);
  expect(failure).toMatchObject({ reason: 'spawn-failed', code: 'SLUICE_CONFIG' });
  expect(String((failure as Error).message)).toBe(
    "'no-such-binary-xyz' is not installed or not on PATH: install xyz",
  );
});

test('output goes to a fresh 0600 log file, and the tail is read from it', async () => {
  const logFile = join(dir, 'p.log');
  await fs.writeFile(logFile, 'from an earlier run\n', { mode: 0o644 });
  const p = await node(
    'printer',
    'for (let i = 1; i <= 50; i++) console.log("line " + i); console.error("oops")',
    { logFile },
  );
  expect(await p.exited).toEqual({ code: 0, signal: null });
  expect(p.running).toBe(false);
  expect((await fs.stat(logFile)).mode & 0o777).toBe(0o600);
  const text = await fs.readFile(logFile, 'utf8');
  expect(text).not.toContain('earlier run');
  expect(text).toContain('oops');
  expect(await p.outputTail(3)).toBe('line 49\nline 50\noops');
});

test('without a log file the last output is kept in memory, including the last words before exit', async () => {
  const p = await node(
    'quitter',
    'console.log("starting"); console.error("fatal: no config"); process.exit(4)',
  );
  expect(await p.exited).toEqual({ code: 4, signal: null });
  expect(await p.outputTail()).toBe('starting\nfatal: no config');
});

test('stop() SIGTERMs, and SIGKILLs after the grace time a process that ignores SIGTERM', async () => {
  const p = await node(
    'stubborn',
    'process.on("SIGTERM", () => console.log("no")); console.log("ready"); setInterval(() => {}, 1000)',
    { stopGraceMs: 300 },
  );
  await waitFor(async () => (await p.outputTail()).includes('ready'), {
    what: 'the child to install its handler',
  });
  await p.stop();
  expect(p.exitStatus).toEqual({ code: null, signal: 'SIGKILL' });
  expect(await isRunning(p.pid)).toBe(false);
  await p.stop(); // idempotent
});

test('a detached process is stopped with its whole process group', async () => {
  const script =
    'require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }); setInterval(() => {}, 1000)';
  const p = await node('parent', script, { detached: true, stopGraceMs: 2000 });
  const grandchildren = await waitFor(
    async () => {
      const pids = await descendants(p.pid);
      return pids.length > 0 ? pids : undefined;
    },
    { what: 'the grandchild', timeoutMs: 30_000 },
  );
  await p.stop();
  await waitFor(async () => !(await isRunning(grandchildren[0]!)), {
    timeoutMs: 15_000,
    what: 'the grandchild to end',
  });
});

describe('waitUntilReady', () => {
  test('resolves once the check passes', async () => {
    const p = await node('sleeper', 'setInterval(() => {}, 1000)');
    let calls = 0;
    await waitUntilReady([p], async () => ++calls >= 3 || { status: `call ${calls}` }, {
      what: 'three calls',
      timeoutMs: 5000,
      intervalMs: 5,
    });
    expect(calls).toBe(3);
    await p.stop();
  });

  test('fails fast when the process exits, quoting its output', async () => {
    const p = await node('crasher', 'console.error("bad value for rest.port"); process.exit(2)');
    const started = Date.now();
    const failure = await waitUntilReady([p], async () => ({ status: 'never' }), {
      what: 'it to be up',
      timeoutMs: 20_000,
    }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failure).toMatchObject({ reason: 'exited', processName: 'crasher' });
    expect((failure as Error).message).toMatch(
      /^crasher \(pid \d+\) exited with code 2 while waiting for it to be up\n/,
    );
    expect((failure as Error).message).toContain('bad value for rest.port');
  });

  test('an exit because the port was taken is port-in-use', async () => {
    const p = await node(
      'binder',
      'console.error("Error: listen EADDRINUSE: address already in use 127.0.0.1:1234"); process.exit(1)',
    );
    await expect(
      waitUntilReady([p], async () => ({ status: 'x' }), { what: 'it', timeoutMs: 5000 }),
    ).rejects.toMatchObject({ reason: 'port-in-use' });
  });

  test('a timeout names the last status and quotes the blamed process, not the others', async () => {
    const a = await node('a', 'console.log("a is fine"); setInterval(() => {}, 1000)');
    const b = await node('b', 'console.log("b cannot connect"); setInterval(() => {}, 1000)');
    // Both have printed (a busy machine may start node slower than the 300 ms below).
    await waitFor(
      async () => (await a.outputTail()).includes('a is fine') && (await b.outputTail()).includes('b cannot'),
      {
        what: 'both processes to print',
      },
    );
    const failure = await waitUntilReady([a, b], async () => ({ status: 'b missing', blame: [b] }), {
      what: 'both',
      timeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ reason: 'timed-out', processName: 'b', code: 'SLUICE_TIMEOUT' });
    expect((failure as Error).message).toMatch(/^timed out after 300 ms waiting for both \(b missing\)/);
    expect((failure as Error).message).toContain('b cannot connect');
    expect((failure as Error).message).not.toContain('a is fine');
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a check that throws counts as not ready, and its message becomes the status', async () => {
    const p = await node('sleeper', 'setInterval(() => {}, 1000)');
    const failure = waitUntilReady(
      [p],
      async () => {
        throw new Error('ECONNREFUSED');
      },
      { what: 'x', timeoutMs: 200 },
    );
    await expect(failure).rejects.toThrow('(ECONNREFUSED)');
    await p.stop();
  });

  test('an abort ends the wait with the abort reason', async () => {
    const p = await node('sleeper', 'setInterval(() => {}, 1000)');
    const controller = new AbortController();
    const waiting = waitUntilReady([p], async () => ({ status: 'x' }), {
      what: 'x',
      timeoutMs: 20_000,
      signal: controller.signal,
    });
    controller.abort(new Error('user pressed Ctrl-C'));
    await expect(waiting).rejects.toThrow('user pressed Ctrl-C');
    await p.stop();
  });
});

test('withFreePort tries another port after port-in-use, and gives up on other errors', async () => {
  const ports: number[] = [];
  const result = await withFreePort(async (port) => {
    ports.push(port);
    if (ports.length < 3) throw new ProcessStartError('taken', { processName: 'x', reason: 'port-in-use' });
    return port;
  });
  expect(ports).toHaveLength(3);
  expect(result).toBe(ports[2]);
  let calls = 0;
  await expect(
    withFreePort(async () => {
      calls++;
      throw new Error('other');
    }),
  ).rejects.toThrow('other');
  expect(calls).toBe(1);
  await expect(
    withFreePort(async () => {
      throw new ProcessStartError('taken', { processName: 'x', reason: 'port-in-use' });
    }, 2),
  ).rejects.toMatchObject({ reason: 'port-in-use' });
});

test('readLogTail reads only the end of a large log', async () => {
  const file = join(dir, 'big.log');
  await fs.writeFile(file, Array.from({ length: 20_000 }, (_, i) => `entry ${i}`).join('\n') + '\n');
  expect(await readLogTail(file, 2)).toBe('entry 19998\nentry 19999');
  expect(await readLogTail(join(dir, 'missing.log'), 5)).toBe('');
});
