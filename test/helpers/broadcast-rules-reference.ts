import { readingAt, ruleAt, rulesFor } from '../../functions/broadcast-rules';

/**
 * What the broadcast-rules job must output, computed from the readings and rules themselves
 * (not by the job's code): each reading is checked against the latest rule of its sensor at
 * or before its time; alerts are numbered per sensor in time order.
 */
export function expectedRuleOutput(
  readings: number,
  sensors: number,
): { alerts: string[]; unruled: string[] } {
  const rules = Array.from({ length: rulesFor(readings) }, (_, m) => ruleAt(m, sensors));
  const alerts: string[] = [];
  const unruled: string[] = [];
  const counts = new Map<string, number>();
  for (let n = 0; n < readings; n++) {
    const r = readingAt(n, sensors);
    const inForce = rules.filter((rule) => rule.sensor === r.sensor && rule.ts <= r.ts).pop();
    if (!inForce) {
      unruled.push(`unruled ${r.sensor} ${r.seq}`);
      continue;
    }
    if (inForce.threshold === null || r.value <= inForce.threshold) continue;
    const count = (counts.get(r.sensor) ?? 0) + 1;
    counts.set(r.sensor, count);
    alerts.push(`alert ${r.sensor} ${r.seq} ${r.value}>${inForce.threshold} #${count}`);
  }
  return { alerts: alerts.sort(), unruled: unruled.sort() };
}
