import type { WindowId } from './window-trigger-context';

/** Flink's TimeWindow.intersects: windows that overlap or touch merge. */
const touches = (a: WindowId, b: WindowId): boolean => a[0] <= b[1] && a[1] >= b[0];

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
  const touching = existing.filter((w) => touches(w, fresh));
  const into: WindowId = [
    Math.min(fresh[0], ...touching.map((w) => w[0])),
    Math.max(fresh[1], ...touching.map((w) => w[1])),
  ];
  const merged = touching.filter((w) => w[0] !== into[0] || w[1] !== into[1]);
  return { into, merged };
}
