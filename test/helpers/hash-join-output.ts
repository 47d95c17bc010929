import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { customerAt, orderAt } from '../../functions/hash-join';

/** The inner join of functions/hash-join's customers and orders: `<order> <customer> <name>`, sorted. */
export function expectedHashJoin(customers: number, orders: number): string[] {
  const names = new Map(
    Array.from({ length: customers }, (_, n) => customerAt(n)).map((c) => [c.id, c.name]),
  );
  const rows: string[] = [];
  for (let n = 0; n < orders; n++) {
    const o = orderAt(n, customers);
    const name = names.get(o.customerId);
    if (name !== undefined) rows.push(`${o.orderId} ${o.customerId} ${name}`);
  }
  return rows.sort();
}

/**
 * Hash join output lines without their ordinal (sorted), and whether each customer's ordinals
 * are exactly 1..n: a record replayed without its state restored repeats one, lost state restarts them.
 */
export function splitOrdinals(lines: readonly string[]): { rows: string[]; ordinalsExact: boolean } {
  const byCustomer = new Map<string, number[]>();
  const rows = lines.map((l) => {
    const [order, customer, name, ordinal] = l.split(' ');
    (byCustomer.get(customer!) ?? byCustomer.set(customer!, []).get(customer!)!).push(Number(ordinal));
    return `${order} ${customer} ${name}`;
  });
  const ordinalsExact = [...byCustomer.values()].every((xs) =>
    xs.sort((a, b) => a - b).every((x, i) => x === i + 1),
  );
  return { rows: rows.sort(), ordinalsExact };
}

/** The lines of the committed part files (`part-*`) in `dir`. */
export function committedLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('part-') && !f.includes('inprogress'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
}
