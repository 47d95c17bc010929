import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

export interface NetworkStackProps extends StackProps {
  /** 1 is cheaper; 2 keeps private-subnet egress alive when one AZ fails. */
  natGateways: number;
}

/**
 * The VPC both other stacks live in: 2 AZs, public subnets only for the NAT gateways, private
 * subnets (with NAT egress) for Redis, the load balancer and every task. Its own stack because
 * the stateful stack (Redis) and the compute stack both need it, and neither should own it.
 */
export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    // S3 traffic (checkpoints, artifacts) bypasses the NAT gateways: free and not metered.
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  }
}
