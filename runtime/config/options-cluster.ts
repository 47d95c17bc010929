import {
  durationType,
  enumType,
  memoryBytesType,
  optionalType,
  portType,
  stringType,
  urlType,
} from './option-types';
import { redisKeyPrefixProblem } from './option-validators';
import { defineOption } from './schema';

/** Job manager addresses, REST, heartbeats, slot requests and high availability (docs/architecture.md §9, §11). */
export const CLUSTER_OPTIONS = {
  'heartbeat.interval': defineOption({
    type: durationType({ min: 1 }),
    default: 1000,
    description: 'How often the job manager and TaskManagers exchange heartbeats.',
  }),
  'heartbeat.timeout': defineOption({
    type: durationType({ min: 1 }),
    default: 5000,
    description: 'A peer silent for this long is considered dead; must exceed heartbeat.interval.',
  }),
  'taskmanager.registration.timeout': defineOption({
    type: durationType({ min: 1 }),
    default: 300_000,
    description: 'A TaskManager that cannot reach a job manager for this long shuts down (as Flink does).',
  }),
  'jobmanager.rpc.address': defineOption({
    type: stringType({ nonEmpty: true }),
    default: '127.0.0.1',
    description:
      "Address TaskManagers use to reach the job manager; 'auto': this machine's first non-loopback IPv4.",
  }),
  'jobmanager.rpc.port': defineOption({
    type: portType(),
    default: 6123,
    description: 'Port of the job manager control (RPC) server.',
  }),
  'jobmanager.rpc.bind-address': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    description:
      'Address the control server binds to (e.g. 0.0.0.0 in a container); unset binds jobmanager.rpc.address.',
  }),
  'rest.address': defineOption({
    type: stringType({ nonEmpty: true }),
    default: '127.0.0.1',
    description:
      "Address the REST API listens on; at 0.0.0.0 or :: the job manager advertises this machine's IPv4.",
  }),
  'rest.port': defineOption({
    type: portType(),
    default: 8081,
    description: 'Port of the REST API and dashboard.',
  }),
  'rest.token': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    secret: true,
    description: 'Bearer token for the REST API; cluster processes require it.',
  }),
  'rest.max-body-size': defineOption({
    type: memoryBytesType({ min: 1024 }),
    default: 1_048_576,
    description: 'Largest accepted REST request body; a bare number is bytes.',
  }),
  'rest.request-timeout': defineOption({
    type: durationType({ min: 1 }),
    default: 120_000,
    description:
      'Longest a client may take to send one whole REST request (headers and body); then it is closed.',
  }),
  'rest.idleness-timeout': defineOption({
    type: durationType({ min: 1 }),
    default: 30_000,
    description: 'A REST connection on which nothing is sent or received for this long is closed.',
  }),
  'slot.request.timeout': defineOption({
    type: durationType({ min: 1 }),
    default: 300_000,
    description:
      'A job fails when its slots cannot be allocated within this time; it holds none while it waits.',
  }),
  'high-availability.type': defineOption({
    type: enumType(['none', 'redis']),
    default: 'none',
    description:
      'none: one job manager, in-memory coordination; redis: leader election and registry in Redis.',
  }),
  'high-availability.redis.url': defineOption({
    type: optionalType(urlType(['redis:', 'rediss:'])),
    default: undefined,
    description: 'Redis URL (redis:// or rediss:// for TLS); required when high-availability.type is redis.',
  }),
  'high-availability.redis.password': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    secret: true,
    description: 'Redis AUTH password (e.g. an ElastiCache auth token), if not in the URL.',
  }),
  'high-availability.redis.key-prefix': defineOption({
    type: stringType({ check: redisKeyPrefixProblem, label: 'string', expected: 'a Redis key prefix' }),
    default: 'sluice',
    description: 'Prefix of every Redis key Sluice writes, so clusters can share one Redis.',
  }),
  'high-availability.redis.leader-election.lease-duration': defineOption({
    type: durationType({ min: 100 }),
    default: 15_000,
    description:
      'Leader lease lifetime in Redis unrenewed; a standby takes over when it lapses (failover ≈ this + job restart).',
  }),
  'high-availability.redis.leader-election.renew-deadline': defineOption({
    type: durationType({ min: 50 }),
    default: 10_000,
    description:
      'A leader unable to renew its lease for this long steps down, suspending its jobs; less than the lease.',
  }),
  'high-availability.redis.leader-election.retry-period': defineOption({
    type: durationType({ min: 10 }),
    default: 2_000,
    description:
      'Period of lease renewals, standby acquisitions, TaskManager leader polls (news is also pushed); < renew deadline.',
  }),
};
