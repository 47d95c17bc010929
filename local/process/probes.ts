import net from 'node:net';

/** True when a RESP `PING` to 127.0.0.1:`port` is answered with `+PONG` within 500 ms. */
export function redisAnswersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * `GET url` with a timeout (default 1 s) and an optional bearer token; the status and the body,
 * parsed when it is JSON. Throws when there is no answer, saying why (ECONNREFUSED, timeout).
 */
export async function httpGet(
  url: string,
  options: { token?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      signal: AbortSignal.timeout(options.timeoutMs ?? 1000),
    });
    text = await response.text();
  } catch (err) {
    // fetch says only "fetch failed"; the cause says why (ECONNREFUSED while a server starts).
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`GET ${url} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`, {
      cause: err,
    });
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body };
}
