/**
 * Globally unique channel id: job, attempt, edge, producer and consumer subtask. The attempt
 * lets a transport drop messages of an attempt that was restarted.
 */
export function channelId(
  jobId: string,
  attempt: number,
  edgeId: string,
  producerSubtask: number,
  consumerSubtask: number,
): string {
  return `${jobId}/${attempt}/${edgeId}/${producerSubtask}-${consumerSubtask}`;
}
