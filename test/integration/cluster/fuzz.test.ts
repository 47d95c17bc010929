/**
 * Issue 7, item 12: seeded fuzzing of a real cluster. A job manager and a TaskManager run as
 * `sluice` processes against real redis-server and fauxqs. At least 10,000 malformed or
 * hostile HTTP requests go to the REST API (random methods, `..` and bad encodings in paths,
 * malformed and oversized bodies, wrong content types, bad and partial tokens, hostile job
 * graphs); then raw bytes go to the control port and the TaskManager's data port (garbage,
 * huge length prefixes, half frames, forged handshakes, hundreds of idle connections).
 * Asserted: no 5xx, both processes alive and answering, and jobs submitted before each round
 * finish with the right results. `SLUICE_FUZZ_SEED` replays a run.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { bundleJob } from '../../../runtime/client/bundle-job';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { RestClient } from '../../../runtime/client/rest-client';
import { submitJob } from '../../../runtime/client/submit-job';
import { envNameForKey } from '../../../runtime/config';
import { TERMINAL_JOB_STATUSES } from '../../../runtime/jobmanager/gateway';
import { S3BlobStore } from '../../../runtime/storage/s3/s3-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { REPO_ROOT } from '../../helpers/embedded';
import type { FauxqsServer } from '../../helpers/fauxqs';
import { fauxqsS3Options, startFauxqs } from '../../helpers/fauxqs';
import { freePort } from '../../helpers/free-port';
import type { FuzzContext, FuzzRequest } from '../../helpers/fuzz-inputs';
import { fuzzRequest, rawBytes } from '../../helpers/fuzz-inputs';
import { Prng } from '../../helpers/prng';
import type { RedisServer } from '../../helpers/redis-server';
import { startRedis } from '../../helpers/redis-server';

jest.setTimeout(240_000);

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261201);
const HTTP_REQUESTS = 10_000;
const CONCURRENCY = 24;
const IDLE_CONNECTIONS = 300;
const RAW_CONNECTIONS = 400;
const MAX_BODY_BYTES = 256 * 1024;
const PACED_SUM = join(REPO_ROOT, 'test/fixtures/jobs/paced-sum-job.ts');
const JOB_ARGS = { records: '20000', keys: '7', pauseEvery: '500', pauseMs: '100' };

/** A process of the cluster, with the tail of its output for failure messages. */
interface ClusterProcess {
  readonly child: ChildProcess;
  output(): string;
}

let redis: RedisServer;
let fauxqs: FauxqsServer;
let jobManager: ClusterProcess;
let taskManager: ClusterProcess;
let restUrl: string;
let rpcPort: number;
let token: string;
let client: RestClient;

function startSluice(role: 'jobmanager' | 'taskmanager', env: Record<string, string>): ClusterProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), role], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => void (tail = (tail + chunk.toString('utf8')).slice(-8_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => tail };
}

