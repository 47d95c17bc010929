import { eventAt } from '../../../functions/price-extremes';
import { CATALOG, orderAt } from '../../../functions/enrich-orders';
import { DEFAULT_GENERATOR, NexmarkGenerator } from '../../../functions/nexmark/generator';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { functionJob, runEmbedded } from '../../helpers/embedded';

describe('example jobs', () => {
  it('enrich-orders: every order with a catalog entry comes out once, priced, at any parallelism', async () => {
    const orders = 500;
    const expected: string[] = [];
    for (let n = 0; n < orders; n++) {
      const o = orderAt(n);
      const entry = CATALOG.find((c) => c.productId === o.productId);
      if (entry) expected.push(`${n} ${entry.name} x${o.quantity} = ${o.quantity * entry.unitPrice}`);
    }
    for (const parallelism of [1, 3]) {
      const { lines } = await runEmbedded(
        functionJob('enrich-orders'),
        { orders: String(orders) },
        { parallelism },
      );
      expect([...lines].sort()).toEqual([...expected].sort());
    }
  });

  it('enrich-orders: the two-input operator shares a chain with its successors', () => {
    const { jobGraph } = prepareJob(functionJob('enrich-orders'), {}, { parallelism: 2 });
    const enrich = jobGraph.vertices.find((v) => v.operators.some((o) => o.name === 'enrich'))!;
    expect(enrich.operators.map((o) => o.name)).toEqual(['enrich', 'format', 'Print']);
    expect(
      jobGraph.edges.filter((e) => e.targetOperator === 'enrich').map((e) => [e.targetInput, e.partitioner]),
    ).toEqual([
      [0, 'hash'],
      [1, 'hash'],
    ]);
  });

  it('nexmark.ts runs the query named by --arg query over the Nexmark generator', async () => {
    const events = 5000;
    const generator = new NexmarkGenerator({ ...DEFAULT_GENERATOR, events });
    const bids = Array.from({ length: events }, (_, n) => generator.eventAt(n)).flatMap((e) =>
      e.type === 'bid' ? [e.bid] : [],
    );
    const q2 = await runEmbedded(
      functionJob('nexmark'),
      { query: 'q2', events: String(events), sink: 'print' },
      { parallelism: 2 },
    );
    const expectedQ2 = bids
      .filter((b) => b.auction % 123 === 0)
      .map((b) => JSON.stringify([b.auction, b.price]));
    expect([...q2.lines].sort()).toEqual([...expectedQ2].sort());
    const q1 = await runEmbedded(
      functionJob('nexmark'),
      { query: 'q1', events: String(events) },
      { parallelism: 2 },
    );
    expect(q1.lines.map((l) => Number(/: (\d+) results/.exec(l)![1])).reduce((a, b) => a + b, 0)).toBe(
      bids.length,
    );
  });

  it('nexmark rejects an unknown query with a clear error', () => {
    expect(() => prepareJob(functionJob('nexmark'), { query: 'q9' })).toThrow(
      /unknown query 'q9': use one of q0, q1, q2, q3, q4, q5, q7, q8, q11/,
    );
  });
});

describe('price-extremes', () => {
  it('rolling maxBy / min per symbol after a type-guard filter and a rich map equal a direct computation', async () => {
    const events = 900;
    const rate = 1.5;
    const trades = Array.from({ length: events }, (_, n) => eventAt(n))
      .filter((e) => e.kind === 'trade')
      .map((t) => ({ ...t, price: Math.round(t.price * rate * 100) / 100 }));
    const expected: string[] = [];
    const bySymbol = new Map<string, (typeof trades)[number][]>();
    for (const t of trades) {
      const seen = [...(bySymbol.get(t.symbol) ?? []), t];
      bySymbol.set(t.symbol, seen);
      const top = Math.max(...seen.map((s) => s.price));
      const best = seen.find((s) => s.price === top)!;
      expected.push(`high ${t.symbol} ${best.price} #${best.seq}`);
      expected.push(`low ${t.symbol} ${Math.min(...seen.map((s) => s.price))} first #${seen[0]!.seq}`);
      expected.push(`trade ${t.symbol} ${t.price}`);
    }
    const { lines } = await runEmbedded(
      functionJob('price-extremes'),
      { events: String(events), rate: String(rate) },
      { parallelism: 2 },
    );
    expect([...lines].sort()).toEqual(expected.sort());
  });
});
