import { randomBytes } from 'node:crypto';
import { MessageChannel } from 'node:worker_threads';
import { BlobLinesReader } from '../../../runtime/api/connectors/blob-lines-reader';
import { fileSink } from '../../../runtime/api/connectors/file-sink';
import { FileSinkWriter } from '../../../runtime/api/connectors/file-sink/file-sink-writer';
import { partNames } from '../../../runtime/api/connectors/file-sink/part-names';
import { S3PartTarget } from '../../../runtime/api/connectors/file-sink/s3-part-target';
import type { SinkWriter } from '../../../runtime/api/sink';
import { loadConfig } from '../../../runtime/config';
import type { ResolvedConfig } from '../../../runtime/config';
import { BadRequestError, JobFailedError, NotFoundError } from '../../../runtime/errors';
import type { S3PathScope } from '../../../runtime/storage/s3-path';
import { S3BlobStore } from '../../../runtime/storage/s3/s3-blob-store';
import { TaskBlobAccess } from '../../../runtime/taskmanager/task-blob-access';
import { TaskBlobClient } from '../../../runtime/taskmanager/task-blob-client';
import type { TaskControlMessage, TaskThreadMessage } from '../../../runtime/taskmanager/task-reporter';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';
import { fauxqsS3Options, startFauxqs } from '../../helpers/fauxqs';
import type { FauxqsServer } from '../../helpers/fauxqs';

let fauxqs: FauxqsServer;
const bucket = `sluice-conn-${randomBytes(4).toString('hex')}`;
const prefix = 'team/sluice';
const scope: S3PathScope = { bucket, prefix };
/** The cluster's store: rooted at the configured bucket and prefix. */
let store: S3BlobStore;
/** The whole bucket, to look at what really landed where. */
let bucketRoot: S3BlobStore;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  store = new S3BlobStore({ bucket, prefix, ...fauxqsS3Options(fauxqs.endpoint) });
  bucketRoot = new S3BlobStore({ bucket, ...fauxqsS3Options(fauxqs.endpoint) });
  await store.ensureBucket();
});

afterAll(async () => {
  await store?.close();
  await bucketRoot?.close();
  await fauxqs?.stop();
});

const s3Path = (key: string): string => `s3://${bucket}/${prefix}/${key}`;
const text = async (key: string): Promise<string> => Buffer.from(await store.get(key)).toString('utf8');

function writer(dir: string, checkpointing: boolean, jobId = 'job1', subtaskIndex = 0): SinkWriter<unknown> {
  return fileSink<unknown>(dir).createWriter({
    subtaskIndex,
    parallelism: 1,
    taskManagerId: 'test-tm',
    jobId,
    checkpointing,
    s3: { store, scope },
    emitOutput: () => undefined,
    emitResult: () => undefined,
  });
}

