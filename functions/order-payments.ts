import { OutputTag, WatermarkStrategy, defineJob } from '../runtime/api';
import type { KeyedCoProcessFunction, ValueState } from '../runtime/api';
import { intArg } from './job-args';

export interface Order {
  orderId: number;
  ts: number;
  amount: number;
}

export interface Payment {
  orderId: number;
  ts: number;
}

/** How long (event time) an order waits for its payment, and a payment for its order. */
export const TIMEOUT_MS = 1000;
/** The disorder of both streams: timestamps step back by up to this. */
const DISORDER_MS = 40;

/** Order n: 10 ms of event time apart, a little out of order. */
export function orderAt(n: number): Order {
  return { orderId: n, ts: Math.max(0, n * 10 - ((n * 7919) % DISORDER_MS)), amount: (n % 13) + 1 };
}

/**
 * Payment n: orders with n % 4 === 0 are never paid; every 9th payment is for an order that does
 * not exist (id -n). A payment comes 0..300 ms of event time after its order.
 */
export function paymentAt(n: number): Payment | undefined {
  if (n % 9 === 8) return { orderId: -n, ts: n * 10 };
  if (n % 4 === 0) return undefined;
  return { orderId: n, ts: n * 10 + ((n * 104729) % 300) };
}

export const UNPAID = new OutputTag<string>('unpaid');
export const ORPHANS = new OutputTag<string>('orphan-payments');

/**
 * Matches orders with payments by order id, whichever comes first: keyed state shared by both
 * inputs holds the side that waits, an event-time timer TIMEOUT_MS after it gives up. Matched
 * pairs go to the main output, orders never paid and payments of unknown orders to side outputs.
 */
export const matchPayments: KeyedCoProcessFunction<number, Order, Payment, string> = {
  processElement1(order, ctx, out) {
    const payment = ctx.getState<Payment>('payment');
    if (payment.value()) {
      out.collect(`paid ${order.orderId} ${order.amount}`);
      payment.clear();
      return;
    }
    ctx.getState<Order>('order').update(order);
    ctx.timerService().registerEventTimeTimer(order.ts + TIMEOUT_MS);
  },
  processElement2(payment, ctx, out) {
    const order: ValueState<Order> = ctx.getState<Order>('order');
    const waiting = order.value();
    if (waiting) {
      out.collect(`paid ${waiting.orderId} ${waiting.amount}`);
      ctx.timerService().deleteEventTimeTimer(waiting.ts + TIMEOUT_MS);
      order.clear();
      return;
    }
    ctx.getState<Payment>('payment').update(payment);
    ctx.timerService().registerEventTimeTimer(payment.ts + TIMEOUT_MS);
  },
  onTimer(_timestamp, ctx) {
    const order = ctx.getState<Order>('order');
    const payment = ctx.getState<Payment>('payment');
    if (order.value()) ctx.output(UNPAID, `unpaid ${ctx.getCurrentKey()}`);
    if (payment.value()) ctx.output(ORPHANS, `orphan ${ctx.getCurrentKey()}`);
    order.clear();
    payment.clear();
  },
};

/**
 * Keyed co-process example: orders and payments, connected and keyed by order id, matched by
 * `matchPayments` (keyed state of both sides, event-time timers, side outputs).
 *   --arg orders=N   number of orders (default 2000)
 */
export default defineJob('order-payments', (env, args) => {
  const count = intArg(args, 'orders', 2000);
  if (args.stateBackend === 'kv') env.setStateBackend('kv');
  const strategy = <T extends { ts: number }>() =>
    WatermarkStrategy.forBoundedOutOfOrderness<T>(DISORDER_MS).withTimestampAssigner((e) => e.ts);
  const orders = env
    .fromGenerator(count, orderAt, 'orders')
    .uid('orders')
    .assignTimestampsAndWatermarks(strategy<Order>());
  const payments = env
    .fromGenerator(count, (n) => paymentAt(n) ?? null, 'payments')
    .uid('payments')
    .flatMap<Payment>((p, out) => (p ? out.collect(p) : undefined))
    .assignTimestampsAndWatermarks(strategy<Payment>());
  const matched = orders
    .connect(payments)
    .keyBy(
      (o) => o.orderId,
      (p) => p.orderId,
    )
    .process(matchPayments)
    .uid('match')
    .name('match');
  matched.print();
  matched.getSideOutput(UNPAID).print('Unpaid');
  matched.getSideOutput(ORPHANS).print('Orphans');
});
