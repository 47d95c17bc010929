import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** What Node reports when a request cannot even be parsed (see `http.Server` 'clientError'). */
interface ClientError extends Error {
  code?: string;
  /** The bytes received so far, when the parser failed (a Buffer at run time). */
  rawPacket?: unknown;
}

const ANSWERS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, message: 'the request line and headers are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    message: 'the request did not arrive in time (rest.request-timeout)',
  },
  HPE_INVALID_METHOD: { status: 400, message: 'unknown HTTP method' },
};

/**
 * Answers a request the HTTP parser rejected (headers too large, unknown method, garbage,
 * request timeout) with the documented `{ code, message }` and closes the connection, saying
 * so (`Connection: close`). A HEAD request gets no body: a client would read it as the start
 * of the next response. Fastify's default answer sends a body in both cases.
 */
export function answerClientError(err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, message } = ANSWERS[err.code ?? ''] ?? {
    status: 400,
    message: 'the request is not valid HTTP',
  };
  const body = JSON.stringify({ code: 'SLUICE_BAD_REQUEST', message });
  const head = Buffer.isBuffer(err.rawPacket) && err.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
      'Connection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${head ? '' : body}`,
  );
}
