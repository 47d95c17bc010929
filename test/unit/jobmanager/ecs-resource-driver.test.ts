/**
 * EcsResourceDriver against a MOCKED ECS client.
 *
 * Amazon ECS cannot run on this machine (no AWS account, no network beyond the package
 * registries, and no emulator of ECS RunTask/Fargate among the installed tools), so these
 * tests inject a fake `ECSClient`: an object whose `send` records each command and answers
 * like ECS would (tasks with ARNs, or `failures`, or a thrown SDK error). They assert the
 * commands and parameters the driver sends, batching, Fargate sizing and failure handling;
 * they do not prove that real ECS accepts them.
 */
import { loadConfig } from '../../../runtime/config';
import {
  DescribeTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type DescribeTasksCommandInput,
  type ECSClient,
  type Failure,
  type RunTaskCommandInput,
  type StopTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { ConfigError, ResourceDriverError } from '../../../runtime/errors';
import {
  EcsResourceDriver,
  type EcsResourceDriverOptions,
} from '../../../runtime/jobmanager/resources/ecs/ecs-resource-driver';
import { fargateSizeFor, isValidFargateSize } from '../../../runtime/jobmanager/resources/ecs/fargate-sizes';
import type { TaskManagerLaunchRequest } from '../../../runtime/jobmanager/resources/resource-driver';
import { ZERO_PROFILE, type ResourceProfile } from '../../../runtime/deployment/resource-profile';

type Command = RunTaskCommand | StopTaskCommand | DescribeTasksCommand;
type RunAnswer = { tasks?: Array<{ taskArn: string }>; failures?: Failure[] } | Error;

/** Records every command; answers RunTask from a script (default: start all), StopTask with ok. */
class RecordingEcsClient {
  readonly commands: Command[] = [];
  runAnswers: Array<(input: RunTaskCommandInput) => RunAnswer> = [];
  stopErrors = new Map<string, Error>();
  destroyed = false;
  private nextTask = 0;

  async send(command: Command): Promise<unknown> {
    this.commands.push(command);
    await Promise.resolve();
    if (command instanceof RunTaskCommand) {
      const answer = (this.runAnswers.shift() ?? ((i) => this.startAll(i)))(command.input);
      if (answer instanceof Error) throw answer;
      return answer;
    }
    if (command instanceof StopTaskCommand) {
      const err = this.stopErrors.get(command.input.task ?? '');
      if (err) throw err;
      return { task: { taskArn: command.input.task, desiredStatus: 'STOPPED' } };
    }
    const tasks = command.input.tasks ?? [];
    return {
      tasks: tasks
        .filter((t) => !t.endsWith('gone'))
        .map((taskArn) => ({ taskArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
      failures: tasks.filter((t) => t.endsWith('gone')).map((arn) => ({ arn, reason: 'MISSING' })),
    };
  }

  destroy(): void {
    this.destroyed = true;
  }

  startAll(input: RunTaskCommandInput, howMany = input.count ?? 1): RunAnswer {
    return { tasks: Array.from({ length: howMany }, () => ({ taskArn: this.arn() })), failures: [] };
  }

  arn(): string {
    return `arn:aws:ecs:eu-west-1:111111111111:task/sluice/${(this.nextTask++).toString(16).padStart(32, '0')}`;
  }

  runInputs(): RunTaskCommandInput[] {
    return this.commands.filter((c): c is RunTaskCommand => c instanceof RunTaskCommand).map((c) => c.input);
  }

  stopInputs(): StopTaskCommandInput[] {
    return this.commands
      .filter((c): c is StopTaskCommand => c instanceof StopTaskCommand)
      .map((c) => c.input);
  }

  describeInputs(): DescribeTasksCommandInput[] {
    return this.commands
      .filter((c): c is DescribeTasksCommand => c instanceof DescribeTasksCommand)
      .map((c) => c.input);
  }
}

function sdkError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

const profile = (p: Partial<ResourceProfile>): ResourceProfile => ({ ...ZERO_PROFILE, ...p });

function request(overrides: Partial<TaskManagerLaunchRequest> = {}): TaskManagerLaunchRequest {
  return {
    jobId: 'a1b2c3d4e5f60718',
    count: 1,
    slotsPerTaskManager: 2,
    slotProfile: profile({ cpuCores: 0.5, heapMb: 512, networkMb: 64, managedMb: 128 }),
    ...overrides,
  };
}

let fake: RecordingEcsClient;
let driver: EcsResourceDriver;

function makeDriver(options: Partial<EcsResourceDriverOptions> = {}): EcsResourceDriver {
  return new EcsResourceDriver({
    cluster: 'arn:aws:ecs:eu-west-1:111111111111:cluster/sluice',
    taskDefinition: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/sluice-taskmanager:7',
    subnets: ['subnet-a', 'subnet-b'],
    securityGroups: ['sg-tm'],
    containerName: 'taskmanager',
    client: fake as unknown as ECSClient,
    ...options,
  });
}

beforeEach(() => {
  fake = new RecordingEcsClient();
  driver = makeDriver();
});

describe('startTaskManagers', () => {
  test('sends one Fargate RunTask with network, overrides, tags and startedBy', async () => {
    const ids = await driver.startTaskManagers(request({ count: 3 }));
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const [input, ...rest] = fake.runInputs();
    expect(rest).toHaveLength(0);
    expect(input).toMatchObject({
      cluster: 'arn:aws:ecs:eu-west-1:111111111111:cluster/sluice',
      taskDefinition: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/sluice-taskmanager:7',
      count: 3,
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-tm'],
          assignPublicIp: 'DISABLED',
        },
      },
      startedBy: 'sluice-a1b2c3d4e5f60718',
      enableECSManagedTags: true,
    });
    expect(input?.tags).toEqual([
      { key: 'sluice:job-id', value: 'a1b2c3d4e5f60718' },
      { key: 'sluice:role', value: 'taskmanager' },
    ]);
    expect(input?.clientToken).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('container overrides carry the job id, slot count and slots × profile resources as config keys', async () => {
    const req = request({ slotsPerTaskManager: 3 });
    await driver.startTaskManagers(req);
    const overrides = fake.runInputs()[0]?.overrides?.containerOverrides;
    expect(overrides).toHaveLength(1);
    expect(overrides?.[0]?.name).toBe('taskmanager');
    const env = Object.fromEntries((overrides?.[0]?.environment ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      SLUICE_TASKMANAGER_JOB_ID: 'a1b2c3d4e5f60718',
      SLUICE_TASKMANAGER_NUMBEROFTASKSLOTS: '3',
      SLUICE_TASKMANAGER_CPU_CORES: String(req.slotProfile.cpuCores * 3),
      SLUICE_TASKMANAGER_MEMORY_HEAP_SIZE: String(req.slotProfile.heapMb * 3),
      SLUICE_TASKMANAGER_MEMORY_MANAGED_SIZE: String(req.slotProfile.managedMb * 3),
    });
    // The TaskManager accepts them: they are all config keys.
    const config = loadConfig({ env: env as NodeJS.ProcessEnv });
    expect(config['taskmanager.job-id']).toBe('a1b2c3d4e5f60718');
    expect(config['taskmanager.numberOfTaskSlots']).toBe(3);
  });

  test('task cpu/memory = slots × profile + process overhead, rounded up to a Fargate size', async () => {
    // 2 slots × (0.5 vCPU, 512+64+128 MiB) + 512 MiB = 1 vCPU, 1920 MiB → 1024 / 2048.
    await driver.startTaskManagers(request());
    expect(fake.runInputs()[0]?.overrides).toMatchObject({ cpu: '1024', memory: '2048' });
    // 4 slots × (1 vCPU, 2048 MiB heap) + 512 = 4 vCPU, 8704 MiB → 4096 / 9216.
    await driver.startTaskManagers(
      request({ slotsPerTaskManager: 4, slotProfile: profile({ cpuCores: 1, heapMb: 2048 }) }),
    );
    expect(fake.runInputs()[1]?.overrides).toMatchObject({ cpu: '4096', memory: '9216' });
  });

  test('the unknown (all-zero) profile keeps the task definition size: no cpu/memory override', async () => {
    await driver.startTaskManagers(request({ slotProfile: ZERO_PROFILE }));
    const overrides = fake.runInputs()[0]?.overrides;
    expect(overrides?.cpu).toBeUndefined();
    expect(overrides?.memory).toBeUndefined();
    expect(overrides?.containerOverrides).toHaveLength(1);
  });

  test('a profile no Fargate size can hold fails before calling ECS', async () => {
    const huge = request({ slotsPerTaskManager: 20, slotProfile: profile({ cpuCores: 1, heapMb: 1024 }) });
    await expect(driver.startTaskManagers(huge)).rejects.toThrow(
      /no Fargate task size fits 20 slot\(s\): 20 vCPU/,
    );
    expect(fake.commands).toHaveLength(0);
  });

  test('batches RunTask in groups of 10 with a fresh client token each', async () => {
    const ids = await driver.startTaskManagers(request({ count: 25 }));
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    const inputs = fake.runInputs();
    expect(inputs.map((i) => i.count)).toEqual([10, 10, 5]);
    expect(new Set(inputs.map((i) => i.clientToken)).size).toBe(3);
    expect(driver.startedWorkerIds()).toEqual(ids);
  });

  test('count 0 sends nothing', async () => {
    await expect(driver.startTaskManagers(request({ count: 0 }))).resolves.toEqual([]);
    expect(fake.commands).toHaveLength(0);
  });

  test('assignPublicIp option is passed through', async () => {
    driver = makeDriver({ assignPublicIp: true });
    await driver.startTaskManagers(request());
    expect(fake.runInputs()[0]?.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('ENABLED');
  });
});

describe('launch failures', () => {
  test('ECS failures in a later batch: typed, retryable error naming the reason; all started tasks stopped', async () => {
    fake.runAnswers = [
      (i) => fake.startAll(i),
      (i) => ({
        ...(fake.startAll(i, 2) as object),
        failures: [
          { reason: 'RESOURCE:MEMORY', detail: 'not enough memory' },
          { reason: 'RESOURCE:MEMORY' },
          { reason: 'Capacity is unavailable at this time' },
        ],
      }),
    ];
    const err = await driver.startTaskManagers(request({ count: 15 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceDriverError);
    const typed = err as ResourceDriverError;
    expect(typed.code).toBe('SLUICE_NO_RESOURCES');
    expect(typed.retryable).toBe(true);
    expect(typed.reasons).toContain('RESOURCE:MEMORY not enough memory');
    expect(typed.message).toContain('RESOURCE:MEMORY');
    expect(typed.message).toContain('12 of 15');
    expect(fake.stopInputs()).toHaveLength(12);
    expect(driver.startedWorkerIds()).toEqual([]);
  });

  test('a missing task definition is terminal (not retryable)', async () => {
    fake.runAnswers = [
      () => ({ tasks: [], failures: [{ reason: 'MISSING', arn: 'arn:...:task-definition/x' }] }),
    ];
    const err = (await driver.startTaskManagers(request()).catch((e: unknown) => e)) as ResourceDriverError;
    expect(err).toBeInstanceOf(ResourceDriverError);
    expect(err.retryable).toBe(false);
    expect(err.reasons[0]).toMatch(/^MISSING/);
  });

  test.each([
    ['AccessDeniedException', false],
    ['InvalidParameterException', false],
    ['ThrottlingException', true],
  ])('an SDK %s becomes a ResourceDriverError (retryable=%s) naming it', async (name, retryable) => {
    fake.runAnswers = [() => sdkError(name, 'denied or throttled')];
    const err = (await driver.startTaskManagers(request()).catch((e: unknown) => e)) as ResourceDriverError;
    expect(err).toBeInstanceOf(ResourceDriverError);
    expect(err.message).toContain(`ECS RunTask failed: ${name}`);
    expect(err.reasons).toEqual([name]);
    expect(err.retryable).toBe(retryable);
    expect((err.cause as Error).name).toBe(name);
  });

  test('an SDK error in the second batch stops the first batch', async () => {
    fake.runAnswers = [(i) => fake.startAll(i), () => sdkError('ServerException')];
    await expect(driver.startTaskManagers(request({ count: 12 }))).rejects.toBeInstanceOf(
      ResourceDriverError,
    );
    expect(fake.stopInputs()).toHaveLength(10);
    expect(driver.startedWorkerIds()).toEqual([]);
  });
});

describe('stopTaskManagers and close', () => {
  test('stops the given known workers with StopTask; unknown and already stopped ids are ignored', async () => {
    const ids = await driver.startTaskManagers(request({ count: 3 }));
    await driver.stopTaskManagers([ids[0] as string, 'arn:unknown']);
    expect(fake.stopInputs()).toEqual([
      {
        cluster: 'arn:aws:ecs:eu-west-1:111111111111:cluster/sluice',
        task: ids[0],
        reason: 'stopped by the Sluice resource manager',
      },
    ]);
    await driver.stopTaskManagers([ids[0] as string]);
    expect(fake.stopInputs()).toHaveLength(1);
    expect(driver.startedWorkerIds()).toEqual(ids.slice(1));
  });

  test('a failed StopTask is reported and the worker stays tracked; a task ECS no longer knows counts as stopped', async () => {
    const [a, b] = await driver.startTaskManagers(request({ count: 2 }));
    fake.stopErrors.set(a as string, sdkError('ServerException', 'boom'));
    fake.stopErrors.set(
      b as string,
      sdkError('InvalidParameterException', 'The referenced task was not found.'),
    );
    const err = (await driver
      .stopTaskManagers([a as string, b as string])
      .catch((e: unknown) => e)) as ResourceDriverError;
    expect(err).toBeInstanceOf(ResourceDriverError);
    expect(err.reasons).toEqual([`${a}: ServerException: boom`]);
    expect(driver.startedWorkerIds()).toEqual([a]);
  });

  test('close() stops everything started, is idempotent, and refuses later launches', async () => {
    const first = await driver.startTaskManagers(request({ count: 2 }));
    const second = await driver.startTaskManagers(request({ jobId: 'other', count: 11 }));
    await driver.stopTaskManagers([first[0] as string]);
    await driver.close();
    const stopped = fake.stopInputs().map((s) => s.task);
    expect(stopped.sort()).toEqual([...first, ...second].sort());
    expect(fake.stopInputs().filter((s) => s.reason === 'Sluice resource driver closed')).toHaveLength(12);
    await driver.close();
    expect(fake.stopInputs()).toHaveLength(13);
    await expect(driver.startTaskManagers(request())).rejects.toThrow(/closed/);
    expect(fake.destroyed).toBe(false); // an injected client belongs to the caller
  });
});

describe('describeTaskManagers', () => {
  test('DescribeTasks in batches of 100; ids ECS does not know come back as MISSING', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `arn:task/${i}${i === 149 ? '-gone' : ''}`);
    const statuses = await driver.describeTaskManagers(ids);
    expect(fake.describeInputs().map((d) => d.tasks?.length)).toEqual([100, 50]);
    expect(fake.describeInputs()[0]?.cluster).toBe('arn:aws:ecs:eu-west-1:111111111111:cluster/sluice');
    expect(statuses).toHaveLength(150);
    expect(statuses.find((s) => s.workerId === 'arn:task/0')).toMatchObject({ lastStatus: 'RUNNING' });
    expect(statuses.find((s) => s.workerId === 'arn:task/149-gone')).toEqual({
      workerId: 'arn:task/149-gone',
      lastStatus: 'MISSING',
    });
  });
});

describe('options', () => {
  test('missing network settings are a ConfigError naming them', () => {
    expect(() => makeDriver({ subnets: [], securityGroups: [] })).toThrow(ConfigError);
    expect(() => makeDriver({ subnets: [] })).toThrow(/missing subnets/);
  });
});

describe('fargateSizeFor', () => {
  test.each([
    [0.1, 100, 256, 512],
    [0.25, 2048, 256, 2048],
    [0.25, 3000, 512, 3072],
    [1, 100, 1024, 2048],
    [1, 9000, 2048, 9216],
    [3, 4096, 4096, 8192],
    [4, 31_000, 8192, 32_768],
    [8, 61_440, 8192, 61_440],
    [8, 62_000, 16_384, 65_536],
    [16, 122_880, 16_384, 122_880],
  ])('%d vCPU, %d MiB → %d cpu units, %d MiB', (cpu, memory, wantCpu, wantMemory) => {
    const size = fargateSizeFor(cpu, memory);
    expect(size).toEqual({ cpu: wantCpu, memoryMiB: wantMemory });
    expect(isValidFargateSize(size as { cpu: number; memoryMiB: number })).toBe(true);
  });

  test.each([
    [17, 1024],
    [1, 123_000],
  ])('%d vCPU, %d MiB does not fit Fargate', (cpu, memory) => {
    expect(fargateSizeFor(cpu, memory)).toBeUndefined();
  });

  test('isValidFargateSize rejects pairs Fargate does not offer', () => {
    expect(isValidFargateSize({ cpu: 256, memoryMiB: 4096 })).toBe(false);
    expect(isValidFargateSize({ cpu: 8192, memoryMiB: 17_408 })).toBe(false);
    expect(isValidFargateSize({ cpu: 1024, memoryMiB: 3072 })).toBe(true);
  });
});
