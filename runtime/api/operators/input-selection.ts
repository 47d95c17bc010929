import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { ListStateDescriptor } from '../../state/state-descriptors';
import type { OperatorStateBackend } from '../../state/operator-state-backend';
import type { InputSelectable, InputSelection } from '../two-input-functions';
import { KeyGroupKeys } from './key-group-keys';

/** A record kept for later, with the timestamp it arrived with (null: none). */
type Buffered = [record: unknown, timestamp: number | null];

/** Where records of a not-selected input wait: state, so checkpoints hold them. */
interface InputBuffer {
  /** Appends a record; for keyed buffers the backend's current key is the record's key. */
  add(entry: Buffered): void;
  /** Removes and returns every buffered record, in arrival order per key. */
  drain(): Buffered[];
}

/**
 * Input selection for a two-input operator (Flink's InputSelectable), made safe with
 * exactly-once checkpoints (docs/input-selection.md). The task keeps reading both inputs, so
 * barriers of every input arrive and alignment never waits on an input the operator does not
 * read; records of an input the operator does not select go into a buffer in the operator's
 * state instead of to the operator, in arrival order, and are handed over, before any newer
 * record of that input, once the operator selects it or the input it selected ended. A
 * checkpoint thus holds the buffered records (before its barrier) and the alignment keeps
 * records after the barrier out of it: each record reaches the operator exactly once.
 *
 * While records wait, the operator's event time stands still (watermarks are held and handed
 * over after the buffered records), as it would while Flink leaves an input unread.
 */
export class SelectedInputs {
  private readonly buffers: [InputBuffer, InputBuffer];
  /** Buffered records per input; undefined after a restore until the first drain (unknown). */
  private readonly waiting: [number | undefined, number | undefined];
  private readonly ended = [false, false];
  private heldWatermark: number | undefined;
  private draining = false;

  constructor(
    private readonly selectable: InputSelectable,
    store: { keyed: KeyedStateBackend } | { operator: OperatorStateBackend },
    restored: boolean,
    /** Makes the record's key the current one (keyed operators; a no-op otherwise). */
    private readonly setKey: (record: unknown, input: number) => void,
    /** Hands a record to the operator (its key is current). */
    private readonly deliver: (record: unknown, input: number, timestamp: number | undefined) => void,
    private readonly advanceWatermark: (timestamp: number) => void,
  ) {
    this.buffers = [0, 1].map((i) =>
      'keyed' in store ? keyedBuffer(store.keyed, i) : operatorBuffer(store.operator, i),
    ) as [InputBuffer, InputBuffer];
    this.waiting = restored ? [undefined, undefined] : [0, 0];
  }

  /** A record of `input` arrived. */
  onRecord(record: unknown, input: number, timestamp: number | undefined): void {
    this.setKey(record, input);
    if (this.waiting[input] === 0 && this.selects(input)) this.deliver(record, input, timestamp);
    else this.buffer(record, input, timestamp ?? null);
    this.drainSelected();
  }

  onWatermark(timestamp: number): void {
    if (this.waiting.some((n) => n !== 0)) this.heldWatermark = timestamp;
    else this.advanceWatermark(timestamp);
  }

  /** `input` ended: a selection of only that input now means the other one too. */
  onEndInput(input: number): void {
    this.ended[input] = true;
    this.drainSelected();
  }

  /** Both inputs ended: hands over whatever still waits, whatever the selection. */
  drainAll(): void {
    this.ended[0] = this.ended[1] = true;
    this.drainSelected();
  }

  /** Whether the operator reads `input` now: selected, or the only selected input ended. */
  private selects(input: number): boolean {
    const selection: InputSelection = this.selectable.nextSelection();
    if (selection === 'all') return true;
    if (selection !== 'first' && selection !== 'second')
      throw new InvalidJobError(
        `nextSelection() returned ${JSON.stringify(selection)}: use InputSelection.FIRST, SECOND or ALL`,
      );
    const selected = selection === 'first' ? 0 : 1;
    return selected === input || this.ended[selected]!;
  }

  /** Hands over the buffered records of every selected input, then any held watermark. */
  private drainSelected(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let progress = true; progress;) {
        progress = false;
        for (const input of [0, 1]) {
          if (this.waiting[input] === 0 || !this.selects(input)) continue;
          progress = this.drainInput(input) || progress;
        }
      }
    } finally {
      this.draining = false;
    }
    if (this.heldWatermark !== undefined && this.waiting.every((n) => n === 0)) {
      const watermark = this.heldWatermark;
      this.heldWatermark = undefined;
      this.advanceWatermark(watermark);
    }
  }

  /** Hands over the input's buffered records while it stays selected; true when any were. */
  private drainInput(input: number): boolean {
    const entries = this.buffers[input]!.drain();
    this.waiting[input] = 0;
    for (let i = 0; i < entries.length; i++) {
      if (!this.selects(input)) {
        // The operator changed its mind: the rest waits again, still in order.
        for (const [record, timestamp] of entries.slice(i)) {
          this.setKey(record, input);
          this.buffer(record, input, timestamp);
        }
        return i > 0;
      }
      const [record, timestamp] = entries[i]!;
      this.setKey(record, input);
      this.deliver(record, input, timestamp ?? undefined);
    }
    return entries.length > 0;
  }

  /** Keeps the record for later; for keyed operators its key is current. */
  private buffer(record: unknown, input: number, timestamp: number | null): void {
    this.buffers[input]!.add([record, timestamp]);
    this.waiting[input] = (this.waiting[input] ?? 0) + 1;
  }
}

/** Buffered records of a keyed operator: a list per key group, under the group's hidden key. */
function keyedBuffer(backend: KeyedStateBackend, input: number): InputBuffer {
  const keys = new KeyGroupKeys(`input-buffer-${input}`, backend.maxParallelism);
  const list = backend.getListState(new ListStateDescriptor<Buffered>(`_input-buffer/${input}`));
  return {
    add(entry) {
      const key = backend.getCurrentKey();
      backend.setCurrentKey(keys.of(backend.getCurrentKeyGroup()));
      try {
        list.add(entry);
      } finally {
        backend.setCurrentKey(key);
      }
    },
    drain() {
      const out: Buffered[] = [];
      const { start, end } = backend.keyGroupRange;
      for (let group = start; group <= end; group++) {
        backend.setCurrentKey(keys.of(group));
        const entries = list.get();
        if (!entries || entries.length === 0) continue;
        list.clear();
        for (const entry of entries) out.push(entry);
      }
      return out;
    },
  };
}

/** Buffered records of a non-keyed operator: an operator list state. */
function operatorBuffer(backend: OperatorStateBackend, input: number): InputBuffer {
  const list = backend.getListState<Buffered>(`_input-buffer/${input}`);
  return {
    add: (entry) => list.add(entry),
    drain() {
      const entries = list.get();
      list.clear();
      return entries;
    },
  };
}
