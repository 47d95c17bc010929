import type { WindowId } from './window-trigger-context';

/** Flink's TimeWindow.intersects: windows that overlap or touch merge. */
const touches = (a: WindowId, b: WindowId): boolean => a[0] <= b[1] && a[1] >= b[0];

export const sameWindow = (a: WindowId, b: WindowId): boolean => a[0] === b[0] && a[1] === b[1];

/**
 * Merges a record's fresh session window into a key's existing sessions (which never touch each
 * other): `into` is the session that covers the fresh window and every existing one it touches
 * (Flink's TimeWindow.mergeWindows for one new window); `merged` are the existing sessions that
 * become part of it, except one equal to `into`, which keeps its place.
 */
export function mergeIntoSessions(
  fresh: WindowId,
  existing: readonly WindowId[],
): { into: WindowId; merged: WindowId[] } {
  let start = fresh[0];
  let end = fresh[1];
  const touching: WindowId[] = [];
  for (const w of existing) {
    if (!touches(w, fresh)) continue;
    touching.push(w);
    if (w[0] < start) start = w[0];
    if (w[1] > end) end = w[1];
  }
  // A window id that exists already, or a new one frozen as every window id is (the state
  // backends and timers keep what they derive from one).
  const into =
    (start === fresh[0] && end === fresh[1] ? fresh : touching.find((w) => w[0] === start && w[1] === end)) ??
    (Object.freeze([start, end]) as WindowId);
  const merged = touching.filter((w) => w[0] !== start || w[1] !== end);
  return { into, merged };
}
