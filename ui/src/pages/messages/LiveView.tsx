// Live: the messages the filters let through as they happen, newest on top. Scrolled away from
// the top, the view holds still and counts what came in; Pause holds new ones back.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { EmptyState, ErrorState, Loading } from "../../components";
import { formatCount, plural } from "../../format";
import { ActivityIcon } from "../../icons";
import type { VirtualTableHandle } from "../../VirtualTable";
import { isFiltered, toMessageFilter, type Filters } from "./filters";
import { MAX_MESSAGES } from "./liveWindow";
import { MessageTable, type Names } from "./MessageTable";
import { useLiveMessages } from "./useLiveMessages";
import { countOnAws, type AwsCounts } from "./WatchAws";

export function LiveView({
  filters,
  names,
  selectedId,
  onSelect,
  onOpenHistory,
  onAwsCounts,
}: {
  /** As settled (typing debounced): a change subscribes again. */
  filters: Filters;
  names: Names;
  selectedId: number | null;
  onSelect: (id: number) => void;
  onOpenHistory: () => void;
  /** What the list shows that Watch AWS saw (its ✓ and AWS's downlinks), as it changes. */
  onAwsCounts?: (counts: AwsCounts) => void;
}) {
  const filter = toMessageFilter(filters);
  const filterKey = JSON.stringify(filter);
  const live = useLiveMessages(filter, filterKey);
  const table = useRef<VirtualTableHandle>(null);
  // Rows that came in above while the user was scrolled away from the top.
  const [newAbove, setNewAbove] = useState(0);
  const [shownFor, setShownFor] = useState(filterKey);
  if (shownFor !== filterKey) {
    setShownFor(filterKey);
    setNewAbove(0);
  }

  // Stable, so the table (memoised) is not rendered again while paused: only the Resume count
  // changes then, at every batch.
  const onRowsAbove = useCallback((n: number) => setNewAbove((count) => count + n), []);
  const onTop = useCallback(() => setNewAbove(0), []);

  const { rows, load } = live;
  const filtered = isFiltered(filters);
  // Watch AWS counts the ✓ shown here, so its count and the marks always agree; told only when
  // they change, not on every batch.
  const counts = useMemo(() => countOnAws(rows), [rows]);
  const countsKey = JSON.stringify(counts);
  useEffect(() => onAwsCounts?.(counts), [countsKey]);

  return (
    <>
      <div className="msg-toolbar">
        <p className="muted msg-count" data-testid="messages-count" aria-live="off">
          {load.status === "ready"
            ? `${plural(rows.length, "message", "messages")}, newest first${rows.length >= MAX_MESSAGES ? ` (the latest ${formatCount(MAX_MESSAGES)}; History has the rest)` : ""}.`
            : "\u00a0"}
        </p>
        {/* In the strip above the list, not over its rows: it hides none of them. */}
        {newAbove > 0 ? (
          <button
            type="button"
            className="button button-primary button-small msg-new-marker"
            data-testid="messages-new-marker"
            onClick={() => {
              // The marker goes away: focus stays in the list rather than falling to the page.
              table.current?.focus();
              table.current?.scrollToTop();
            }}
          >
            {formatCount(newAbove)} new — jump to latest
          </button>
        ) : null}
        <div className="msg-toolbar-actions">
          <button
            type="button"
            className="button button-secondary button-small"
            aria-pressed={live.paused}
            data-testid="messages-pause"
            onClick={live.togglePause}
          >
            {live.paused ? (live.pending > 0 ? `Resume (${formatCount(live.pending)} new)` : "Resume") : "Pause"}
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            data-testid="messages-clear"
            title="Empties this view; History keeps every message."
            onClick={() => {
              live.clear();
              setNewAbove(0);
            }}
          >
            Clear
          </button>
        </div>
      </div>
      {live.liveError ? (
        <p className="note note-warn" data-testid="messages-live-error">
          Live updates are unavailable: {live.liveError}
        </p>
      ) : null}
      {live.skipped > 0 ? (
        <p className="note note-warn note-dismissible" data-testid="messages-skipped">
          <span>
            {plural(live.skipped, "message", "messages")} came too fast to show live; search History for them.
          </span>
          <button type="button" className="link-button" onClick={onOpenHistory}>
            Open History
          </button>
        </p>
      ) : null}
      {load.status === "loading" ? <Loading what="messages" /> : null}
      {load.status === "error" ? <ErrorState what="messages" error={load.error} onRetry={live.retry} /> : null}
      {load.status === "ready" && rows.length === 0 && !filtered ? (
        <EmptyState testId="messages-empty" icon={<ActivityIcon size={40} />} title="Nothing to show yet">
          <p>
            Every uplink the bridge publishes to AWS IoT Core, every downlink it receives and every event will appear
            here as it happens.
          </p>
        </EmptyState>
      ) : null}
      {load.status === "ready" && (rows.length > 0 || filtered) ? (
        <div className="msg-list">
          <MessageTable
            ref={table}
            rows={rows}
            names={names}
            selectedId={selectedId}
            onSelect={onSelect}
            onRowsAbove={onRowsAbove}
            onTop={onTop}
            empty="No messages match the filters yet; new ones appear as they come."
          />
        </div>
      ) : null}
    </>
  );
}
