import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../runtime/errors';
import {
  defaultConfig,
  loadConfig,
  parseDynamicProperties,
  withOverrides,
} from '../../../runtime/config/load-config';
import { CONFIG_OPTIONS } from '../../../runtime/config/options';
import { TempYaml } from './temp-yaml';

let temp: TempYaml;
beforeEach(() => {
  temp = new TempYaml();
});
afterEach(() => temp.cleanup());

describe('defaults', () => {
  it('resolves every declared key to its default', () => {
    const config = defaultConfig();
    expect(Object.keys(config)).toEqual(Object.keys(CONFIG_OPTIONS));
    expect(config['parallelism.default']).toBe(1);
    expect(config['pipeline.max-parallelism']).toBe(128);
    expect(config['pipeline.operator-chaining']).toBe(true);
    expect(config['execution.buffer-timeout']).toBe(100);
    expect(config['execution.target']).toBe('session');
    expect(config['taskmanager.numberOfTaskSlots']).toBe(os.availableParallelism());
    expect(config['taskmanager.cpu.cores']).toBe(os.availableParallelism());
    expect(config['taskmanager.memory.heap.size']).toBe(1024);
    expect(config['taskmanager.network.buffer-size']).toBe(32768);
    expect(config['heartbeat.timeout']).toBe(5000);
    expect(config['slot.request.timeout']).toBe(300_000);
    expect(config['rest.max-body-size']).toBe(1_048_576);
    expect(config['restart-strategy.exponential-delay.backoff-multiplier']).toBe(2);
    expect(config['s3.prefix']).toBe('');
    expect(config['s3.bucket']).toBeUndefined();
    expect(config['taskmanager.id']).toBeUndefined();
  });

  it('loadConfig with no file and an empty environment equals the defaults', () => {
    expect(loadConfig({ env: {} })).toEqual(defaultConfig());
  });
});

describe('YAML file', () => {
  it('accepts nested maps and dotted keys, even mixed in one file', () => {
    const file = temp.write(
      'sluice.yaml',
      [
        'rest:',
        '  port: 9000',
        '  address: 0.0.0.0',
        'taskmanager.numberOfTaskSlots: 3',
        'taskmanager:',
        '  memory.heap.size: 2 gb',
        '  memory:',
        '    managed:',
        '      size: 256m',
        'execution.buffer-timeout: 10 s',
        'pipeline.operator-chaining: false',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ file, env: {} });
    expect(config['rest.port']).toBe(9000);
    expect(config['rest.address']).toBe('0.0.0.0');
    expect(config['taskmanager.numberOfTaskSlots']).toBe(3);
    expect(config['taskmanager.cpu.cores']).toBe(3);
    expect(config['taskmanager.memory.heap.size']).toBe(2048);
    expect(config['taskmanager.memory.managed.size']).toBe(256);
    expect(config['execution.buffer-timeout']).toBe(10_000);
    expect(config['pipeline.operator-chaining']).toBe(false);
  });

  it('resolves a relative path against cwd, and finds the file through SLUICE_CONFIG', () => {
    temp.write('conf.yaml', 'rest.port: 1234\n');
    expect(loadConfig({ file: 'conf.yaml', cwd: temp.dir, env: {} })['rest.port']).toBe(1234);
    const viaEnv = loadConfig({ cwd: temp.dir, env: { SLUICE_CONFIG: 'conf.yaml' } });
    expect(viaEnv['rest.port']).toBe(1234);
  });

  it('treats an empty file and keys without a value as "not set"', () => {
    expect(loadConfig({ file: temp.write('empty.yaml', '# nothing\n'), env: {} })).toEqual(defaultConfig());
    const file = temp.write('nulls.yaml', 'rest.port:\ns3.bucket: ~\n');
    const config = loadConfig({ file, env: {} });
    expect(config['rest.port']).toBe(8081);
    expect(config['s3.bucket']).toBeUndefined();
  });

  it('reports a missing file, bad YAML, a non-map document, and a key set twice', () => {
    const missing = path.join(temp.dir, 'missing.yaml');
    expect(() => loadConfig({ file: missing, env: {} })).toThrow(`(file ${missing}): file not found`);
    expect(() => loadConfig({ file: temp.write('bad.yaml', 'rest: [1,\n'), env: {} })).toThrow(
      /invalid YAML/,
    );
    expect(() => loadConfig({ file: temp.write('list.yaml', '- 1\n- 2\n'), env: {} })).toThrow(
      /top level must be a map/,
    );
    const twice = temp.write('twice.yaml', 'rest:\n  port: 1\nrest.port: 2\n');
    expect(() => loadConfig({ file: twice, env: {} })).toThrow(
      /rest\.port \(file .*twice\.yaml\): set more than once/,
    );
  });
});

