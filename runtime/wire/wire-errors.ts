import { NetworkError, SluiceError } from '../errors';

/**
 * A frame announced (or would have) more bytes than the configured maximum. Terminal for the
 * connection: the stream cannot be resynchronised, and retrying would send the same frame.
 */
export class FrameTooLargeError extends NetworkError {
  readonly frameBytes: number;
  readonly maxFrameBytes: number;

  constructor(frameBytes: number, maxFrameBytes: number, what = 'frame') {
    super(`${what} of ${frameBytes} bytes exceeds the maximum of ${maxFrameBytes} bytes`, {
      retryable: false,
    });
    this.frameBytes = frameBytes;
    this.maxFrameBytes = maxFrameBytes;
  }
}

/** The peer sent bytes that are not a valid frame, or a frame that is not allowed now. */
export class FrameFormatError extends NetworkError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** The handshake failed: wrong cluster token, unexpected peer id or protocol version. */
export class PeerAuthenticationError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_UNAUTHORIZED', message, { retryable: false });
  }
}
