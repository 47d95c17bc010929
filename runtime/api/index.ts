/** The public DataStream API: what job modules import. */
export { defineJob } from './job';
export { WatermarkStrategy } from './event-time/watermark-strategy';
export type { TimestampAssigner, WatermarkGenerator, WatermarkOutput } from './event-time/watermark-strategy';
export type { JobArgs, JobDefinition } from './job';
export {
  TumblingEventTimeWindows,
  SlidingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
} from './windowing/window-assigners';
export {
  TriggerResult,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  PurgingTrigger,
} from './windowing/triggers';
export type { Trigger, TriggerContext, OnMergeContext } from './windowing/triggers';
export { OutputTag } from './output-tag';
export type { TimeWindow, WindowAssigner } from './windowing/window-assigners';
export { WindowedStream } from './windowing/windowed-stream';
export type { ProcessWindowFunction, WindowContext } from './windowing/windowed-stream';
export { StreamExecutionEnvironment } from './environment';
export { DataStream, KeyedStream } from './data-stream';
export { ConnectedStreams } from './connected-streams';
export { BroadcastStream, BroadcastConnectedStream } from './broadcast-stream';
export type {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  BroadcastBaseContext,
  BroadcastContext,
  KeyedBroadcastContext,
  ReadOnlyBroadcastContext,
  KeyedBroadcastOnTimerContext,
} from './broadcast-functions';
export type { AsyncFunction, MapAsyncOptions } from './operators/async-wait-operator';
export type * from './functions';
export { InputSelection } from './two-input-functions';
export type {
  InputSelectable,
  CoProcessFunction,
  KeyedCoProcessFunction,
  ProcessJoinContext,
  ProcessJoinFunction,
  JoinFunction,
  FlatJoinFunction,
  CoGroupFunction,
} from './two-input-functions';
export { IntervalJoin, IntervalJoined } from './joins/interval-join';
export { JoinedStreams, CoGroupedStreams, JoinWithWindow, CoGroupWithWindow } from './joins/window-join';
export type * from './rich-functions';
export type { Partitioner } from './partitioners';
export type { Comparable } from './aggregations';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
} from '../state/state-descriptors';
export type { Source, SourceReader, SourceReaderContext, ReaderOutput, InputStatus } from './source';
export type { Sink, SinkWriter, SinkWriterContext } from './sink';
export type { JobSettings } from './job-settings';
export { sequenceSource, collectionSource, generatorSource } from './connectors/collection-sources';
export { fileLinesSource } from './connectors/file-lines-source';
export { printSink, collectSink } from './connectors/client-sinks';
export { fileSink } from './connectors/file-sink';
