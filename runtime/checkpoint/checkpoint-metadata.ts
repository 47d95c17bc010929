import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CheckpointCorruptError } from '../errors';
import type { CheckpointingMode } from './checkpointing-mode';
import type { CheckpointSummaryStats } from './checkpoint-stats';

/**
 * A completed checkpoint's `_metadata` (docs/architecture.md §7): readable JSON, written last,
 * naming every state object by its path relative to `chk-<n>/`. `checksum` is the hex SHA-256
 * of the compact JSON of every other field (in this order), so a torn or edited file is
 * refused instead of restoring wrong state.
 */
export const METADATA_FORMAT = 'sluice-checkpoint';
export const METADATA_VERSION = 1;

export interface StateObjectRef {
  /** Relative to the checkpoint's directory. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** The names of the states in the object (for a person reading the file; restore ignores them). */
  readonly states?: readonly string[];
}

export interface SubtaskStateMetadata {
  readonly subtask: number;
  readonly keyed?: StateObjectRef & {
    readonly keyGroupRange: { readonly start: number; readonly end: number };
  };
  readonly operator?: StateObjectRef;
}

export interface OperatorStateMetadata {
  /** The operator id: its uid when the job set one. */
  readonly id: string;
  readonly uid?: string;
  readonly name: string;
  readonly vertexId: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Subtasks with state, in subtask order. */
  readonly subtasks: readonly SubtaskStateMetadata[];
}

export interface CheckpointMetadata {
  readonly format: typeof METADATA_FORMAT;
  readonly version: typeof METADATA_VERSION;
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  readonly kind: CheckpointSummaryStats['kind'];
  readonly trigger: CheckpointSummaryStats['trigger'];
  readonly triggerTimestamp: number;
  readonly completionTimestamp: number;
  readonly mode: CheckpointingMode;
  readonly graphHash: string;
  /** The Sluice release that wrote it. */
  readonly sluiceVersion?: string;
  readonly operators: readonly OperatorStateMetadata[];
  /** Bytes of every state object. */
  readonly stateSize: number;
  readonly checksum: string;
}

const objectRef = {
  path: z.string().min(1),
  bytes: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  states: z.array(z.string()).optional(),
};

const metadataSchema = z.strictObject({
  format: z.literal(METADATA_FORMAT),
  version: z.literal(METADATA_VERSION),
  jobId: z.string().min(1),
  jobName: z.string(),
  checkpointId: z.int().min(1),
  kind: z.enum(['checkpoint', 'savepoint']),
  trigger: z.enum(['periodic', 'manual', 'final', 'savepoint']),
  triggerTimestamp: z.number(),
  completionTimestamp: z.number(),
  mode: z.enum(['exactly-once', 'at-least-once']),
  graphHash: z.string(),
  sluiceVersion: z.string().optional(),
  operators: z.array(
    z.strictObject({
      id: z.string().min(1),
      uid: z.string().optional(),
      name: z.string(),
      vertexId: z.string(),
      parallelism: z.int().min(1),
      maxParallelism: z.int().min(1),
      subtasks: z.array(
        z.strictObject({
          subtask: z.int().min(0),
          keyed: z
            .strictObject({
              ...objectRef,
              keyGroupRange: z.strictObject({ start: z.int().min(0), end: z.int().min(-1) }),
            })
            .optional(),
          operator: z.strictObject(objectRef).optional(),
        }),
      ),
    }),
  ),
  stateSize: z.int().min(0),
  checksum: z.string(),
});

function checksumOf(fields: Omit<CheckpointMetadata, 'checksum'>): string {
  return createHash('sha256').update(JSON.stringify(fields), 'utf8').digest('hex');
}

/** The `_metadata` file's text for `fields`, with its checksum. */
export function encodeMetadata(fields: Omit<CheckpointMetadata, 'checksum'>): string {
  const { checksum: _ignored, ...rest } = fields as CheckpointMetadata;
  return `${JSON.stringify({ ...rest, checksum: checksumOf(rest) }, null, 2)}\n`;
}

/**
 * Parses and verifies a `_metadata` file read from `objectKey`.
 * @throws CheckpointCorruptError naming the object: not JSON, not this format, or a checksum mismatch.
 */
export function decodeMetadata(objectKey: string, bytes: Uint8Array): CheckpointMetadata {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new CheckpointCorruptError(objectKey, 'not valid JSON', { cause: err });
  }
  const parsed = metadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new CheckpointCorruptError(
      objectKey,
      `not a ${METADATA_FORMAT} v${METADATA_VERSION} file (${where}: ${issue?.message})`,
    );
  }
  // Recomputed over the fields as parsed: JSON.parse keeps their order.
  const { checksum, ...rest } = json as CheckpointMetadata;
  const actual = checksumOf(rest);
  if (actual !== checksum)
    throw new CheckpointCorruptError(objectKey, `checksum ${actual} does not match the recorded ${checksum}`);
  return parsed.data as CheckpointMetadata;
}
