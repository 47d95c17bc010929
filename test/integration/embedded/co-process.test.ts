import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orderAt, paymentAt } from '../../../functions/order-payments';
import { fixtureJob, functionJob, numbersAfter, runEmbedded, runFailingOnce } from '../../helpers/embedded';

const base = mkdtempSync(join(tmpdir(), 'sluice-co-process-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Which order ids are paid, unpaid and which payments are orphans, straight from the data. */
function expectedMatches(count: number): string[] {
  const orders = Array.from({ length: count }, (_, n) => orderAt(n));
  const payments = Array.from({ length: count }, (_, n) => paymentAt(n)).filter((p) => p !== undefined);
  const paidIds = new Set(payments.map((p) => p.orderId));
  const orderIds = new Set(orders.map((o) => o.orderId));
  return [
    ...orders.map((o) => (paidIds.has(o.orderId) ? `paid ${o.orderId} ${o.amount}` : `unpaid ${o.orderId}`)),
    ...payments.filter((p) => !orderIds.has(p.orderId)).map((p) => `orphan ${p.orderId}`),
  ].sort();
}

describe('co-process on connected streams', () => {
  it('a CoProcessFunction sees both inputs and emits to side outputs', async () => {
    const count = 500;
    const { lines } = await runEmbedded(
      fixtureJob('co-process-job'),
      { mode: 'plain', count: String(count) },
      {
        parallelism: 2,
      },
    );
    const expected: string[] = [];
    for (let x = 0; x < count; x++) {
      expected.push(`n ${x * 2}`, `w w${x}`);
      if (x % 2 === 1) expected.push(`odd ${x}`);
    }
    expect([...lines].sort()).toEqual(expected.sort());
  });

  it.each(['heap', 'kv'] as const)(
    'keyed co-process: state shared by both inputs, event-time timers, side outputs (%s)',
    async (stateBackend) => {
      const count = 1500;
      const { lines } = await runEmbedded(
        functionJob('order-payments'),
        { orders: String(count), stateBackend },
        { parallelism: 3 },
      );
      const expected = expectedMatches(count);
      // All three outcomes occur, so the comparison cannot pass on a partial output.
      for (const kind of ['paid', 'unpaid', 'orphan'])
        expect([kind, expected.filter((l) => l.startsWith(kind)).length > 50]).toEqual([kind, true]);
      expect([...lines].sort()).toEqual(expected);
    },
  );

  it.each(['heap', 'kv'] as const)(
    'keyed co-process timers and state are restored from the checkpoint after a failure (%s)',
    async (stateBackend) => {
      const count = 3000;
      const { result } = await runFailingOnce(
        fixtureJob('co-process-job'),
        { mode: 'payments', count: String(count), failAt: '1200', stateBackend },
        base,
        { parallelism: 2 },
      );
      expect(result.restarts).toBe(1);
      // The finishing attempt started from a checkpoint: it read orders from `replayedFrom` on.
      const lines = result.results as string[];
      const ids = (prefix: string) => numbersAfter(lines, prefix);
      const replayedFrom = Math.min(...ids('rec '));
      expect(replayedFrom).toBeGreaterThan(0);
      const settled = lines.filter((l) => !l.startsWith('rec ')).sort();
      expect(new Set(settled).size).toBe(settled.length);
      const expected = expectedMatches(count);
      expect(settled.filter((l) => !expected.includes(l))).toEqual([]);
      // Orders read before the checkpoint waited in keyed state with a timer: restored, they settle now.
      const unpaid = ids('unpaid ');
      expect(unpaid.some((id) => id < replayedFrom)).toBe(true);
      // And every order read after it settles exactly once.
      const expectedAfter = expected.filter(
        (l) => /^(paid|unpaid) /.test(l) && Number(l.split(' ')[1]) >= replayedFrom,
      );
      expect(
        settled.filter((l) => /^(paid|unpaid) /.test(l) && Number(l.split(' ')[1]) >= replayedFrom),
      ).toEqual(expectedAfter);
    },
    120_000,
  );
});
