import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { ChannelProvider } from '../../runtime/network/channel-provider';
import { LocalChannelProvider } from '../../runtime/network/channel-provider';
import type { ExchangeTransport, PeerAddress } from '../../runtime/network/exchange-transport';
import type { TaskDeploymentDescriptor } from '../../runtime/deployment/task-deployment';

/** Which TaskManager holds the producer and the consumer subtask of a channel. */
export type ChannelPlacement = (channelId: string) => { producer: PeerAddress; consumer: PeerAddress };

/**
 * The channel provider of one TaskManager in a multi-TaskManager test: channels whose other end
 * is local are plain MessageChannels between the two tasks; for a remote one the task gets one
 * end and the exchange transport the other, as a real TaskManager's network stack does.
 */
export class TransportChannelProvider implements ChannelProvider {
  private readonly local = new LocalChannelProvider();

  constructor(
    private readonly self: PeerAddress,
    private readonly transport: ExchangeTransport,
    private readonly placement: ChannelPlacement,
  ) {}

  portsFor(tdd: TaskDeploymentDescriptor): Map<string, MessagePort> {
    const ports = new Map<string, MessagePort>();
    for (const gate of tdd.inputs) {
      for (const id of gate.channels) {
        const { producer } = this.placement(id);
        if (producer.taskManagerId === this.self.taskManagerId)
          ports.set(id, this.local.take(id, 'consumer'));
        else
          ports.set(
            id,
            this.remote((far) => this.transport.registerConsumerChannel(id, far, producer)),
          );
      }
    }
    for (const out of tdd.outputs) {
      for (const id of out.channels) {
        const { consumer } = this.placement(id);
        if (consumer.taskManagerId === this.self.taskManagerId)
          ports.set(id, this.local.take(id, 'producer'));
        else
          ports.set(
            id,
            this.remote((far) => this.transport.connectProducerChannel(id, far, consumer)),
          );
      }
    }
    return ports;
  }

  release(prefix: string): void {
    this.local.release(prefix);
    this.transport.releaseChannelsWithPrefix(prefix);
  }

  private remote(hand: (far: MessagePort) => void): MessagePort {
    const { port1, port2 } = new MessageChannel();
    hand(port2);
    return port1;
  }
}
