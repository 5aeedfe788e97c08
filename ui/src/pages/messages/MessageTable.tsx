// The messages as a virtualised table, newest first: one fixed-height line each. Used live (rows
// arrive on top and the view holds still while scrolled away) and for History's results.
import type { Ref } from "react";
import type { Direction, MessageRow } from "../../bindings";
import { formatCount, formatDateTime, formatTime } from "../../format";
import { VirtualTable, type Column, type VirtualTableHandle } from "../../VirtualTable";

/** Every row has the same height, so the virtualiser never measures the DOM: one line. */
export const MESSAGE_ROW_HEIGHT = 36;
/** Below this width the table scrolls sideways: the columns' minimums, gaps and padding. */
const MIN_WIDTH = 1000;

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

/** A warn or error level in its tone, as a word; nothing for info. */
export function LevelMark({ level }: { level: string }) {
  if (level !== "warn" && level !== "error") return null;
  return <span className={`level level-${level}`}>{level}</span>;
}

/** A device as people know it: its name, else its id. */
export const deviceLabel = (m: MessageRow) => m.device_name ?? m.device_id ?? m.dev_eui ?? "";

export type IntegrationNames = ReadonlyMap<string, string>;

export const integrationLabel = (names: IntegrationNames, id: string | null) => (id === null ? "" : (names.get(id) ?? id));

function columns(names: IntegrationNames): Column<MessageRow>[] {
  return [
    {
      header: "Time",
      width: "104px",
      className: "mono muted",
      title: (m) => formatDateTime(m.at_ms),
      render: (m) => formatTime(m.at_ms),
    },
    { header: "Dir", width: "32px", render: (m) => <DirectionMark direction={m.direction} /> },
    { header: "Kind", width: "minmax(120px, 0.9fr)", className: "mono ellipsis msg-kind", title: (m) => m.kind, render: (m) => m.kind },
    {
      header: "Device",
      width: "minmax(100px, 1fr)",
      className: "ellipsis",
      title: (m) => [m.device_name, m.device_id, m.dev_eui].filter(Boolean).join("\n") || undefined,
      render: deviceLabel,
    },
    {
      header: "Integration",
      width: "minmax(100px, 1fr)",
      className: "ellipsis",
      title: (m) => m.integration_id ?? undefined,
      render: (m) => integrationLabel(names, m.integration_id),
    },
    {
      header: "Topic",
      width: "minmax(110px, 1.2fr)",
      className: "mono ellipsis",
      title: (m) => m.topic ?? undefined,
      render: (m) => m.topic ?? "",
    },
    {
      header: "Size",
      width: "64px",
      numeric: true,
      title: (m) => `${formatCount(m.size)} bytes`,
      render: (m) => (m.size > 0 ? formatCount(m.size) : ""),
    },
    {
      header: "Text",
      width: "minmax(180px, 3fr)",
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
}

const rowKey = (m: MessageRow) => String(m.id);

export function MessageTable({
  rows,
  names,
  selectedId,
  onSelect,
  onRowsAbove,
  onTop,
  empty,
  ref,
}: {
  rows: readonly MessageRow[];
  names: IntegrationNames;
  selectedId: number | null;
  onSelect: (id: number) => void;
  /** Live: rows arriving above hold the view still, and are counted. */
  onRowsAbove?: (count: number) => void;
  onTop?: () => void;
  empty?: string;
  ref?: Ref<VirtualTableHandle>;
}) {
  return (
    <VirtualTable
      ref={ref}
      label="Messages"
      className="messages-table"
      rows={rows}
      columns={columns(names)}
      rowHeight={MESSAGE_ROW_HEIGHT}
      getKey={rowKey}
      minWidth={MIN_WIDTH}
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
}