describe('environment variables', () => {
  it('maps SLUICE_ + upper-cased key with . and - as _', () => {
    const config = loadConfig({
      env: {
        SLUICE_REST_PORT: '9999',
        SLUICE_TASKMANAGER_NUMBEROFTASKSLOTS: '6',
        SLUICE_PIPELINE_MAX_PARALLELISM: '256',
        SLUICE_PIPELINE_TWO_INPUT_CHAINING: 'FALSE',
        SLUICE_HEARTBEAT_INTERVAL: '2 s',
        SLUICE_HEARTBEAT_TIMEOUT: '10000',
        SLUICE_TASKMANAGER_CPU_CORES: '1.5',
        SLUICE_S3_ACCESS_KEY: '',
        PATH: '/usr/bin',
      },
    });
    expect(config['rest.port']).toBe(9999);
    expect(config['taskmanager.numberOfTaskSlots']).toBe(6);
    expect(config['pipeline.max-parallelism']).toBe(256);
    expect(config['pipeline.two-input-chaining']).toBe(false);
    expect(config['heartbeat.interval']).toBe(2000);
    expect(config['heartbeat.timeout']).toBe(10_000);
    expect(config['taskmanager.cpu.cores']).toBe(1.5);
    // An empty value clears an optional key rather than failing.
    expect(config['s3.access-key']).toBeUndefined();
  });

  it('ignores the reserved variables', () => {
    const env = {
      SLUICE_CONFIG: '',
      SLUICE_LOG_LEVEL: 'debug',
      SLUICE_TOKEN: 't',
      SLUICE_REST_URL: 'http://127.0.0.1:8081',
      SLUICE_TARGET: 'local',
    };
    expect(loadConfig({ env })).toEqual(defaultConfig());
  });
});

describe('precedence: defaults < file < env < overrides', () => {
  const file = (): string =>
    temp.write(
      'p.yaml',
      'rest.port: 1001\njobmanager.rpc.port: 1001\nheartbeat.interval: 1001\nslot.request.timeout: 1001\n',
    );

  it('lets each source override the ones below it, key by key', () => {
    const config = loadConfig({
      file: file(),
      env: {
        SLUICE_JOBMANAGER_RPC_PORT: '2002',
        SLUICE_HEARTBEAT_INTERVAL: '2002',
        SLUICE_REST_PORT: '2002',
      },
      overrides: { 'rest.port': 3003 },
    });
    expect(config['rest.port']).toBe(3003);
    expect(config['jobmanager.rpc.port']).toBe(2002);
    expect(config['heartbeat.interval']).toBe(2002);
    expect(config['slot.request.timeout']).toBe(1001);
    expect(config['rest.address']).toBe('127.0.0.1');
  });

  it('validates only the winning value, and ignores undefined overrides (unset CLI flags)', () => {
    const bad = temp.write('bad.yaml', 'rest.port: not-a-port\n');
    const config = loadConfig({
      file: bad,
      env: {},
      overrides: { 'rest.port': '7000', 'jobmanager.rpc.port': undefined },
    });
    expect(config['rest.port']).toBe(7000);
    expect(config['jobmanager.rpc.port']).toBe(6123);
  });

  it('takes -D pairs as overrides', () => {
    const overrides = parseDynamicProperties(['rest.port=4004', 's3.prefix=a=b/', 'rest.port=5005']);
    expect(overrides).toEqual({ 'rest.port': '5005', 's3.prefix': 'a=b/' });
    const config = loadConfig({ env: { SLUICE_REST_PORT: '2002' }, overrides });
    expect(config['rest.port']).toBe(5005);
    expect(config['s3.prefix']).toBe('a=b/');
  });

  it('rejects -D arguments without a key, all at once, without echoing values', () => {
    let caught: unknown;
    try {
      parseDynamicProperties(['no-equals-sign', '=hunter2', 'ok=1']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.problems.map((p) => p.key)).toEqual(['no-equals-sign', '(empty)']);
    expect(error.message).not.toContain('hunter2');
  });
});

describe('the resolved config', () => {
  it('is frozen', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as Record<string, unknown>)['rest.port'] = 1;
    }).toThrow(TypeError);
    expect(config['rest.port']).toBe(8081);
  });

  it('withOverrides returns a new frozen, validated config and leaves the original alone', () => {
    const base = loadConfig({ env: { SLUICE_TASKMANAGER_NUMBEROFTASKSLOTS: '2' } });
    const next = withOverrides(base, { 'rest.port': '0', 'taskmanager.numberOfTaskSlots': 8 });
    expect(next).not.toBe(base);
    expect(Object.isFrozen(next)).toBe(true);
    expect(next['rest.port']).toBe(0);
    expect(base['rest.port']).toBe(8081);
    // The derived default follows the new slot count.
    expect(next['taskmanager.cpu.cores']).toBe(8);
    expect(base['taskmanager.cpu.cores']).toBe(2);
    expect(() => withOverrides(base, { 'rest.port': 70000 })).toThrow(ConfigError);
    expect(() => withOverrides(base, { 'rest.prot': 1 })).toThrow(/did you mean 'rest\.port'/);
  });

  it('withOverrides keeps an explicitly set derived key, and works on a copied config', () => {
    const base = loadConfig({
      env: {},
      overrides: { 'taskmanager.numberOfTaskSlots': 2, 'taskmanager.cpu.cores': 1 },
    });
    expect(withOverrides(base, { 'taskmanager.numberOfTaskSlots': 4 })['taskmanager.cpu.cores']).toBe(1);
    const copy = structuredClone(base);
    const fromCopy = withOverrides(copy, { 'rest.port': 1 });
    expect(fromCopy['rest.port']).toBe(1);
    expect(fromCopy['taskmanager.cpu.cores']).toBe(1);
  });
});
