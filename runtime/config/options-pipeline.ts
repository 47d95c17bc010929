import { booleanType, durationType, enumType, intType } from './option-types';
import { defineOption } from './schema';

/** Job defaults: parallelism, chaining, buffering, exchange and where TaskManagers come from. */
export const PIPELINE_OPTIONS = {
  'parallelism.default': defineOption({
    type: intType({ min: 1 }),
    default: 1,
    description: 'Parallelism of operators that set none themselves.',
  }),
  'pipeline.max-parallelism': defineOption({
    type: intType({ min: 1, max: 32768 }),
    default: 128,
    description: 'Number of key groups: the upper bound for rescaling keyed state.',
  }),
  'pipeline.operator-chaining': defineOption({
    type: booleanType(),
    default: true,
    description: 'Fuse operators connected by forward edges into one task (one thread, no serialization).',
  }),
  'pipeline.two-input-chaining': defineOption({
    type: booleanType(),
    default: true,
    description: 'Let a two-input operator sit inside a chain, so a chain becomes a small DAG.',
  }),
  'execution.buffer-timeout': defineOption({
    type: durationType(),
    default: 100,
    description: 'Flush a partly filled network buffer after this long; 0 flushes every record.',
  }),
  'execution.exchange': defineOption({
    type: enumType(['tcp', 'sqs']),
    default: 'tcp',
    description: 'Transport between TaskManagers: direct TCP connections or SQS queues.',
  }),
  'execution.target': defineOption({
    type: enumType(['embedded', 'session', 'per-job']),
    default: 'session',
    description: 'How the job manager gets TaskManagers: in-process, started up front, or started per job.',
  }),
};
