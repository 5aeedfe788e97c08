import {
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useReducer,
  useRef,
  useState,
  type FocusEvent,
  type KeyboardEvent,
  type ReactNode,
  type Ref,
} from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { holdPosition } from "./holdPosition";

/** Height of the header row; the virtualiser skips it (`scrollMargin`) as it scrolls with the rows. */
export const VT_HEADER_HEIGHT = 38;

export type Column<T> = {
  /** Header text; also the column's React key. */
  header: string;
  /**
   * Its CSS grid track, e.g. `minmax(120px, 2fr)`: a minimum and a share of the rest, so the
   * columns fill the width available. Every row is its own grid: no content-sized tracks (`auto`).
   */
  width: string;
  /** A number: the header and the cells are right-aligned, with figures of one width. */
  numeric?: boolean;
  /** Class of the cells (e.g. `mono`, `ellipsis`), not the header; a function styles cells per row. */
  className?: string | ((row: T) => string | undefined);
  /** Tooltip of a cell (the full text of an ellipsised value, a date's full form). */
  title?: (row: T) => string | undefined;
  render: (row: T) => ReactNode;
};

export type Selection<T> = {
  /** Keys (see `getKey`) of the selected rows; may hold keys of rows not shown. */
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  /** Accessible name of a row's checkbox, e.g. `Select device Sensor 1`. */
  rowLabel: (row: T) => string;
  /** Accessible name of the header checkbox, which (un)selects every row shown. */
  allLabel: string;
};

export type VirtualTableHandle = {
  /** Scrolls to the first row (and reports `onTop`). */
  scrollToTop: () => void;
  /** Focuses the scroll region (e.g. when the control that had focus goes away). */
  focus: () => void;
};

/** How far from the top (px) the view still counts as at the top. */
const AT_TOP = 1;

type Props<T> = {
  /** Accessible name of the table. */
  label: string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  /** Every row has this height, so the virtualiser never measures the DOM. */
  rowHeight: number;
  getKey: (row: T) => string;
  selection?: Selection<T>;
  /** Accessible name of the scroll region; it takes focus so arrow keys and Page Up/Down scroll it. */
  scrollLabel?: string;
  /** Shown in place of rows when there are none (e.g. a filter matches nothing). */
  empty?: ReactNode;
  className?: string;
  /**
   * Narrower than this, the table scrolls sideways instead of crushing its columns: the sum of
   * the columns' minimums, their gaps and the row's padding (so only below the app's usual widths).
   */
  minWidth?: number;
  rowTestId?: string;
  scrollTestId?: string;
  overscan?: number;
  /** More attributes of a row, e.g. `data-id` for tests. */
  rowAttributes?: (row: T) => Record<`data-${string}`, string>;
  /** More classes of a row (e.g. its tone). */
  rowClassName?: (row: T) => string | undefined;
  /** Makes rows focusable and activatable: a click, Enter or Space calls this. */
  onRowActivate?: (row: T) => void;
  /** The key of the row marked current (`aria-current`), e.g. the one a detail pane shows. */
  currentKey?: string | null;
  /**
   * Rows that come in above the first row in view do not move what is in view (a live list,
   * newest first): the table scrolls down by as many rows, also when rows fall off the end. At
   * the top, new rows just appear. Called with how many rows came in above while away from the top.
   */
  onRowsAbove?: (count: number) => void;
  /** The view is at the top again (scrolled there, or `scrollToTop`). */
  onTop?: () => void;
  /**
   * Called with the width the rows have (the scroll region's, inside its borders and scrollbar)
   * when it is first known and as it changes, e.g. to leave out columns that do not fit.
   */
  onWidth?: (width: number) => void;
  /** The box never shrinks below this many pixels (or its rows): 240 unless given. */
  minHeight?: number;
  ref?: Ref<VirtualTableHandle>;
};

const CHECK_TRACK = "32px";

function cellClass<T>(column: Column<T>, row: T): string | undefined {
  const own = typeof column.className === "function" ? column.className(row) : column.className;
  return column.numeric ? (own ? `num ${own}` : "num") : own;
}

/** The table never grows taller than its rows, and never shrinks below this (or its rows), unless told. */
const MIN_HEIGHT = 240;
/** Room for the `empty` message when no row is shown. */
const EMPTY_HEIGHT = 64;

/** The header checkbox: checked when every shown row is selected, mixed when some are. */
function SelectAll<T>({
  rows,
  getKey,
  selection,
}: {
  rows: readonly T[];
  getKey: (row: T) => string;
  selection: Selection<T>;
}) {
  const ref = useRef<HTMLInputElement>(null);
  let count = 0;
  for (const row of rows) if (selection.selected.has(getKey(row))) count++;
  const all = rows.length > 0 && count === rows.length;
  const some = count > 0 && !all;
  // `indeterminate` exists only as a DOM property.
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = some;
  }, [some]);

  return (
    <input
      ref={ref}
      type="checkbox"
      aria-label={selection.allLabel}
      checked={all}
      disabled={rows.length === 0}
      onChange={() => {
        const next = new Set(selection.selected);
        for (const row of rows) {
          if (all) next.delete(getKey(row));
          else next.add(getKey(row));
        }
        selection.onChange(next);
      }}
    />
  );
}

