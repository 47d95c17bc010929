import { defineJob } from '../runtime/api';
import type { Collector, ProcessContext } from '../runtime/api';
import { intArg } from './job-args';

/** An order as it arrives: only a product id. */
export interface Order {
  orderId: number;
  productId: string;
  quantity: number;
}

/** A control record: the catalog entry for a product. */
export interface CatalogEntry {
  productId: string;
  name: string;
  unitPrice: number;
}

export interface EnrichedOrder extends Order {
  name: string;
  total: number;
}

export const CATALOG: readonly CatalogEntry[] = [
  { productId: 'p1', name: 'kettle', unitPrice: 30 },
  { productId: 'p2', name: 'teapot', unitPrice: 25 },
  { productId: 'p3', name: 'mug', unitPrice: 8 },
  { productId: 'p4', name: 'tea (250 g)', unitPrice: 12 },
];

export function orderAt(n: number): Order {
  return { orderId: n, productId: `p${(n % 5) + 1}`, quantity: (n % 3) + 1 };
}

/**
 * Two-input example: orders enriched by a connected control stream (the product catalog).
 * Both inputs are keyed by product, so the co-flat-map keeps per-product keyed state shared by
 * both sides: the catalog entry, and the orders that arrived before it (held until it comes).
 * Orders for a product with no catalog entry (p5) are never emitted.
 *   --arg orders=N   number of orders (default 1000)
 */
export default defineJob('enrich-orders', (env, args) => {
  const count = intArg(args, 'orders', 1000);
  const orders = env
    .fromSequence(0, count - 1)
    .name('order-ids')
    .uid('order-ids')
    .map(orderAt)
    .name('orders');
  const catalog = env.fromCollection(CATALOG).name('catalog').uid('catalog');
  orders
    .connect(catalog)
    .keyBy(
      (o) => o.productId,
      (c) => c.productId,
    )
    .flatMap<EnrichedOrder>({
      flatMap1(order, out, ctx) {
        const entry = ctx.getState<CatalogEntry>('entry').value();
        if (entry) out.collect(enrich(order, entry));
        else hold(ctx, order);
      },
      flatMap2(entry, out, ctx) {
        ctx.getState<CatalogEntry>('entry').update(entry);
        release(ctx, entry, out);
      },
    })
    .uid('enrich')
    .name('enrich')
    .map((o) => `${o.orderId} ${o.name} x${o.quantity} = ${o.total}`)
    .name('format')
    .print();
});

function enrich(order: Order, entry: CatalogEntry): EnrichedOrder {
  return { ...order, name: entry.name, total: order.quantity * entry.unitPrice };
}

function hold(ctx: ProcessContext, order: Order): void {
  const waiting = ctx.getState<Order[]>('waiting');
  waiting.update([...(waiting.value() ?? []), order]);
}

function release(ctx: ProcessContext, entry: CatalogEntry, out: Collector<EnrichedOrder>): void {
  const waiting = ctx.getState<Order[]>('waiting');
  for (const order of waiting.value() ?? []) out.collect(enrich(order, entry));
  waiting.clear();
}
