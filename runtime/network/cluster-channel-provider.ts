import type { MessagePort } from 'node:worker_threads';
import { MessageChannel } from 'node:worker_threads';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import type { ChannelProvider } from './channel-provider';
import { LocalChannelProvider } from './channel-provider';
import type { ExchangeTransport, PeerAddress } from './exchange-transport';

/**
 * A TaskManager's channels: tasks in this TaskManager are paired directly (no socket); for a
 * channel whose other end runs elsewhere the task gets one end of a fresh MessageChannel and
 * the job's transport relays the other end.
 */
export class ClusterChannelProvider implements ChannelProvider {
  private readonly local = new LocalChannelProvider();
  private readonly transports = new Set<ExchangeTransport>();

  portsFor(
    tdd: TaskDeploymentDescriptor,
    remotePeers: Readonly<Record<string, PeerAddress>> = {},
    transport?: ExchangeTransport,
  ): Map<string, MessagePort> {
    const ports = new Map<string, MessagePort>();
    const remote = (
      id: string,
      attach: (t: ExchangeTransport, port: MessagePort, peer: PeerAddress) => void,
    ): MessagePort | undefined => {
      const peer = remotePeers[id];
      if (!peer) return undefined;
      if (!transport) throw new Error(`channel ${id} is remote but no exchange transport was given`);
      this.transports.add(transport);
      const channel = new MessageChannel();
      attach(transport, channel.port2, peer);
      return channel.port1;
    };
    for (const gate of tdd.inputs) {
      for (const id of gate.channels) {
        ports.set(
          id,
          remote(id, (t, p, peer) => t.registerConsumerChannel(id, p, peer)) ??
            this.local.take(id, 'consumer'),
        );
      }
    }
    for (const out of tdd.outputs) {
      for (const id of out.channels) {
        ports.set(
          id,
          remote(id, (t, p, peer) => t.connectProducerChannel(id, p, peer)) ??
            this.local.take(id, 'producer'),
        );
      }
    }
    return ports;
  }

  release(prefix: string): void {
    this.local.release(prefix);
    for (const t of this.transports) t.releaseChannelsWithPrefix(prefix);
  }
}
