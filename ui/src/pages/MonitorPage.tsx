import { useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { recentEvents, subscribeEvents, toError } from "../api";
import type { Event } from "../bindings";
import { EmptyState, ErrorState, Loading, PageHeader } from "../components";
import { formatCount, formatDateTime, formatTime } from "../format";
import { ActivityIcon } from "../icons";

/** Every row has the same height, so the virtualiser never measures the DOM: two lines of message. */
export const EVENT_ROW_HEIGHT = 44;
/** How many events the page keeps; older ones fall off the end. */
export const MAX_EVENTS = 10_000;
/** How many stored events the page starts with. */
export const INITIAL_EVENTS = 500;

const COLUMNS = ["Time", "Level", "Kind", "Message"] as const;

/** `current` (newest first) with `batch` (oldest first) on top, capped at {@link MAX_EVENTS}. */
function prepend(current: Event[], batch: Event[]): Event[] {
  if (batch.length === 0) return current;
  const next = batch.slice().reverse().concat(current);
  return next.length > MAX_EVENTS ? next.slice(0, MAX_EVENTS) : next;
}

function matches(e: Event, needle: string): boolean {
  return [e.message, e.kind, e.level, e.device_id, e.source_id, e.integration_id].some(
    (field) => field !== null && field.toLowerCase().includes(needle),
  );
}

function levelClass(level: string): string {
  return level === "error" || level === "warn" || level === "info" ? `level level-${level}` : "level";
}

function EventRow({ event, index, top }: { event: Event; index: number; top: number }) {
  const context = [
    event.device_id ? `device ${event.device_id}` : null,
    event.source_id ? `source ${event.source_id}` : null,
    event.integration_id ? `integration ${event.integration_id}` : null,
  ].filter((s): s is string => s !== null);
  return (
    <div
      role="row"
      aria-rowindex={index + 2 /* 1-based, after the header row */}
      className="event-row"
      data-testid="event-row"
      data-level={event.level}
      style={{ transform: `translateY(${top}px)`, height: EVENT_ROW_HEIGHT }}
    >
      <span role="cell" className="mono muted" title={formatDateTime(event.at_ms)}>
        {formatTime(event.at_ms)}
      </span>
      <span role="cell">
        <span className={levelClass(event.level)}>{event.level}</span>
      </span>
      <span role="cell" className="mono ellipsis event-kind-cell" title={event.kind}>
        {event.kind}
      </span>
      {/* Up to two lines, then cut; the tooltip has all of it (and what it is about). */}
      <span role="cell" className="event-message-cell" title={[event.message, ...context].join("\n")}>
        {event.message}
      </span>
    </div>
  );
}

function EventTable({ events }: { events: Event[] }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: events.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => EVENT_ROW_HEIGHT,
    getItemKey: (index) => events[index]?.id ?? index,
    overscan: 10,
  });

  return (
    <div role="table" aria-label="Events" aria-rowcount={events.length + 1} className="event-table">
      <div role="row" aria-rowindex={1} className="event-row event-header">
        {COLUMNS.map((c) => (
          <span role="columnheader" key={c}>
            {c}
          </span>
        ))}
      </div>
      {/* The rows' group is the scroll region, focusable so the list scrolls by keyboard too. */}
      <div
        ref={scrollRef}
        role="rowgroup"
        className="event-scroll"
        data-testid="event-scroll"
        tabIndex={0}
        aria-label="Events (scrollable)"
      >
        <div className="event-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const event = events[item.index];
            return event ? <EventRow key={item.key} event={event} index={item.index} top={item.start} /> : null;
          })}
        </div>
      </div>
    </div>
  );
}

type Load = { status: "loading" } | { status: "ready" } | { status: "error"; error: Error };

