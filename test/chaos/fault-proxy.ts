import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Prng } from '../helpers/prng';

/** Shares of requests that meet each fault while faults are on (each 0..1, drawn in this order). */
export interface FaultRates {
  /** Answered `503 SlowDown` (an S3 throttling reply the SDK retries) without reaching the emulator. */
  readonly errorRate: number;
  /** The connection is destroyed without an answer (a network drop). */
  readonly dropRate: number;
  /** Forwarded after a pause of up to `maxDelayMs` (slowness, timeouts of impatient clients). */
  readonly delayRate: number;
  readonly maxDelayMs: number;
}

export const NO_FAULTS: FaultRates = { errorRate: 0, dropRate: 0, delayRate: 0, maxDelayMs: 0 };

/** What the proxy did so far. */
export interface FaultCounts {
  requests: number;
  errors: number;
  drops: number;
  delays: number;
}

/**
 * An HTTP proxy in front of the S3 emulator that injects faults on a share of the requests
 * (the chaos suite's S3 nemesis): 5xx answers, dropped connections and delays. Sluice processes
 * are configured with the proxy as their S3 endpoint; the checker talks to the emulator itself.
 */
export class FaultProxy {
  private rates: FaultRates = NO_FAULTS;
  readonly counts: FaultCounts = { requests: 0, errors: 0, drops: 0, delays: 0 };
  private readonly random: Prng;
  private readonly server = createServer((req, res) => this.handle(req, res));

  private constructor(
    private readonly target: URL,
    seed: number,
  ) {
    this.random = new Prng(seed);
    // A client that gives up mid-request is a normal event here, not a proxy failure.
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Starts a proxy on a free loopback port forwarding to `targetUrl` (`http://host:port`). */
  static async start(targetUrl: string, seed: number): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(targetUrl), seed);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Turns faults on (or off with NO_FAULTS) for the requests that arrive from now on. */
  setRates(rates: FaultRates): void {
    this.rates = rates;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests++;
    const { errorRate, dropRate, delayRate, maxDelayMs } = this.rates;
    const roll = this.random.next();
    if (roll < errorRate) {
      this.counts.errors++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml', connection: 'close' });
      res.end(
        '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>injected by the chaos proxy</Message></Error>',
      );
      return;
    }
    if (roll < errorRate + dropRate) {
      this.counts.drops++;
      req.socket.destroy();
      return;
    }
    if (roll < errorRate + dropRate + delayRate) {
      this.counts.delays++;
      setTimeout(() => this.forward(req, res), this.random.between(0, maxDelayMs));
      return;
    }
    this.forward(req, res);
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      // The emulator went away or the client did: pass the failure on as a dropped connection.
      req.socket.destroy();
    });
    req.on('aborted', () => upstream.destroy());
    req.pipe(upstream);
  }
}
