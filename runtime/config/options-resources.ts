import { booleanType, enumType, optionalType, stringType } from './option-types';
import { defineOption } from './schema';

/** How the job manager starts TaskManagers in per-job mode (docs/architecture.md §4). */
export const RESOURCE_OPTIONS = {
  'resourcemanager.driver': defineOption({
    type: enumType(['local', 'ecs']),
    default: 'local',
    description: 'Per-job mode: start TaskManagers as local child processes or as ECS tasks.',
  }),
  'resourcemanager.ecs.cluster': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    description: 'ecs driver: cluster name or ARN to run TaskManager tasks in.',
  }),
  'resourcemanager.ecs.task-definition': defineOption({
    type: optionalType(stringType({ nonEmpty: true })),
    default: undefined,
    description: 'ecs driver: TaskManager task definition (family or ARN).',
  }),
  'resourcemanager.ecs.container-name': defineOption({
    type: stringType({ nonEmpty: true }),
    default: 'taskmanager',
    description: 'ecs driver: name of the TaskManager container in the task definition.',
  }),
  'resourcemanager.ecs.subnets': defineOption({
    type: stringType(),
    default: '',
    description: 'ecs driver: comma-separated subnet ids for the tasks.',
  }),
  'resourcemanager.ecs.security-groups': defineOption({
    type: stringType(),
    default: '',
    description: 'ecs driver: comma-separated security group ids for the tasks.',
  }),
  'resourcemanager.ecs.assign-public-ip': defineOption({
    type: booleanType(),
    default: false,
    description: 'ecs driver: give TaskManager tasks a public IP (only for public subnets).',
  }),
};
