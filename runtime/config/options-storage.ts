import { booleanType, durationType, enumType, optionalType, stringType, urlType } from './option-types';
import { namePrefixProblem, s3BucketNameProblem, s3PrefixProblem } from './option-validators';
import { defineOption } from './schema';

/** Blob storage (checkpoints, savepoints, artifacts) and the AWS endpoints (docs/architecture.md §7). */
export const STORAGE_OPTIONS = {
  'storage.type': defineOption({
    type: enumType(['fs', 's3']),
    default: 'fs',
    description: 'Blob store for artifacts, job graphs, checkpoints and savepoints.',
  }),
  'storage.fs.dir': defineOption({
    type: stringType({ nonEmpty: true }),
    default: '.sluice/storage',
    description: 'Directory of the fs blob store, relative to the working directory unless absolute.',
  }),
  's3.bucket': defineOption({
    type: optionalType(
      stringType({ check: s3BucketNameProblem, label: 'S3 bucket name', expected: 'an S3 bucket name' }),
    ),
    default: undefined,
    description: 'Bucket of the s3 blob store; required when storage.type is s3.',
  }),
  's3.prefix': defineOption({
    type: stringType({
      check: s3PrefixProblem,
      label: 'key prefix',
      expected: "an object key prefix without '..' or a leading '/'",
    }),
    default: '',
    description: 'Key prefix inside the bucket under which Sluice writes everything.',
  }),
  's3.endpoint': defineOption({
    type: optionalType(urlType(['http:', 'https:'])),
    default: undefined,
    description: "S3 endpoint URL for emulators or other regions' endpoints; unset uses AWS.",
  }),
  's3.region': defineOption({
    type: stringType({ nonEmpty: true }),
    default: 'us-east-1',
    description: 'AWS region of the bucket.',
  }),
  's3.path-style-access': defineOption({
    type: booleanType(),
    default: false,
    description: 'Address the bucket in the path instead of the host name (needed by most emulators).',
  }),
  's3.access-key': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    secret: true,
    description: "Access key id for S3 and SQS; unset uses the AWS SDK's default credential chain.",
  }),
  's3.secret-key': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    secret: true,
    description: "Secret access key for S3 and SQS; unset uses the AWS SDK's default credential chain.",
  }),
  'sqs.endpoint': defineOption({
    type: optionalType(urlType(['http:', 'https:'])),
    default: undefined,
    description: 'SQS endpoint URL for emulators; unset uses AWS.',
  }),
  'sqs.region': defineOption({
    type: stringType({ nonEmpty: true }),
    default: 'us-east-1',
    description: 'AWS region of the exchange queues.',
  }),
  'sqs.wait-time': defineOption({
    type: durationType({ min: 0 }),
    default: 20_000,
    description: 'Long-poll wait of the SQS exchange receive calls (0 to 20 s).',
  }),
  'sqs.dead-letter-queue-arn': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    description: 'FIFO dead-letter queue set as the redrive target of the exchange queues Sluice creates.',
  }),
  'sqs.queue-prefix': defineOption({
    type: stringType({ check: namePrefixProblem, label: 'string', expected: 'a queue name prefix' }),
    default: 'sluice',
    description: 'Prefix of the SQS queues the sqs exchange creates.',
  }),
};
