/**
 * In-flight data per channel is bounded by credit (issue 12 item 4), checked on the real
 * producer and consumer ends a task uses (OutputChannel, InputGate) over a real MessageChannel:
 * however much the producer writes, the consumer never holds more unprocessed buffers than
 * the credit it granted, and processed buffers earn exactly that many more.
 */
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { DownstreamMessage, UpstreamMessage } from '../../../runtime/network/channel-protocol';
import { decodeBatch } from '../../../runtime/network/record-batch-codec';
import { OutputChannel } from '../../../runtime/network/output-channel';
import { InputGate } from '../../../runtime/taskmanager/input-gate';
import type { InputChannel, InputGroup } from '../../../runtime/taskmanager/input-gate';
import { waitFor } from '../../../runtime/util/wait';

const CREDIT = 3;
const RECORDS_PER_BUFFER = 10;

interface Wired {
  output: OutputChannel;
  gate: InputGate;
  channel: InputChannel;
  /** The most data buffers the consumer ever held unprocessed. */
  peakQueued(): number;
  /** Credit messages the producer received and the credit they carried. */
  credits: { messages: number; total: number };
  backlog: boolean[];
  ports: MessagePort[];
}

function wire(): Wired {
  const { port1, port2 } = new MessageChannel();
  const backlog: boolean[] = [];
  const output = new OutputChannel('c0', port1, {
    bufferSizeBytes: 32 * 1024,
    recordsPerBuffer: RECORDS_PER_BUFFER,
    onBacklogChange: (b) => backlog.push(b),
  });
  const credits = { messages: 0, total: 0 };
  port1.on('message', (m: UpstreamMessage) => {
    if (m.t !== 'credit') return;
    credits.messages++;
    credits.total += m.n;
  });
  const gate = new InputGate(() => undefined);
  const group = { target: {}, open: 1 } as unknown as InputGroup;
  const channel = gate.add('c0', port2, group);
  let peak = 0;
  gate.start(CREDIT);
  // Listens after the gate, so the gate's queue already holds the message just delivered.
  port2.on('message', () => {
    peak = Math.max(peak, channel.queue.filter((m: DownstreamMessage) => m.t === 'data').length);
  });
  return { output, gate, channel, peakQueued: () => peak, credits, backlog, ports: [port1, port2] };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

describe('credit-based flow control between a task output and a task input', () => {
  let wired: Wired;
  afterEach(() => wired.ports.forEach((p) => p.close()));

  it('never delivers more buffers than the credit granted, however much is written', async () => {
    wired = wire();
    for (let i = 0; i < 100 * RECORDS_PER_BUFFER; i++) wired.output.add(i);
    await waitFor(() => wired.channel.queue.length === CREDIT, { what: 'the initial credit used up' });
    await settle();
    expect(wired.channel.queue).toHaveLength(CREDIT);
    expect(wired.peakQueued()).toBe(CREDIT);
    expect(wired.output.backlogged).toBe(true);
    expect(wired.backlog).toEqual([true]);
  });

  it('lets exactly as many buffers through as were processed, credit returned once per turn', async () => {
    wired = wire();
    const total = 20;
    for (let i = 0; i < total * RECORDS_PER_BUFFER; i++) wired.output.add(i);
    const seen: number[] = [];
    while (seen.length < total * RECORDS_PER_BUFFER) {
      await waitFor(() => wired.gate.hasInput, { what: 'a buffer' });
      // One turn: everything processable now, then one credit message for all of it.
      let processed = 0;
      for (let next = wired.gate.next(); next; next = wired.gate.next()) {
        const [channel, message] = next;
        if (message.t !== 'data') continue;
        seen.push(...(decodeBatch(message.buf) as number[]));
        wired.gate.returnCredit(channel);
        processed++;
      }
      expect(processed).toBeLessThanOrEqual(CREDIT);
      const before = wired.credits.messages;
      wired.gate.flushCredit();
      await waitFor(() => wired.credits.messages === before + 1, { what: 'one credit message' });
      expect(wired.peakQueued()).toBeLessThanOrEqual(CREDIT);
    }
    expect(seen).toEqual(Array.from({ length: total * RECORDS_PER_BUFFER }, (_, i) => i));
    // The initial grant plus one per buffer processed, in fewer messages than buffers.
    expect(wired.credits.total).toBe(CREDIT + total);
    expect(wired.credits.messages).toBeLessThan(1 + total);
    await settle();
    expect(wired.output.backlogged).toBe(false);
    expect(wired.backlog).toEqual([true, false]);
  });
});
