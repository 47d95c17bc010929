import { InvalidJobError } from '../../errors';

/** A window of time [start, end): its last instant, `maxTimestamp`, is end - 1 (Flink's TimeWindow). */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export const maxTimestamp = (w: TimeWindow): number => w.end - 1;

/**
 * Puts each record into windows by its time (Flink's WindowAssigner). A merging assigner
 * (sessions) gives each record its own window and the window operator merges the windows of a
 * key that overlap or touch (Flink's MergingWindowAssigner).
 */
export interface WindowAssigner {
  readonly isEventTime: boolean;
  readonly isMerging?: boolean;
  assignWindows(timestamp: number): TimeWindow[];
}

function checkMs(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new InvalidJobError(`${what} must be an integer > 0 ms, got ${value}`);
  return value;
}

/** The start of the window of `size` (shifted by `offset`) that holds `timestamp` (Flink's TimeWindow.getWindowStartWithOffset). */
function windowStart(timestamp: number, offset: number, size: number): number {
  const remainder = (timestamp - offset) % size;
  return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
}

class SlidingAssigner implements WindowAssigner {
  constructor(
    readonly isEventTime: boolean,
    private readonly size: number,
    private readonly slide: number,
    private readonly offset: number,
  ) {}

  assignWindows(timestamp: number): TimeWindow[] {
    const windows: TimeWindow[] = [];
    const last = windowStart(timestamp, this.offset, this.slide);
    for (let start = last; start > timestamp - this.size; start -= this.slide) {
      windows.push({ start, end: start + this.size });
    }
    return windows;
  }
}

function sliding(
  isEventTime: boolean,
  name: string,
  size: number,
  slide: number,
  offset: number,
): WindowAssigner {
  checkMs(size, `${name} size`);
  checkMs(slide, `${name} slide`);
  if (!Number.isInteger(offset) || Math.abs(offset) >= slide)
    throw new InvalidJobError(`${name} offset must be an integer smaller than the slide, got ${offset}`);
  return new SlidingAssigner(isEventTime, size, slide, offset);
}

/** Back-to-back windows of `size` ms in event time; `offset` shifts their starts (e.g. time zones). */
export const TumblingEventTimeWindows = {
  of: (size: number, offset = 0): WindowAssigner =>
    sliding(true, 'TumblingEventTimeWindows', size, size, offset),
};

/** Windows of `size` ms starting every `slide` ms in event time: a record is in size/slide windows. */
export const SlidingEventTimeWindows = {
  of: (size: number, slide: number, offset = 0): WindowAssigner =>
    sliding(true, 'SlidingEventTimeWindows', size, slide, offset),
};

/** Back-to-back windows of `size` ms of the wall clock of the subtask that windows. */
export const TumblingProcessingTimeWindows = {
  of: (size: number, offset = 0): WindowAssigner =>
    sliding(false, 'TumblingProcessingTimeWindows', size, size, offset),
};

/** Windows of `size` ms starting every `slide` ms of the wall clock. */
export const SlidingProcessingTimeWindows = {
  of: (size: number, slide: number, offset = 0): WindowAssigner =>
    sliding(false, 'SlidingProcessingTimeWindows', size, slide, offset),
};

class SessionAssigner implements WindowAssigner {
  readonly isMerging = true;
  constructor(
    readonly isEventTime: boolean,
    private readonly gap: number,
  ) {}

  assignWindows(timestamp: number): TimeWindow[] {
    return [{ start: timestamp, end: timestamp + this.gap }];
  }
}

/**
 * Sessions in event time: a key's records closer than `gap` ms to each other fall into one
 * window, which ends `gap` ms after its last record (Flink's EventTimeSessionWindows).
 */
export const EventTimeSessionWindows = {
  withGap: (gap: number): WindowAssigner =>
    new SessionAssigner(true, checkMs(gap, 'EventTimeSessionWindows gap')),
};

/** Sessions of the wall clock of the subtask that windows: a window closes after `gap` ms without a record of its key. */
export const ProcessingTimeSessionWindows = {
  withGap: (gap: number): WindowAssigner =>
    new SessionAssigner(false, checkMs(gap, 'ProcessingTimeSessionWindows gap')),
};
