// The live view's rows: newest first, each message once, at most MAX_MESSAGES of them.
import type { MessageRow, Seen } from "../../bindings";

/**
 * The most rows the live view keeps (summaries only); older ones fall off (History has them).
 * The page's heap grows with them: at 5,000, under 1,000 messages/s, the viewer bench's longest
 * frames were 37–59 ms, over 50 ms in about half its runs (each batch's work, with the engine's
 * garbage collection, on the page's thread); at 2,000, 30–38 ms in five runs of seven.
 */
export const MAX_MESSAGES = 2000;
/** How many stored messages the live view starts with. */
export const PREFILL = 500;

/**
 * `newer` (newest first) on top of `current` (newest first), without the messages `current`
 * already has, capped at `max` (the oldest fall off).
 */
export function prependRows(current: readonly MessageRow[], newer: readonly MessageRow[], max = MAX_MESSAGES): MessageRow[] {
  if (newer.length === 0) return current.length > max ? current.slice(0, max) : (current as MessageRow[]);
  // The usual live batch: newer (the core numbers messages in order) than everything shown, in
  // order. No set of the ids shown is built for it: at 10 batches a second that was most of the
  // garbage the page made.
  const newest = current[0];
  if (newest === undefined || strictlyDescendingAbove(newer, newest.id)) {
    const next = newer.length >= max ? newer.slice(0, max) : newer.concat(current);
    if (next.length > max) next.length = max;
    return next;
  }
  const seen = new Set<number>();
  for (const row of current) seen.add(row.id);
  const fresh: MessageRow[] = [];
  for (const row of newer) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    fresh.push(row);
  }
  if (fresh.length === 0) return current as MessageRow[];
  const next = fresh.length >= max ? fresh.slice(0, max) : fresh.concat(current.slice(0, max - fresh.length));
  return next;
}

/** Whether `rows` go strictly down by id, all above `floor`. */
function strictlyDescendingAbove(rows: readonly MessageRow[], floor: number): boolean {
  let last = Infinity;
  for (const row of rows) {
    if (row.id >= last) return false;
    last = row.id;
  }
  return last > floor;
}

/** A live batch (oldest first) on top of `current` (newest first). */
export function prependBatch(current: readonly MessageRow[], batch: readonly MessageRow[], max = MAX_MESSAGES): MessageRow[] {
  return prependRows(current, batch.slice().reverse(), max);
}

/**
 * The stored messages (newest first) with what streamed in while they were read (oldest first):
 * each once, newest first.
 */
export function mergePrefill(stored: readonly MessageRow[], streamed: readonly MessageRow[], max = MAX_MESSAGES): MessageRow[] {
  const storedIds = new Set(stored.map((r) => r.id));
  const newestStored = stored[0];
  // Streamed ones newer than everything stored go on top; older ones (rare) take their place.
  const fresh = streamed.filter((r) => !storedIds.has(r.id));
  if (fresh.length === 0) return stored.slice(0, max);
  if (newestStored === undefined || fresh.every((r) => isNewer(r, newestStored))) return prependBatch(stored, fresh, max);
  return stored
    .concat(fresh)
    .sort((a, b) => (isNewer(a, b) ? -1 : isNewer(b, a) ? 1 : 0))
    .slice(0, max);
}

/** History's order: by time, then by id. */
function isNewer(a: MessageRow, b: MessageRow): boolean {
  return a.at_ms > b.at_ms || (a.at_ms === b.at_ms && a.id > b.id);
}

/** Uplinks AWS echoed, by `integration|uuid`: when. Bounded; the oldest marks go first. */
export type SeenMarks = Map<string, number>;
export const MAX_SEEN = 20000;

const seenKey = (integrationId: string | null, uuid: string | null) =>
  integrationId !== null && uuid !== null ? `${integrationId}|${uuid}` : null;

/** Remembers `seen` in `marks` (at most MAX_SEEN, the newest). */
export function rememberSeen(marks: SeenMarks, seen: readonly Seen[], max = MAX_SEEN): void {
  for (const s of seen) marks.set(`${s.integration_id}|${s.uuid}`, s.at_ms);
  for (const key of marks.keys()) {
    if (marks.size <= max) break;
    marks.delete(key);
  }
}

/** `rows` with the uplinks AWS echoed marked (the same array when none changes). */
export function markSeen(rows: readonly MessageRow[], marks: SeenMarks): MessageRow[] {
  if (marks.size === 0) return rows as MessageRow[];
  let out: MessageRow[] | null = null;
  rows.forEach((row, i) => {
    if (row.seen_ms !== null || (row.kind !== "uplink" && row.kind !== "join")) return;
    const key = seenKey(row.integration_id, row.uuid);
    const at = key === null ? undefined : marks.get(key);
    if (at === undefined) return;
    out ??= rows.slice();
    out[i] = { ...row, seen_ms: at };
  });
  return out ?? (rows as MessageRow[]);
}
