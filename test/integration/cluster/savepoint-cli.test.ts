/**
 * The savepoint commands of the CLI against a real cluster (issue 9): a TaskManager process,
 * Redis, the S3 emulator, the REST API on loopback. `sluice savepoint` (progress, location),
 * `list`, `inspect` and `--dump` matching the state the job held, `stop` (the job FINISHES),
 * `savepoint check` (exit 0 / 1 / 2), `run --from-savepoint` refusing a renamed uid (and
 * running with --allow-non-restored-state), resuming at another parallelism with counts that
 * continue exactly, `cancel --with-savepoint`, `--dispose`, and corrupt objects refused by name.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { savepointKeyOf } from '../../../runtime/checkpoint/savepoint-store';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { blobStoreOptions } from '../../../runtime/services/runtime-services';
import type { BlobStore } from '../../../runtime/storage/blob-store';
import { createBlobStore } from '../../../runtime/storage/create-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { runCli } from '../../helpers/cli-runner';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { checkCountsContinue } from '../../helpers/savepoint-output';

const RECORDS = 16_000;
const KEYS = 37;
const TOKEN = 'savepoint-cli-token';
const JOB = fixtureJob('savepoint-count-job');

describe('savepoint CLI (TaskManager process, Redis, S3 emulator, REST on loopback)', () => {
  let cluster: TestCluster;
  let rest: FastifyInstance;
  let blobs: BlobStore;
  let work: string;
  let flags: string[];
  const savedConfig = process.env.SLUICE_CONFIG;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await cluster.startTaskManager(8);
    const { dispatcher } = cluster.jobManager;
    rest = createRestServer({
      gateway: dispatcher,
      checkpoints: dispatcher,
      savepoints: dispatcher,
      token: TOKEN,
      maxBodyBytes: 1 << 20,
    });
    flags = ['--rest-url', await rest.listen({ host: '127.0.0.1', port: 0 }), '--token', TOKEN];
    work = mkdtempSync(join(tmpdir(), 'sluice-sp-cli-'));
    // inspect and check read the store themselves, configured like the cluster.
    const c = cluster.config;
    const yaml = Object.entries({
      'storage.type': 's3',
      's3.bucket': c['s3.bucket'],
      's3.endpoint': c['s3.endpoint'],
      's3.region': c['s3.region'],
      's3.path-style-access': true,
      's3.access-key': c['s3.access-key'],
      's3.secret-key': c['s3.secret-key'],
    })
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n');
    writeFileSync(join(work, 'sluice.yaml'), `${yaml}\n`);
    process.env.SLUICE_CONFIG = join(work, 'sluice.yaml');
    blobs = createBlobStore(blobStoreOptions(cluster.config));
  }, 120_000);

  afterAll(async () => {
    if (savedConfig === undefined) delete process.env.SLUICE_CONFIG;
    else process.env.SLUICE_CONFIG = savedConfig;
    await blobs?.close();
    await rest?.close();
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const jobArgs = (output: string, extra: string[] = []) => [
    '--arg',
    `records=${RECORDS}`,
    '--arg',
    `keys=${KEYS}`,
    '--arg',
    'paceEvery=1',
    '--arg',
    `output=${output}`,
    ...extra,
  ];

  async function submitDetached(output: string, parallelism: number, extra: string[] = []): Promise<string> {
    const run = await runCli([
      'run',
      JOB,
      '--target',
      'cluster',
      '--detached',
      '--skip-type-check',
      '-p',
      String(parallelism),
      ...jobArgs(output, extra),
      ...flags,
    ]);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const jobId = run.stdout.trim();
    await cluster.waitForAllTasksRunning(jobId);
    return jobId;
  }

  /** Retries a savepoint command until the job's checkpoint coordinator runs (it starts once every task does). */
  async function untilAccepted(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return waitFor(
      async () => {
        const run = await runCli(args);
        return run.code === 0 || !run.stderr.includes('not running') ? run : undefined;
      },
      { timeoutMs: 30_000, what: `sluice ${args[0]} to be accepted` },
    );
  }

  /** Per key, the highest count the committed output holds. */
  function maxCounts(dir: string): Map<number, number> {
    const max = new Map<number, number>();
    for (const f of readdirSync(dir).filter((n) => n.startsWith('part-')))
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean)) {
        const [key, , count] = line.split(' ').map(Number) as [number, number, number];
        max.set(key, Math.max(max.get(key) ?? 0, count));
      }
    return max;
  }

  it('savepoint with progress, list, stop, inspect and dump, check, refused and allowed resume, exact resume', async () => {
    const output = join(work, 'out');
    const jobId = await submitDetached(output, 2);

    const taken = await untilAccepted(['savepoint', jobId, 'savepoints/manual', ...flags]);
    expect(taken).toMatchObject({ code: 0 });
    const manual = taken.stdout.trim();
    expect(manual).toMatch(
      new RegExp(
        `^s3://${cluster.config['s3.bucket']}/savepoints/manual/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`,
      ),
    );
    expect(taken.stderr).toMatch(
      new RegExp(`savepoint of job ${jobId} triggered \\(request [0-9a-f-]{36}\\)`),
    );
    for (const line of taken.stderr.split('\n').filter((l) => l.includes('in progress:')))
      expect(line).toMatch(/in progress: \d+\/\d+ subtasks acknowledged, [\d.]+ (B|KiB|MiB) uploaded$/);
    expect((await cluster.job(jobId)).status).toBe('RUNNING');

    const stopped = await untilAccepted(['stop', jobId, '--savepoint-dir', 'savepoints/stops', ...flags]);
    expect(stopped).toMatchObject({ code: 0 });
    const location = stopped.stdout.trim();
    expect(location).toContain('/savepoints/stops/savepoint-');
    expect((await cluster.job(jobId)).status).toBe('FINISHED');

    const listed = await runCli(['savepoint', 'list', ...flags]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(location);
    expect(listed.stdout).toContain(manual);

    // inspect: the counter's keyed state, every key, over its key groups; the source's positions.
    const inspected = await runCli(['savepoint', 'inspect', location, '--json']);
    expect(inspected).toMatchObject({ code: 0 });
    const report = JSON.parse(inspected.stdout) as {
      operators: {
        uid?: string;
        keyedStates: { name: string; keys: number }[];
        subtasks: { keyGroupRange?: object }[];
      }[];
    };
    const counter = report.operators.find((o) => o.uid === 'count')!;
    expect(counter.keyedStates).toEqual([
      expect.objectContaining({ name: 'count', kind: 'value', keys: KEYS }),
    ]);
    expect(counter.subtasks.map((s) => s.keyGroupRange)).toHaveLength(2);
    expect(report.operators.find((o) => o.uid === 'ticks')).toBeDefined();
    const table = await runCli(['savepoint', 'inspect', location]);
    expect(table.stdout).toMatch(/count \(value, 37 keys\)/);

    // dump: per key the count the job held = the highest count its sink committed before the stop.
    const dumped = await runCli(['savepoint', 'inspect', location, '--dump', 'count', '--state', 'count']);
    expect(dumped.code).toBe(0);
    const entries = dumped.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: number; value: number });
    expect(new Map(entries.map((e) => [e.key, e.value]))).toEqual(maxCounts(output));
    const one = await runCli(['savepoint', 'inspect', location, '--dump', 'count', '--key', '5']);
    expect(one.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(one.stdout)).toMatchObject({ state: 'count', key: 5, value: maxCounts(output).get(5) });

    // check: compatible at 3, incompatible with the counter's uid renamed (naming it), usage error 2.
    const ok = await runCli(['savepoint', 'check', location, JOB, '-p', '3', ...jobArgs(output)]);
    expect({ code: ok.code, out: ok.stdout }).toMatchObject({
      code: 0,
      out: expect.stringContaining('COMPATIBLE'),
    });
    const renamed = ['--arg', 'countUid=counter-v2'];
    const bad = await runCli(['savepoint', 'check', location, JOB, ...jobArgs(output, renamed)]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/PROBLEM operator 'count' \(count\) has state \[count\]/);
    expect(bad.stdout).toContain('INCOMPATIBLE');
    expect((await runCli(['savepoint', 'check', location])).code).toBe(2);
    expect((await runCli(['savepoint', 'check', location, join(work, 'missing-job.ts')])).code).toBe(2);
    const lenient = await runCli([
      'savepoint',
      'check',
      location,
      JOB,
      '--allow-non-restored-state',
      ...jobArgs(output, renamed),
    ]);
    expect(lenient.code).toBe(0);

    // resume of the renamed job: refused naming the uid (allowed with the flag: below).
    const refused = await runCli([
      'run',
      JOB,
      '--target',
      'cluster',
      '--detached',
      '--skip-type-check',
      '--from-savepoint',
      location,
      ...jobArgs(join(work, 'out-renamed'), renamed),
      ...flags,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/operator 'count' \(count\).*--allow-non-restored-state/);
    // The real resume, at parallelism 3: counts continue exactly across the stop.
    const resumed = await runCli([
      'run',
      JOB,
      '--target',
      'cluster',
      '--skip-type-check',
      '-p',
      '3',
      '--from-savepoint',
      location,
      ...jobArgs(output),
      ...flags,
    ]);
    expect({ code: resumed.code, stderr: resumed.stderr }).toMatchObject({ code: 0 });
    expect(checkCountsContinue(output, RECORDS, KEYS)).toBe(RECORDS);

    // Allowed, the renamed job runs (its counter starts empty). Same output: the file sink keeps
    // its uid, so it restores its pending commits, which are files of that directory (committed already).
    const allowed = await runCli([
      'run',
      JOB,
      '--target',
      'cluster',
      '--skip-type-check',
      '--from-savepoint',
      location,
      '--allow-non-restored-state',
      ...jobArgs(output, renamed),
      ...flags,
    ]);
    expect({ code: allowed.code, stderr: allowed.stderr }).toMatchObject({ code: 0 });

    const disposed = await runCli(['savepoint', '--dispose', manual, ...flags]);
    expect(disposed).toMatchObject({ code: 0 });
    expect(await blobs.list(savepointKeyOf(blobs, manual))).toEqual([]);
    expect((await runCli(['savepoint', 'list', ...flags])).stdout).not.toContain(manual);
  }, 240_000);

  it('stop --drain: the job FINISHES and its sink committed exactly the records the savepoint counted', async () => {
    const output = join(work, 'out-drain');
    const jobId = await submitDetached(output, 2);
    const stopped = await untilAccepted(['stop', jobId, '--drain', ...flags]);
    expect(stopped).toMatchObject({ code: 0 });
    expect((await cluster.job(jobId)).status).toBe('FINISHED');
    const dumped = await runCli(['savepoint', 'inspect', stopped.stdout.trim(), '--dump', 'count']);
    const counted = dumped.stdout
      .trim()
      .split('\n')
      .reduce((sum, l) => sum + (JSON.parse(l) as { value: number }).value, 0);
    const committed = [...maxCounts(output).values()].reduce((a, b) => a + b, 0);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(RECORDS);
    expect(committed).toBe(counted);
  }, 120_000);

  it('cancel --with-savepoint; corrupt _metadata and state files refused naming the object; unknown job', async () => {
    const jobId = await submitDetached(join(work, 'out-cancel'), 2);
    const canceled = await untilAccepted(['cancel', jobId, '--with-savepoint', ...flags]);
    expect(canceled).toMatchObject({ code: 0 });
    const location = canceled.stdout.trim();
    await cluster.waitForStatus(jobId, ['CANCELED']);

    const dir = savepointKeyOf(blobs, location);
    const keys = await blobs.list(dir);
    const copy = (to: string) => Promise.all(keys.map((k) => blobs.copy(k, k.replace(dir, to))));
    await copy('savepoints/corrupt-meta');
    const meta = Buffer.from(await blobs.get('savepoints/corrupt-meta/_metadata')).toString('utf8');
    await blobs.put('savepoints/corrupt-meta/_metadata', meta.replace(/"stateSize": \d+/, '"stateSize": 1'));
    const metaRun = await runCli([
      'run',
      JOB,
      '--target',
      'cluster',
      '--detached',
      '--skip-type-check',
      '--from-savepoint',
      'savepoints/corrupt-meta',
      ...jobArgs(join(work, 'out-x')),
      ...flags,
    ]);
    expect(metaRun.code).toBe(1);
    expect(metaRun.stderr).toMatch(/savepoints\/corrupt-meta\/_metadata is corrupt: checksum/);
    const metaInspect = await runCli(['savepoint', 'inspect', 'savepoints/corrupt-meta']);
    expect(metaInspect.code).toBe(1);
    expect(metaInspect.stderr).toContain('savepoints/corrupt-meta/_metadata is corrupt');
    expect((await runCli(['savepoint', 'check', 'savepoints/corrupt-meta', JOB])).code).toBe(1);

    await copy('savepoints/corrupt-state');
    const stateKey = keys.find((k) => !k.endsWith('_metadata') && k.includes('count'))!;
    const corrupted = stateKey.replace(dir, 'savepoints/corrupt-state');
    const bytes = Buffer.from(await blobs.get(corrupted));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await blobs.put(corrupted, bytes);
    const stateInspect = await runCli(['savepoint', 'inspect', 'savepoints/corrupt-state']);
    expect(stateInspect.code).toBe(1);
    expect(stateInspect.stderr).toContain(`${corrupted} is corrupt`);
    const stateCheck = await runCli([
      'savepoint',
      'check',
      'savepoints/corrupt-state',
      JOB,
      ...jobArgs(work),
    ]);
    expect(stateCheck.code).toBe(1);
    expect(stateCheck.stdout).toContain(`${corrupted} is corrupt`);

    const unknown = 'f'.repeat(32);
    for (const args of [
      ['stop', unknown],
      ['savepoint', unknown],
      ['cancel', unknown, '--with-savepoint'],
    ]) {
      const run = await runCli([...args, ...flags]);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr).toContain(unknown);
    }
    const notThere = await runCli(['savepoint', 'inspect', 'savepoints/nothing-here']);
    expect(notThere.code).toBe(1);
    expect(notThere.stderr).toMatch(/savepoints\/nothing-here is not a savepoint/);
  }, 120_000);
});
