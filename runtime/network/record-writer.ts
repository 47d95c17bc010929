import type { Collector } from '../api/functions';
import { customPartition } from '../api/partitioners';
import type { PartitionerKind } from '../api/transformation';
import type { StreamEdge } from '../graph/stream-graph';
import { keyGroupForKey, subtaskForKeyGroup } from '../graph/key-groups';
import type { RecordTimestamp } from '../api/operators/stream-operator';
import type { ChannelEvent } from './channel-protocol';
import type { OutputChannel } from './output-channel';

/**
 * Writes an operator's records to the channels of one outgoing job edge, choosing channels by
 * the edge's partitioner: forward (the one channel), rebalance and rescale (round robin over the
 * edge's channels: all consumers, or the pointwise subset), shuffle (at random), global
 * (consumer 0), hash (by key group of the consumer), broadcast (all), custom (the user's
 * function of the key).
 */
export type EdgeRouting = Pick<StreamEdge, 'keySelector' | 'customPartitioner'>;

export class RecordWriter implements Collector<unknown> {
  recordsOut = 0;
  private nextChannel: number;

  constructor(
    private readonly channels: readonly OutputChannel[],
    private readonly partitioner: PartitionerKind,
    private readonly routing: EdgeRouting | undefined,
    private readonly consumerMaxParallelism: number,
    producerSubtask: number,
    /** The timestamp of the record being emitted, shared with the producing chain. */
    private readonly timestamp: RecordTimestamp = { value: undefined },
  ) {
    // Start round robin at a different channel per producer so consumers fill evenly.
    this.nextChannel = producerSubtask % Math.max(1, channels.length);
  }

  collect(record: unknown): void {
    this.recordsOut++;
    const channels = this.channels;
    const timestamp = this.timestamp.value;
    switch (this.partitioner) {
      case 'forward':
        channels[0]!.add(record, timestamp);
        return;
      case 'rebalance':
      case 'rescale':
        channels[this.nextChannel]!.add(record, timestamp);
        this.nextChannel = (this.nextChannel + 1) % channels.length;
        return;
      case 'shuffle':
        channels[Math.floor(Math.random() * channels.length)]!.add(record, timestamp);
        return;
      case 'global':
        channels[0]!.add(record, timestamp);
        return;
      case 'custom': {
        const { keySelector, customPartitioner } = this.routing!;
        const index = customPartition(customPartitioner!, keySelector!(record), channels.length);
        channels[index]!.add(record, timestamp);
        return;
      }
      case 'hash': {
        const keyGroup = keyGroupForKey(this.routing!.keySelector!(record), this.consumerMaxParallelism);
        const channel = channels[subtaskForKeyGroup(keyGroup, channels.length, this.consumerMaxParallelism)]!;
        channel.add(record, timestamp);
        return;
      }
      case 'broadcast':
        for (const channel of channels) channel.add(record, timestamp);
        return;
    }
  }

  /** Sends an event (a watermark, an idle status) on every channel, after the records before it. */
  broadcastEvent(event: ChannelEvent): void {
    for (const channel of this.channels) channel.sendEvent(event);
  }
}
