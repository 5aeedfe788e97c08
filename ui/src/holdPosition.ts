// Keeping a scrolled list still while rows arrive above what the user looks at (a live list,
// newest first): a pure function, so VirtualTable's behaviour is tested without a layout engine.

export type Held = {
  /** Where to scroll so the row at the top of the view stays there. */
  scrollTop: number;
  /** Rows that came in above the old first row. */
  added: number;
};

/**
 * After `before` became `after` (rows of `rowHeight` each), the scroll position that keeps the row
 * at the top of the view (`scrollTop`) where it was, and how many rows arrived above the old
 * first one. Rows added above move it down by as many rows; rows trimmed off the end (a bounded
 * window) do not move it. When that row itself is gone, the view moves down by the rows added.
 */
export function holdPosition<T>(
  before: readonly T[],
  after: readonly T[],
  getKey: (row: T) => string,
  scrollTop: number,
  rowHeight: number,
): Held {
  const first = before[0];
  if (first === undefined) return { scrollTop, added: 0 };
  const firstKey = getKey(first);
  let added = after.findIndex((row) => getKey(row) === firstKey);
  if (added < 0) added = after.length;

  const index = Math.min(Math.floor(scrollTop / rowHeight), before.length - 1);
  const anchor = before[index];
  if (anchor === undefined) return { scrollTop, added };
  const within = scrollTop - index * rowHeight;
  const key = getKey(anchor);
  // Usually just moved down by the rows added; otherwise looked for.
  const guess = after[index + added];
  const moved = guess !== undefined && getKey(guess) === key ? index + added : after.findIndex((row) => getKey(row) === key);
  return {
    scrollTop: moved >= 0 ? moved * rowHeight + within : scrollTop + added * rowHeight,
    added,
  };
}
