import type { JobOutputPage } from '../../../runtime/jobmanager/gateway';
import { printOutputSoFar } from '../../../runtime/cli/output-command';

/** A job manager whose job has printed `total` lines so far and serves them `pageSize` at a time. */
function outputOf(total: number, pageSize: number, status: JobOutputPage['status']) {
  const asked: number[] = [];
  return {
    asked,
    async jobOutput(_jobId: string, fromLine: number, fromResult: number): Promise<JobOutputPage> {
      asked.push(fromLine);
      const end = Math.min(total, fromLine + pageSize);
      const lines = Array.from({ length: end - fromLine }, (_, i) => `line ${fromLine + i}`);
      const results = fromResult === 0 ? [{ n: 1 }] : [];
      return { lines, results, nextLine: end, nextResult: 1, status, droppedLines: 0, attempt: 0 };
    },
  };
}

test('pages through what a running job printed so far, then stops without waiting for its end', async () => {
  const source = outputOf(25, 10, 'RUNNING');
  const printed: string[] = [];
  const { results, status } = await printOutputSoFar(source, 'j', (lines) => printed.push(...lines));
  expect(printed).toEqual(Array.from({ length: 25 }, (_, i) => `line ${i}`));
  expect(results).toEqual([{ n: 1 }]);
  expect(status).toBe('RUNNING');
  expect(source.asked).toEqual([0, 10, 20, 25]);
});
