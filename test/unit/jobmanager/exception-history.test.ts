import { ExceptionHistory } from '../../../runtime/jobmanager/exception-history';

test('newest first, with where it happened; the root exception is the latest', () => {
  const history = new ExceptionHistory();
  expect(history.view()).toEqual({ exceptionHistory: { entries: [], truncated: false } });
  history.add(
    { name: 'Error', message: 'one', stack: 'Error: one\n  at f' },
    0,
    { taskManagerId: 'tm-1' },
    1000,
  );
  history.add(
    { name: 'NetworkError', message: 'two', code: 'SLUICE_NETWORK' },
    1,
    { taskName: 'a (1/2)', subtask: 0 },
    2000,
  );
  const view = history.view();
  expect(view.exceptionHistory.entries).toEqual([
    {
      exceptionName: 'NetworkError',
      message: 'two',
      code: 'SLUICE_NETWORK',
      taskName: 'a (1/2)',
      subtask: 0,
      timestamp: 2000,
      attempt: 1,
    },
    {
      exceptionName: 'Error',
      message: 'one',
      stacktrace: 'Error: one\n  at f',
      taskManagerId: 'tm-1',
      timestamp: 1000,
      attempt: 0,
    },
  ]);
  expect(view.rootException).toBe('NetworkError: two');
  expect(view.timestamp).toBe(2000);
});

test('bounded: past the limit the oldest entries go and the history says it was truncated', () => {
  const history = new ExceptionHistory(3);
  for (let i = 0; i < 5; i++) history.add({ name: 'Error', message: `failure ${i}` }, i, {}, i);
  const { entries, truncated } = history.view().exceptionHistory;
  expect(entries.map((e) => e.attempt)).toEqual([4, 3, 2]);
  expect(truncated).toBe(true);
});
