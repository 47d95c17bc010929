import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SluiceBucketProps {
  /** Key prefix Sluice writes under (docs/architecture.md §7); '' for the bucket root. */
  s3Prefix: string;
  /** Checkpoints older than this many days expire; a running job keeps writing fresh ones. */
  checkpointExpirationDays: number;
  /** Noncurrent (overwritten or deleted) checkpoint versions are kept this many days. */
  noncurrentVersionExpirationDays: number;
  /** Default RETAIN: checkpoints and savepoints outlive a `cdk destroy`. */
  removalPolicy?: RemovalPolicy;
}

/**
 * The bucket for artifacts, job graphs, checkpoints and savepoints (docs/architecture.md §7): encrypted,
 * private, TLS-only and versioned. Only `checkpoints/` has a lifecycle rule: savepoints are
 * the user's and are never deleted automatically, so no rule may match `savepoints/`.
 */
export class SluiceBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** `<prefix>/` or '' — what every key Sluice writes starts with. */
  readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: SluiceBucketProps) {
    super(scope, id);
    this.keyPrefix = props.s3Prefix === '' ? '' : `${props.s3Prefix}/`;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-checkpoints',
          prefix: `${this.keyPrefix}checkpoints/`,
          expiration: Duration.days(props.checkpointExpirationDays),
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
