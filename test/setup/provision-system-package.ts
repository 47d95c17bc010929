import { spawnSync } from 'node:child_process';
import { findExecutable } from '../../local/cloud/find-executable';

/**
 * The suites need a few system programs: redis-server (test/helpers/redis-server.ts starts its
 * own), Debian's chromium (the dashboard's browser tests; never a downloaded browser) and the
 * AWS CLI (browsing a savepoint as a person would). A
 * fresh machine has neither, so `npm test` provisions them the way `.ci/run` does: through
 * apt-get, as root or with password-less sudo. When it cannot, the run stops with one message
 * saying what to do.
 */

/** A program the tests need and the Debian package that brings it. */
export interface SystemPackage {
  readonly binary: string;
  readonly aptPackage: string;
  /** Why the tests need it (starts the error message). */
  readonly why: string;
  /** What to do on a machine without apt-get. */
  readonly otherwise: string;
}

export const REDIS_SERVER: SystemPackage = {
  binary: 'redis-server',
  aptPackage: 'redis-server',
  why: 'the tests start their own redis-server, and it is not on PATH',
  otherwise: 'install Redis 7 (e.g. `brew install redis`, `dnf install redis`)',
};

export const CHROMIUM: SystemPackage = {
  binary: 'chromium',
  aptPackage: 'chromium',
  why: "the dashboard's browser tests drive chromium, and it is not on PATH",
  otherwise: 'install Chromium so that `chromium` is on PATH',
};

export const AWS_CLI: SystemPackage = {
  binary: 'aws',
  aptPackage: 'awscli',
  why: 'a savepoint test browses the emulator with the AWS CLI (as a person would), and `aws` is not on PATH',
  otherwise: 'install the AWS CLI (https://aws.amazon.com/cli/)',
};

/** What provisioning will do on this machine. */
export type Provisioning =
  | { readonly kind: 'present'; readonly path: string }
  | { readonly kind: 'install'; readonly commands: readonly (readonly string[])[] }
  | { readonly kind: 'manual'; readonly message: string };

/** The facts the plan depends on, probed from the real machine by `probeMachine`. */
export interface MachineFacts {
  /** Where the package's program is, when it is on PATH. */
  readonly installed?: string;
  readonly aptGet: boolean;
  readonly isRoot: boolean;
  /** `sudo -n true` succeeded: sudo works without asking for a password. */
  readonly passwordlessSudo: boolean;
}

/** Chooses how to get the package's program: already there, install it, or tell the user what to run. */
export function planProvisioning(pkg: SystemPackage, facts: MachineFacts): Provisioning {
  if (facts.installed !== undefined) return { kind: 'present', path: facts.installed };
  if (!facts.aptGet)
    return { kind: 'manual', message: `${pkg.why}; ${pkg.otherwise} and run npm test again` };
  const update = ['apt-get', 'update', '-qq'];
  const install = ['apt-get', 'install', '-y', '-qq', pkg.aptPackage];
  if (facts.isRoot) return { kind: 'install', commands: [update, install] };
  if (facts.passwordlessSudo) {
    return { kind: 'install', commands: [update, install].map((c) => ['sudo', '-n', ...c]) };
  }
  return {
    kind: 'manual',
    message: `${pkg.why}, and installing it needs root: run \`sudo apt-get install -y ${pkg.aptPackage}\` and npm test again`,
  };
}

/** Probes the machine through `env.PATH` (tests pass a PATH without the program); the rest only when it is missing. */
export async function probeMachine(
  pkg: SystemPackage,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MachineFacts> {
  const found = await findExecutable(pkg.binary, { env });
  if (found.available)
    return { installed: found.path, aptGet: false, isRoot: false, passwordlessSudo: false };
  const aptGet = (await findExecutable('apt-get', { env })).available;
  const isRoot = process.getuid?.() === 0;
  const sudo = (await findExecutable('sudo', { env })).available;
  const passwordlessSudo =
    !isRoot && sudo && spawnSync('sudo', ['-n', 'true'], { env, stdio: 'ignore' }).status === 0;
  return { aptGet, isRoot, passwordlessSudo };
}

/**
 * Makes sure the package's program is on PATH, installing it when the plan says so.
 * @throws Error with one message naming what is missing and what to run.
 */
export async function ensureSystemPackage(
  pkg: SystemPackage,
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> {
  const plan = planProvisioning(pkg, await probeMachine(pkg, env));
  if (plan.kind === 'present') return plan.path;
  if (plan.kind === 'manual') throw new Error(plan.message);
  for (const command of plan.commands) {
    log(`${pkg.binary} is missing; running: ${command.join(' ')}`);
    const [file = '', ...args] = command;
    const run = spawnSync(file, args, {
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (run.status !== 0) {
      const detail = (run.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || run.error?.message;
      throw new Error(
        `installing ${pkg.aptPackage} failed (\`${command.join(' ')}\` exited ${run.status ?? 'by a signal'}: ${detail}); ` +
          `run \`sudo apt-get install -y ${pkg.aptPackage}\` and npm test again`,
      );
    }
  }
  const after = await findExecutable(pkg.binary, { env });
  if (!after.available)
    throw new Error(`apt-get installed ${pkg.aptPackage}, but ${pkg.binary} is still not on PATH`);
  log(`installed ${after.path}`);
  return after.path;
}
