import { IllegalStateTransitionError } from '../../../runtime/errors';
import type { JobStatus } from '../../../runtime/jobmanager/gateway';
import { TERMINAL_JOB_STATUSES } from '../../../runtime/jobmanager/gateway';
import {
  JOB_STATUS_TRANSITIONS,
  JobStatusMachine,
  isLegalJobTransition,
} from '../../../runtime/jobmanager/job-status-machine';

const STATUSES = Object.keys(JOB_STATUS_TRANSITIONS) as JobStatus[];

/** Drives a fresh machine along `path`. */
function walk(path: JobStatus[]): JobStatusMachine {
  const machine = new JobStatusMachine('job-1');
  for (const status of path) machine.transitionTo(status);
  return machine;
}

describe('job status transitions', () => {
  it('covers every job status, and only terminal statuses have no way out', () => {
    expect(new Set(STATUSES)).toEqual(
      new Set([
        'CREATED',
        'RUNNING',
        'RESTARTING',
        'FAILING',
        'FAILED',
        'CANCELLING',
        'CANCELED',
        'FINISHED',
      ]),
    );
    for (const status of STATUSES) {
      expect([status, JOB_STATUS_TRANSITIONS[status].length === 0]).toEqual([
        status,
        TERMINAL_JOB_STATUSES.has(status),
      ]);
    }
  });

  it('lets every status reach a terminal one', () => {
    for (const start of STATUSES) {
      const seen = new Set<JobStatus>([start]);
      const queue = [start];
      while (queue.length > 0) {
        for (const next of JOB_STATUS_TRANSITIONS[queue.shift()!]) {
          if (seen.has(next)) continue;
          seen.add(next);
          queue.push(next);
        }
      }
      expect([start, [...seen].some((s) => TERMINAL_JOB_STATUSES.has(s))]).toEqual([start, true]);
    }
  });

  it.each<[string, JobStatus[]]>([
    ['finishes', ['RUNNING', 'FINISHED']],
    ['restarts, then finishes', ['RUNNING', 'RESTARTING', 'RUNNING', 'FINISHED']],
    ['restarts again before running', ['RUNNING', 'RESTARTING', 'RESTARTING', 'RUNNING', 'FINISHED']],
    ['fails without a restart left', ['RUNNING', 'FAILING', 'FAILED']],
    ['fails before running (no slots)', ['FAILING', 'FAILED']],
    ['is canceled while running', ['RUNNING', 'CANCELLING', 'CANCELED']],
    ['is canceled before running', ['CANCELLING', 'CANCELED']],
    ['is canceled while restarting', ['RUNNING', 'RESTARTING', 'CANCELLING', 'CANCELED']],
    ['is canceled while failing', ['RUNNING', 'FAILING', 'CANCELLING', 'CANCELED']],
  ])('allows a job that %s', (_what, path) => {
    expect(walk(path).status).toBe(path[path.length - 1]);
  });

  it('refuses every move the table does not list, and keeps the status', () => {
    let refused = 0;
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        if (isLegalJobTransition(from, to)) continue;
        const machine = reach(from);
        expect(() => machine.transitionTo(to)).toThrow(IllegalStateTransitionError);
        expect(machine.status).toBe(from);
        refused++;
      }
    }
    // e.g. FINISHED -> RUNNING, CREATED -> FINISHED, CANCELLING -> RUNNING, FAILED -> RESTARTING
    expect(refused).toBeGreaterThan(40);
  });

  it('names the job and both statuses in the error, with a stable code', () => {
    const machine = walk(['RUNNING', 'FINISHED']);
    const err = (() => {
      try {
        machine.transitionTo('RUNNING');
      } catch (e) {
        return e as IllegalStateTransitionError;
      }
      throw new Error('no error');
    })();
    expect(err.message).toBe('job job-1: illegal transition from FINISHED to RUNNING');
    expect([err.code, err.from, err.to, err.retryable]).toEqual([
      'SLUICE_INTERNAL',
      'FINISHED',
      'RUNNING',
      false,
    ]);
  });
});

/** A machine in `status`, reached along legal moves only. */
function reach(status: JobStatus): JobStatusMachine {
  const paths: Record<JobStatus, JobStatus[]> = {
    CREATED: [],
    RUNNING: ['RUNNING'],
    RESTARTING: ['RUNNING', 'RESTARTING'],
    FAILING: ['RUNNING', 'FAILING'],
    FAILED: ['RUNNING', 'FAILING', 'FAILED'],
    CANCELLING: ['CANCELLING'],
    CANCELED: ['CANCELLING', 'CANCELED'],
    FINISHED: ['RUNNING', 'FINISHED'],
  };
  return walk(paths[status]);
}
