import type { MessagePort } from 'node:worker_threads';
import { MessageChannel } from 'node:worker_threads';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import type { ExchangeTransport, PeerAddress } from './exchange-transport';

/**
 * Hands each task the MessagePort ends of its channels. The TaskManager's network stack
 * decides what is at the other end: another local task or a transport relay.
 */
export interface ChannelProvider {
  /**
   * Ports for every input and output channel of the task, by channel id. Channels listed in
   * `remotePeers` have their other end in another TaskManager, reached through `transport`.
   */
  portsFor(
    tdd: TaskDeploymentDescriptor,
    remotePeers?: Readonly<Record<string, PeerAddress>>,
    transport?: ExchangeTransport,
  ): Map<string, MessagePort>;
  /** Forgets channels whose id starts with `prefix` (a job or a job attempt) and closes their ports. */
  release(prefix: string): void;
}

/**
 * Every channel local: the producer and the consumer hold the two ends of one MessageChannel,
 * created by whichever of them is deployed first.
 */
export class LocalChannelProvider implements ChannelProvider {
  private readonly waiting = new Map<string, MessageChannel>();

  portsFor(tdd: TaskDeploymentDescriptor): Map<string, MessagePort> {
    const ports = new Map<string, MessagePort>();
    for (const gate of tdd.inputs) for (const id of gate.channels) ports.set(id, this.take(id, 'consumer'));
    for (const out of tdd.outputs) for (const id of out.channels) ports.set(id, this.take(id, 'producer'));
    return ports;
  }

  release(prefix: string): void {
    for (const [id, channel] of this.waiting) {
      if (!id.startsWith(prefix)) continue;
      channel.port1.close();
      this.waiting.delete(id);
    }
  }

  /** port1 goes to the producer, port2 to the consumer. */
  take(id: string, role: 'producer' | 'consumer'): MessagePort {
    let channel = this.waiting.get(id);
    if (!channel) {
      channel = new MessageChannel();
      this.waiting.set(id, channel);
      return role === 'producer' ? channel.port1 : channel.port2;
    }
    this.waiting.delete(id);
    return role === 'producer' ? channel.port1 : channel.port2;
  }
}
