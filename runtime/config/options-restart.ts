import { durationType, enumType, intType, numberType } from './option-types';
import { defineOption } from './schema';

/** How a failed job restarts (docs/architecture.md §6), named and defaulted as in Flink. */
export const RESTART_OPTIONS = {
  'restart-strategy.type': defineOption({
    type: enumType(['none', 'fixed-delay', 'exponential-delay', 'failure-rate']),
    default: 'fixed-delay',
    description: 'Restart strategy applied when a task or TaskManager fails.',
  }),
  'restart-strategy.fixed-delay.attempts': defineOption({
    type: intType({ min: 0 }),
    default: 3,
    description: 'fixed-delay: restarts before the job fails.',
  }),
  'restart-strategy.fixed-delay.delay': defineOption({
    type: durationType(),
    default: 1000,
    description:
      'fixed-delay: time from a failure to the restart; the failed attempt is canceled meanwhile (as in Flink).',
  }),
  'restart-strategy.exponential-delay.initial-backoff': defineOption({
    type: durationType(),
    default: 1000,
    description: 'exponential-delay: wait before the first restart.',
  }),
  'restart-strategy.exponential-delay.max-backoff': defineOption({
    type: durationType(),
    default: 60_000,
    description: 'exponential-delay: upper bound of the wait.',
  }),
  'restart-strategy.exponential-delay.backoff-multiplier': defineOption({
    type: numberType({ min: 1 }),
    default: 2,
    defaultDoc: '`2.0`',
    description: 'exponential-delay: factor applied to the wait after each restart.',
  }),
  'restart-strategy.exponential-delay.attempts': defineOption({
    type: intType({ min: 0 }),
    default: 10,
    description: 'exponential-delay: restarts before the job fails.',
  }),
  'restart-strategy.failure-rate.max-failures-per-interval': defineOption({
    type: intType({ min: 1 }),
    default: 1,
    description: 'failure-rate: failures tolerated within one interval.',
  }),
  'restart-strategy.failure-rate.failure-rate-interval': defineOption({
    type: durationType({ min: 1 }),
    default: 60_000,
    description: 'failure-rate: the window in which failures are counted.',
  }),
  'restart-strategy.failure-rate.delay': defineOption({
    type: durationType(),
    default: 1000,
    description: 'failure-rate: wait between restarts.',
  }),
};
