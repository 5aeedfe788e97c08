// Sources: where uplinks come from (ChirpStack v4 MQTT, an HTTP webhook, legacy Helium MQTT). Each
// row shows the bridge's live state of the source and can edit, pause, test or remove it.
import { useEffect, useRef, useState } from "react";
import { sourceStates, listSources, removeSource, setSourcePaused } from "../api";
import type { Source, SourceConfig, SourceRemoved } from "../bindings";
import { ConfirmDialog, EmptyState, ErrorState, Loading, PageHeader, SmallButton } from "../components";
import { SourceIcon } from "../icons";
import { STATUS_POLL_MS } from "../status";
import { useCommand, usePolling } from "../useCommand";
import { SourceForm, type SourceSaved } from "./SourceForm";
import { TestResult, useSourceTest } from "./SourceProbe";
import { KIND_LABELS, TEST_WAIT_SECS, secretUse, sourceStatus, webhookUrl, type SourceStatus } from "./sourceSettings";

/** A change to sources (here or from the CLI) reloads the list. */
const WATCH = ["sources"];

const SUBTITLE = "Where your devices' uplinks come from.";

function AddSourceButton({ onClick }: { onClick: () => void }) {
  return (
    <button
      type="button"
      className="button button-primary"
      data-testid="add-source"
      data-return-focus="add"
      onClick={onClick}
    >
      Add a source
    </button>
  );
}

/** A source's connection badge (Connected, Connecting…, Failing: why, Paused): here and in the wizard. */
export function StatusBadge({ status }: { status: SourceStatus }) {
  return (
    <span
      className={`badge badge-${status.tone}`}
      title={status.detail ?? undefined}
      data-testid="source-status"
      data-tone={status.tone}
    >
      {status.label}
    </span>
  );
}

function Meta({ term, children }: { term: string; children: string }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd className="mono">{children}</dd>
    </div>
  );
}

/** Where the source connects or listens, and what it reads. */
function SourceMeta({ config }: { config: SourceConfig }) {
  if (config.kind === "http_webhook") {
    return (
      <dl className="card-row-meta">
        <Meta term="Endpoint URL">{webhookUrl(config.bind).url}</Meta>
        <Meta term="Shared secret">{config.require_secret ? "Required" : "Not required"}</Meta>
      </dl>
    );
  }
  return (
    <dl className="card-row-meta">
      <Meta term="Broker">{config.url}</Meta>
      {config.kind === "chirpstack_mqtt" ? (
        <Meta term="Application">
          {config.application_id === "+" ? "+ (all applications)" : config.application_id}
        </Meta>
      ) : (
        <>
          <Meta term="Uplink topic">{config.uplink_topic}</Meta>
          <Meta term="Downlink topic">{config.downlink_topic}</Meta>
        </>
      )}
    </dl>
  );
}

function SourceRow({
  source,
  status,
  onEdit,
  onRemove,
  onChanged,
}: {
  source: Source;
  status: SourceStatus;
  onEdit: () => void;
  onRemove: () => void;
  onChanged: () => void;
}) {
  const [pausing, setPausing] = useState(false);
  const [pauseError, setPauseError] = useState<string | null>(null);
  const [test, runTest] = useSourceTest();

  const togglePause = () => {
    setPausing(true);
    setPauseError(null);
    setSourcePaused(source.id, !source.paused)
      .then(onChanged, (e: Error) => setPauseError(e.message))
      .finally(() => setPausing(false));
  };
  // The saved settings with the stored secret (id given, no secret).
  const onTest = () => runTest({ id: source.id, config: source.config, secret: null, wait_secs: TEST_WAIT_SECS });

  return (
    <li className="card-row card-row-wrap source-row" data-testid="source-row">
      <div className="card-row-main">
        <span className="card-row-title">{source.name}</span>
        <span className="muted">{KIND_LABELS[source.config.kind] ?? source.config.kind}</span>
      </div>
      <SourceMeta config={source.config} />
      <StatusBadge status={status} />
      <div className="card-row-actions">
        <SmallButton
          testId="source-edit"
          returnFocus={`edit:${source.id}`}
          label={`Edit ${source.name}`}
          onClick={onEdit}
        >
          Edit
        </SmallButton>
        <SmallButton
          testId="source-pause"
          label={`${source.paused ? "Resume" : "Pause"} ${source.name}`}
          disabled={pausing}
          onClick={togglePause}
        >
          {source.paused ? "Resume" : "Pause"}
        </SmallButton>
        <SmallButton
          testId="source-test"
          label={`Test ${source.name}`}
          disabled={test.state === "testing"}
          onClick={onTest}
        >
          {test.state === "testing" ? "Testing…" : "Test"}
        </SmallButton>
        <SmallButton tone="danger" testId="source-remove" label={`Remove ${source.name}`} onClick={onRemove}>
          Remove
        </SmallButton>
        {pauseError ? (
          <span className="row-message text-danger" role="alert" data-testid="source-pause-error">
            {pauseError}
          </span>
        ) : null}
      </div>
      {test.state !== "idle" ? (
        <div className="row-result">
          <TestResult test={test} testId="source-test-result" />
        </div>
      ) : null}
    </li>
  );
}

