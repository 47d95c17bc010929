import type { MessagePort } from 'node:worker_threads';
import type { SluiceError } from '../errors';

/** Where the other end of a remote channel lives. */
export interface PeerAddress {
  readonly taskManagerId: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Exchange transport port (docs/architecture.md §5): relays the messages of channels whose two ends are in
 * different TaskManagers. Each side hands the transport the far end of its task's MessagePort;
 * the transport moves every message to the peer unchanged and in order per channel (see
 * `channel-protocol.ts`), upstream and downstream. Adapters: `tcp/` (default), `sqs/`.
 */
export interface ExchangeTransport {
  /** Relays a producer task's channel to the consumer at `peer`. */
  connectProducerChannel(channelId: string, localPort: MessagePort, peer: PeerAddress): void;
  /** Delivers a remote producer's messages for `channelId` into a consumer task's port. */
  registerConsumerChannel(channelId: string, localPort: MessagePort, peer: PeerAddress): void;
  /** Stops relaying every channel whose id starts with `prefix` (a job or job attempt); later messages for them are dropped. */
  releaseChannelsWithPrefix(prefix: string): void;
  /** Called when channels can no longer be relayed (peer gone, queue failing): their tasks must fail. */
  onChannelsLost(listener: (channelIds: string[], error: SluiceError) => void): () => void;
  close(): Promise<void>;
}
