// The live view's data: a stream of the messages the filter lets through, started with the newest
// stored ones, paused and cleared on request.
import { useEffect, useRef, useState } from "react";
import { searchHistory, subscribeMessages, toError } from "../../api";
import type { MessageFilter, MessageRow } from "../../bindings";
import {
  markSeen,
  MAX_MESSAGES,
  mergePrefill,
  prependBatch,
  prependRows,
  PREFILL,
  rememberSeen,
  type SeenMarks,
} from "./liveWindow";

export type LiveLoad = { status: "loading" } | { status: "ready" } | { status: "error"; error: Error };

export type LiveMessages = {
  /** Newest first, at most MAX_MESSAGES. */
  rows: MessageRow[];
  load: LiveLoad;
  /** Why messages do not stream (the stored ones still show), or null. */
  liveError: string | null;
  paused: boolean;
  /** Messages that came while paused, shown on resume. */
  pending: number;
  /** Matching messages the core did not send (too many at once): History has them. */
  skipped: number;
  togglePause: () => void;
  /** Empties the view (not the history). */
  clear: () => void;
  retry: () => void;
};

/**
 * Subscribes with `filter` (again whenever `filterKey`, its text, changes), then reads the newest
 * stored messages, and shows each message once, newest first. Unsubscribes on unmount.
 */
export function useLiveMessages(filter: MessageFilter, filterKey: string): LiveMessages {
  const [rows, setRows] = useState<MessageRow[]>([]);
  const [load, setLoad] = useState<LiveLoad>({ status: "loading" });
  const [liveError, setLiveError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [paused, setPaused] = useState(false);
  const [pending, setPending] = useState(0);
  const [skipped, setSkipped] = useState(0);
  const pausedRef = useRef(false);
  // Batches that arrive while paused wait here (newest first).
  const pendingRef = useRef<MessageRow[]>([]);
  // Uplinks AWS echoed ("seen on AWS"), for rows shown now and those still to come in.
  const marksRef = useRef<SeenMarks>(new Map());
  const filterRef = useRef(filter);
  filterRef.current = filter;

  useEffect(() => {
    const current = filterRef.current;
    let cancelled = false;
    // Live batches that arrive before the stored messages are in, oldest first.
    let early: MessageRow[] | null = [];
    pendingRef.current = [];
    setPending(0);
    setSkipped(0);
    setRows([]);
    setLoad({ status: "loading" });
    setLiveError(null);

    const sub = subscribeMessages(current, (batch) => {
      if (cancelled) return;
      if (batch.skipped > 0) setSkipped((n) => n + batch.skipped);
      const marks = marksRef.current;
      const seen = batch.seen.length > 0;
      if (seen) rememberSeen(marks, batch.seen);
      // AWS's echo can come before the bridge records its uplink: new rows are marked from what
      // was remembered, and rows already held only when an echo came.
      const rows = markSeen(batch.rows, marks);
      if (early) {
        early.push(...rows);
      } else if (pausedRef.current) {
        const waiting = seen ? markSeen(pendingRef.current, marks) : pendingRef.current;
        pendingRef.current = prependBatch(waiting, rows, MAX_MESSAGES);
        setPending(pendingRef.current.length);
        // Rows already shown are marked while paused too: it is news about them, not new rows.
        if (seen) setRows((prev) => markSeen(prev, marks));
      } else if (rows.length > 0 || seen) {
        setRows((prev) => prependBatch(seen ? markSeen(prev, marks) : prev, rows));
      }
    });
    // Subscribe first, then read the store, so nothing falls between the two; what both return
    // is shown once.
    sub.ready
      .catch((reason: unknown) => {
        if (!cancelled) setLiveError(toError(reason).message);
      })
      .then(() => (cancelled ? null : searchHistory(current, null, PREFILL)))
      .then(
        (page) => {
          if (cancelled || page === null) return;
          const merged = markSeen(mergePrefill(page.rows, early ?? []), marksRef.current);
          early = null;
          setRows(merged);
          setLoad({ status: "ready" });
        },
        (reason: unknown) => {
          if (!cancelled) setLoad({ status: "error", error: toError(reason) });
        },
      );
    return () => {
      cancelled = true;
      sub.close();
    };
  }, [filterKey, attempt]);

  const togglePause = () => {
    const next = !pausedRef.current;
    pausedRef.current = next;
    setPaused(next);
    if (!next && pendingRef.current.length > 0) {
      const waiting = pendingRef.current;
      pendingRef.current = [];
      setPending(0);
      setRows((prev) => prependRows(prev, waiting));
    }
  };

  const clear = () => {
    pendingRef.current = [];
    setPending(0);
    setSkipped(0);
    setRows([]);
  };

  return {
    rows,
    load,
    liveError,
    paused,
    pending,
    skipped,
    togglePause,
    clear,
    retry: () => setAttempt((n) => n + 1),
  };
}
