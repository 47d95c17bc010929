import type { MessagePort } from 'node:worker_threads';
import { NetworkError } from '../../errors';
import type { SluiceError } from '../../errors';
import type { ExchangeTransport, PeerAddress } from '../exchange-transport';
import type { TcpExchange } from './tcp-exchange';

/** The TCP exchange behind the transport port. */
export class TcpExchangeTransport implements ExchangeTransport {
  constructor(readonly exchange: TcpExchange) {}

  connectProducerChannel(channelId: string, localPort: MessagePort, peer: PeerAddress): void {
    this.exchange.connectProducerChannel(channelId, localPort, peer);
  }

  registerConsumerChannel(channelId: string, localPort: MessagePort): void {
    this.exchange.registerConsumerChannel(channelId, localPort);
  }

  releaseChannelsWithPrefix(prefix: string): void {
    this.exchange.releaseChannelsWithPrefix(prefix);
  }

  onChannelsLost(listener: (channelIds: string[], error: SluiceError) => void): () => void {
    const offPeer = this.exchange.onPeerLost((peer, ids) =>
      listener(ids, new NetworkError(`lost the data connection to TaskManager ${peer}`)),
    );
    const offChannel = this.exchange.onChannelFailure((id, error) => listener([id], error));
    return () => {
      offPeer();
      offChannel();
    };
  }

  close(): Promise<void> {
    return this.exchange.close();
  }
}
