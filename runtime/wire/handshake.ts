/**
 * Mutual authentication of the two ends of one TCP connection, with the cluster token as shared
 * secret. Used by both planes: the control connection (TaskManager dials the job manager) and
 * the data exchange (TaskManager dials TaskManager).
 *
 * 1. acceptor -> dialer  CHALLENGE { v, id: acceptorId, nonce: Na }
 * 2. dialer  -> acceptor HELLO     { v, id: dialerId, mac: HMAC(token, protocol dialer, dialerId, acceptorId, Na), nonce: Nd }
 * 3. acceptor -> dialer  WELCOME   { mac: HMAC(token, protocol acceptor, acceptorId, dialerId, Nd) }
 *                     or REJECT    { reason }
 *
 * Fresh 32-byte nonces on both sides defeat replay; the role label in the MAC stops a proof
 * from being reflected back; both ids are bound so a proof cannot be reused for another pair;
 * the protocol name (control or data) is bound so a proof for one plane is worthless on the
 * other. MACs are compared in constant time. The token itself never crosses the wire.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { unpackPayload } from './frame-codec';
import { FrameFormatError } from './wire-errors';

export const PROTOCOL_VERSION = 1;

/** What a connection speaks after the handshake; bound into every proof. */
export type WireProtocol = 'sluice-control/1' | 'sluice-data/1';
const NONCE_BYTES = 32;

/** Why an acceptor refused a connection. `duplicate`: the pair already has (or is opening) its link. */
export type RejectReason = 'unauthorized' | 'duplicate' | 'version' | 'shutting-down' | 'overloaded';

export interface ChallengePayload {
  v: number;
  id: string;
  nonce: Buffer;
}

export interface HelloPayload {
  v: number;
  id: string;
  mac: Buffer;
  nonce: Buffer;
}

export interface WelcomePayload {
  mac: Buffer;
}

export interface RejectPayload {
  reason: RejectReason;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** The dialer's proof: it knows the token and answers this acceptor's nonce. */
export function dialerProof(
  secret: string,
  protocol: WireProtocol,
  acceptorNonce: Buffer,
  dialerId: string,
  acceptorId: string,
): Buffer {
  return proof(secret, `${protocol} dialer`, dialerId, acceptorId, acceptorNonce);
}

/** The acceptor's proof: it knows the token and answers this dialer's nonce. */
export function acceptorProof(
  secret: string,
  protocol: WireProtocol,
  dialerNonce: Buffer,
  acceptorId: string,
  dialerId: string,
): Buffer {
  return proof(secret, `${protocol} acceptor`, acceptorId, dialerId, dialerNonce);
}

function proof(secret: string, label: string, selfId: string, otherId: string, nonce: Buffer): Buffer {
  // JSON keeps the fields unambiguous whatever characters the ids contain.
  return createHmac('sha256', secret)
    .update(JSON.stringify([label, selfId, otherId]))
    .update(nonce)
    .digest();
}

/** Constant-time comparison; a length mismatch is not secret (MACs have a fixed size). */
export function proofMatches(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function parseChallenge(payload: Buffer): ChallengePayload {
  const value = record(unpackPayload(payload, 'CHALLENGE'), 'CHALLENGE');
  return {
    v: num(value.v, 'CHALLENGE.v'),
    id: str(value.id, 'CHALLENGE.id'),
    nonce: nonce(value.nonce, 'CHALLENGE'),
  };
}

export function parseHello(payload: Buffer): HelloPayload {
  const value = record(unpackPayload(payload, 'HELLO'), 'HELLO');
  return {
    v: num(value.v, 'HELLO.v'),
    id: str(value.id, 'HELLO.id'),
    mac: bytes(value.mac, 'HELLO.mac'),
    nonce: nonce(value.nonce, 'HELLO'),
  };
}

export function parseWelcome(payload: Buffer): WelcomePayload {
  const value = record(unpackPayload(payload, 'WELCOME'), 'WELCOME');
  return { mac: bytes(value.mac, 'WELCOME.mac') };
}

export function parseReject(payload: Buffer): RejectPayload {
  const value = record(unpackPayload(payload, 'REJECT'), 'REJECT');
  return { reason: str(value.reason, 'REJECT.reason') as RejectReason };
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new FrameFormatError(`${what}: expected a map`);
  return value as Record<string, unknown>;
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new FrameFormatError(`${what}: expected a non-empty string`);
  }
  return value;
}

function num(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new FrameFormatError(`${what}: expected a number`);
  return value;
}

function bytes(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new FrameFormatError(`${what}: expected bytes`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function nonce(value: unknown, what: string): Buffer {
  const out = bytes(value, `${what}.nonce`);
  if (out.length !== NONCE_BYTES) throw new FrameFormatError(`${what}: nonce must be ${NONCE_BYTES} bytes`);
  return out;
}
