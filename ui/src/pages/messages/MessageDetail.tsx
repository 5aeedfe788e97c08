// The detail pane: one message in full (fetched by id), its views, and the other messages about
// the same uplink.
import { useCallback, type ReactNode } from "react";
import { getMessage, relatedMessages } from "../../api";
import type { Message, MessageRow } from "../../bindings";
import { BreakAfter, ErrorState, Loading, SmallButton } from "../../components";
import { datePart, formatCount, formatListTime, formatTimestamp, formatZone } from "../../format";
import { CloseIcon } from "../../icons";
import { useCommand } from "../../useCommand";
import { DetailViews, type DetailTab } from "./DetailViews";
import { deviceName, DirectionMark, DIRECTIONS, integrationLabel, LevelMark, type Names } from "./MessageTable";

/** One fact: its name and value, kept together as the facts wrap. */
function Fact({
  name,
  testId,
  className,
  title,
  children,
}: {
  name: string;
  testId?: string;
  className?: string;
  /** More about the value on hover (the ids behind a name). */
  title?: string;
  children: ReactNode;
}) {
  return (
    <div className="msg-fact">
      <dt>{name}</dt>
      <dd className={className} data-testid={testId} title={title}>
        {children}
      </dd>
    </div>
  );
}

/** A time near the message's: the time alone on its day, with the date otherwise. */
const near = (ms: number, at: number) => formatListTime(ms, datePart(ms, at));

/**
 * The message's facts, short ones first, in about three lines in the pane under the list (1024
 * pixels wide), so the views below show too: a device and an integration by name, their ids
 * only on hover (or in place of a name not known); the level only when it is not info.
 */
function Facts({ m, names }: { m: Message; names: Names }) {
  const device = deviceName(names, m);
  const direction = DIRECTIONS[m.direction];
  const integration = m.integration_id === null ? undefined : names.integrations.get(m.integration_id);
  const deviceIds = [m.device_id, m.dev_eui && `DevEUI ${m.dev_eui}`].filter(Boolean).join("\n");
  return (
    <dl className="details-facts msg-facts" data-testid="detail-facts">
      <Fact name="Time" className="mono" testId="detail-time">
        {formatTimestamp(m.at_ms)} <span className="muted">{formatZone(m.at_ms)}</span>
      </Fact>
      <Fact name="Kind" className="mono">
        {m.kind}
      </Fact>
      <Fact name="Direction">
        {/* The arrow is drawn, the word read out and shown: once. */}
        <span className={`msg-dir msg-dir-${m.direction}`} aria-hidden="true">
          {direction.arrow}
        </span>{" "}
        {direction.label}
      </Fact>
      {m.level !== "info" ? (
        <Fact name="Level">
          <LevelMark level={m.level} />
        </Fact>
      ) : null}
      <Fact name="Size">{m.size > 0 ? `${formatCount(m.size)} bytes` : "—"}</Fact>
      <Fact name="Device" testId="detail-device" title={deviceIds || undefined}>
        {device === null && m.device_id === null && m.dev_eui === null ? <span className="muted">—</span> : null}
        {device !== null ? <span>{device} </span> : m.device_id !== null ? <span className="mono">{m.device_id} </span> : null}
        {m.dev_eui ? <span className="mono muted">DevEUI {m.dev_eui}</span> : null}
      </Fact>
      <Fact name="Integration" title={integration ? (m.integration_id ?? undefined) : undefined}>
        {m.integration_id === null ? <span className="muted">—</span> : integrationLabel(names, m.integration_id)}
      </Fact>
      <Fact name="Topic">
        {m.topic === null ? (
          <span className="muted">—</span>
        ) : (
          <>
            <BreakAfter className="mono" text={m.topic} at="/" />
            {m.qos !== null ? <span className="muted"> (QoS {m.qos})</span> : null}
          </>
        )}
      </Fact>
      {m.kind === "uplink" || m.kind === "join" ? (
        <Fact name="Seen on AWS" testId="detail-seen">
          {m.seen_ms === null ? (
            <span className="muted" title="Watch AWS shows each uplink arrive at AWS.">
              not yet (turn on Watch AWS)
            </span>
          ) : (
            <>
              <span className="mono">{near(m.seen_ms, m.at_ms)}</span>{" "}
              <span className="muted">({formatCount(Math.max(0, m.seen_ms - m.at_ms))} ms after the bridge took it in)</span>
            </>
          )}
        </Fact>
      ) : null}
      <Fact name="UUID" className="mono wrap-anywhere">
        {m.uuid ?? "—"}
      </Fact>
    </dl>
  );
}