export function MonitorPage() {
  // Newest first.
  const [events, setEvents] = useState<Event[]>([]);
  const [load, setLoad] = useState<Load>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [liveError, setLiveError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const [paused, setPaused] = useState(false);
  // Batches that arrive while paused wait here (newest first), shown on resume.
  const pausedRef = useRef(false);
  const pendingRef = useRef<Event[]>([]);
  const [pendingCount, setPendingCount] = useState(0);

  useEffect(() => {
    let cancelled = false;
    // Events without a stored id (e.g. the "fell behind" note) get unique negative ones.
    let localId = 0;
    // Live batches that arrive before the stored events are in, oldest first.
    let early: Event[] | null = [];
    const deliver = (batch: Event[]) => {
      if (pausedRef.current) {
        pendingRef.current = prepend(pendingRef.current, batch);
        setPendingCount(pendingRef.current.length);
      } else {
        setEvents((prev) => prepend(prev, batch));
      }
    };
    setLoad({ status: "loading" });
    setLiveError(null);
    const sub = subscribeEvents((batch) => {
      if (cancelled) return;
      const numbered = batch.map((e) => (e.id === 0 ? { ...e, id: --localId } : e));
      if (early) early.push(...numbered);
      else deliver(numbered);
    });
    // Subscribe first, then read the store, so nothing falls between the two; what both
    // return is shown once.
    sub.ready
      .catch((reason: unknown) => {
        if (!cancelled) setLiveError(toError(reason).message);
      })
      .then(() => (cancelled ? null : recentEvents(INITIAL_EVENTS)))
      .then(
        (initial) => {
          if (cancelled || initial === null) return;
          const last = initial.reduce((max, e) => Math.max(max, e.id), 0);
          const fresh = (early ?? []).filter((e) => e.id < 0 || e.id > last);
          early = null;
          pendingRef.current = [];
          setPendingCount(0);
          setEvents(prepend([], initial.concat(fresh)));
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
  }, [attempt]);

  const togglePause = () => {
    const next = !pausedRef.current;
    pausedRef.current = next;
    setPaused(next);
    if (!next && pendingRef.current.length > 0) {
      const pending = pendingRef.current;
      pendingRef.current = [];
      setPendingCount(0);
      setEvents((prev) => {
        const merged = pending.concat(prev);
        return merged.length > MAX_EVENTS ? merged.slice(0, MAX_EVENTS) : merged;
      });
    }
  };

  const needle = filter.trim().toLowerCase();
  const shown = useMemo(() => (needle === "" ? events : events.filter((e) => matches(e, needle))), [events, needle]);

  const subtitle =
    load.status === "ready" && events.length > 0
      ? needle === ""
        ? `${formatCount(events.length)} most recent events, newest first.`
        : `${formatCount(shown.length)} of ${formatCount(events.length)} events match.`
      : "Live traffic between Helium and AWS IoT Core.";

  const actions = (
    <>
      <input
        type="search"
        className="input"
        placeholder="Filter events"
        aria-label="Filter events"
        data-testid="monitor-filter"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      <button
        type="button"
        className="button button-secondary"
        aria-pressed={paused}
        data-testid="monitor-pause"
        onClick={togglePause}
      >
        {paused ? (pendingCount > 0 ? `Resume (${formatCount(pendingCount)} new)` : "Resume") : "Pause"}
      </button>
    </>
  );

  return (
    <div className="page page-fill">
      <PageHeader title="Monitor" subtitle={subtitle} actions={actions} />
      {liveError ? (
        <p className="note note-warn" data-testid="monitor-live-error">
          Live updates are unavailable: {liveError}
        </p>
      ) : null}
      {load.status === "loading" ? <Loading what="events" /> : null}
      {load.status === "error" ? (
        <ErrorState what="events" error={load.error} onRetry={() => setAttempt((n) => n + 1)} />
      ) : null}
      {load.status === "ready" && events.length === 0 ? (
        <EmptyState testId="monitor-empty" icon={<ActivityIcon size={40} />} title="Nothing to show yet">
          <p>
            Every uplink the bridge receives and every message it publishes to AWS IoT Core will appear here as it
            happens.
          </p>
        </EmptyState>
      ) : null}
      {load.status === "ready" && events.length > 0 && shown.length === 0 ? (
        <p className="muted" data-testid="monitor-no-match">
          No events match “{filter.trim()}”.
        </p>
      ) : null}
      {load.status === "ready" && shown.length > 0 ? <EventTable events={shown} /> : null}
    </div>
  );
}
