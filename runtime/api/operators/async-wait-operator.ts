import { runtimeInfo } from './function-lifecycle';
import { AsyncTimeoutError, InvalidJobError } from '../../errors';
import type { ListState } from '../../state/state-types';
import type { RuntimeInfo } from '../functions';
import { CallDeadlines } from './async-call-deadlines';
import type { AsyncEntry, AsyncWaitQueue, QueueOutput } from './async-wait-queue';
import { OrderedAsyncQueue, UnorderedAsyncQueue } from './async-wait-queue';
import type { OperatorContext, StateInitializationContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

/**
 * The function of `mapAsync` (Flink's AsyncFunction): one call per record, whose promise
 * gives the record's result. It gets the subtask it runs in. A rejection fails the task.
 */
export type AsyncFunction<IN, OUT> = (value: IN, context: RuntimeInfo) => Promise<OUT> | OUT;

/** Options of `mapAsync` (Flink's `AsyncDataStream.orderedWait` / `unorderedWait` arguments). */
export interface MapAsyncOptions<IN, OUT> {
  /**
   * How long a call may take, in ms (`Infinity`: no limit). When it expires, `onTimeout`
   * gives the result; without it the task fails with an AsyncTimeoutError naming the operator.
   */
  readonly timeoutMs: number;
  /**
   * Records per subtask whose calls are in flight or whose results wait to be emitted; when
   * full, the task takes no more input until one is emitted (back pressure). Default 100, as Flink's.
   */
  readonly capacity?: number;
  /**
   * true (default): results in input order (`orderedWait`). false: as calls complete
   * (`unorderedWait`), but never across a watermark, so no result becomes late.
   */
  readonly ordered?: boolean;
  /** The result of a record whose call timed out (Flink's `AsyncFunction.timeout`); may be async. */
  readonly onTimeout?: (value: IN) => Promise<OUT> | OUT;
}

/** Flink's default capacity of the async wait operator's queue. */
export const DEFAULT_ASYNC_CAPACITY = 100;
const MAX_ASYNC_CAPACITY = 1_000_000;
/** The operator list state holding the records not yet emitted (Flink's name). */
const STATE_NAME = '_async_wait_operator_state_';

/** A record as it is checkpointed: its value, and its timestamp when it has one. */
type SavedRecord = [value: unknown, timestamp?: number];

type Outcome<OUT> = { value: OUT } | { error: unknown } | { timedOut: true };

/** One call of the function (or of `onTimeout`) for an entry; only its first outcome counts. */
interface Call<IN, OUT> {
  readonly entry: AsyncEntry<IN, OUT>;
  settled: boolean;
}

/** Checks `mapAsync`'s arguments when the job is built; throws an InvalidJobError naming the problem. */
export function checkMapAsyncOptions(
  fn: unknown,
  options: MapAsyncOptions<unknown, unknown> | undefined,
): void {
  if (typeof fn !== 'function')
    throw new InvalidJobError('mapAsync() needs a function that returns a promise');
  if (typeof options !== 'object' || options === null)
    throw new InvalidJobError('mapAsync() needs options with timeoutMs, e.g. { timeoutMs: 5000 }');
  const { timeoutMs, capacity, ordered, onTimeout } = options;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0))
    throw new InvalidJobError(
      `mapAsync() timeoutMs must be a number > 0 (or Infinity), got ${String(timeoutMs)}`,
    );
  if (
    capacity !== undefined &&
    !(Number.isInteger(capacity) && capacity >= 1 && capacity <= MAX_ASYNC_CAPACITY)
  )
    throw new InvalidJobError(
      `mapAsync() capacity must be an integer from 1 to ${MAX_ASYNC_CAPACITY}, got ${String(capacity)}`,
    );
  if (ordered !== undefined && typeof ordered !== 'boolean')
    throw new InvalidJobError(`mapAsync() ordered must be true or false, got ${String(ordered)}`);
  if (onTimeout !== undefined && typeof onTimeout !== 'function')
    throw new InvalidJobError('mapAsync() onTimeout must be a function of the input that returns the result');
}

/**
 * Async I/O (Flink's AsyncWaitOperator): calls `fn` for each record without waiting, up to
 * `capacity` records per subtask between call and emission. Results come back through the
 * task's mailbox and are emitted in input order or as they complete (see async-wait-queue.ts);
 * a full queue pauses the task's input. The records not emitted yet are the operator's list
 * state at a checkpoint, and are called again after a restore: results emitted before the
 * barrier are not, results after it are re-created, so with a transactional sink each record
 * is in the committed output once. On a parallelism change the lists are redistributed.
 */
export class AsyncWaitOperator<IN, OUT> extends StreamOperator<OUT> {
  private readonly queue: AsyncWaitQueue<IN, OUT>;
  private readonly capacity: number;
  /** Records (and watermarks behind them) not yet admitted to the queue: it was full. */
  private waiting: (AsyncEntry<IN, OUT> | { watermark: number })[] = [];
  private waitingHead = 0;
  /** Present unless calls may take forever. */
  private readonly deadlines: CallDeadlines<Call<IN, OUT>> | undefined;
  private completions: { call: Call<IN, OUT>; outcome: Outcome<OUT> }[] = [];
  private flushPosted = false;
  private state!: ListState<SavedRecord>;
  private restored: SavedRecord[] = [];
  private context!: OperatorContext;
  private info!: RuntimeInfo;
  private finished: (() => void) | undefined;
  private closed = false;
  private readonly queueOutput: QueueOutput<IN, OUT> = {
    record: (entry) => {
      this.context.recordTimestamp.value = entry.timestamp;
      this.output.collect(entry.result as OUT);
    },
    watermark: (timestamp) => this.watermarks.emitWatermark(timestamp),
  };

