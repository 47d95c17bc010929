import type { ResolvedConfig } from '../config';
import { ConfigError } from '../errors';
import type { ExchangeTransport } from '../network/exchange-transport';
import { SqsExchange } from '../network/sqs/sqs-exchange';
import type { Logger } from '../util/logger';

/** SQS connection settings from the config (shared by TaskManagers and the job manager's cleanup). */
export function sqsExchange(config: ResolvedConfig, taskManagerId: string, logger?: Logger): SqsExchange {
  const waitMs = config['sqs.wait-time'];
  if (waitMs > 20_000) throw new ConfigError(`sqs.wait-time: ${waitMs} ms is longer than SQS allows (20 s)`);
  const accessKeyId = config['s3.access-key'];
  const secretAccessKey = config['s3.secret-key'];
  return new SqsExchange({
    taskManagerId,
    region: config['sqs.region'],
    queuePrefix: config['sqs.queue-prefix'],
    waitTimeSeconds: Math.round(waitMs / 1000),
    ...(config['sqs.endpoint'] ? { endpoint: config['sqs.endpoint'] } : {}),
    ...(config['sqs.dead-letter-queue-arn']
      ? { deadLetterQueueArn: config['sqs.dead-letter-queue-arn'] }
      : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    ...(logger ? { logger } : {}),
  });
}

/**
 * A TaskManager's exchange transports: TCP is always there (it serves the data port); SQS is
 * created on first use by a job that asks for it.
 */
export class ExchangeTransports {
  private sqs: SqsExchange | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly taskManagerId: string,
    readonly tcp: ExchangeTransport,
    private readonly onChannelsLost: Parameters<ExchangeTransport['onChannelsLost']>[0],
    private readonly logger: Logger,
  ) {
    tcp.onChannelsLost(onChannelsLost);
  }

  get(kind: 'tcp' | 'sqs'): ExchangeTransport {
    if (kind === 'tcp') return this.tcp;
    if (!this.sqs) {
      this.sqs = sqsExchange(this.config, this.taskManagerId, this.logger);
      this.sqs.onChannelsLost(this.onChannelsLost);
    }
    return this.sqs;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.tcp.close(), this.sqs?.close()]);
  }
}

/** The job manager's part: removes a finished job's SQS queues (some may belong to TaskManagers that died). */
export class ExchangeCleanup {
  private sqs: SqsExchange | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
  ) {}

  async jobEnded(jobId: string, exchange: 'tcp' | 'sqs'): Promise<void> {
    if (exchange !== 'sqs') return;
    this.sqs ??= sqsExchange(this.config, 'jobmanager', this.logger);
    await this.sqs.deleteQueuesForJob(jobId);
  }

  async close(): Promise<void> {
    await this.sqs?.close();
  }
}
