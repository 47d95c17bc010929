import os from 'node:os';
import {
  intType,
  memoryBytesType,
  memoryMbType,
  numberType,
  optionalType,
  portType,
  durationType,
  stringType,
} from './option-types';
import { defineOption } from './schema';

/** A TaskManager's slots, resource profile and network stack (docs/architecture.md §4, §5). */
export const TASKMANAGER_OPTIONS = {
  'taskmanager.numberOfTaskSlots': defineOption({
    type: intType({ min: 1 }),
    deriveDefault: () => os.availableParallelism(),
    defaultDoc: 'number of CPUs',
    description: 'Task slots this TaskManager offers.',
  }),
  'taskmanager.cpu.cores': defineOption({
    type: numberType({ exclusiveMin: 0 }),
    deriveDefault: (resolved) => resolved['taskmanager.numberOfTaskSlots'] as number,
    defaultDoc: 'same as `taskmanager.numberOfTaskSlots`',
    description: 'CPU cores in the resource profile, shared out to the slots.',
  }),
  'taskmanager.memory.heap.size': defineOption({
    type: memoryMbType(),
    default: 1024,
    description: 'JavaScript heap for task threads (worker_threads resourceLimits).',
  }),
  'taskmanager.memory.direct.size': defineOption({
    type: memoryMbType(),
    default: 128,
    description: 'Off-heap buffer memory in the resource profile.',
  }),
  'taskmanager.memory.native.size': defineOption({
    type: memoryMbType(),
    default: 128,
    description: 'Native memory (addons, thread stacks) in the resource profile.',
  }),
  'taskmanager.memory.network.size': defineOption({
    type: memoryMbType(),
    default: 64,
    description: 'Memory for exchange buffers; with the buffer size it sets how many there are.',
  }),
  'taskmanager.memory.managed.size': defineOption({
    type: memoryMbType(),
    default: 128,
    description:
      "Managed memory; per slot it bounds the kv state backend's cache of decoded values in the heap.",
  }),
  'taskmanager.host': defineOption({
    type: stringType({ nonEmpty: true }),
    default: '127.0.0.1',
    description:
      "Address other TaskManagers use to reach the data port; 'auto' picks this machine's first non-loopback IPv4 address.",
  }),
  'taskmanager.data.port': defineOption({
    type: portType(),
    default: 0,
    description: 'Port of the data (exchange) server; 0 picks any free port.',
  }),
  'taskmanager.network.buffers-per-channel': defineOption({
    type: intType({ min: 1 }),
    // 8 (was 4): across TaskManagers a credit takes four thread hops and a socket to come back;
    // with 4 the producers waited for it (the keyed word count ran ~1.5x slower, bench data-plane).
    // Flink grants 2 per channel plus 8 floating per gate, about as much for few channels.
    default: 8,
    description: 'Buffers a receiver grants each input channel up front (initial credit).',
  }),
  'taskmanager.network.buffer-size': defineOption({
    type: memoryBytesType({ min: 1024 }),
    default: 32768,
    description: 'Size of one network buffer; a bare number is bytes.',
  }),
  'taskmanager.job-id': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    description:
      'Per-job mode: the job this TaskManager was started for; its id then starts with job-<jobId>-.',
  }),
  'task.cancellation.interval': defineOption({
    type: durationType({ min: 1 }),
    default: 30_000,
    description: 'How long a canceled task may take to stop by itself before its thread is terminated.',
  }),
  'task.cancellation.timeout': defineOption({
    type: durationType({ min: 0 }),
    default: 180_000,
    description:
      'A task thread alive this long after it was terminated (stuck in native code) ends the TaskManager; 0: never.',
  }),
  'taskmanager.id': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    defaultDoc: '(generated)',
    description: 'Resource id of this TaskManager; generated at start when unset.',
  }),
};
