import type { MessagePort } from 'node:worker_threads';
import type { DownstreamMessage, UpstreamMessage } from './channel-protocol';

/*
 * Helpers every exchange transport (tcp, sqs) needs at the boundary between a task's port and
 * the wire: messages posted by task threads are checked before they are relayed, and data
 * buffers are transferred, not copied, into a task's port.
 */

/** Posts a downstream message into a task's port, transferring a data buffer (no copy). */
export function postDownstream(port: MessagePort, message: DownstreamMessage): void {
  if (message.t === 'data') port.postMessage(message, [message.buf]);
  else port.postMessage(message);
}

/** A message a producer task may post, checked because it crossed a thread boundary. */
export function isDownstreamMessage(value: unknown): value is DownstreamMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<Record<'t' | 'buf' | 'n' | 'e', unknown>>;
  if (message.t === 'data') return message.buf instanceof ArrayBuffer && typeof message.n === 'number';
  return message.t === 'event' && typeof message.e === 'object' && message.e !== null;
}

export function isUpstreamMessage(value: unknown): value is UpstreamMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<Record<'t' | 'n', unknown>>;
  return (message.t === 'credit' && Number.isSafeInteger(message.n)) || message.t === 'eop-ack';
}

/** Stops listening to a task's port and closes it (a transport owns the ports it was given). */
export function detachPort(
  port: MessagePort,
  onMessage: ((m: unknown) => void) | undefined,
  onClose: (() => void) | undefined,
): void {
  if (onMessage) port.off('message', onMessage);
  if (onClose) port.off('close', onClose);
  port.close();
}
