// The messages as a virtualised table, newest first: one fixed-height line each. Used live (rows
// arrive on top and the view holds still while scrolled away) and for History's results.
import { memo, useEffect, useMemo, useState, type Ref } from "react";
import type { Direction, MessageRow } from "../../bindings";
import { datePart, formatCount, formatListTime, formatTimestamp, formatZone, type DatePart } from "../../format";
import { VirtualTable, VT_HEADER_HEIGHT, type Column, type VirtualTableHandle } from "../../VirtualTable";

/** Every row has the same height, so the virtualiser never measures the DOM: one line. */
export const MESSAGE_ROW_HEIGHT = 36;
/** The list keeps room for this many rows however tall the detail pane under it is. */
export const MIN_VISIBLE_ROWS = 8;
/** With a message open (its pane under the list in a window too narrow for side by side), the
 *  list gives up rows down to this many, so the pane shows the message and not only its header. */
export const MIN_VISIBLE_ROWS_OPEN = 4;
/** The gap between columns and the padding at each end of a row (as messages.css has them). */
const GAP = 12;
const PAD = 14;

export const DIRECTIONS: Record<Direction, { arrow: string; label: string }> = {
  up: { arrow: "↑", label: "Up" },
  down: { arrow: "↓", label: "Down" },
  none: { arrow: "•", label: "Event" },
};

/** ↑, ↓ or •, read out as a word. */
export function DirectionMark({ direction }: { direction: Direction }) {
  const d = DIRECTIONS[direction];
  return (
    <span className={`msg-dir msg-dir-${direction}`} title={d.label}>
      <span aria-hidden="true">{d.arrow}</span>
      <span className="sr-only">{d.label}</span>
    </span>
  );
}

/** What the ✓ after an uplink means (its tooltip, and the legend by Watch AWS). */
export const SEEN_LEGEND = "AWS echoed it back: seen on AWS";

/** An uplink AWS echoed to the integration's monitor ("watch AWS"). */
export function SeenMark() {
  return (
    <span className="msg-seen" data-testid="seen-on-aws" title={`✓ = ${SEEN_LEGEND}`}>
      <span aria-hidden="true">✓</span>
      <span className="sr-only">, seen on AWS</span>
    </span>
  );
}

/** A warn or error level in its tone, as a word; nothing for info. */
export function LevelMark({ level }: { level: string }) {
  if (level !== "warn" && level !== "error") return null;
  return <span className={`level level-${level}`}>{level}</span>;
}

/** Integrations' and devices' names by id: messages carry ids, and a device's name only on its
 *  uplinks (its downlinks and connection events name it here too). */
export type Names = { integrations: ReadonlyMap<string, string>; devices: ReadonlyMap<string, string> };

const NO_NAMES: Names = { integrations: new Map(), devices: new Map() };

/** A device as people know it: its name, else its id. */
export const deviceName = (names: Names, m: Pick<MessageRow, "device_name" | "device_id">) =>
  m.device_name ?? (m.device_id === null ? null : (names.devices.get(m.device_id) ?? null));

// Without a name (a device since removed), its DevEUI reads better than its UUID cut short.
export const deviceLabel = (names: Names, m: MessageRow) => deviceName(names, m) ?? m.dev_eui ?? m.device_id ?? "";

export const integrationLabel = (names: Names, id: string | null) =>
  id === null ? "" : (names.integrations.get(id) ?? id);

/** The Time column's least width for the date its rows show (12 px monospace: about 7.2 px a character). */
const TIME_WIDTH: Record<DatePart, number> = { none: 92, day: 136, year: 172 };

/**
 * What the times show: the date (none today) measured against `today`, at least `least` (History
 * always dates its rows); `widest` is the longest any row has, which sizes the column.
 */
type Dates = { today: number; least: DatePart; widest: DatePart };

const UNDATED: Dates = { today: 0, least: "none", widest: "none" };

/**
 * A column, with its least width (px) and its share of the rest (`fr`; none: exactly `min`).
 * `drop`: where the table is too narrow for every column, those with a drop rank go, first 1, then
 * 2, then 3; the others always show (the detail pane has the whole message).
 */
type MessageColumn = Column<MessageRow> & { min: number; fr?: number; drop?: 1 | 2 | 3 };

function columns(names: Names, dates: Dates): MessageColumn[] {
  const cols: Omit<MessageColumn, "width">[] = [
    {
      header: "Time",
      min: TIME_WIDTH[dates.widest],
      // Today's times and older ones with their date: on the right, the times line up.
      numeric: dates.widest !== dates.least,
      className: "mono muted",
      title: (m) => `${formatTimestamp(m.at_ms)} local time (${formatZone(m.at_ms)})`,
      render: (m) => formatListTime(m.at_ms, datePart(m.at_ms, dates.today, dates.least)),
    },
    { header: "Dir", min: 24, render: (m) => <DirectionMark direction={m.direction} /> },
    {
      header: "Kind",
      // "provisioning" whole.
      min: 96,
      fr: 0.8,
      className: "mono ellipsis msg-kind",
      title: (m) => (m.seen_ms === null ? m.kind : `${m.kind}, seen on AWS at ${formatTimestamp(m.seen_ms)}`),
      // Read as words (uplink rejected); the filter and the detail pane keep the code.
      render: (m) => (
        <>
          {m.kind.replaceAll("_", " ")}
          {m.seen_ms !== null ? <SeenMark /> : null}
        </>
      ),
    },
    {
      header: "Device",
      min: 80,
      fr: 1,
      className: "ellipsis",
      title: (m) => [deviceName(names, m), m.device_id, m.dev_eui].filter(Boolean).join("\n") || undefined,
      render: (m) => deviceLabel(names, m),
    },
    {
      header: "Integration",
      // Its header whole.
      min: 92,
      fr: 1,
      drop: 3,
      className: "ellipsis",
      title: (m) => m.integration_id ?? undefined,
      render: (m) => integrationLabel(names, m.integration_id),
    },
    {
      header: "Topic",
      min: 96,
      fr: 1.1,
      drop: 1,
      className: "mono ellipsis",
      title: (m) => m.topic ?? undefined,
      render: (m) => m.topic ?? "",
    },
    {
      header: "Size",
      min: 52,
      drop: 2,
      numeric: true,
      title: (m) => `${formatCount(m.size)} bytes`,
      render: (m) => (m.size > 0 ? formatCount(m.size) : ""),
    },
    {
      header: "Text",
      // What a row says: Topic gives way before it is cut to a few words.
      min: 140,
      fr: 3,
      className: "msg-text",
      title: (m) => m.text,
      render: (m) => (
        <>
          <LevelMark level={m.level} />
          <span className="ellipsis">{m.text}</span>
        </>
      ),
    },
  ];
  return cols.map((c) => ({ ...c, width: c.fr === undefined ? `${c.min}px` : `minmax(${c.min}px, ${c.fr}fr)` }));
}

