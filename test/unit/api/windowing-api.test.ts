import {
  CountTrigger,
  EventTimeSessionWindows,
  OutputTag,
  StreamExecutionEnvironment,
  TriggerResult,
  TumblingEventTimeWindows,
} from '../../../runtime/api';
import { mergeIntoSessions } from '../../../runtime/api/operators/window-merging';
import { WindowIds } from '../../../runtime/api/operators/window-trigger-context';
import { checkTriggerResult } from '../../../runtime/api/windowing/triggers';
import { InvalidJobError } from '../../../runtime/errors';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';

describe('OutputTag and getSideOutput', () => {
  it('refuses tag ids that cannot name an edge, naming the id', () => {
    for (const id of ['', 'has space', '-leading', 'x'.repeat(129)])
      expect(() => new OutputTag<number>(id)).toThrow(new RegExp(`OutputTag id '${id}' must be`));
  });

  it('a side output stream has no operator of its own to configure', () => {
    const env = new StreamExecutionEnvironment();
    const side = env
      .fromSequence(1, 10)
      .process<number>((n, _ctx, out) => out.collect(n))
      .name('checker');
    const odd = side.getSideOutput(new OutputTag<number>('odd'));
    expect(() => odd.setParallelism(2)).toThrow(/side output 'odd' has no operator of its own.*'checker'/);
    expect(() => side.getSideOutput('odd' as unknown as OutputTag<number>)).toThrow(
      /getSideOutput\(\) needs an OutputTag/,
    );
  });

  it('the stream graph edge of a side output carries its tag; the main edge none', () => {
    const env = new StreamExecutionEnvironment();
    const main = env.fromSequence(1, 10).process<number>((n, ctx, out) => {
      if (n % 2) ctx.output(new OutputTag<number>('odd'), n);
      else out.collect(n);
    });
    main.print();
    main.getSideOutput(new OutputTag<number>('odd')).rebalance().print();
    const graph = streamGraphFromEnvironment('tags', env);
    const tags = graph.edges.filter((e) => e.source.kind === 'process').map((e) => e.outputTag);
    expect(tags.sort()).toEqual(['odd', undefined]);
  });
});

describe('triggers', () => {
  it('CountTrigger.of refuses counts below 1', () => {
    expect(() => CountTrigger.of(0)).toThrow(/CountTrigger.of: 0 is not an integer >= 1/);
    expect(() => CountTrigger.of(1.5)).toThrow(InvalidJobError);
  });

  it('a trigger result that is not a TriggerResult is an error naming the call', () => {
    expect(checkTriggerResult(TriggerResult.FIRE_AND_PURGE, 'onElement')).toBe('FIRE_AND_PURGE');
    expect(() => checkTriggerResult('fire', 'onEventTime')).toThrow(/trigger onEventTime returned "fire"/);
  });

  it('trigger() checks the trigger, and session windows need onMerge', () => {
    const env = new StreamExecutionEnvironment();
    const keyed = env.fromSequence(1, 10).keyBy((n) => n % 2);
    expect(() => keyed.window(TumblingEventTimeWindows.of(10)).trigger({} as never)).toThrow(
      /trigger\(\) needs a Trigger with onElement/,
    );
    const { onMerge: _dropped, ...noMerge } = CountTrigger.of(2);
    expect(() => keyed.window(EventTimeSessionWindows.withGap(10)).trigger(noMerge)).toThrow(/needs onMerge/);
    expect(() => EventTimeSessionWindows.withGap(0)).toThrow(/gap must be an integer > 0 ms/);
  });
});

describe('WindowIds', () => {
  it('gives every record of a window the same frozen id, and a new one to a window of another end', () => {
    const ids = new WindowIds();
    const first = ids.of({ start: 0, end: 10 });
    expect(first).toEqual([0, 10]);
    expect(Object.isFrozen(first)).toBe(true);
    expect(ids.of({ start: 0, end: 10 })).toBe(first);
    const other = ids.of({ start: 0, end: 20 });
    expect(other).toEqual([0, 20]);
    expect(ids.of({ start: 10, end: 20 })).toEqual([10, 20]);
  });

  it('forgets the oldest windows beyond its bound, still answering with equal ids', () => {
    const ids = new WindowIds();
    const first = ids.of({ start: 0, end: 1 });
    for (let start = 1; start <= 1000; start++) ids.of({ start, end: start + 1 });
    const again = ids.of({ start: 0, end: 1 });
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });
});

describe('mergeIntoSessions', () => {
  it('keeps the id of a session the new window falls inside, and freezes a new hull', () => {
    const existing = Object.freeze([10, 20]) as [number, number];
    expect(mergeIntoSessions([12, 18], [existing]).into).toBe(existing);
    const hull = mergeIntoSessions([20, 30], [existing]).into;
    expect(hull).toEqual([10, 30]);
    expect(Object.isFrozen(hull)).toBe(true);
  });

  it('merges the sessions a new window overlaps or touches into their hull', () => {
    expect(mergeIntoSessions([10, 20], [])).toEqual({ into: [10, 20], merged: [] });
    expect(mergeIntoSessions([12, 18], [[10, 20]])).toEqual({ into: [10, 20], merged: [] });
    expect(mergeIntoSessions([20, 30], [[10, 20]])).toEqual({ into: [10, 30], merged: [[10, 20]] });
    expect(
      mergeIntoSessions(
        [18, 42],
        [
          [0, 5],
          [10, 20],
          [40, 50],
          [60, 70],
        ],
      ),
    ).toEqual({
      into: [10, 50],
      merged: [
        [10, 20],
        [40, 50],
      ],
    });
  });
});
