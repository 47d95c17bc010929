import { ConfigError } from '../../../runtime/errors';
import type { ConfigProblem } from '../../../runtime/errors';
import { loadConfig, withOverrides, defaultConfig } from '../../../runtime/config/load-config';
import type { LoadConfigOptions } from '../../../runtime/config/load-config';
import { TempYaml } from './temp-yaml';

let temp: TempYaml;
beforeEach(() => {
  temp = new TempYaml();
});
afterEach(() => temp.cleanup());

/** Loads and returns the ConfigError it must throw. */
function loadError(options: LoadConfigOptions): ConfigError {
  try {
    loadConfig(options);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

function only(problems: readonly ConfigProblem[]): ConfigProblem {
  expect(problems).toHaveLength(1);
  return problems[0] as ConfigProblem;
}

describe('unknown keys', () => {
  it('from the YAML file: names the key and the file, suggests the near miss', () => {
    const file = temp.write('typo.yaml', 'rest:\n  prot: 9000\n');
    const error = loadError({ file, env: {} });
    expect(error.code).toBe('SLUICE_CONFIG');
    expect(only(error.problems)).toEqual({
      key: 'rest.prot',
      source: `file ${file}`,
      message: "unknown key; did you mean 'rest.port'?",
    });
    expect(error.message).toContain(`rest.prot (file ${file}): unknown key; did you mean 'rest.port'?`);
  });

  it('from overrides: wrong case and a bare last segment still find the key', () => {
    const error = loadError({
      env: {},
      overrides: { 'taskmanager.numberoftaskslots': 2, numberOfTaskSlots: 3 },
    });
    expect(error.problems).toEqual([
      {
        key: 'taskmanager.numberoftaskslots',
        source: 'override',
        message: "unknown key; did you mean 'taskmanager.numberOfTaskSlots'?",
      },
      {
        key: 'numberOfTaskSlots',
        source: 'override',
        message: "unknown key; did you mean 'taskmanager.numberOfTaskSlots'?",
      },
    ]);
  });

  it('from the environment: suggests the variable name and its key', () => {
    const error = loadError({ env: { SLUICE_REST_PROT: '1', SLUICE_HEARTBEAT_INTERVALL: '5' } });
    expect(error.problems).toEqual([
      {
        key: 'SLUICE_REST_PROT',
        source: 'environment',
        message:
          'unknown variable (neither a config key nor reserved); did you mean SLUICE_REST_PORT (rest.port)?',
      },
      {
        key: 'SLUICE_HEARTBEAT_INTERVALL',
        source: 'environment',
        message:
          'unknown variable (neither a config key nor reserved); did you mean SLUICE_HEARTBEAT_INTERVAL (heartbeat.interval)?',
      },
    ]);
  });

  it('does not mistake inherited object properties for keys', () => {
    const file = temp.write('proto.yaml', 'constructor: 1\ntoString: 2\n');
    const error = loadError({ file, env: {} });
    expect(error.problems.map((p) => p.key)).toEqual(['constructor', 'toString']);
  });

  it('offers no suggestion when nothing is close', () => {
    const error = loadError({ env: {}, overrides: { 'completely.unrelated.thing': 1 } });
    expect(only(error.problems).message).toBe('unknown key');
  });
});

describe('invalid values', () => {
  it('name the key, the source and what was expected', () => {
    const file = temp.write('bad.yaml', 'pipeline:\n  max-parallelism: 40000\n');
    const error = loadError({
      file,
      env: { SLUICE_REST_PORT: 'http' },
      overrides: { 'execution.buffer-timeout': '10 parsecs' },
    });
    expect(error.problems).toEqual([
      {
        key: 'pipeline.max-parallelism',
        source: `file ${file}`,
        message: 'invalid value 40000: above the maximum 32768; expected an integer between 1 and 32768',
      },
      {
        key: 'execution.buffer-timeout',
        source: 'override',
        message: expect.stringMatching(
          /^invalid value '10 parsecs': unknown unit 'parsecs' \(use ms, s, min, h, d\); expected a duration/,
        ),
      },
      {
        key: 'rest.port',
        source: 'environment variable SLUICE_REST_PORT',
        message: "invalid value 'http': not a number; expected a port number between 0 and 65535",
      },
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    ['parallelism.default', 0, /below the minimum 1/],
    ['parallelism.default', '1.5', /not a whole number/],
    ['pipeline.operator-chaining', 'yes', /invalid value 'yes': not true or false; expected true or false/],
    ['execution.exchange', 'kafka', /invalid value 'kafka': not one of tcp, sqs/],
    ['taskmanager.cpu.cores', 0, /must be greater than 0/],
    ['taskmanager.memory.heap.size', '100 kb', /whole number of MBs/],
    ['taskmanager.network.buffer-size', 100, /below the minimum 1024/],
    ['taskmanager.host', '', /expected a non-empty string/],
    ['heartbeat.interval', 0, /below the minimum 1/],
    ['high-availability.redis.url', 'http://127.0.0.1:6379', /scheme 'http:' not allowed/],
    ['high-availability.redis.url', 'not a url', /not a valid URL/],
    ['s3.bucket', 'My_Bucket', /expected an S3 bucket name/],
    ['s3.bucket', 'ab', /3 to 63 characters/],
    ['s3.bucket', '192.168.1.1', /IP address/],
    ['s3.prefix', '/abs', /must not start with '\/'/],
    ['s3.prefix', 'a/../b', /must not contain '\.\.'/],
    ['s3.endpoint', 'ftp://x', /scheme 'ftp:' not allowed/],
    ['sqs.queue-prefix', 'has space', /letters, digits/],
    ['restart-strategy.exponential-delay.backoff-multiplier', 0.5, /below the minimum 1/],
    ['rest.address', ['a'], /invalid value a list/],
    ['rest.address', { a: 1 }, /invalid value a map/],
  ])('%s = %p is rejected', (key, value, message) => {
    const problem = only(loadError({ env: {}, overrides: { [key]: value } }).problems);
    expect(problem.key).toBe(key);
    expect(problem.source).toBe('override');
    expect(problem.message).toMatch(message);
  });

  it('accepts the valid forms of the string-checked keys', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        's3.bucket': 'my-bucket.data-1',
        's3.prefix': 'team/a/',
        's3.endpoint': 'http://127.0.0.1:4566',
        'high-availability.type': 'redis',
        'high-availability.redis.url': 'rediss://:pw@127.0.0.1:6380/2',
        'high-availability.redis.key-prefix': 'app:sluice',
        'storage.type': 's3',
      },
    });
    expect(config['s3.bucket']).toBe('my-bucket.data-1');
    expect(config['high-availability.redis.url']).toBe('rediss://:pw@127.0.0.1:6380/2');
  });
});