function Related({ m, onSelect }: { m: Message; onSelect: (id: number) => void }) {
  const { uuid, id } = m;
  const fetcher = useCallback(() => (uuid === null ? Promise.resolve([]) : relatedMessages(id)), [uuid, id]);
  const [state] = useCommand<MessageRow[]>(fetcher);
  if (uuid === null) return null;
  const others = state.status === "ready" ? state.data.filter((r) => r.id !== m.id) : [];
  return (
    <section className="msg-related" aria-labelledby={`related-${m.id}`}>
      <h3 id={`related-${m.id}`} className="section-title">
        About the same uplink
      </h3>
      {state.status === "loading" ? <Loading what="related messages" /> : null}
      {state.status === "error" ? <p className="inline-error">Could not load related messages: {state.error.message}</p> : null}
      {state.status === "ready" && others.length === 0 ? (
        <p className="muted" data-testid="related-none">
          No other messages about this uplink.
        </p>
      ) : null}
      {others.length > 0 ? (
        <ul className="msg-related-list">
          {others.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                className="msg-related-item"
                data-testid="related-message"
                data-id={r.id}
                onClick={() => onSelect(r.id)}
              >
                <span className="mono muted">{near(r.at_ms, m.at_ms)}</span>
                <DirectionMark direction={r.direction} />
                <span className="mono">{r.kind}</span>
                <LevelMark level={r.level} />
                <span className="msg-related-text">{r.text}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

export function MessageDetail({
  id,
  names,
  tab,
  onTab,
  onSelect,
  onClose,
}: {
  id: number;
  names: Names;
  /** The view shown; it stays as the user goes from message to message. */
  tab: DetailTab;
  onTab: (tab: DetailTab) => void;
  onSelect: (id: number) => void;
  onClose: () => void;
}) {
  const fetcher = useCallback(() => getMessage(id), [id]);
  // The page mounts one pane per message (keyed by id): nothing of another one shows meanwhile.
  const [shown, reload] = useCommand(fetcher);

  return (
    <section className="panel msg-detail" data-testid="message-detail" aria-labelledby="message-detail-title">
      <header className="panel-header msg-detail-header">
        <h2 id="message-detail-title">Message {id}</h2>
        {shown.status === "ready" && shown.data !== null ? (
          <span className="msg-detail-text" title={shown.data.text}>
            {shown.data.text}
          </span>
        ) : null}
        <SmallButton label="Close the message" testId="detail-close" onClick={onClose}>
          <CloseIcon size={14} />
        </SmallButton>
      </header>
      <div className="msg-detail-body">
        {shown.status === "loading" ? <Loading what="the message" /> : null}
        {shown.status === "error" ? <ErrorState what="the message" error={shown.error} onRetry={reload} /> : null}
        {shown.status === "ready" && shown.data === null ? (
          <p className="muted" data-testid="detail-gone">
            This message is no longer in the history (retention removed it).
          </p>
        ) : null}
        {shown.status === "ready" && shown.data !== null ? (
          <>
            <Facts m={shown.data} names={names} />
            <DetailViews message={shown.data} tab={tab} onTab={onTab} />
            <Related m={shown.data} onSelect={onSelect} />
          </>
        ) : null}
      </div>
    </section>
  );
}
