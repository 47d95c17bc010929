import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { defaultConfig, withOverrides } from '../../../runtime/config';
import { InvalidJobError } from '../../../runtime/errors';
import { jobSettingsSchema } from '../../../runtime/graph/job-graph-schema';
import { stateSettingsFrom, taskStateSettings } from '../../../runtime/state/state-backend-factory';

describe('state settings', () => {
  it('come from the config: backend, local directory, kv cache from managed memory per slot', () => {
    const defaults = stateSettingsFrom(defaultConfig());
    expect(defaults.backend).toBe('heap');
    expect(defaults.localDir).toBe(join(tmpdir(), 'sluice-state'));
    const config = withOverrides(defaultConfig(), {
      'state.backend': 'kv',
      'state.kv.local-dir': '/var/sluice/state',
      'taskmanager.memory.managed.size': '64mb',
      'taskmanager.numberOfTaskSlots': '4',
    });
    expect(stateSettingsFrom(config)).toEqual({
      backend: 'kv',
      localDir: '/var/sluice/state',
      kvCacheBytes: (64 * 1024 * 1024) / 4,
    });
  });

  it('refuse an unknown backend in the config, naming the choices', () => {
    expect(() => withOverrides(defaultConfig(), { 'state.backend': 'rocksdb' })).toThrow(/heap.*kv/);
  });

  it('give every task attempt a fresh directory under the local directory', () => {
    const settings = stateSettingsFrom(defaultConfig());
    const task = { jobId: 'j1', attempt: 0, vertexId: 'v1', subtaskIndex: 2 };
    const a = taskStateSettings(settings, task);
    const b = taskStateSettings(settings, task);
    expect(a.taskDir.startsWith(join(settings.localDir, 'j1-v1-2-a0-'))).toBe(true);
    expect(a.taskDir).not.toBe(b.taskDir);
  });

  it('let a job choose its backend, and refuse anything else', () => {
    const env = new StreamExecutionEnvironment();
    expect(env.setStateBackend('kv').getSettings().stateBackend).toBe('kv');
    expect(() => env.setStateBackend('rocksdb' as never)).toThrow(InvalidJobError);
    expect(jobSettingsSchema.safeParse({ ...env.getSettings(), stateBackend: 'heap' }).success).toBe(true);
    expect(jobSettingsSchema.safeParse({ ...env.getSettings(), stateBackend: 'rocksdb' }).success).toBe(
      false,
    );
  });
});
