/**
 * How the savepoint commands follow a request (`awaitSavepointRequest`): progress lines from the
 * savepoint's checkpoint statistics (subtasks acknowledged, bytes uploaded), one per change when
 * not on a terminal, the location once COMPLETED, and a FAILED request as an error with its code.
 */
import type { CheckpointSummaryStats } from '../../../runtime/checkpoint/checkpoint-stats';
import type { SavepointRequestStatus } from '../../../runtime/client/savepoint-requests';
import { formatBytes } from '../../../runtime/cli/format';
import { awaitSavepointRequest } from '../../../runtime/cli/savepoint-progress';
import { SluiceError } from '../../../runtime/errors';

const stats = (acknowledgedSubtasks: number, stateSize: number): CheckpointSummaryStats => ({
  id: 7,
  status: 'IN_PROGRESS',
  kind: 'savepoint',
  trigger: 'savepoint',
  triggerTimestamp: 0,
  durationMs: 0,
  stateSize,
  acknowledgedSubtasks,
  totalSubtasks: 4,
});

function captureStderr(): { lines: () => string[]; restore: () => void } {
  let text = '';
  const spy = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    text += `${parts.map(String).join(' ')}\n`;
  });
  return { lines: () => text.split('\n').filter(Boolean), restore: () => spy.mockRestore() };
}

describe('awaitSavepointRequest', () => {
  it('tells each change of progress, then resolves with the location', async () => {
    const statuses: SavepointRequestStatus[] = [
      { requestId: 'r', status: 'IN_PROGRESS' },
      { requestId: 'r', status: 'IN_PROGRESS' },
      { requestId: 'r', status: 'IN_PROGRESS' },
      { requestId: 'r', status: 'IN_PROGRESS' },
      { requestId: 'r', status: 'COMPLETED', location: 's3://b/savepoints/savepoint-abc-1' },
    ];
    const progress = [undefined, stats(1, 900), stats(1, 900), stats(3, 5 * 1024 * 1024)];
    const stderr = captureStderr();
    try {
      const location = await awaitSavepointRequest({
        what: 'savepoint of job j',
        requestId: 'r',
        statusRoute: '/jobs/j/savepoints/r',
        status: async () => statuses.shift()!,
        progress: async () => progress.shift(),
        pollIntervalMs: 1,
      });
      expect(location).toBe('s3://b/savepoints/savepoint-abc-1');
      expect(stderr.lines()).toEqual([
        'savepoint of job j triggered (request r), waiting for it',
        'savepoint of job j in progress…',
        'savepoint of job j in progress: 1/4 subtasks acknowledged, 900 B uploaded',
        'savepoint of job j in progress: 3/4 subtasks acknowledged, 5.0 MiB uploaded',
      ]);
    } finally {
      stderr.restore();
    }
  });

  it('a FAILED request is an error with its cause and code', async () => {
    const stderr = captureStderr();
    try {
      const failed = awaitSavepointRequest({
        what: 'stop of job j',
        requestId: 'r',
        statusRoute: '/jobs/j/savepoints/r',
        status: async () => ({
          requestId: 'r',
          status: 'FAILED',
          failureCause: { code: 'SLUICE_CHECKPOINT_FAILED', message: 'checkpoint 3 aborted: declined' },
        }),
      });
      await expect(failed).rejects.toBeInstanceOf(SluiceError);
      await expect(failed).rejects.toMatchObject({
        code: 'SLUICE_CHECKPOINT_FAILED',
        message: 'stop of job j failed: checkpoint 3 aborted: declined',
      });
    } finally {
      stderr.restore();
    }
  });

  it('formats sizes in binary units', () => {
    expect([0, 1023, 1024, 1536, 3 * 1024 ** 3].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '3.0 GiB',
    ]);
  });
});
