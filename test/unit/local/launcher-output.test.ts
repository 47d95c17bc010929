import type { LocalCluster } from '../../../local/cluster';
import { listedIds } from '../../../local/cluster-readiness';
import { buildProgram, formatSummary } from '../../../local/main';
import { ProcessStartError } from '../../../local/process/process-errors';

const cluster: LocalCluster = {
  restUrl: 'http://127.0.0.1:8081',
  token: 'tok',
  cloud: {
    mode: 'processes',
    reason: 'auto: no container runtime (no socket)',
    description: 'processes: redis-server (pid 7) at redis://127.0.0.1:1',
  },
  logDir: '/work/p/.sluice/logs',
  clusterFile: '/work/p/.sluice/local-cluster.json',
  info: {} as LocalCluster['info'],
  processes: [
    { name: 'jobmanager', pid: 1, logFile: '/work/p/.sluice/logs/jobmanager.log' },
    { name: 'taskmanager-1', pid: 2, logFile: '/work/p/.sluice/logs/taskmanager-1.log' },
  ],
  stop: async () => undefined,
};

describe('formatSummary', () => {
  test('says where to connect, with which token, which cloud and why, where the logs are, how to run a job', () => {
    const text = formatSummary(cluster, { taskManagers: 1, slots: 4, cwd: '/work/p' });
    expect(text).toContain('1 TaskManager(s) x 4 slot(s)');
    expect(text).toContain('REST API      http://127.0.0.1:8081');
    expect(text).toContain('token         tok');
    expect(text).toContain('cloud         processes: auto: no container runtime (no socket)');
    expect(text).toContain('redis-server (pid 7)');
    expect(text).toContain('logs          .sluice/logs/ (jobmanager.log, taskmanager-1.log)');
    expect(text).toContain('cluster file  .sluice/local-cluster.json');
    expect(text).toContain('export SLUICE_REST_URL=http://127.0.0.1:8081 SLUICE_TOKEN=tok');
    expect(text).toContain('npx sluice run functions/word-count.ts -p 4');
  });

  test('shows absolute paths outside the working directory', () => {
    expect(formatSummary(cluster, { taskManagers: 1, slots: 1, cwd: '/elsewhere' })).toContain(
      'logs          /work/p/.sluice/logs/',
    );
  });
});

describe('buildProgram', () => {
  const parse = (...args: string[]) =>
    buildProgram()
      .parse(['node', 'main', ...args])
      .opts();

  test('defaults: 2 TaskManagers x 2 slots, auto cloud, port 8081, 60 s', () => {
    expect(parse()).toMatchObject({
      taskmanagers: 2,
      slots: 2,
      cloud: 'auto',
      restPort: 8081,
      startTimeout: 60,
      rootDir: '.',
    });
  });

  test('parses every option, and the hidden sluice command as JSON', () => {
    const opts = parse(
      '--taskmanagers',
      '3',
      '--slots',
      '4',
      '--cloud',
      'embedded',
      '--rest-port',
      '0',
      '--sluice-command',
      '["node","fake.js"]',
    );
    expect(opts).toMatchObject({
      taskmanagers: 3,
      slots: 4,
      cloud: 'embedded',
      restPort: 0,
      sluiceCommand: ['node', 'fake.js'],
    });
  });

  test.each([
    [['--taskmanagers', '0'], 'is not an integer >= 1'],
    [['--rest-port', '70000'], 'is not a port'],
    [['--cloud', 'k8s'], 'Allowed choices are auto, containers, processes, embedded'],
    [['--sluice-command', '{}'], 'expected a JSON array of strings'],
  ])('rejects %j', (args, message) => {
    const program = buildProgram().configureOutput({ writeErr: () => undefined });
    expect(() => program.parse(['node', 'main', ...args])).toThrow(message);
  });
});

describe('listedIds', () => {
  test('reads a plain list or the REST answer { taskManagers: [...] }', () => {
    expect(listedIds([{ id: 'a' }, { id: 'b' }])).toEqual(['a', 'b']);
    expect(listedIds({ taskManagers: [{ id: 'taskmanager-1' }] })).toEqual(['taskmanager-1']);
  });

  test('anything else lists nobody', () => {
    expect(listedIds(null)).toEqual([]);
    expect(listedIds({ jobs: [] })).toEqual([]);
    expect(listedIds('<html>')).toEqual([]);
  });
});

describe('ProcessStartError', () => {
  test('ends with the last lines of each blamed log, indented, and keeps them as data', () => {
    const error = new ProcessStartError('timed out waiting', {
      processName: 'taskmanager-2',
      reason: 'timed-out',
      logs: [
        { processName: 'taskmanager-2', logFile: '/l/taskmanager-2.log', tail: 'line 1\nline 2\n' },
        { processName: 'jobmanager', tail: '' },
      ],
    });
    expect(error.message).toBe(
      'timed out waiting\n  last lines of taskmanager-2 (/l/taskmanager-2.log):\n    line 1\n    line 2\n  jobmanager printed nothing',
    );
    expect(error.code).toBe('SLUICE_TIMEOUT');
    expect(error.retryable).toBe(false);
    expect(error.logs).toHaveLength(2);
  });

  test('a taken port is retryable; a process that exited is a setup problem', () => {
    expect(new ProcessStartError('x', { processName: 'p', reason: 'port-in-use' })).toMatchObject({
      code: 'SLUICE_NETWORK',
      retryable: true,
    });
    expect(new ProcessStartError('x', { processName: 'p', reason: 'exited' })).toMatchObject({
      code: 'SLUICE_CONFIG',
      retryable: false,
    });
  });
});
