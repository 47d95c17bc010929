import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobSettingsFromConfig } from '../../../runtime/client/job-config';
import { ConfigError } from '../../../runtime/errors';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sluice-job-config-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('-D pairs become typed job settings', () => {
  expect(
    jobSettingsFromConfig({
      define: [
        'parallelism.default=3',
        'pipeline.max-parallelism=64',
        'pipeline.operator-chaining=false',
        'pipeline.two-input-chaining=FALSE',
        'execution.buffer-timeout=1 s',
        'execution.exchange=sqs',
        'state.backend=kv',
      ],
    }),
  ).toEqual({
    parallelism: 3,
    maxParallelism: 64,
    chaining: false,
    twoInputChaining: false,
    bufferTimeoutMs: 1000,
    exchange: 'sqs',
    stateBackend: 'kv',
  });
});

test('a YAML file (nested or dotted) is read, and -D wins over it', () => {
  writeFileSync(join(dir, 'job.yaml'), 'parallelism:\n  default: 2\npipeline.max-parallelism: 16\n');
  expect(jobSettingsFromConfig({ file: 'job.yaml', cwd: dir, define: ['parallelism.default=5'] })).toEqual({
    parallelism: 5,
    maxParallelism: 16,
  });
});

test('unknown keys, cluster keys and bad values are all named in one ConfigError', () => {
  let error: unknown;
  try {
    jobSettingsFromConfig({
      define: ['parallelism.defualt=2', 'rest.port=9000', 'pipeline.max-parallelism=0'],
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const { message, problems } = error as ConfigError;
  expect(problems.map((p) => p.key)).toEqual([
    'parallelism.defualt',
    'rest.port',
    'pipeline.max-parallelism',
  ]);
  expect(message).toContain('unknown config key; did you mean parallelism.default?');
  expect(message).toMatch(/rest\.port \(-D\): a cluster setting, not one a job can set/);
  expect(message).toMatch(/pipeline\.max-parallelism \(-D\): below the minimum 1/);
});

test('a missing config file is reported with its absolute path', () => {
  expect(() => jobSettingsFromConfig({ file: 'nope.yaml', cwd: dir })).toThrow(
    new RegExp(`file ${join(dir, 'nope.yaml')}.*file not found`),
  );
});

test('restart-strategy.* keys travel as the job’s own restart strategy, typed', () => {
  expect(
    jobSettingsFromConfig({
      define: [
        'restart-strategy.type=fixed-delay',
        'restart-strategy.fixed-delay.attempts=1',
        'restart-strategy.fixed-delay.delay=2 s',
      ],
    }),
  ).toEqual({
    restartStrategy: {
      'restart-strategy.type': 'fixed-delay',
      'restart-strategy.fixed-delay.attempts': 1,
      'restart-strategy.fixed-delay.delay': 2000,
    },
  });
  expect(() => jobSettingsFromConfig({ define: ['restart-strategy.type=sometimes'] })).toThrow(
    /restart-strategy\.type \(-D\): not one of none, fixed-delay, exponential-delay, failure-rate/,
  );
});