/**
 * A table of same-height rows that keeps only the rows in view (plus a few) in the DOM, so
 * thousands of rows stay fast. The header sticks to the top of the scroll region, which is
 * focusable so the table can be scrolled from the keyboard. With `selection`, a checkbox
 * column leads each row and the header.
 *
 * The box is as tall as its rows: a few rows leave no empty frame under them. Many rows are
 * capped by the page (it shrinks to the room left in a filled page) or by a `max-height`.
 */
export function VirtualTable<T>({
  label,
  rows,
  columns,
  rowHeight,
  getKey,
  selection,
  scrollLabel,
  empty,
  className,
  minWidth,
  rowTestId,
  scrollTestId,
  overscan = 8,
  rowAttributes,
  rowClassName,
  onRowActivate,
  currentKey = null,
  onRowsAbove,
  onTop,
  onWidth,
  minHeight = MIN_HEIGHT,
  ref,
}: Props<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    // No row is measured, so the virtualiser's items are keyed by index (its default): keyed by
    // row, it read every row's key again whenever the rows changed (a live list's 2,000, four
    // times a second). See `byPlace` for the rows' own keys.
    overscan,
    scrollMargin: VT_HEADER_HEIGHT,
  });
  // Moves the view, and the virtualiser with it before the browser paints, so the rows it renders
  // are the ones in view at once (not a frame later, when the scroll event comes).
  const scrollTo = (top: number) => {
    const el = scrollRef.current;
    if (!el) return;
    el.scrollTop = top;
    virtualizer.scrollOffset = el.scrollTop;
    rerender();
  };

  const shown = useRef(rows);
  useLayoutEffect(() => {
    const before = shown.current;
    shown.current = rows;
    const el = scrollRef.current;
    if (!onRowsAbove || before === rows || !el || el.scrollTop <= AT_TOP) return;
    const held = holdPosition(before, rows, getKey, el.scrollTop, rowHeight);
    if (held.scrollTop !== el.scrollTop) scrollTo(held.scrollTop);
    if (held.added > 0) onRowsAbove(held.added);
    // Only new rows move the view; the callbacks and sizes are read as they are then.
  }, [rows]);

  // The width is watched only for a listener, and only where the browser can (not in jsdom).
  const widthListener = useRef(onWidth);
  widthListener.current = onWidth;
  const watchWidth = onWidth !== undefined;
  useEffect(() => {
    const el = scrollRef.current;
    if (!watchWidth || !el || typeof ResizeObserver !== "function") return undefined;
    const observer = new ResizeObserver(() => widthListener.current?.(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [watchWidth]);

  useImperativeHandle(ref, () => ({
    scrollToTop: () => {
      scrollTo(0);
      onTop?.();
    },
    focus: () => scrollRef.current?.focus(),
  }));

  const activate = onRowActivate
    ? (row: T) => ({
        tabIndex: 0,
        onClick: () => onRowActivate(row),
        onKeyDown: (e: KeyboardEvent<HTMLDivElement>) => {
          if (e.target !== e.currentTarget || (e.key !== "Enter" && e.key !== " ")) return;
          e.preventDefault();
          onRowActivate(row);
        },
      })
    : () => ({});

  // A live list at its top shows new rows in the same places several times a second. There its
  // rows are keyed by place: React reuses their elements and only their text changes, instead of
  // making elements for every message shown and dropping them for every one gone by, a churn that
  // cost frames over 50 ms and a third more of WebKit's CPU under 1,000 messages/s (the viewer
  // bench). Scrolled away from the top, where the view holds still, rows keep their own keys; so
  // do they while the keyboard has put the focus on one, which must not change message under it.
  const [rowFocused, setRowFocused] = useState(false);
  const focusedKey = useRef<string | null>(null);
  const canvasRef = useRef<HTMLDivElement>(null);
  const byPlace = onRowsAbove !== undefined && (virtualizer.scrollOffset ?? 0) <= AT_TOP && !rowFocused;
  // Taking the focus gives the rows their own keys, so React makes their elements anew: the focus
  // goes on in the focused row's new element.
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    const key = focusedKey.current;
    if (!rowFocused || !canvas || key === null || canvas.contains(document.activeElement)) return;
    const rowsShown = Array.from(canvas.querySelectorAll<HTMLElement>("[data-vt-key]"));
    rowsShown.find((el) => el.dataset.vtKey === key)?.focus();
  }, [rowFocused]);
  // A click's row keeps its element: made anew between the press and the release, it would not
  // get the click. (Pressed, the focus comes before the release.)
  const pressed = useRef(false);
  const focusEvents = {
    onPointerDown: () => {
      pressed.current = true;
    },
    onPointerUp: () => {
      pressed.current = false;
    },
    onFocus: (e: FocusEvent<HTMLDivElement>) => {
      if (pressed.current) {
        // (Taken here too: a press released outside the list would otherwise count for the next
        // focus, which the keyboard may bring.)
        pressed.current = false;
        return;
      }
      const focused = e.target instanceof HTMLElement ? e.target.closest<HTMLElement>("[data-vt-key]") : null;
      focusedKey.current = focused?.dataset.vtKey ?? null;
      setRowFocused(true);
    },
    // A clicked row at the top of a flowing list would show the next messages under the focus
    // (and Enter would open one of them): the list takes the focus (the row stays current).
    onClick: () => {
      const active = document.activeElement;
      if (byPlace && active instanceof HTMLElement && active.matches("[data-vt-key]") && canvasRef.current?.contains(active)) {
        scrollRef.current?.focus({ preventScroll: true });
      }
    },
    onBlur: (e: FocusEvent<HTMLDivElement>) => {
      const canvas = e.currentTarget;
      if (e.relatedTarget instanceof Node && canvas.contains(e.relatedTarget)) return;
      // Read once the focus has settled: the row's old element may be going as the keys change.
      queueMicrotask(() => {
        if (canvas.contains(document.activeElement)) return;
        focusedKey.current = null;
        setRowFocused(false);
      });
    },
  };

  const tracks = [...(selection ? [CHECK_TRACK] : []), ...columns.map((c) => c.width)].join(" ");
  const contentHeight = VT_HEADER_HEIGHT + (rows.length > 0 ? rows.length * rowHeight : empty ? EMPTY_HEIGHT : 0);

  return (
    <div
      ref={scrollRef}
      className={className ? `vt ${className}` : "vt"}
      data-testid={scrollTestId}
      role="region"
      aria-label={scrollLabel ?? `${label} (scrollable)`}
      tabIndex={0}
      style={{ minHeight: Math.min(contentHeight + 2 /* its borders */, minHeight) }}
      onScroll={onTop ? (e) => e.currentTarget.scrollTop <= AT_TOP && onTop() : undefined}
    >
      <div role="table" aria-label={label} aria-rowcount={rows.length + 1} className="vt-table" style={{ minWidth }}>
        <div role="rowgroup" className="vt-head">
          <div
            role="row"
            aria-rowindex={1}
            className="vt-row vt-header"
            style={{ gridTemplateColumns: tracks, height: VT_HEADER_HEIGHT }}
          >
            {selection ? (
              <span role="columnheader" className="vt-check">
                <SelectAll rows={rows} getKey={getKey} selection={selection} />
              </span>
            ) : null}
            {columns.map((c) => (
              <span role="columnheader" key={c.header} className={c.numeric ? "num" : undefined}>
                {c.header}
              </span>
            ))}
          </div>
        </div>
        <div
          ref={canvasRef}
          role="rowgroup"
          className="vt-canvas"
          style={{ height: virtualizer.getTotalSize() }}
          {...focusEvents}
        >
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            const key = getKey(row);
            const selected = selection?.selected.has(key) ?? false;
            const current = currentKey === key;
            const classes = ["vt-row", selected ? "vt-row-selected" : null, current ? "vt-row-current" : null];
            classes.push(onRowActivate ? "vt-row-active" : null, rowClassName?.(row) ?? null);
            return (
              <div
                key={byPlace ? item.index : key}
                data-vt-key={key}
                role="row"
                aria-rowindex={item.index + 2 /* 1-based, after the header row */}
                aria-current={current || undefined}
                className={classes.filter(Boolean).join(" ")}
                data-testid={rowTestId}
                {...rowAttributes?.(row)}
                {...activate(row)}
                style={{
                  gridTemplateColumns: tracks,
                  height: rowHeight,
                  transform: `translateY(${item.start - VT_HEADER_HEIGHT}px)`,
                }}
              >
                {selection ? (
                  <span role="cell" className="vt-check">
                    {/* The label makes the whole cell the checkbox's hit area. */}
                    <label>
                      <input
                        type="checkbox"
                        aria-label={selection.rowLabel(row)}
                        checked={selected}
                        onChange={() => {
                          const next = new Set(selection.selected);
                          if (selected) next.delete(key);
                          else next.add(key);
                          selection.onChange(next);
                        }}
                      />
                    </label>
                  </span>
                ) : null}
                {columns.map((c) => (
                  <span role="cell" key={c.header} className={cellClass(c, row)} title={c.title?.(row)}>
                    {c.render(row)}
                  </span>
                ))}
              </div>
            );
          })}
        </div>
      </div>
      {rows.length === 0 && empty ? <div className="vt-empty">{empty}</div> : null}
    </div>
  );
}
