import { InputSelection, ValueStateDescriptor, defineJob } from '../runtime/api';
import type { KeyedCoProcessFunction } from '../runtime/api';
import { intArg } from './job-args';

export interface Customer {
  id: number;
  name: string;
}

export interface Order {
  orderId: number;
  customerId: number;
}

export function customerAt(n: number): Customer {
  return { id: n, name: `c${n}` };
}

/** Order n of a customer among `customers + customers / 10` ids: about one in 11 has no customer. */
export function orderAt(n: number, customers: number): Order {
  return { orderId: n, customerId: (n * 7919) % (customers + Math.ceil(customers / 10)) };
}

/**
 * A hash join: reads its build side (customers) to the end before its probe side (orders), as
 * `nextSelection()` says (InputSelection.FIRST: once the build side ended, the probe side is
 * read). The build table is keyed state; each order comes out once with its customer's name and
 * its ordinal among that customer's orders. Orders that arrive while the build side is read
 * wait in the operator's state (checkpointed) until then.
 */
export const hashJoin: KeyedCoProcessFunction<number, Customer, Order, string> = {
  nextSelection: () => InputSelection.FIRST,
  processElement1(customer, ctx) {
    ctx.getState(new ValueStateDescriptor<string>('name')).update(customer.name);
  },
  processElement2(order, ctx, out) {
    const name = ctx.getState(new ValueStateDescriptor<string>('name')).value();
    if (name === undefined) return; // inner join: no such customer
    const ordinal = ctx.getState(new ValueStateDescriptor<number>('orders', 0));
    ordinal.update(ordinal.value()! + 1);
    out.collect(`${order.orderId} ${order.customerId} ${name} ${ordinal.value()}`);
  },
};

/**
 * Input selection example: customers joined to orders by a hash join that reads all customers
 * first. Lines `<order id> <customer id> <name> <ordinal>`.
 *   --arg customers=N --arg orders=M   sizes (default 1000, 10000)
 *   --arg buildPauseMs=X --arg probePauseMs=Y   sleep X ms before each customer, Y before each order
 *   --arg interval=MS                  checkpoint every MS ms (exactly-once)
 *   --arg output=DIR                   write part files to DIR (exactly-once file sink) instead of printing
 */
export default defineJob('hash-join', (env, args) => {
  const customers = intArg(args, 'customers', 1000);
  const orders = intArg(args, 'orders', 10_000);
  const buildPauseMs = intArg(args, 'buildPauseMs', 0);
  const probePauseMs = intArg(args, 'probePauseMs', 0);
  if (args.interval) env.enableCheckpointing(intArg(args, 'interval', 0, 1));
  if (args.stateBackend === 'kv') env.setStateBackend('kv');
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const paced =
    <T>(pauseMs: number, make: (n: number) => T) =>
    (n: number): T => {
      if (pauseMs > 0) Atomics.wait(sleeper, 0, 0, pauseMs);
      return make(n);
    };
  const build = env.fromGenerator(customers, paced(buildPauseMs, customerAt), 'customers').uid('customers');
  const probe = env
    .fromGenerator(
      orders,
      paced(probePauseMs, (n) => orderAt(n, customers)),
      'orders',
    )
    .uid('orders');
  const joined = build
    .connect(probe)
    .keyBy(
      (c) => c.id,
      (o) => o.customerId,
    )
    .process(hashJoin)
    .name('hash-join')
    .uid('hash-join');
  if (args.output) joined.writeAsText(args.output).uid('file-sink');
  else joined.print();
});
