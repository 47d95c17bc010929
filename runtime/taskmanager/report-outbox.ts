import type { Logger } from '../util/logger';

/** The part of the control connection the outbox needs. */
export interface ReportChannel {
  call(method: string, body: unknown, timeoutMs?: number): Promise<unknown>;
  notify(method: string, body: unknown): void;
}

/**
 * `channel` without the reports `keep` refuses (their body is dropped; a call answers
 * undefined): how a TaskManager keeps reports of tasks a former leader deployed from a newer one.
 */
export function filteredReportChannel(
  channel: ReportChannel,
  keep: (body: unknown) => boolean,
): ReportChannel {
  return {
    call: (method, body, timeoutMs) =>
      keep(body) ? channel.call(method, body, timeoutMs) : Promise.resolve(undefined),
    notify: (method, body) => {
      if (keep(body)) channel.notify(method, body);
    },
  };
}

export interface ReportOutboxOptions {
  /** Output messages sent but not yet acknowledged by the job manager (default 4). */
  readonly window?: number;
  /** Target size of one output message in bytes (default 256 KiB; one larger item goes alone). */
  readonly maxMessageBytes?: number;
  /** How long the job manager may take to acknowledge one output message (default 2 min). */
  readonly ackTimeoutMs?: number;
  readonly logger: Logger;
}

interface OutputItem {
  readonly kind: 'output';
  readonly method: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly field: 'lines' | 'results';
  readonly items: unknown[];
  readonly bytes: number;
  readonly done: () => void;
}

interface NotifyItem {
  readonly kind: 'notify';
  readonly method: string;
  readonly body: unknown;
}

type Item = OutputItem | NotifyItem;

/**
 * Task reports bound for the job manager, in order, over the control connection. Output
 * (printed lines, collected results) travels as acknowledged requests of at most
 * `maxMessageBytes`, at most `window` of them unacknowledged, so the control socket never
 * holds more than about window x maxMessageBytes of output ahead of a heartbeat, deployment
 * or cancel. State reports queue behind the output sent before them (a task's FINISHED never
 * overtakes its last lines) but need no acknowledgement. `done` callbacks fire when the job
 * manager acknowledged the output (or it can no longer be delivered): that is what lets task
 * threads print more.
 */
export class ReportOutbox {
  private readonly queue: Item[] = [];
  private inFlight = 0;
  private channel: ReportChannel | undefined;
  private readonly window: number;
  private readonly maxMessageBytes: number;
  private readonly ackTimeoutMs: number;

  constructor(private readonly options: ReportOutboxOptions) {
    this.window = options.window ?? 4;
    this.maxMessageBytes = options.maxMessageBytes ?? 256 * 1024;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 120_000;
  }

  /** Items waiting to be sent (for tests and metrics). */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts sending over `channel`; `undefined` (connection lost) drops what is queued. */
  setChannel(channel: ReportChannel | undefined): void {
    this.channel = channel;
    if (!channel) this.dropAll();
    else this.pump();
  }

  /** Queues output of one task; `done` runs once the job manager has it (or it is dropped). */
  output(
    method: string,
    ref: { jobId: string; attempt: number },
    field: 'lines' | 'results',
    items: unknown[],
    bytes: number,
    done: () => void,
  ): void {
    if (!this.channel) return done();
    this.queue.push({ kind: 'output', method, ...ref, field, items, bytes, done });
    this.pump();
  }

  /** Queues a one-way report, sent once everything queued before it is sent. */
  notify(method: string, body: unknown): void {
    if (!this.channel) return;
    this.queue.push({ kind: 'notify', method, body });
    this.pump();
  }

  private pump(): void {
    const channel = this.channel;
    while (channel && this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'notify') {
        this.queue.shift();
        channel.notify(head.method, head.body);
        continue;
      }
      if (this.inFlight >= this.window) return;
      this.send(channel, this.takeBatch());
    }
  }

  /** Consecutive output items of the same job attempt, kind and method, up to the size target. */
  private takeBatch(): OutputItem[] {
    const first = this.queue.shift() as OutputItem;
    const batch = [first];
    let bytes = first.bytes;
    for (;;) {
      const next = this.queue[0];
      if (
        next?.kind !== 'output' ||
        next.method !== first.method ||
        next.jobId !== first.jobId ||
        next.attempt !== first.attempt ||
        next.field !== first.field ||
        bytes + next.bytes > this.maxMessageBytes
      )
        return batch;
      this.queue.shift();
      batch.push(next);
      bytes += next.bytes;
    }
  }

  private send(channel: ReportChannel, batch: OutputItem[]): void {
    const { method, jobId, attempt, field } = batch[0]!;
    const body = { jobId, attempt, [field]: batch.flatMap((b) => b.items) };
    this.inFlight++;
    channel.call(method, body, this.ackTimeoutMs).then(
      () => this.acked(batch),
      (err: unknown) => {
        if (this.channel === channel)
          this.options.logger.error({ err, jobId, attempt }, 'job output was not acknowledged');
        this.acked(batch);
      },
    );
  }

  private acked(batch: OutputItem[]): void {
    this.inFlight--;
    for (const item of batch) item.done();
    this.pump();
  }

  private dropAll(): void {
    const dropped = this.queue.splice(0);
    for (const item of dropped) if (item.kind === 'output') item.done();
  }
}