describe('file sink on s3:// (writer level)', () => {
  it('stages hidden objects at prepareCommit and commits them idempotently', async () => {
    const w = writer(s3Path('out-2pc'), true);
    w.write('one');
    w.write('two');
    const committables = w.prepareCommit!(5);
    expect(committables).toEqual([{ staged: '.part-job1-0-5.txt.pending', final: 'part-job1-0-5.txt' }]);
    w.write('after');
    await w.commit!(committables);
    expect(await store.list('out-2pc')).toEqual(['out-2pc/part-job1-0-5.txt']);
    expect(await text('out-2pc/part-job1-0-5.txt')).toBe('one\ntwo\n');
    // A restored attempt commits again: already committed, nothing changes.
    await writer(s3Path('out-2pc'), true).commit!(committables);
    expect(await store.list('out-2pc')).toEqual(['out-2pc/part-job1-0-5.txt']);
    await w.close!(); // 'after' was never staged: dropped
    expect(await store.list('out-2pc')).toEqual(['out-2pc/part-job1-0-5.txt']);
    expect(await bucketRoot.list(`${prefix}/out-2pc`)).toEqual([`${prefix}/out-2pc/part-job1-0-5.txt`]);
  });

  it('recovery commits what a failed attempt staged', async () => {
    const failed = writer(s3Path('out-recover'), true);
    failed.write('staged');
    const committables = failed.prepareCommit!(9);
    await failed.close!();
    expect(await store.list('out-recover')).toEqual(['out-recover/.part-job1-0-9.txt.pending']);
    await writer(s3Path('out-recover'), true).commit!(committables);
    expect(await store.list('out-recover')).toEqual(['out-recover/part-job1-0-9.txt']);
    expect(await text('out-recover/part-job1-0-9.txt')).toBe('staged\n');
  });

  it('without checkpointing commits at close after finish, and leaves nothing after an abort', async () => {
    const ok = writer(s3Path('out-plain/'), false, 'runA');
    const aborted = writer(s3Path('out-plain'), false, 'runB');
    for (let i = 0; i < 1000; i++) {
      ok.write(`ok ${i}`);
      aborted.write(`aborted ${i}`);
    }
    ok.finish!();
    await ok.close!();
    await aborted.close!();
    expect(await store.list('out-plain')).toEqual(['out-plain/part-runA-0-0.txt']);
    expect((await text('out-plain/part-runA-0-0.txt')).split('\n')).toHaveLength(1001);
  });

  it('without checkpointing rolls parts by size, commits them all at the end or removes them all', async () => {
    const rolling = (runId: string): FileSinkWriter<string> =>
      new FileSinkWriter<string>(new S3PartTarget(store, 'out-roll', 4096), partNames(runId, 0), false);
    const ok = rolling('runA');
    const aborted = rolling('runB');
    const lines = Array.from({ length: 20_000 }, (_, i) => `rolled line ${i}`);
    for (const line of lines) {
      ok.write(line);
      aborted.write(line);
    }
    ok.finish!();
    await ok.close();
    await aborted.close(); // no finish: a failed attempt
    const keys = await store.list('out-roll');
    expect(keys.length).toBeGreaterThan(3);
    expect(keys).toEqual(keys.map((_, i) => `out-roll/part-runA-0-${i}.txt`).sort());
    const bodies = await Promise.all(keys.map((k) => text(k)));
    expect(bodies.flatMap((b) => b.split('\n').filter((l) => l !== '')).sort()).toEqual([...lines].sort());
  });

  it('refuses paths outside the configured bucket and prefix when the writer is created', () => {
    expect(() => writer(`s3://other-${bucket}/${prefix}/out`, true)).toThrow(
      /only use the configured bucket/,
    );
    expect(() => writer(`s3://${bucket}/elsewhere/out`, true)).toThrow(/below the configured prefix/);
    expect(() => writer(`s3://${bucket}/${prefix}/../x`, true)).toThrow(/must be plain/);
    expect(() => writer(s3Path('checkpoints/j'), true)).toThrow(/belong to the cluster/);
  });
});

