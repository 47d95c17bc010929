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
  readonly kvWriteBufferEntries: number;
}

export const BACKEND_VARIANTS: readonly BackendVariant[] = [
  { name: 'heap', kind: 'heap', kvWriteBufferEntries: 1024 },
  { name: 'kv', kind: 'kv', kvWriteBufferEntries: 1024 },
  { name: 'kv with a 2-entry write buffer', kind: 'kv', kvWriteBufferEntries: 2 },
];

export const MAX_PARALLELISM = 128;

/** Creates backends under one temporary directory and disposes them all at the end. */
export class BackendFactory {
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-state-test-'));
  private readonly created: KeyedStateBackend[] = [];
  private counter = 0;

  create(
    variant: Pick<BackendVariant, 'kind' | 'kvWriteBufferEntries'>,
    subtask = 0,
    parallelism = 1,
  ): KeyedStateBackend {
    const settings: TaskStateSettings = {
      backend: 'heap',
      localDir: this.dir,
      taskDir: join(this.dir, `task-${++this.counter}`),
      kvWriteBufferEntries: variant.kvWriteBufferEntries,
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
