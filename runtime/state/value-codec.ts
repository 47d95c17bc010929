import { Packr } from 'msgpackr';
import { StateError } from '../errors';

/**
 * State values as bytes: msgpack without shared record structures, so every encoded value
 * stands alone (in a kv store entry or a snapshot) and decodes in any process.
 */
const packr = new Packr({ useRecords: false });

/** `stateName` may be a function: naming the state costs time, and is only needed for an error. */
export function encodeValue(value: unknown, stateName: string | (() => string)): Buffer {
  try {
    return packr.pack(value);
  } catch (err) {
    const name = typeof stateName === 'function' ? stateName() : stateName;
    throw new StateError(`state '${name}': the value cannot be encoded as msgpack`, { cause: err });
  }
}

export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