describe('s3:// lines reader (reader level)', () => {
  /** Polls until the reader ends or `limit` lines were read, waiting when it has nothing available. */
  async function drain(reader: BlobLinesReader, limit = Infinity): Promise<string[]> {
    const lines: string[] = [];
    const output = { collect: (line: string) => lines.push(line) };
    for (;;) {
      const status = reader.pollNext(output);
      if (status === 'end' || lines.length >= limit) return lines;
      if (status === 'nothing-available') await reader.isAvailable();
    }
  }

  it('resumes from a snapshot position without losing or repeating a line', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `row ${i} ${'y'.repeat(i % 61)}`);
    await store.put('reader/rows.txt', lines.join('\n') + '\n');
    const all: string[] = [];
    for (let subtask = 0; subtask < 2; subtask++) {
      const first = new BlobLinesReader(store, 'reader/rows.txt', subtask, 2);
      await first.start();
      const before = await drain(first, 5000);
      const position = first.snapshotState();
      const resumed = new BlobLinesReader(store, 'reader/rows.txt', subtask, 2);
      resumed.restoreState(position);
      await resumed.start();
      all.push(...before, ...(await drain(resumed)));
    }
    expect(all).toEqual(lines);
  });

  it('fails with NotFoundError naming a missing object', async () => {
    const reader = new BlobLinesReader(store, 'reader/absent.txt', 0, 1);
    await expect(reader.start()).rejects.toThrow(/blob not found: s3:\/\/.*\/reader\/absent\.txt/);
    await expect(reader.start()).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('task blob access through the TaskManager', () => {
  const task = { jobId: 'j', attempt: 0, vertexId: 'v', subtaskIndex: 0 };

  /** A task-side client wired to a TaskManager-side access over a real MessageChannel. */
  function wired(access: TaskBlobAccess): { client: TaskBlobClient; close: () => void } {
    const { port1: taskPort, port2: tmPort } = new MessageChannel();
    tmPort.on('message', (m: TaskThreadMessage) => {
      if (m.type !== 'blob') return;
      void access.handle(task, m.request).then((reply) => {
        tmPort.postMessage({ type: 'blob-reply', id: m.id, reply } satisfies TaskControlMessage);
      });
    });
    return {
      client: new TaskBlobClient(taskPort, access.scope),
      close: () => {
        taskPort.close();
        tmPort.close();
      },
    };
  }

  it('serves the task blob store port and returns typed errors', async () => {
    const { client, close } = wired(new TaskBlobAccess(store, scope));
    try {
      await client.put('via-tm/a.txt', 'hello\nworld\n');
      expect(await client.exists('via-tm/a.txt')).toBe(true);
      expect(await client.size('via-tm/a.txt')).toBe(12);
      expect(Buffer.from(await client.getRange('via-tm/a.txt', 6, 100)).toString()).toBe('world\n');
      expect(await client.list('via-tm')).toEqual(['via-tm/a.txt']);
      expect(client.describe('via-tm/a.txt')).toBe(s3Path('via-tm/a.txt'));
      await expect(client.get('via-tm/missing')).rejects.toBeInstanceOf(NotFoundError);
      const refused = await client.get('checkpoints/j/chk-1/_metadata').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BadRequestError);
      expect((refused as Error).message).toMatch(/belong to the cluster/);
      await expect(client.put('../escape', 'x')).rejects.toThrow(/"\.\." segments/);
      await client.delete('via-tm/a.txt');
      expect(await store.exists('via-tm/a.txt')).toBe(false);
    } finally {
      close();
    }
  });

  it('refuses every request when the cluster has no S3 store', async () => {
    const { client, close } = wired(new TaskBlobAccess(undefined, undefined));
    try {
      await expect(client.get('x')).rejects.toThrow(/no S3 blob store \(storage\.type: s3 with s3\.bucket\)/);
    } finally {
      close();
    }
  });
});

describe('s3:// jobs, embedded', () => {
  const copyLines = fixtureJob('copy-lines-job');
  let config: ResolvedConfig;
  const inputLines: string[] = [];

  beforeAll(async () => {
    const options = fauxqsS3Options(fauxqs.endpoint);
    config = loadConfig({
      env: {},
      overrides: {
        'storage.type': 's3',
        's3.bucket': bucket,
        's3.prefix': prefix,
        's3.endpoint': fauxqs.endpoint,
        's3.region': options.region,
        's3.path-style-access': true,
        's3.access-key': options.credentials.accessKeyId,
        's3.secret-key': options.credentials.secretAccessKey,
      },
    });
    // Several 1 MiB reads per subtask, a line longer than a read that crosses into the next subtask's range, CRLF, no final newline.
    for (let i = 0; i < 40_000; i++) inputLines.push(`line ${i} ${'x'.repeat(i % 97)}`);
    inputLines.splice(100, 0, 'L'.repeat(1_200_000));
    const body = inputLines.map((l, i) => (i % 1000 === 7 ? `${l}\r` : l)).join('\n');
    await store.put('in/lines.txt', body);
  });

  async function committedLines(folder: string): Promise<string[]> {
    const keys = await store.list(folder);
    expect(keys.every((k) => k.startsWith(`${folder}/part-`))).toBe(true);
    const parts = await Promise.all(keys.map((k) => text(k)));
    return parts.flatMap((p) => p.split('\n').filter((l) => l !== ''));
  }

  it.each([1, 3])(
    'reads every line of an s3:// object exactly once and writes s3:// at parallelism %i',
    async (p) => {
      const output = `out-job-p${p}`;
      const { result } = await runEmbedded(
        copyLines,
        { input: s3Path('in/lines.txt'), output: s3Path(output) },
        { parallelism: p },
        { config },
      );
      const keys = await store.list(output);
      expect(keys).toHaveLength(p);
      for (const key of keys) expect(key).toMatch(new RegExp(`^${output}/part-${result.jobId}-\\d-0\\.txt$`));
      const lines = await committedLines(output);
      expect(lines).toHaveLength(inputLines.length);
      expect(lines.sort()).toEqual(inputLines.map((l) => `${l}|copied`).sort());
    },
  );

  it('fails a job whose s3:// path leaves the configured prefix, naming the rule', async () => {
    const err = await runEmbedded(
      copyLines,
      { input: s3Path('in/lines.txt'), output: `s3://${bucket}/not-${prefix.split('/')[0]}/out` },
      { parallelism: 1 },
      { config: { ...config, 'restart-strategy.type': 'none' } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as Error).message).toMatch(/below the configured prefix/);
    expect(await bucketRoot.list(`not-${prefix.split('/')[0]}`)).toEqual([]);
  });
});
