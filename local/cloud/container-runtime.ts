import { constants as fsConstants, promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Whether a container runtime (Docker, Podman, Colima…) answers, for the `containers` local
 * cloud mode (docs/architecture.md §12). A `docker` binary on PATH proves nothing (the client is often
 * installed without a daemon), so this looks for the daemon's endpoint and asks it `/_ping`.
 */
export type ContainerRuntimeStatus =
  { available: true; endpoint: string } | { available: false; reason: string };

export interface DetectContainerRuntimeOptions {
  /** Environment to read DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, HOME, XDG_RUNTIME_DIR from. */
  env?: Record<string, string | undefined>;
  /** Sockets to try in order when DOCKER_HOST is unset; default {@link defaultSocketPaths}. */
  socketPaths?: string[];
  /** Budget for the whole `/_ping` exchange; default 1000 ms. */
  timeoutMs?: number;
}

type Target =
  | { kind: 'unix'; socketPath: string; endpoint: string }
  | {
      kind: 'tcp';
      host: string;
      port: number;
      tls?: { ca: Buffer; cert: Buffer; key: Buffer };
      endpoint: string;
    };

/** The usual places of Docker, Docker Desktop, rootless Docker, Colima and Podman sockets. */
export function defaultSocketPaths(env: Record<string, string | undefined> = process.env): string[] {
  const home = env.HOME ?? os.homedir();
  const runtimeDir = env.XDG_RUNTIME_DIR;
  const paths = ['/var/run/docker.sock', path.join(home, '.docker', 'run', 'docker.sock')];
  if (runtimeDir) paths.push(path.join(runtimeDir, 'docker.sock'));
  paths.push(path.join(home, '.colima', 'default', 'docker.sock'));
  if (runtimeDir) paths.push(path.join(runtimeDir, 'podman', 'podman.sock'));
  return paths;
}

/**
 * Finds the runtime endpoint — DOCKER_HOST if set (unix:// or tcp://), else the first socket
 * that exists among `socketPaths` — and sends `GET /_ping` with a timeout. Available only if
 * it answers 200 `OK`. Never throws: every failure is a reason a person can act on.
 */
export async function detectContainerRuntime(
  options: DetectContainerRuntimeOptions = {},
): Promise<ContainerRuntimeStatus> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 1000;
  const target = env.DOCKER_HOST
    ? await targetFromDockerHost(env.DOCKER_HOST, env)
    : await firstSocket(options.socketPaths ?? defaultSocketPaths(env));
  if ('reason' in target) return { available: false, reason: target.reason };
  const answer = await ping(target, timeoutMs);
  if (answer.ok) return { available: true, endpoint: target.endpoint };
  return { available: false, reason: `${target.endpoint}: ${answer.reason}` };
}

async function targetFromDockerHost(
  dockerHost: string,
  env: Record<string, string | undefined>,
): Promise<Target | { reason: string }> {
  let url: URL;
  try {
    url = new URL(dockerHost);
  } catch {
    return { reason: `DOCKER_HOST '${dockerHost}' is not a URL` };
  }
  if (url.protocol === 'unix:') {
    const socketPath = decodeURIComponent(url.pathname);
    return { kind: 'unix', socketPath, endpoint: `unix://${socketPath}` };
  }
  if (url.protocol !== 'tcp:') {
    return { reason: `DOCKER_HOST '${dockerHost}': only unix:// and tcp:// are supported` };
  }
  const useTls = Boolean(env.DOCKER_TLS_VERIFY) && env.DOCKER_TLS_VERIFY !== '0';
  const port = url.port ? Number(url.port) : useTls ? 2376 : 2375;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const endpoint = `tcp://${url.hostname}:${port}`;
  if (!useTls) return { kind: 'tcp', host, port, endpoint };
  const certDir = env.DOCKER_CERT_PATH ?? path.join(env.HOME ?? os.homedir(), '.docker');
  try {
    const [ca, cert, key] = await Promise.all(
      ['ca.pem', 'cert.pem', 'key.pem'].map((f) => fs.readFile(path.join(certDir, f))),
    );
    return {
      kind: 'tcp',
      host,
      port,
      endpoint,
      tls: { ca: ca as Buffer, cert: cert as Buffer, key: key as Buffer },
    };
  } catch (err) {
    return {
      reason: `DOCKER_TLS_VERIFY is set but the client certificates in ${certDir} cannot be read (${(err as Error).message})`,
    };
  }
}

async function firstSocket(socketPaths: string[]): Promise<Target | { reason: string }> {
  for (const socketPath of socketPaths) {
    try {
      const stat = await fs.stat(socketPath);
      if (!stat.isSocket()) continue;
      await fs.access(socketPath, fsConstants.R_OK | fsConstants.W_OK);
      return { kind: 'unix', socketPath, endpoint: `unix://${socketPath}` };
    } catch {
      // Missing or not ours: try the next place.
    }
  }
  return {
    reason: `DOCKER_HOST is not set and no usable socket exists at ${socketPaths.join(', ') || '(no paths)'}`,
  };
}

/** `GET /_ping` within `timeoutMs` (connect + answer); Docker and Podman answer 200 "OK". */
function ping(target: Target, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: { ok: true } | { ok: false; reason: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const common = { method: 'GET', path: '/_ping', headers: { Host: 'docker' } };
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 256) body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200)
          finish({ ok: false, reason: `GET /_ping answered HTTP ${res.statusCode}` });
        else if (body.trim() !== 'OK')
          finish({
            ok: false,
            reason: `GET /_ping answered 200 but not OK: ${JSON.stringify(body.slice(0, 40))}`,
          });
        else finish({ ok: true });
      });
      res.on('error', (err) => finish({ ok: false, reason: `GET /_ping failed: ${err.message}` }));
    };
    const req =
      target.kind === 'unix'
        ? http.request({ ...common, socketPath: target.socketPath }, onResponse)
        : target.tls
          ? https.request({ ...common, host: target.host, port: target.port, ...target.tls }, onResponse)
          : http.request({ ...common, host: target.host, port: target.port }, onResponse);
    const timer = setTimeout(
      () => finish({ ok: false, reason: `GET /_ping timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, reason: `cannot connect (${err.code ?? err.message})` }),
    );
    req.end();
  });
}
