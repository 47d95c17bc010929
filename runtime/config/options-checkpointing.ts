import { durationType, enumType, intType, optionalType, stringType } from './option-types';
import { defineOption } from './schema';

/** Checkpointing (docs/architecture.md §6), with Flink's defaults, and the state backend. */
export const CHECKPOINTING_OPTIONS = {
  'execution.checkpointing.interval': defineOption({
    type: optionalType(durationType({ min: 1 })),
    default: undefined,
    defaultDoc: '(disabled)',
    description:
      'Time between periodic checkpoints; setting it turns checkpointing on (a job may set it itself).',
  }),
  'execution.checkpointing.mode': defineOption({
    type: enumType(['exactly-once', 'at-least-once']),
    default: 'exactly-once',
    description: 'exactly-once aligns barriers across input channels; at-least-once skips alignment.',
  }),
  'execution.checkpointing.timeout': defineOption({
    type: durationType({ min: 1 }),
    default: 600_000,
    description: 'A checkpoint not completed within this time is aborted.',
  }),
  'execution.checkpointing.min-pause': defineOption({
    type: durationType(),
    default: 0,
    description: 'Least time between the end of one checkpoint and the start of the next.',
  }),
  'execution.checkpointing.max-concurrent-checkpoints': defineOption({
    type: intType({ min: 1 }),
    default: 1,
    description: 'How many checkpoints may be in progress at once.',
  }),
  'execution.checkpointing.tolerable-failed-checkpoints': defineOption({
    type: intType({ min: 0 }),
    default: 0,
    description:
      'Consecutive checkpoint failures tolerated before the job fails over (a failed savepoint does not count).',
  }),
  'execution.checkpointing.externalized-checkpoint-retention': defineOption({
    type: enumType(['delete-on-cancellation', 'retain-on-cancellation']),
    default: 'delete-on-cancellation',
    description: 'Whether completed checkpoints are kept when the job is cancelled.',
  }),
  'state.checkpoints.num-retained': defineOption({
    type: intType({ min: 1 }),
    default: 1,
    description: 'Completed checkpoints kept; older ones are pruned (savepoints never are).',
  }),
  'state.savepoints.dir': defineOption({
    type: stringType({ nonEmpty: true }),
    default: 'savepoints',
    description:
      'Default target directory of savepoints: savepoints/ or a folder below it in the blob store.',
  }),
  'state.backend': defineOption({
    type: enumType(['heap', 'kv']),
    default: 'heap',
    description:
      'Keyed state: heap (hash maps) or kv (LMDB on local disk, can exceed the heap); jobs may override.',
  }),
  // Not `state.backend.kv.*`: a nested YAML file could not hold both `state.backend` and it.
  'state.kv.local-dir': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    defaultDoc: '(os temp dir)/sluice-state',
    description:
      "TaskManager-local directory of the kv backend's files; a subdirectory per task, removed at its end.",
  }),
};
