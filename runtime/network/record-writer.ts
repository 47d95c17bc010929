import type { Collector } from '../api/functions';
import type { KeySelector } from '../api/functions';
import type { PartitionerKind } from '../api/transformation';
import { keyGroupForKey, subtaskForKeyGroup } from '../graph/key-groups';
import type { OutputChannel } from './output-channel';

/**
 * Writes an operator's records to the channels of one outgoing job edge, choosing channels by
 * the edge's partitioner: forward (the one channel), rebalance (round robin), hash (by key
 * group of the consumer), broadcast (all).
 */
export class RecordWriter implements Collector<unknown> {
  recordsOut = 0;
  private nextChannel: number;

  constructor(
    private readonly channels: readonly OutputChannel[],
    private readonly partitioner: PartitionerKind,
    private readonly keySelector: KeySelector<unknown, unknown> | undefined,
    private readonly consumerMaxParallelism: number,
    producerSubtask: number,
  ) {
    // Start round robin at a different channel per producer so consumers fill evenly.
    this.nextChannel = producerSubtask % Math.max(1, channels.length);
  }

  collect(record: unknown): void {
    this.recordsOut++;
    const channels = this.channels;
    switch (this.partitioner) {
      case 'forward':
        channels[0]!.add(record);
        return;
      case 'rebalance':
        channels[this.nextChannel]!.add(record);
        this.nextChannel = (this.nextChannel + 1) % channels.length;
        return;
      case 'hash': {
        const keyGroup = keyGroupForKey(this.keySelector!(record), this.consumerMaxParallelism);
        channels[subtaskForKeyGroup(keyGroup, channels.length, this.consumerMaxParallelism)]!.add(record);
        return;
      }
      case 'broadcast':
        for (const channel of channels) channel.add(record);
        return;
    }
  }
}
