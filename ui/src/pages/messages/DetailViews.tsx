// The detail pane's views of one message, as tabs: its JSON, its payload as hex and as text, the
// decoded payload, and the source's message it was made from. Each can be copied.
import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import type { Message } from "../../bindings";
import { CopyButton } from "../../components";
import { formatCount } from "../../format";
import {
  bytesAsText,
  decodedOf,
  DUMP_WIDTH,
  dumpLineChars,
  hexDump,
  NARROW_DUMP_WIDTH,
  payloadBytes,
  prettyJson,
  showValue,
} from "./bytes";
import { JsonView } from "./JsonView";

export type DetailTab = "json" | "hex" | "text" | "decoded" | "source";

const TABS: { id: DetailTab; label: string }[] = [
  { id: "json", label: "JSON" },
  { id: "hex", label: "Hex" },
  { id: "text", label: "Text" },
  { id: "decoded", label: "Decoded" },
  { id: "source", label: "Source event" },
];

type View = { text: string | null; none: string; note?: string; what: string };

/** A character of the views' 12 px monospace, with room to spare (most fonts draw 7.2 px). */
const CHAR_PX = 7.5;
/** The code block's padding and border, left and right. */
const BLOCK_PX = 26;

/** Hex dump bytes per line for a panel `width` px wide (null: not known): 16, or 8 where 16 would scroll sideways. */
export function dumpWidthFor(width: number | null): number {
  if (width === null || width <= 0) return DUMP_WIDTH;
  return dumpLineChars(DUMP_WIDTH) * CHAR_PX + BLOCK_PX <= width ? DUMP_WIDTH : NARROW_DUMP_WIDTH;
}

/** The element's width as laid out, followed as it changes (null until known). */
function useWidth(ref: RefObject<HTMLElement | null>): number | null {
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver !== "function") return undefined;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/** What each tab shows of `m` (null text: it has none, said by `none`); the dump has `perLine` bytes a line. */
export function views(m: Message, perLine = DUMP_WIDTH): Record<DetailTab, View> {
  const bytes = payloadBytes(m.json);
  const decoded = decodedOf(m.json);
  const hasDetail = m.detail !== null && m.detail !== undefined;
  return {
    json:
      m.json !== null
        ? { text: prettyJson(m.json), none: "", what: "the JSON" }
        : hasDetail
          ? { text: showValue(m.detail), none: "", note: "No JSON was sent or received; this is the event's detail.", what: "the detail" }
          : { text: null, none: "This message has no JSON body.", what: "the JSON" },
    hex:
      bytes !== null
        ? { text: hexDump(bytes, perLine), none: "", note: `${formatCount(bytes.length)} payload bytes.`, what: "the hex dump" }
        : { text: null, none: "No payload bytes in this message.", what: "the hex dump" },
    text:
      bytes !== null
        ? { text: bytesAsText(bytes), none: "", note: "The payload read as UTF-8; what is not a character shows as “.”.", what: "the payload text" }
        : { text: null, none: "No payload bytes in this message.", what: "the payload text" },
    decoded:
      decoded !== undefined
        ? { text: showValue(decoded), none: "", what: "the decoded payload" }
        : { text: null, none: "No decoded payload.", what: "the decoded payload" },
    source:
      m.source_event !== null
        ? { text: prettyJson(m.source_event), none: "", what: "the source event" }
        : { text: null, none: "No source event: it was not made from a source's message.", what: "the source event" },
  };
}

export function DetailViews({ message, tab, onTab }: { message: Message; tab: DetailTab; onTab: (tab: DetailTab) => void }) {
  const setTab = onTab;
  const id = useId();
  const tabRefs = useRef(new Map<DetailTab, HTMLButtonElement>());
  const panel = useRef<HTMLDivElement>(null);
  // The dump fits the pane (beside the list it is narrow): offsets, hex and text all show.
  const perLine = dumpWidthFor(useWidth(panel));
  const all = views(message, perLine);
  const view = all[tab];

  // Arrow keys, Home and End move between the tabs (the ARIA tabs pattern).
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = TABS.findIndex((t) => t.id === tab);
    const to =
      e.key === "ArrowRight" ? (at + 1) % TABS.length
      : e.key === "ArrowLeft" ? (at - 1 + TABS.length) % TABS.length
      : e.key === "Home" ? 0
      : e.key === "End" ? TABS.length - 1
      : null;
    const next = to === null ? undefined : TABS[to];
    if (!next) return;
    e.preventDefault();
    setTab(next.id);
    tabRefs.current.get(next.id)?.focus();
  };

  return (
    <div className="msg-views">
      <div className="msg-tabs-bar">
        <div role="tablist" aria-label="Views of the message" className="msg-tabs" onKeyDown={onKeyDown}>
          {TABS.map((t) => (
            <button
              key={t.id}
              ref={(el) => {
                if (el) tabRefs.current.set(t.id, el);
                else tabRefs.current.delete(t.id);
              }}
              type="button"
              role="tab"
              id={`${id}-tab-${t.id}`}
              aria-selected={t.id === tab}
              aria-controls={`${id}-panel`}
              tabIndex={t.id === tab ? 0 : -1}
              className={t.id === tab ? "msg-tab msg-tab-active" : "msg-tab"}
              data-testid={`detail-tab-${t.id}`}
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        {view.text !== null ? <CopyButton text={view.text} what={view.what} testId={`detail-copy-${tab}`} /> : null}
      </div>
      <div
        ref={panel}
        role="tabpanel"
        id={`${id}-panel`}
        aria-labelledby={`${id}-tab-${tab}`}
        className="msg-panel"
        data-testid={`detail-${tab}`}
      >
        {view.note ? <p className="field-hint">{view.note}</p> : null}
        {view.text === null ? (
          <p className="muted">{view.none}</p>
        ) : tab === "json" ? (
          <JsonView key={message.id} text={view.text} label={`${view.what} of message ${message.id}`} />
        ) : (
          // Long strings wrap (ids, base64); the dump's columns do not.
          <pre
            className={tab === "hex" ? "code-block msg-code mono" : "code-block msg-code msg-code-wrap mono"}
            role="region"
            aria-label={`${view.what} of message ${message.id}`}
            tabIndex={0}
          >
            {view.text}
          </pre>
        )}
      </div>
    </div>
  );
}
