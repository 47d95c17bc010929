import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHROMIUM,
  REDIS_SERVER,
  ensureSystemPackage,
  planProvisioning,
  probeMachine,
} from '../../setup/provision-system-package';

const planRedisProvisioning = (facts: Parameters<typeof planProvisioning>[1]) =>
  planProvisioning(REDIS_SERVER, facts);
const ensureRedisServer = (env: NodeJS.ProcessEnv, log: (line: string) => void) =>
  ensureSystemPackage(REDIS_SERVER, env, log);

function script(dir: string, name: string, body: string): void {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

describe('planRedisProvisioning', () => {
  const none = { aptGet: false, isRoot: false, passwordlessSudo: false };

  it('uses a redis-server already on PATH', () => {
    expect(planRedisProvisioning({ ...none, installed: '/usr/bin/redis-server' })).toEqual({
      kind: 'present',
      path: '/usr/bin/redis-server',
    });
  });

  it('installs through apt-get as root, and through sudo -n when sudo needs no password', () => {
    const asRoot = planRedisProvisioning({ ...none, aptGet: true, isRoot: true });
    expect(asRoot).toEqual({
      kind: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', 'redis-server'],
      ],
    });
    const withSudo = planRedisProvisioning({ ...none, aptGet: true, passwordlessSudo: true });
    expect(
      withSudo.kind === 'install' && withSudo.commands.every((c) => c[0] === 'sudo' && c[1] === '-n'),
    ).toBe(true);
  });

  it('says exactly what to run when it cannot install', () => {
    const needsRoot = planRedisProvisioning({ ...none, aptGet: true });
    expect(needsRoot.kind === 'manual' && needsRoot.message).toContain(
      'sudo apt-get install -y redis-server',
    );
    const noApt = planRedisProvisioning(none);
    expect(noApt.kind === 'manual' && noApt.message).toContain('install Redis 7');
  });
});

describe('probing and provisioning through PATH', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-provision-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the real redis-server on the PATH npm test runs with', async () => {
    const facts = await probeMachine(REDIS_SERVER, process.env);
    expect(facts.installed).toMatch(/redis-server$/);
  });

  it('fails with one message naming the fix when PATH has neither redis-server nor apt-get', async () => {
    await expect(ensureRedisServer({ PATH: dir }, () => {})).rejects.toThrow(
      /redis-server, and it is not on PATH; install Redis 7/,
    );
  });

  it('runs apt-get (directly as root, else through sudo -n) and finds the installed server', async () => {
    // A stand-in apt-get "installs" redis-server into the PATH directory; sudo -n runs its command.
    script(
      dir,
      'apt-get',
      `[ "$1" = install ] && printf '#!/bin/sh\\n' > ${dir}/redis-server && /bin/chmod 755 ${dir}/redis-server\nexit 0`,
    );
    script(dir, 'sudo', '[ "$1" = -n ] && shift\nexec "$@"');
    const log: string[] = [];
    const path = await ensureRedisServer({ PATH: dir }, (line) => log.push(line));
    expect(path).toBe(join(dir, 'redis-server'));
    expect(log.some((l) => l.includes('apt-get install -y -qq redis-server'))).toBe(true);
  });

  it('installs chromium the same way, by its own package name', async () => {
    script(
      dir,
      'apt-get',
      `[ "$1" = install ] && [ "$4" = chromium ] && printf '#!/bin/sh\\n' > ${dir}/chromium && /bin/chmod 755 ${dir}/chromium\nexit 0`,
    );
    const log: string[] = [];
    const plan = planProvisioning(CHROMIUM, { aptGet: true, isRoot: true, passwordlessSudo: false });
    expect(plan.kind === 'install' && plan.commands[1]).toEqual([
      'apt-get',
      'install',
      '-y',
      '-qq',
      'chromium',
    ]);
    if (process.getuid?.() !== 0) script(dir, 'sudo', '[ "$1" = -n ] && shift\nexec "$@"');
    const path = await ensureSystemPackage(CHROMIUM, { PATH: dir }, (line) => log.push(line));
    expect(path).toBe(join(dir, 'chromium'));
    expect(log[0]).toContain('chromium is missing');
  });

  it('reports a failing install with the command and its error output', async () => {
    script(dir, 'apt-get', 'echo "E: Unable to locate package redis-server" >&2\nexit 100');
    script(dir, 'sudo', '[ "$1" = -n ] && shift\nexec "$@"');
    await expect(ensureRedisServer({ PATH: dir }, () => {})).rejects.toThrow(
      /exited 100: E: Unable to locate package redis-server.*sudo apt-get install -y redis-server/,
    );
  });
});