/** Says what removing stops before it does. */
function RemoveDialog({
  source,
  onRemoved,
  onCancel,
}: {
  source: Source;
  onRemoved: (removed: SourceRemoved) => void;
  onCancel: () => void;
}) {
  const secret = secretUse(source.config);
  return (
    <ConfirmDialog
      titleId="remove-source-title"
      title={`Remove ${source.name}?`}
      testId="remove-source-dialog"
      confirmLabel="Remove source"
      busyLabel="Removing…"
      confirmTestId="remove-source-confirm"
      errorTestId="remove-source-error"
      action={() => removeSource(source.id)}
      onDone={onRemoved}
      onCancel={onCancel}
    >
      <p data-testid="remove-source-effect">
        Its devices stop receiving uplinks from it: nothing they send through {source.name} reaches your integrations
        any more{source.config.kind === "http_webhook" ? "" : ", and downlinks cannot reach them through it"}.
      </p>
      <p>
        The bridge {source.config.kind === "http_webhook" ? "stops listening" : "disconnects"} and forgets its settings
        {secret ? ` and the ${secret} in the keychain` : ""}. Its devices and their labels stay.
      </p>
    </ConfirmDialog>
  );
}

type Notice = { kind: "saved"; saved: SourceSaved } | { kind: "removed"; removed: SourceRemoved };

/** What the last add, edit or removal did, shown above the list. */
function NoticeNote({ notice, onDismiss }: { notice: Notice; onDismiss: () => void }) {
  let text: string;
  let warning: string | null = null;
  if (notice.kind === "saved") {
    const { verb, source, newSecret } = notice.saved;
    text =
      verb === "added"
        ? `Added ${source.name}. The bridge ${source.config.kind === "http_webhook" ? "listens" : "connects"} now; its status is below.`
        : `Saved ${source.name}. The bridge uses the new settings now.`;
    if (newSecret) text += " ChirpStack needs the new shared secret you copied.";
  } else {
    const { name, secret_deleted } = notice.removed;
    text = `Removed ${name}.` + (secret_deleted ? " Its password or shared secret was deleted from the keychain." : "");
    warning = notice.removed.warning;
  }
  return (
    <>
      <div className="note note-dismissible" role="status" data-testid="source-notice">
        <span>{text}</span>
        <SmallButton onClick={onDismiss}>Dismiss</SmallButton>
      </div>
      {warning ? (
        <p className="note note-warn" role="alert" data-testid="source-notice-warning">
          {warning}
        </p>
      ) : null}
    </>
  );
}

type View = { kind: "list" } | { kind: "add" } | { kind: "edit"; source: Source };

export function SourcesPage() {
  const [state, reload] = useCommand(listSources, WATCH);
  const states = usePolling(sourceStates, STATUS_POLL_MS);
  const [view, setView] = useState<View>({ kind: "list" });
  const [removing, setRemoving] = useState<Source | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const pageRef = useRef<HTMLDivElement>(null);
  // Back from the form, the focus returns to the button that opened it.
  const [returnFocus, setReturnFocus] = useState<string | null>(null);

  useEffect(() => {
    if (view.kind !== "list" || returnFocus === null) return;
    const targets = pageRef.current?.querySelectorAll<HTMLElement>("[data-return-focus]") ?? [];
    Array.from(targets)
      .find((el) => el.dataset.returnFocus === returnFocus)
      ?.focus();
    setReturnFocus(null);
  }, [view, returnFocus]);

  const open = (next: View) => {
    setNotice(null);
    setReturnFocus(next.kind === "edit" ? `edit:${next.source.id}` : "add");
    setView(next);
  };
  const backToList = () => setView({ kind: "list" });

  if (view.kind !== "list") {
    return (
      <div className="page" ref={pageRef}>
        <PageHeader title="Sources" subtitle={SUBTITLE} />
        <SourceForm
          key={view.kind === "edit" ? view.source.id : "add"}
          source={view.kind === "edit" ? view.source : undefined}
          onDone={(saved) => {
            setNotice({ kind: "saved", saved });
            backToList();
            reload();
          }}
          onCancel={backToList}
        />
      </div>
    );
  }

  const live = states.status === "ready" ? states.data : states.status === "loading" ? "loading" : states.error;
  const hasRows = state.status === "ready" && state.data.length > 0;

  return (
    <div className="page" ref={pageRef}>
      <PageHeader
        title="Sources"
        subtitle={SUBTITLE}
        actions={hasRows ? <AddSourceButton onClick={() => open({ kind: "add" })} /> : undefined}
      />
      {notice ? <NoticeNote notice={notice} onDismiss={() => setNotice(null)} /> : null}
      {state.status === "loading" ? <Loading what="sources" /> : null}
      {state.status === "error" ? <ErrorState what="sources" error={state.error} onRetry={reload} /> : null}
      {state.status === "ready" && state.data.length === 0 ? (
        <EmptyState testId="sources-empty" icon={<SourceIcon size={40} />} title="No sources yet">
          <p>
            A source is where your devices&apos; uplinks come from: ChirpStack v4&apos;s MQTT integration, an HTTP
            webhook that ChirpStack posts to, or a legacy Helium MQTT broker.
          </p>
          <p>The bridge forwards what arrives to your integrations, and sends downlinks back the same way.</p>
          <AddSourceButton onClick={() => open({ kind: "add" })} />
        </EmptyState>
      ) : null}
      {hasRows ? (
        <ul className="card-list" aria-label="Sources">
          {state.data.map((source) => (
            <SourceRow
              key={source.id}
              source={source}
              status={sourceStatus(source, live)}
              onEdit={() => open({ kind: "edit", source })}
              onRemove={() => setRemoving(source)}
              onChanged={reload}
            />
          ))}
        </ul>
      ) : null}
      {removing ? (
        <RemoveDialog
          source={removing}
          onRemoved={(removed) => {
            setRemoving(null);
            setNotice({ kind: "removed", removed });
            reload();
          }}
          onCancel={() => setRemoving(null)}
        />
      ) : null}
    </div>
  );
}
