import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

export interface SluiceDataAccess {
  bucket: s3.IBucket;
  /** `<s3Prefix>/` or ''; every object Sluice touches starts with it. */
  keyPrefix: string;
  /** `arn:…:sqs:<region>:<account>:<queuePrefix>-*`. */
  queueArnPattern: string;
}

/** Object actions a blob store needs: read, write (incl. multipart), delete, abort uploads. */
export const S3_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
];

/** What a TaskManager's exchange needs: send and consume, and create its input queue if missing. */
export const SQS_TASKMANAGER_ACTIONS = [
  'sqs:CreateQueue',
  'sqs:GetQueueUrl',
  'sqs:GetQueueAttributes',
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
];

/** The JobManager also owns the queues' lifecycle: it sets them up and removes them at job end. */
export const SQS_JOBMANAGER_ACTIONS = [
  ...SQS_TASKMANAGER_ACTIONS,
  'sqs:DeleteQueue',
  'sqs:PurgeQueue',
  'sqs:SetQueueAttributes',
  'sqs:TagQueue',
];

/**
 * Grants exactly the S3 and SQS access a Sluice process needs: objects under the key prefix,
 * listing only under that prefix, and the exchange queues under the queue-name prefix. No
 * wildcard actions, no bucket-wide object access (so the role cannot read other prefixes).
 */
export function grantSluiceDataAccess(role: iam.IRole, access: SluiceDataAccess, sqsActions: string[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'SluiceObjects',
      actions: S3_OBJECT_ACTIONS,
      resources: [access.bucket.arnForObjects(`${access.keyPrefix}*`)],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'SluiceListUnderPrefix',
      actions: ['s3:ListBucket'],
      resources: [access.bucket.bucketArn],
      // Listing must name a prefix inside ours: the blob store always lists with one.
      conditions: { StringLike: { 's3:prefix': [`${access.keyPrefix}*`] } },
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'SluiceExchangeQueues',
      actions: sqsActions,
      resources: [access.queueArnPattern],
    }),
  );
}
