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
   * No more records come (Flink's `EndOfData`). Without `stop` (checkpointing on): the producer's
   * input ended and its operators finished (a natural end, or stop-with-savepoint with drain);
   * the channel's event time is over, and the channel stays open so checkpoint barriers still
   * flow until the producer's final checkpoint completed; end-of-partition follows then.
   * With `stop` (Flink's `StopMode.NO_DRAIN`): the job was stopped without drain by savepoint
   * `savepointId`, which has completed. The job is suspended, not ended: the consumer commits
   * that savepoint, does not end its operators' input nor their event time (nothing is
   * flushed: a resumed job does that), and ends too; end-of-partition follows at once.
   */
  | { kind: 'end-of-data'; stop?: { mode: 'no-drain'; savepointId: number } }
  /**
   * With `stop` the barrier is a stop-with-savepoint's without drain (Flink's SavepointType
   * SUSPEND): a task that snapshotted for it emits nothing more unless the savepoint fails.
   */
  | { kind: 'barrier'; checkpointId: number; timestamp: number; savepoint?: boolean; stop?: 'no-drain' }
  | { kind: 'watermark'; timestamp: number }
  /** The producer is idle (no records, no watermarks for a while) or active again. */
  | { kind: 'watermark-status'; idle: boolean };
