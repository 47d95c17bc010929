import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ExchangeQueuesProps {
  /** Every exchange queue is named `<prefix>-<...>.fifo`; IAM is scoped to this prefix. */
  queueNamePrefix: string;
  /** Receives after which a message moves to the dead-letter queue. */
  maxReceiveCount?: number;
}

/**
 * SQS side of the exchange (docs/architecture.md §5): the runtime creates one FIFO queue per consumer
 * subtask and job, named under `queueNamePrefix`, so CloudFormation does not own those.
 * This construct owns what is shared: the FIFO dead-letter queue, and a template queue whose
 * attributes (encryption, redrive, FIFO throughput mode) the runtime copies onto the queues it
 * creates, so the settings live in one place. Both names sit under the prefix.
 */
export class ExchangeQueues extends Construct {
  readonly queueNamePrefix: string;
  readonly deadLetterQueue: sqs.Queue;
  readonly templateQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExchangeQueuesProps) {
    super(scope, id);
    this.queueNamePrefix = props.queueNamePrefix;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${props.queueNamePrefix}-dlq.fifo`,
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.templateQueue = new sqs.Queue(this, 'TemplateQueue', {
      queueName: `${props.queueNamePrefix}-template.fifo`,
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // High-throughput FIFO: order is per message group (= producer channel), which is all
      // the exchange needs, and throughput then scales with the number of channels.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: Duration.seconds(30),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
  }

  /**
   * ARN pattern matching every queue under `prefix` in `scope`'s stack account and region:
   * `arn:<partition>:sqs:<region>:<account>:<prefix>-*`. Static so a consuming stack can build
   * it from the prefix string alone, without a cross-stack reference.
   */
  static queueArnPattern(scope: Construct, queueNamePrefix: string): string {
    return Stack.of(scope).formatArn({
      service: 'sqs',
      resource: `${queueNamePrefix}-*`,
      arnFormat: ArnFormat.NO_RESOURCE_NAME,
    });
  }
}
