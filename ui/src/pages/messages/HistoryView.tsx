// History: the stored messages the filters and a time range find, a page at a time, newest first,
// and the same search exported to a file.
import { useEffect, useId, useRef, useState } from "react";
import { exportHistory, searchHistory, toError } from "../../api";
import type { Cursor, ExportFormat, MessageFilter, MessageRow } from "../../bindings";
import { ErrorState, Loading, SmallButton } from "../../components";
import { msToLocal, plural } from "../../format";
import { CloseIcon } from "../../icons";
import { localToMs, rangeError, toMessageFilter, type Filters, type Range } from "./filters";
import { MessageTable, type Names } from "./MessageTable";

/** Messages per page of results. */
export const HISTORY_PAGE = 200;

type Results =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "error"; error: Error; filter: MessageFilter }
  | { status: "ready"; rows: MessageRow[]; next: Cursor | null; filter: MessageFilter };

type Exporting =
  | { status: "idle" }
  | { status: "busy"; format: ExportFormat }
  | { status: "done"; count: number; path: string }
  | { status: "failed"; message: string };

/** The From and To inputs (local time), with why the range does not work. */
export function RangeInputs({ range, onChange }: { range: Range; onChange: (next: Range) => void }) {
  return (
    // A row of their own: side by side, From before To, whatever the window's width.
    <div className="msg-range">
      <RangeEnd
        label="From"
        unset="the oldest kept"
        testId="history-from"
        value={range.from}
        // Set: the start of today (of To's day when To is set; the day before when To is that
        // midnight, so the range is never empty from the start).
        initial={() => {
          const to = localToMs(range.to);
          const day = new Date(to ?? Date.now());
          day.setHours(0, 0, 0, 0);
          if (to !== null && day.getTime() >= to) day.setDate(day.getDate() - 1);
          return msToLocal(day.getTime());
        }}
        onChange={(from) => onChange({ ...range, from })}
      />
      <RangeEnd
        label="To"
        unset="now"
        testId="history-to"
        value={range.to}
        // Set: the next minute, so what came in just now is in the range.
        initial={() => msToLocal(Math.ceil((Date.now() + 1) / 60_000) * 60_000)}
        onChange={(to) => onChange({ ...range, to })}
      />
    </div>
  );
}

/**
 * One end of the range: "No limit" (a button that sets a time) until it has one, then the date
 * and time with a button back to no limit. Never an empty date-time box while not being edited:
 * WebKit greys a date into one, and an end with no limit looked set.
 */
function RangeEnd({
  label,
  unset,
  testId,
  value,
  initial,
  onChange,
}: {
  label: string;
  /** What no limit means at this end. */
  unset: string;
  testId: string;
  value: string;
  /** The value "Set" starts from. */
  initial: () => string;
  onChange: (value: string) => void;
}) {
  const labelId = useId();
  const input = useRef<HTMLInputElement>(null);
  const set = useRef<HTMLButtonElement>(null);
  // Being typed in: the box stays while WebKit reports "" for a date being edited field by field.
  const [editing, setEditing] = useState(false);
  // The control that replaces the one pressed takes the focus, so it is not lost to the page.
  const [focus, setFocus] = useState<"input" | "set" | null>(null);
  useEffect(() => {
    if (focus === null) return;
    (focus === "input" ? input : set).current?.focus();
    setFocus(null);
  }, [focus]);
  const open = value !== "" || editing;

  return (
    <div className="msg-filter" role="group" aria-labelledby={labelId}>
      <span className="field-label" id={labelId}>
        {label}
      </span>
      {open ? (
        <div className="msg-range-value">
          <input
            ref={input}
            type="datetime-local"
            className="input"
            aria-labelledby={labelId}
            data-testid={testId}
            value={value}
            onChange={(e) => onChange(e.target.value)}
            onFocus={() => setEditing(true)}
            // Left empty (not for its own clear button): back to no limit, said in words.
            onBlur={(e) => {
              const to = e.relatedTarget instanceof Node ? e.relatedTarget : null;
              if (e.target.value === "" && !e.currentTarget.parentElement?.contains(to)) setEditing(false);
            }}
          />
          <SmallButton
            label={`No limit for ${label}`}
            title={`No limit: ${unset}`}
            testId={`${testId}-clear`}
            onClick={() => {
              setEditing(false);
              setFocus("set");
              onChange("");
            }}
          >
            <CloseIcon size={12} />
          </SmallButton>
        </div>
      ) : (
        <button
          ref={set}
          type="button"
          className="input msg-range-none"
          data-testid={`${testId}-set`}
          title="Set a date and time"
          onClick={() => {
            setEditing(true);
            setFocus("input");
            onChange(initial());
          }}
        >
          <span className="msg-range-none-text">
            No limit <span className="muted">({unset})</span>
          </span>
          <span className="msg-range-set">Set…</span>
        </button>
      )}
    </div>
  );
}