  constructor(
    private readonly fn: AsyncFunction<IN, OUT>,
    private readonly options: MapAsyncOptions<IN, OUT>,
  ) {
    super();
    this.capacity = options.capacity ?? DEFAULT_ASYNC_CAPACITY;
    this.queue = options.ordered === false ? new UnorderedAsyncQueue() : new OrderedAsyncQueue();
    if (Number.isFinite(options.timeoutMs))
      this.deadlines = new CallDeadlines(options.timeoutMs, (call) => this.settle(call, { timedOut: true }));
  }

  override initializeState(context: StateInitializationContext): void {
    this.state = context.operatorStateBackend.getListState<SavedRecord>(STATE_NAME);
    if (context.isRestored) this.restored = this.state.get();
  }

  override open(context: OperatorContext): void {
    this.context = context;
    this.info = runtimeInfo(context);
    // Records that were in flight at the checkpoint are called again, in their order.
    for (const [input, timestamp] of this.restored) this.waiting.push(newEntry(input as IN, timestamp));
    this.restored = [];
    this.admit();
  }

  processElement(record: unknown): void {
    this.waiting.push(newEntry(record as IN, this.context.recordTimestamp.value));
    this.admit();
  }

  override processWatermark(timestamp: number): void {
    this.waiting.push({ watermark: timestamp });
    this.admit();
  }

  override snapshotState(): void {
    const pending = [...this.queue.records(), ...this.waitingRecords()];
    this.state.update(pending.map((e) => (e.timestamp === undefined ? [e.input] : [e.input, e.timestamp])));
  }

  /** Waits until every record was emitted: successors must not finish before the last results. */
  override finish(): void | Promise<void> {
    if (this.idle) return;
    return new Promise((resolve) => (this.finished = resolve));
  }

  override close(): void {
    this.closed = true;
    this.deadlines?.close();
  }

  private get idle(): boolean {
    return this.waitingHead === this.waiting.length && this.queue.isEmpty;
  }

  /** Moves waiting records into the queue while it has room and calls them; pauses the input while full. */
  private admit(): void {
    this.queue.drain(this.queueOutput); // completed results first: they free room
    const waiting = this.waiting;
    while (this.waitingHead < waiting.length) {
      const next = waiting[this.waitingHead]!;
      if ('watermark' in next) this.queue.addWatermark(next.watermark);
      else if (this.queue.size < this.capacity) {
        this.queue.add(next);
        this.issue(next);
      } else break;
      this.waitingHead++;
    }
    if (this.waitingHead === waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
    this.queue.drain(this.queueOutput); // watermarks just admitted behind nothing go out at once
    this.context.mailbox.pauseInput(
      this.waitingHead < this.waiting.length || this.queue.size >= this.capacity,
    );
  }

  private issue(entry: AsyncEntry<IN, OUT>): void {
    const call = this.track(entry, () => this.fn(entry.input, this.info));
    this.deadlines?.add(call);
  }

  /** Starts a call; its outcome comes back through the mailbox. */
  private track(entry: AsyncEntry<IN, OUT>, invoke: () => Promise<OUT> | OUT): Call<IN, OUT> {
    const call: Call<IN, OUT> = { entry, settled: false };
    let result: Promise<OUT>;
    try {
      result = Promise.resolve(invoke());
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => this.settle(call, { value }),
      (error: unknown) => this.settle(call, { error }),
    );
    return call;
  }

  private settle(call: Call<IN, OUT>, outcome: Outcome<OUT>): void {
    if (call.settled || this.closed) return;
    call.settled = true;
    this.completions.push({ call, outcome });
    if (this.flushPosted) return;
    this.flushPosted = true;
    this.context.mailbox.execute(() => this.flush());
  }

  /** On the task thread: completed calls become results, which go out as their queue allows. */
  private flush(): void {
    this.flushPosted = false;
    const completions = this.completions;
    this.completions = [];
    for (const { call, outcome } of completions) {
      if ('value' in outcome) this.queue.complete(call.entry, outcome.value);
      else if ('error' in outcome) throw outcome.error;
      else this.timedOut(call.entry);
    }
    this.admit();
    if (this.finished && this.idle) {
      this.finished();
      this.finished = undefined;
    }
  }

  private timedOut(entry: AsyncEntry<IN, OUT>): void {
    const onTimeout = this.options.onTimeout;
    if (!onTimeout) throw new AsyncTimeoutError(this.info.operatorName, this.options.timeoutMs);
    this.track(entry, () => onTimeout(entry.input));
  }

  private waitingRecords(): AsyncEntry<IN, OUT>[] {
    const records: AsyncEntry<IN, OUT>[] = [];
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const next = this.waiting[i]!;
      if (!('watermark' in next)) records.push(next);
    }
    return records;
  }
}

function newEntry<IN, OUT>(input: IN, timestamp: number | undefined): AsyncEntry<IN, OUT> {
  return { input, timestamp, done: false, result: undefined };
}
