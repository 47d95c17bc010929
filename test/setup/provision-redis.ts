import { spawnSync } from 'node:child_process';
import { findExecutable } from '../../local/cloud/find-executable';

/**
 * The test suites start their own redis-server (test/helpers/redis-server.ts). A fresh machine
 * has none, so `npm test` provisions it the way `.ci/run` does: through apt-get, as root or
 * with password-less sudo. When it cannot, the run stops with one message saying what to do.
 */

/** What provisioning will do on this machine. */
export type RedisProvisioning =
  | { readonly kind: 'present'; readonly path: string }
  | { readonly kind: 'install'; readonly commands: readonly (readonly string[])[] }
  | { readonly kind: 'manual'; readonly message: string };

/** The facts the plan depends on, probed from the real machine by `probeMachine`. */
export interface MachineFacts {
  readonly redisServer?: string;
  readonly aptGet: boolean;
  readonly isRoot: boolean;
  /** `sudo -n true` succeeded: sudo works without asking for a password. */
  readonly passwordlessSudo: boolean;
}

const APT_INSTALL = ['apt-get', 'install', '-y', '-qq', 'redis-server'];
const APT_UPDATE = ['apt-get', 'update', '-qq'];

/** Chooses how to get redis-server: already there, install it, or tell the user what to run. */
export function planRedisProvisioning(facts: MachineFacts): RedisProvisioning {
  if (facts.redisServer !== undefined) return { kind: 'present', path: facts.redisServer };
  const why = 'the tests start their own redis-server, and it is not on PATH';
  if (!facts.aptGet) {
    return {
      kind: 'manual',
      message: `${why}; install Redis 7 (e.g. \`brew install redis\`, \`dnf install redis\`) and run npm test again`,
    };
  }
  if (facts.isRoot) return { kind: 'install', commands: [APT_UPDATE, APT_INSTALL] };
  if (facts.passwordlessSudo) {
    return { kind: 'install', commands: [APT_UPDATE, APT_INSTALL].map((c) => ['sudo', '-n', ...c]) };
  }
  return {
    kind: 'manual',
    message: `${why}, and installing it needs root: run \`sudo apt-get install -y redis-server\` and npm test again`,
  };
}

/** Probes the machine through `env.PATH` (tests pass a PATH without redis-server); the rest only when it is missing. */
export async function probeMachine(env: NodeJS.ProcessEnv = process.env): Promise<MachineFacts> {
  const redis = await findExecutable('redis-server', { env });
  if (redis.available)
    return { redisServer: redis.path, aptGet: false, isRoot: false, passwordlessSudo: false };
  const aptGet = (await findExecutable('apt-get', { env })).available;
  const isRoot = process.getuid?.() === 0;
  const sudo = (await findExecutable('sudo', { env })).available;
  const passwordlessSudo =
    !isRoot && sudo && spawnSync('sudo', ['-n', 'true'], { env, stdio: 'ignore' }).status === 0;
  return { aptGet, isRoot, passwordlessSudo };
}

/**
 * Makes sure redis-server is on PATH, installing it when the plan says so.
 * @throws Error with one message naming what is missing and what to run.
 */
export async function ensureRedisServer(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> {
  const plan = planRedisProvisioning(await probeMachine(env));
  if (plan.kind === 'present') return plan.path;
  if (plan.kind === 'manual') throw new Error(plan.message);
  for (const command of plan.commands) {
    log(`redis-server is missing; running: ${command.join(' ')}`);
    const [file = '', ...args] = command;
    const run = spawnSync(file, args, {
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (run.status !== 0) {
      const detail = (run.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || run.error?.message;
      throw new Error(
        `installing redis-server failed (\`${command.join(' ')}\` exited ${run.status ?? 'by a signal'}: ${detail}); ` +
          'run `sudo apt-get install -y redis-server` and npm test again',
      );
    }
  }
  const after = await findExecutable('redis-server', { env });
  if (!after.available) throw new Error('apt-get installed redis-server, but it is still not on PATH');
  log(`installed ${after.path}`);
  return after.path;
}