/** The width a row needs for these columns: their least widths, the gaps and the padding. */
const needs = (cols: readonly MessageColumn[]) => cols.reduce((n, c) => n + c.min, 0) + GAP * (cols.length - 1) + 2 * PAD;

/** Whether `c` shows once the columns of drop rank `drops` and lower have gone. */
const kept = (drops: number) => (c: MessageColumn) => c.drop === undefined || c.drop > drops;

/** How many drop ranks go at `width` (null: not known, none go), with times dated up to `widest`. */
export function dropsFor(width: number | null, widest: DatePart = "none"): number {
  if (width === null || width <= 0) return 0;
  const all = columns(NO_NAMES, { ...UNDATED, widest });
  for (let drops = 0; drops < 3; drops++) {
    if (needs(all.filter(kept(drops))) <= width) return drops;
  }
  return 3;
}

/** Below this width even the columns that always show do not fit: the table scrolls sideways. */
const minWidth = (widest: DatePart) => needs(columns(NO_NAMES, { ...UNDATED, widest }).filter(kept(3)));

/** The start of today (local time), made again just after midnight: rows of what became yesterday
 * gain their date even when no message comes to render the list again. */
function useDayStart(): number {
  const dayOf = (ms: number) => new Date(ms).setHours(0, 0, 0, 0);
  const [day, setDay] = useState(() => dayOf(Date.now()));
  useEffect(() => {
    const next = new Date(day);
    next.setDate(next.getDate() + 1);
    const timer = setTimeout(() => setDay(dayOf(Date.now())), Math.max(0, next.getTime() - Date.now()) + 50);
    return () => clearTimeout(timer);
  }, [day]);
  return day;
}

/** The least width of a table of today's messages (no dates). */
export const MESSAGE_TABLE_MIN_WIDTH = minWidth("none");

const rowKey = (m: MessageRow) => String(m.id);

/** Memoised: a live view's other state (its paused count) changes more often than its rows. */
export const MessageTable = memo(function MessageTable({
  rows,
  names,
  selectedId,
  onSelect,
  onRowsAbove,
  onTop,
  empty,
  dated = false,
  ref,
}: {
  rows: readonly MessageRow[];
  names: Names;
  selectedId: number | null;
  onSelect: (id: number) => void;
  /** Live: rows arriving above hold the view still, and are counted. */
  onRowsAbove?: (count: number) => void;
  onTop?: () => void;
  empty?: string;
  /** Every row shows its date (History), not only those before today. */
  dated?: boolean;
  ref?: Ref<VirtualTableHandle>;
}) {
  // The columns fit the width the table has: no sideways scrolling in the app's usual windows.
  const [width, setWidth] = useState<number | null>(null);
  // Rows are dated against today's start: made again as the day changes (yesterday's rows gain
  // their date), not on every batch.
  const today = useDayStart();
  const least: DatePart = dated ? "day" : "none";
  // Newest first: the last row has the longest date.
  const oldest = rows[rows.length - 1];
  const widest = oldest === undefined ? least : datePart(oldest.at_ms, today, least);
  // Worked out when the width or the dates change, not at each live batch.
  const drops = useMemo(() => dropsFor(width, widest), [width, widest]);
  const shown = useMemo(
    () => columns(names, { today, least, widest }).filter(kept(drops)),
    [names, drops, least, widest, today],
  );
  const tableMinWidth = useMemo(() => minWidth(widest), [widest]);
  return (
    <VirtualTable
      ref={ref}
      label="Messages"
      className="messages-table"
      rows={rows}
      columns={shown}
      rowHeight={MESSAGE_ROW_HEIGHT}
      getKey={rowKey}
      minWidth={tableMinWidth}
      minHeight={
        VT_HEADER_HEIGHT + (selectedId === null ? MIN_VISIBLE_ROWS : MIN_VISIBLE_ROWS_OPEN) * MESSAGE_ROW_HEIGHT + 2
      }
      onWidth={setWidth}
      rowTestId="message-row"
      scrollTestId="messages-scroll"
      overscan={10}
      rowAttributes={(m) => ({ "data-id": String(m.id), "data-kind": m.kind, "data-level": m.level })}
      rowClassName={(m) => (m.level === "warn" || m.level === "error" ? `msg-row-${m.level}` : undefined)}
      onRowActivate={(m) => onSelect(m.id)}
      currentKey={selectedId === null ? null : String(selectedId)}
      onRowsAbove={onRowsAbove}
      onTop={onTop}
      empty={empty}
    />
  );
});
