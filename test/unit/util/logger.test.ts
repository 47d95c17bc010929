import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const LOGGER = join(__dirname, '../../../runtime/util/logger.ts');

/** Runs `body` in a fresh Node process with the logger loaded; returns its stderr and stdout. */
function inFreshProcess(body: string): { stdout: string; stderr: string } {
  const script = `require('tsx/cjs'); const { createLogger } = require(${JSON.stringify(LOGGER)}); ${body}`;
  const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_LOG_LEVEL: 'info' };
  delete env.SLUICE_LOG_FORMAT;
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const prettyLoaded = "Object.keys(require.cache).some((f) => f.includes('/pino-pretty/'))";

describe('createLogger', () => {
  it('JSON lines when stderr is no terminal, without loading pino-pretty (task threads start faster)', () => {
    const { stdout, stderr } = inFreshProcess(
      `createLogger('t').info({ n: 1 }, 'hello'); console.log(${prettyLoaded});`,
    );
    expect(stdout.trim()).toBe('false');
    expect(JSON.parse(stderr.trim())).toMatchObject({ name: 't', msg: 'hello', n: 1 });
  });

  it('human-readable lines through pino-pretty when stderr is a terminal', () => {
    const { stdout, stderr } = inFreshProcess(
      `process.stderr.isTTY = true; createLogger('t').info({ n: 1 }, 'hello'); console.log(${prettyLoaded});`,
    );
    expect(stdout.trim()).toBe('true');
    expect(stderr).toMatch(/INFO.*\(t\).*hello/);
    expect(() => JSON.parse(stderr.trim())).toThrow();
  });
});
