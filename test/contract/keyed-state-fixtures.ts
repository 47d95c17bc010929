import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyGroupRangeForSubtask } from '../../runtime/graph/key-groups';
import type { KeyedStateBackend, StateBackendKind } from '../../runtime/state/keyed-state-backend';
import type { TaskStateSettings } from '../../runtime/state/state-backend-factory';
import { createKeyedStateBackend } from '../../runtime/state/state-backend-factory';

/** A backend kind with the settings a test creates it with. */
export interface BackendVariant {
  readonly name: string;
  readonly kind: StateBackendKind;
  /** Small buffers make the kv backend commit (and read back) on almost every access. */
  readonly kvCacheBytes: number;
}

export const BACKEND_VARIANTS: readonly BackendVariant[] = [
  { name: 'heap', kind: 'heap', kvCacheBytes: 1024 * 1024 },
  { name: 'kv', kind: 'kv', kvCacheBytes: 1024 * 1024 },
  // A cache of a few entries: commits and evictions happen every few records.
  { name: 'kv with a 2 KiB cache', kind: 'kv', kvCacheBytes: 2048 },
];

export const MAX_PARALLELISM = 128;

/** Creates backends under one temporary directory and disposes them all at the end. */
export class BackendFactory {
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-state-test-'));
  private readonly created: KeyedStateBackend[] = [];
  private counter = 0;

  create(
    variant: Pick<BackendVariant, 'kind' | 'kvCacheBytes'>,
    subtask = 0,
    parallelism = 1,
  ): KeyedStateBackend {
    const settings: TaskStateSettings = {
      backend: 'heap',
      localDir: this.dir,
      taskDir: join(this.dir, `task-${++this.counter}`),
      kvCacheBytes: variant.kvCacheBytes,
    };
    const backend = createKeyedStateBackend(variant.kind, settings, {
      operatorId: 'op1',
      operatorName: 'test-op',
      maxParallelism: MAX_PARALLELISM,
      keyGroupRange: keyGroupRangeForSubtask(MAX_PARALLELISM, parallelism, subtask),
    });
    this.created.push(backend);
    return backend;
  }

  async disposeAll(): Promise<void> {
    await Promise.all(this.created.map((b) => b.dispose()));
    this.created.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
