/**
 * Messages on one exchange channel (producer subtask -> consumer subtask of one job edge).
 *
 * Every channel is a MessagePort pair as far as task threads know. Two tasks in one
 * TaskManager hold the two ends directly; for a remote consumer the TaskManager's network
 * stack holds the far end and relays each message over a transport (tcp, sqs) unchanged.
 * Order of messages on a channel is preserved end to end; that is what keeps barriers,
 * watermarks and end-of-partition in band with records.
 *
 * Credit-based flow control is end to end: the consumer grants `initialCredit` credits up
 * front and one per data buffer it has processed; a producer sends a data buffer only while it
 * holds credit. Events (barriers, end-of-partition) need no credit.
 */
export type DownstreamMessage =
  /**
   * A batch of records: msgpack of an array (or, when records carry timestamps, of
   * `{ r: records, t: timestamps }`), in its own (transferable) ArrayBuffer.
   */
  { t: 'data'; buf: ArrayBuffer; n: number } | { t: 'event'; e: ChannelEvent };

export type UpstreamMessage =
  | { t: 'credit'; n: number }
  /** The consumer has seen end-of-partition: the producer may release the channel. */
  | { t: 'eop-ack' };

export type ChannelEvent =
  | { kind: 'end-of-partition' }
  /**
   * With checkpointing: the producer's input ended and its operators finished (Flink's
   * EndOfData), but the channel stays open so checkpoint barriers still flow until the
   * producer's final checkpoint completed; end-of-partition follows then.
   */
  | { kind: 'end-of-data' }
  | { kind: 'barrier'; checkpointId: number; timestamp: number; savepoint?: boolean }
  | { kind: 'watermark'; timestamp: number }
  /** The producer is idle (no records, no watermarks for a while) or active again. */
  | { kind: 'watermark-status'; idle: boolean };