function alive(p: ClusterProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

beforeAll(async () => {
  [redis, fauxqs] = await Promise.all([startRedis(), startFauxqs()]);
  const s3 = fauxqsS3Options(fauxqs.endpoint);
  const bucket = `sluice-${randomBytes(4).toString('hex')}`;
  await new S3BlobStore({ bucket, ...s3 }).ensureBucket();
  token = randomBytes(24).toString('base64url');
  const [restPort, controlPort] = [await freePort(), await freePort()];
  rpcPort = controlPort;
  const settings: Record<string, string | number | boolean> = {
    'rest.token': token,
    'rest.address': '127.0.0.1',
    'rest.port': restPort,
    'rest.max-body-size': MAX_BODY_BYTES,
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': rpcPort,
    'high-availability.type': 'redis',
    'high-availability.redis.url': redis.url,
    'high-availability.redis.key-prefix': `f${randomBytes(4).toString('hex')}`,
    'storage.type': 's3',
    's3.bucket': bucket,
    's3.endpoint': s3.endpoint,
    's3.region': s3.region,
    's3.path-style-access': true,
    's3.access-key': s3.credentials.accessKeyId,
    's3.secret-key': s3.credentials.secretAccessKey,
    'heartbeat.interval': 500,
    'heartbeat.timeout': 10_000,
    'taskmanager.host': '127.0.0.1',
  };
  const env = Object.fromEntries(Object.entries(settings).map(([k, v]) => [envNameForKey(k), String(v)]));
  restUrl = `http://127.0.0.1:${restPort}`;
  jobManager = startSluice('jobmanager', env);
  await waitFor(async () => (await fetch(`${restUrl}/healthz`).catch(() => undefined))?.status === 200, {
    timeoutMs: 60_000,
    what: `the job manager to answer /healthz (output: ${jobManager.output()})`,
  });
  taskManager = startSluice('taskmanager', {
    ...env,
    [envNameForKey('taskmanager.numberOfTaskSlots')]: '4',
    [envNameForKey('taskmanager.id')]: 'fuzz-tm',
  });
  client = new RestClient({ url: restUrl, token });
  await waitFor(async () => (await client.listTaskManagers()).some((t) => t.connected), {
    timeoutMs: 60_000,
    what: 'the TaskManager to register',
  });
});

afterAll(async () => {
  for (const p of [taskManager, jobManager]) {
    if (p && alive(p)) {
      const exited = new Promise((resolve) => p.child.once('exit', resolve));
      p.child.kill('SIGKILL');
      await exited;
    }
  }
  await Promise.allSettled([redis?.stop(), fauxqs?.stop()]);
});

/** [key, sum] results of paced-sum, computed here independently. */
function expectedSums(): [number, number][] {
  const keys = Number(JOB_ARGS.keys);
  const sums = new Map<number, number>();
  for (let x = 0; x < Number(JOB_ARGS.records); x++) sums.set(x % keys, (sums.get(x % keys) ?? 0) + x);
  return [...sums].sort((a, b) => a[0] - b[0]);
}

async function expectJobCorrect(jobId: string): Promise<void> {
  const job = await waitFor(
    async () => {
      const details = await client.getJob(jobId);
      return TERMINAL_JOB_STATUSES.has(details.status) ? details : undefined;
    },
    { timeoutMs: 120_000, what: `job ${jobId} to end` },
  );
  expect(job.failure?.message).toBeUndefined();
  expect(job.status).toBe('FINISHED');
  const { results } = await client.jobOutput(jobId);
  expect((results as [number, number][]).sort((a, b) => a[0] - b[0])).toEqual(expectedSums());
}

/**
 * Sends one request on the keep-alive pool. A request the server must answer by closing the
 * connection (an unknown method, a header too large) can take the next request queued on that
 * socket down with it (ECONNRESET): such a request is sent again on a connection of its own,
 * and only the second answer counts.
 */
/**
 * Refused before it was read whole (a body over rest.max-body-size, headers over Node's 16 KiB
 * limit): the server answers and closes, and may do so before the client has sent it all.
 */
function oversized(r: FuzzRequest): boolean {
  const headerBytes = Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  return (r.body?.length ?? 0) > MAX_BODY_BYTES || headerBytes > 16 * 1024;
}

async function send(agent: Agent, r: FuzzRequest): Promise<number | string> {
  const first = await sendOnce(agent, r);
  return typeof first === 'string' && first.startsWith('network') ? sendOnce(false, r) : first;
}

function sendOnce(agent: Agent | false, r: FuzzRequest): Promise<number | string> {
  return new Promise((resolve) => {
    let req;
    try {
      // Node sends a DELETE or OPTIONS body without any length: frame every body explicitly,
      // or its bytes would reach the server as a second, garbage request.
      const framed =
        r.body === undefined ? r.headers : { ...r.headers, 'content-length': String(r.body.length) };
      const headers = agent === false ? { ...framed, connection: 'close' } : framed;
      req = request(`${restUrl}${r.path}`, { method: r.method, headers, agent, timeout: 30_000 });
    } catch (err) {
      // The client itself refused (e.g. a header Node will not send): nothing reached the server.
      resolve(`client refused: ${(err as Error).message}`);
      return;
    }
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (err) => resolve(`network: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    req.end(r.body);
  });
}

test(`${HTTP_REQUESTS} hostile REST requests: no 5xx, the job manager keeps serving, a running job finishes correctly`, async () => {
  const jobId = (await submitJob(client, PACED_SUM, JOB_ARGS, { parallelism: 2 })).jobId;
  const { jobGraph, code } = prepareJob(PACED_SUM, JOB_ARGS, { parallelism: 2 });
  const { sha256 } = await bundleJob(PACED_SUM);
  const ctx: FuzzContext = {
    token,
    jobId,
    artifact: sha256,
    submission: { jobGraph, artifact: sha256, args: code.args, buildSettings: code.buildSettings },
    maxBodyBytes: MAX_BODY_BYTES,
  };
  const rng = new Prng(SEED);
  const requests = Array.from({ length: HTTP_REQUESTS }, () => fuzzRequest(rng, ctx));
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<string, number>();
  const serverErrors: string[] = [];
  const networkErrors: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const status = await send(agent, r);
      const key = typeof status === 'number' ? String(status) : status.split(':')[0]!;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      const what = `${r.method} ${r.path.slice(0, 120)} [${r.kind}, ${r.body?.length ?? 0} bytes]`;
      if (typeof status === 'number' && status >= 500) serverErrors.push(`${status} ${what}`);
      // The server may close a connection mid-upload only when it refused an oversized body.
      else if (typeof status === 'string' && status.startsWith('network') && !oversized(r))
        networkErrors.push(`${status} ${what}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();

  expect(serverErrors).toEqual([]);
  expect(networkErrors).toEqual([]);
  const answered = [...statuses].filter(([k]) => /^\d+$/.test(k)).reduce((n, [, c]) => n + c, 0);
  expect(answered).toBeGreaterThanOrEqual(HTTP_REQUESTS * 0.98);
  console.log(`seed ${SEED}: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);

  expect(alive(jobManager)).toBe(true);
  expect((await fetch(`${restUrl}/healthz`)).status).toBe(200);
  expect((await client.overview()).taskManagers).toBe(1);
  await expectJobCorrect(jobId);
  // Jobs the fuzzing got accepted (valid graphs with odd args) are canceled, not left waiting for slots.
  for (const job of await client.listJobs())
    if (!TERMINAL_JOB_STATUSES.has(job.status)) await client.cancelJob(job.jobId).catch(() => undefined);
});

/** Sends `bytes`, then waits briefly for the server to close; destroys the socket either way. */
function poke(port: number, bytes: Buffer, halfOpen: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (!halfOpen) socket.end();
    });
    socket.on('error', () => undefined);
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), 500);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test('raw bytes and hundreds of idle connections on the control and data ports: both processes survive, a job runs correctly', async () => {
  const dataPort = (await client.listTaskManagers())[0]!.dataPort;
  const jobId = (await submitJob(client, PACED_SUM, JOB_ARGS, { parallelism: 2 })).jobId;
  const rng = new Prng(SEED + 1);
  const idle: Socket[] = [];
  for (const port of [rpcPort, dataPort]) {
    for (let i = 0; i < IDLE_CONNECTIONS / 2; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      idle.push(socket);
    }
  }
  const cases = Array.from({ length: RAW_CONNECTIONS }, () => ({
    port: rng.chance(0.5) ? rpcPort : dataPort,
    ...rawBytes(rng),
    halfOpen: rng.chance(0.5),
  }));
  for (let i = 0; i < cases.length; i += 40) {
    await Promise.all(cases.slice(i, i + 40).map((c) => poke(c.port, c.bytes, c.halfOpen)));
  }
  // While hundreds of connections sit idle, the cluster keeps working.
  await expectJobCorrect(jobId);
  expect(alive(jobManager)).toBe(true);
  expect(alive(taskManager)).toBe(true);
  const tms = await client.listTaskManagers();
  expect(tms.map((t) => [t.id, t.connected])).toEqual([['fuzz-tm', true]]);
  for (const socket of idle) socket.destroy();
  const after = (await submitJob(client, PACED_SUM, JOB_ARGS, { parallelism: 2 })).jobId;
  await expectJobCorrect(after);
  expect(`${jobManager.output()}${taskManager.output()}`).not.toMatch(/uncaught|FATAL|RangeError/i);
});
