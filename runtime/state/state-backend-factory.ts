import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config';
import type { KeyGroupRange } from '../graph/key-groups';
import { HeapKeyedStateBackend } from './heap/heap-keyed-state-backend';
import type { KeyedStateBackend, StateBackendKind } from './keyed-state-backend';
import { KvKeyedStateBackend } from './kv/kv-keyed-state-backend';

/** A TaskManager's state settings, from its config. */
export interface StateSettings {
  /** `state.backend`: the backend of jobs that do not choose one. */
  readonly backend: StateBackendKind;
  /** `state.kv.local-dir`: where tasks keep kv state files. */
  readonly localDir: string;
  /** Bytes of decoded values the kv backend caches in the heap (managed memory per slot). */
  readonly kvCacheBytes: number;
}

/** What one task needs to create its operators' keyed state backends. */
export interface TaskStateSettings extends StateSettings {
  /** This task's own directory under `localDir`; removed when the task ends. */
  readonly taskDir: string;
}

export function stateSettingsFrom(config: ResolvedConfig): StateSettings {
  const managedBytes = config['taskmanager.memory.managed.size'] * 1024 * 1024;
  const perSlot = managedBytes / Math.max(1, config['taskmanager.numberOfTaskSlots'] ?? 1);
  return {
    backend: config['state.backend'],
    localDir: config['state.kv.local-dir'] ?? join(tmpdir(), 'sluice-state'),
    kvCacheBytes: Math.floor(perSlot),
  };
}

/**
 * A fresh directory name for one task attempt. The random part keeps a later attempt (or a
 * leftover of a killed process) from ever opening another attempt's files.
 */
export function taskStateSettings(
  settings: StateSettings,
  task: { jobId: string; attempt: number; vertexId: string; subtaskIndex: number },
): TaskStateSettings {
  const name = `${task.jobId}-${task.vertexId}-${task.subtaskIndex}-a${task.attempt}-${randomBytes(4).toString('hex')}`;
  return { ...settings, taskDir: join(settings.localDir, name) };
}

export interface KeyedBackendParams {
  readonly operatorId: string;
  readonly operatorName: string;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
}

/** The keyed state backend of one operator of a task: the job's choice, else the TaskManager's. */
export function createKeyedStateBackend(
  kind: StateBackendKind | undefined,
  settings: TaskStateSettings,
  params: KeyedBackendParams,
): KeyedStateBackend {
  const { maxParallelism, keyGroupRange, operatorName, operatorId } = params;
  if ((kind ?? settings.backend) === 'heap')
    return new HeapKeyedStateBackend(maxParallelism, keyGroupRange, operatorName);
  return new KvKeyedStateBackend(
    maxParallelism,
    keyGroupRange,
    operatorName,
    join(settings.taskDir, operatorId),
    settings.kvCacheBytes,
  );
}
