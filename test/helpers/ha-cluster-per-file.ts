/**
 * The setup the HA integration tests share: one HaCluster per test file, with the test lease
 * timings, started before the file's tests and stopped after them, and a directory for the
 * file sink's output. Kept apart from ha-cluster.ts, which the chaos suite runs outside Jest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigKey } from '../../runtime/config';
import { HaCluster, TEST_LEASE_CONFIG } from './ha-cluster';

export interface HaClusterOfFile {
  readonly cluster: HaCluster;
  /** An empty directory made for the file's output (removed after the file's tests). */
  readonly output: string;
}

/**
 * Registers `beforeAll`/`afterAll` hooks for a cluster with TEST_LEASE_CONFIG plus `overrides`;
 * read `cluster` and `output` inside the tests (they exist once `beforeAll` ran).
 */
export function haClusterPerFile(
  overrides: Partial<Record<ConfigKey, unknown>>,
  outputPrefix: string,
): HaClusterOfFile {
  let cluster: HaCluster | undefined;
  let output: string | undefined;
  beforeAll(async () => {
    cluster = await HaCluster.start({ ...TEST_LEASE_CONFIG, ...overrides });
    output = mkdtempSync(join(tmpdir(), outputPrefix));
  });
  afterAll(async () => {
    await cluster?.stop();
    if (output) rmSync(output, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the HA cluster starts in beforeAll: use it inside a test');
    return value;
  };
  return {
    get cluster() {
      return started(cluster);
    },
    get output() {
      return started(output);
    },
  };
}
