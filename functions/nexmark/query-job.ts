import type { DataStream, JobArgs, JobDefinition, Sink, StreamExecutionEnvironment } from '../../runtime/api';
import { intArg } from '../job-args';
import { WatermarkStrategy, defineJob } from '../../runtime/api';
import { DEFAULT_GENERATOR, nexmarkSource } from './generator';
import type { GeneratorConfig } from './generator';
import type { Auction, Bid, NexmarkEvent, Person } from './model';
import { eventTime } from './model';

/**
 * What every Nexmark query job shares: the arguments, the event source with event time, and
 * the sink.
 *   --arg events=N      events in total (default 100000)
 *   --arg seed=N        generator seed (default 1)
 *   --arg rate=N        event-time rate: events per second of event time (default 10000);
 *                       generation is not paced, this only spaces the events' timestamps
 *   --arg sink=count|print|discard   one count line per subtask (default), every result as a
 *                       JSON line, or nothing (Nexmark's blackhole sink)
 */
export type QueryBuilder<R> = (events: DataStream<NexmarkEvent>, args: JobArgs) => DataStream<R>;

export const SINKS = ['count', 'print', 'discard'] as const;

/** A job of one query: the Nexmark source, `query`, then the sink chosen by `--arg sink`. */
export function defineQueryJob<R>(name: string, query: QueryBuilder<R>): JobDefinition {
  return defineJob(`nexmark-${name}`, (env, args) => buildQuery(env, args, query));
}

export function buildQuery<R>(env: StreamExecutionEnvironment, args: JobArgs, query: QueryBuilder<R>): void {
  const sink = args.sink ?? 'count';
  if (!(SINKS as readonly string[]).includes(sink))
    throw new Error(`sink must be one of ${SINKS.join(', ')}, got '${sink}'`);
  const results = query(nexmarkEvents(env, args), args);
  if (sink === 'print')
    results
      .map((r) => JSON.stringify(r))
      .name('format')
      .print();
  else results.sinkTo(sink === 'count' ? countingSink() : discardingSink(), sink);
}

export function generatorConfig(args: JobArgs): GeneratorConfig {
  return {
    events: intArg(args, 'events', 100_000, 0),
    seed: intArg(args, 'seed', DEFAULT_GENERATOR.seed, Number.MIN_SAFE_INTEGER),
    eventsPerSecond: intArg(args, 'rate', DEFAULT_GENERATOR.eventsPerSecond, 1),
    baseTime: DEFAULT_GENERATOR.baseTime,
  };
}

/** The generated events, timestamped by their dateTime; each source subtask's times only grow. */
export function nexmarkEvents(env: StreamExecutionEnvironment, args: JobArgs): DataStream<NexmarkEvent> {
  const strategy = WatermarkStrategy.forMonotonousTimestamps<NexmarkEvent>().withTimestampAssigner((e) =>
    eventTime(e),
  );
  return env
    .fromSource(nexmarkSource(generatorConfig(args)), 'nexmark-events')
    .uid('nexmark-events')
    .assignTimestampsAndWatermarks(strategy);
}

export function bids(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return events
    .flatMap<Bid>((e, out) => {
      if (e.type === 'bid') out.collect(e.bid);
    })
    .name('bids');
}

export function auctions(events: DataStream<NexmarkEvent>): DataStream<Auction> {
  return events
    .flatMap<Auction>((e, out) => {
      if (e.type === 'auction') out.collect(e.auction);
    })
    .name('auctions');
}

export function persons(events: DataStream<NexmarkEvent>): DataStream<Person> {
  return events
    .flatMap<Person>((e, out) => {
      if (e.type === 'person') out.collect(e.person);
    })
    .name('persons');
}

/** Counts records per subtask and prints `subtask <i>: <n> results` at the end. */
function countingSink<T>(): Sink<T> {
  return {
    createWriter(ctx) {
      let count = 0;
      return {
        write: () => void count++,
        finish: () => ctx.emitOutput(`subtask ${ctx.subtaskIndex}: ${count} results`),
      };
    },
  };
}

/** Drops every record (Nexmark's blackhole sink). */
function discardingSink<T>(): Sink<T> {
  return { createWriter: () => ({ write: () => {} }) };
}