describe('all problems at once', () => {
  it('reports problems from every source together, not just the first', () => {
    const file = temp.write('many.yaml', 'rest.port: -1\nheartbeat:\n  intervall: 5\nstate.backend: rocks\n');
    const error = loadError({
      file,
      env: { SLUICE_PARALLELISM_DEFAULT: 'many', SLUICE_NOPE: 'x' },
      overrides: { 'taskmanager.memory.heap.size': 'big', 'storage.type': 's3' },
    });
    expect(error.problems.map((p) => p.key).sort()).toEqual(
      [
        'SLUICE_NOPE',
        'heartbeat.intervall',
        'parallelism.default',
        'rest.port',
        's3.bucket',
        'state.backend',
        'taskmanager.memory.heap.size',
      ].sort(),
    );
    expect(error.message).toMatch(/^invalid configuration \(7 problems\):\n/);
    expect(error.message.split('\n')).toHaveLength(8);
  });
});

describe('cross-key checks', () => {
  it('storage.type=s3 requires s3.bucket', () => {
    const problem = only(loadError({ env: { SLUICE_STORAGE_TYPE: 's3' } }).problems);
    expect(problem).toEqual({
      key: 's3.bucket',
      source: 'default; storage.type from environment variable SLUICE_STORAGE_TYPE',
      message: 'required when storage.type is s3',
    });
    expect(loadConfig({ env: { SLUICE_STORAGE_TYPE: 's3', SLUICE_S3_BUCKET: 'bkt' } })['s3.bucket']).toBe(
      'bkt',
    );
  });

  it('high-availability.type=redis requires high-availability.redis.url', () => {
    const file = temp.write('ha.yaml', 'high-availability:\n  type: redis\n');
    const problem = only(loadError({ file, env: {} }).problems);
    expect(problem.key).toBe('high-availability.redis.url');
    expect(problem.source).toBe(`default; high-availability.type from file ${file}`);
    expect(problem.message).toBe('required when high-availability.type is redis');
  });

  it('heartbeat.timeout must exceed heartbeat.interval', () => {
    const problem = only(loadError({ env: {}, overrides: { 'heartbeat.interval': '5 s' } }).problems);
    expect(problem.key).toBe('heartbeat.timeout');
    expect(problem.message).toBe('must be greater than heartbeat.interval (5000 ms <= 5000 ms)');
    expect(
      loadConfig({ env: {}, overrides: { 'heartbeat.interval': '5 s', 'heartbeat.timeout': '6 s' } })[
        'heartbeat.timeout'
      ],
    ).toBe(6000);
  });

  it('leader election: renew deadline below lease duration, retry period below renew deadline', () => {
    const LEASE = 'high-availability.redis.leader-election.lease-duration';
    const DEADLINE = 'high-availability.redis.leader-election.renew-deadline';
    const RETRY = 'high-availability.redis.leader-election.retry-period';
    const late = only(loadError({ env: {}, overrides: { [LEASE]: '10 s' } }).problems);
    expect(late.key).toBe(DEADLINE);
    expect(late.message).toContain(`must be less than ${LEASE}`);
    const slow = only(loadError({ env: {}, overrides: { [RETRY]: '10 s' } }).problems);
    expect(slow.key).toBe(RETRY);
    expect(slow.message).toContain(`must be less than ${DEADLINE}`);
    const fast = loadConfig({ env: {}, overrides: { [LEASE]: '3 s', [DEADLINE]: '2 s', [RETRY]: '500 ms' } });
    expect([fast[LEASE], fast[DEADLINE], fast[RETRY]]).toEqual([3000, 2000, 500]);
  });

  it('exponential max-backoff must not be below initial-backoff', () => {
    const problem = only(
      loadError({ env: {}, overrides: { 'restart-strategy.exponential-delay.max-backoff': 10 } }).problems,
    );
    expect(problem.key).toBe('restart-strategy.exponential-delay.max-backoff');
  });

  it('are skipped when an involved key is itself invalid, so only the real cause is reported', () => {
    const problem = only(loadError({ env: {}, overrides: { 'heartbeat.interval': 'soon' } }).problems);
    expect(problem.key).toBe('heartbeat.interval');
  });

  it('apply to withOverrides too', () => {
    expect(() => withOverrides(defaultConfig(), { 'storage.type': 's3' })).toThrow(
      /s3\.bucket .*required when storage\.type is s3/,
    );
  });
});