export function HistoryView({
  filters,
  range,
  names,
  selectedId,
  onSelect,
}: {
  filters: Filters;
  range: Range;
  names: Names;
  selectedId: number | null;
  onSelect: (id: number) => void;
}) {
  const [results, setResults] = useState<Results>({ status: "idle" });
  const [more, setMore] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const [exporting, setExporting] = useState<Exporting>({ status: "idle" });
  // Answers to a search that was replaced by a newer one are dropped.
  const generation = useRef(0);
  const badRange = rangeError(range);
  const filter = toMessageFilter(filters, range);

  const search = (f: MessageFilter) => {
    const mine = ++generation.current;
    setResults({ status: "loading" });
    setMore({ busy: false, error: null });
    searchHistory(f, null, HISTORY_PAGE).then(
      (page) => {
        if (mine === generation.current) setResults({ status: "ready", rows: page.rows, next: page.next, filter: f });
      },
      (reason: unknown) => {
        if (mine === generation.current) setResults({ status: "error", error: toError(reason), filter: f });
      },
    );
  };

  // Opening History searches with the filters as they are.
  useEffect(() => {
    if (rangeError(range) === null) search(toMessageFilter(filters, range));
    return () => {
      generation.current++;
    };
  }, []);

  const loadMore = () => {
    if (results.status !== "ready" || results.next === null || more.busy) return;
    const { filter: f, next } = results;
    const mine = generation.current;
    setMore({ busy: true, error: null });
    searchHistory(f, next, HISTORY_PAGE).then(
      (page) => {
        if (mine !== generation.current) return;
        setResults((r) => {
          if (r.status !== "ready") return r;
          const have = new Set(r.rows.map((m) => m.id));
          return { ...r, rows: r.rows.concat(page.rows.filter((m) => !have.has(m.id))), next: page.next };
        });
        setMore({ busy: false, error: null });
      },
      (reason: unknown) => {
        if (mine === generation.current) setMore({ busy: false, error: toError(reason).message });
      },
    );
  };

  const runExport = (format: ExportFormat) => {
    setExporting({ status: "busy", format });
    exportHistory(filter, format).then(
      (done) => setExporting(done === null ? { status: "idle" } : { status: "done", count: done.count, path: done.path }),
      (reason: unknown) => setExporting({ status: "failed", message: toError(reason).message }),
    );
  };
  const busyExporting = exporting.status === "busy";

  return (
    <>
      <div className="msg-toolbar">
        <button
          type="button"
          className="button button-primary button-small"
          data-testid="history-search"
          disabled={badRange !== null}
          onClick={() => search(filter)}
        >
          Search
        </button>
        <p className="muted msg-count" data-testid="history-count">
          {results.status === "ready"
            ? `${plural(results.rows.length, "message", "messages")} found${results.next !== null ? " so far" : ""}, newest first.`
            : "\u00a0"}
        </p>
        <div className="msg-toolbar-actions">
          {(["csv", "ndjson"] as const).map((format) => (
            <button
              key={format}
              type="button"
              className="button button-secondary button-small"
              data-testid={`export-${format}`}
              disabled={busyExporting || badRange !== null}
              title="Writes everything the filters find to a file, not only the pages shown."
              onClick={() => runExport(format)}
            >
              {busyExporting && exporting.format === format ? "Exporting…" : `Export ${format.toUpperCase()}`}
            </button>
          ))}
        </div>
      </div>
      {badRange !== null ? (
        <p className="inline-error" role="alert" data-testid="history-range-error">
          {badRange}
        </p>
      ) : null}
      <div role="status" className="msg-export-status">
        {exporting.status === "done" ? (
          <p className="note" data-testid="export-result">
            Exported {plural(exporting.count, "message", "messages")} to <span className="mono wrap-anywhere">{exporting.path}</span>
          </p>
        ) : null}
      </div>
      {exporting.status === "failed" ? (
        <p className="inline-error" role="alert" data-testid="export-error">
          Could not export: {exporting.message}
        </p>
      ) : null}
      {results.status === "loading" ? <Loading what="history" /> : null}
      {results.status === "error" ? (
        <ErrorState what="history" error={results.error} onRetry={() => search(results.filter)} />
      ) : null}
      {results.status === "ready" ? (
        <div className="msg-list">
          <MessageTable
            rows={results.rows}
            names={names}
            selectedId={selectedId}
            onSelect={onSelect}
            dated
            empty="No stored messages match: widen the filters or the time range."
          />
        </div>
      ) : null}
      {results.status === "ready" && results.next !== null ? (
        <div className="msg-more">
          <button
            type="button"
            className="button button-secondary button-small"
            data-testid="history-more"
            disabled={more.busy}
            onClick={loadMore}
          >
            {more.busy ? "Loading…" : `Load ${HISTORY_PAGE} more`}
          </button>
          {more.error ? (
            <span className="text-danger" role="alert" data-testid="history-more-error">
              Could not load more: {more.error}
            </span>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
