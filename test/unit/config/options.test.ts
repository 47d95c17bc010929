import { ConfigError } from '../../../runtime/errors';
import { CONFIG_OPTIONS, RESERVED_ENV_VARS } from '../../../runtime/config/options';
import { buildEnvIndex, envNameForKey } from '../../../runtime/config/schema';
import type { ConfigOption } from '../../../runtime/config/schema';
import { editDistance, suggestClosest } from '../../../runtime/config/suggest';
import { defaultConfig } from '../../../runtime/config/load-config';
import { redactConfig } from '../../../runtime/config/redact';
import { withOverrides } from '../../../runtime/config/load-config';

const OPTIONS = Object.entries(CONFIG_OPTIONS as Readonly<Record<string, ConfigOption<unknown>>>);

describe('the declarations', () => {
  it('use Flink-style dotted names and have a one-line description', () => {
    for (const [key, option] of OPTIONS) {
      expect(key).toMatch(/^[a-z][a-z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/);
      expect(option.description).toMatch(/^[^\n]{10,120}$/);
    }
  });

  it('have defaults that pass their own schema', () => {
    const defaults = defaultConfig() as Record<string, unknown>;
    for (const [key, option] of OPTIONS) {
      const result = option.type.schema.safeParse(defaults[key]);
      expect({ key, ok: result.success }).toEqual({ key, ok: true });
      if (result.success) expect(result.data).toEqual(defaults[key]);
    }
  });

  it('map to distinct environment variable names that avoid the reserved ones', () => {
    const index = buildEnvIndex(Object.keys(CONFIG_OPTIONS), RESERVED_ENV_VARS);
    expect(index.size).toBe(OPTIONS.length);
    expect(index.get('SLUICE_TASKMANAGER_MEMORY_HEAP_SIZE')).toBe('taskmanager.memory.heap.size');
    expect(index.get('SLUICE_RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS')).toBe(
      'restart-strategy.fixed-delay.attempts',
    );
    expect(envNameForKey('taskmanager.numberOfTaskSlots')).toBe('SLUICE_TASKMANAGER_NUMBEROFTASKSLOTS');
  });

  it('the env index refuses ambiguous keys', () => {
    expect(() => buildEnvIndex(['a.b-c', 'a-b.c'], [])).toThrow(ConfigError);
    expect(() => buildEnvIndex(['a.b-c', 'a-b.c'], [])).toThrow(
      "'a-b.c' and 'a.b-c' both map to SLUICE_A_B_C",
    );
    expect(() => buildEnvIndex(['rest.url'], ['SLUICE_REST_URL'])).toThrow(
      /the reserved variable SLUICE_REST_URL/,
    );
  });
});

describe('suggestions', () => {
  const keys = Object.keys(CONFIG_OPTIONS);

  it('find typos, swapped letters, wrong separators and case', () => {
    expect(suggestClosest('rest.prot', keys)).toBe('rest.port');
    expect(suggestClosest('taskmanager.memory.heap-size', keys)).toBe('taskmanager.memory.heap.size');
    expect(suggestClosest('PIPELINE.MAX-PARALLELISM', keys)).toBe('pipeline.max-parallelism');
    expect(suggestClosest('numberOfTaskSlots', keys)).toBe('taskmanager.numberOfTaskSlots');
    expect(suggestClosest('s3.endpint', keys)).toBe('s3.endpoint');
  });

  it('stay quiet when nothing is close', () => {
    expect(suggestClosest('kafka.bootstrap.servers', keys)).toBeUndefined();
    expect(suggestClosest('xyz', keys)).toBeUndefined();
  });

  it('count a transposition as one edit', () => {
    expect(editDistance('port', 'prot')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('redactConfig', () => {
  it('masks secrets and URL passwords, keeps everything else', () => {
    const config = withOverrides(defaultConfig(), {
      'rest.token': 'tok-123',
      's3.secret-key': 'shh',
      'high-availability.redis.url': 'redis://default:pw@127.0.0.1:6379',
    });
    const redacted = redactConfig(config);
    expect(redacted['rest.token']).toBe('***');
    expect(redacted['s3.secret-key']).toBe('***');
    expect(redacted['s3.access-key']).toBeUndefined();
    expect(redacted['high-availability.redis.url']).toBe('redis://default:***@127.0.0.1:6379');
    expect(redacted['rest.port']).toBe(8081);
    expect(JSON.stringify(redacted)).not.toMatch(/tok-123|shh|:pw@/);
  });
});