describe('secrets', () => {
  it('never echo secret values in errors', () => {
    const file = temp.write('secret.yaml', 's3:\n  secret-key: [hunter2-in-a-list]\n');
    const error = loadError({
      file,
      env: { SLUICE_S3_ACCESS_KEY: '', SLUICE_REST_TOKEN: '' },
      overrides: { 's3.access-key': { id: 'AKIASECRETVALUE' }, 'rest.token': 12.5e400 },
    });
    expect(error.problems.map((p) => p.key).sort()).toEqual(['rest.token', 's3.access-key', 's3.secret-key']);
    for (const problem of error.problems) expect(problem.message).toContain('invalid value ***:');
    expect(error.message).not.toMatch(/hunter2|AKIASECRETVALUE|Infinity/);
  });

  it('mask the password of a URL in errors', () => {
    const error = loadError({
      env: { SLUICE_HIGH_AVAILABILITY_REDIS_URL: 'redis://user:s3cr3t@127.0.0.1:notaport' },
    });
    expect(error.message).toContain("invalid value 'redis://user:***@127.0.0.1:notaport'");
    expect(error.message).not.toContain('s3cr3t');
  });

  it('do not leak through YAML syntax errors, which quote the broken line', () => {
    const file = temp.write('broken.yaml', 's3.secret-key: "hunter2\nrest.port: 1\n');
    const error = loadError({ file, env: {} });
    expect(only(error.problems).message).toMatch(/^invalid YAML/);
    expect(error.message).not.toContain('hunter2');
  });
});
