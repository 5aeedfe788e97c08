// The wizard's "Helium source" step: uplinks reach the bridge only through a source, so the wizard
// shows the ones there are, each with its live connection badge (the Sources page's), and lets the
// user add one on the spot with the Sources page's own form. A source serves every integration:
// one added here is saved at once, whatever the wizard does next.
import { useEffect, useRef, useState } from "react";
import { sourceStates } from "../api";
import type { Source, SourceConfig } from "../bindings";
import { ErrorState, Loading } from "../components";
import { STATUS_POLL_MS } from "../status";
import { usePolling, type CommandState } from "../useCommand";
import { SourceForm } from "./SourceForm";
import { StatusBadge } from "./SourcesPage";
import { KIND_LABELS, sourceStatus, webhookUrl } from "./sourceSettings";

/** Where a source connects, or the URL ChirpStack posts to. */
function sourceWhere(config: SourceConfig): string {
  return config.kind === "http_webhook" ? webhookUrl(config.bind).url : config.url;
}

export function SourceStep({
  sources,
  onReload,
  adding,
  onAdding,
}: {
  sources: CommandState<Source[]>;
  onReload: () => void;
  /** The Sources page's form is open in the step. */
  adding: boolean;
  onAdding: (adding: boolean) => void;
}) {
  const [added, setAdded] = useState<Source | null>(null);
  // What the step checks: is each source connected (polled like the Sources page).
  const states = usePolling(sourceStates, STATUS_POLL_MS);
  const live = states.status === "ready" ? states.data : states.status === "loading" ? "loading" : states.error;
  const addButton = useRef<HTMLButtonElement>(null);
  const wasAdding = useRef(false);

  // Back from the form, the focus returns to the button that opened it.
  useEffect(() => {
    if (!adding && wasAdding.current) addButton.current?.focus();
    wasAdding.current = adding;
  }, [adding]);

  const list = sources.status === "ready" ? sources.data : [];
  const none = sources.status === "ready" && list.length === 0;

  return (
    <li className="wizard-step" data-testid="wizard-source-step">
      <h3>Check the Helium source</h3>
      <p>
        The bridge receives your devices&apos; uplinks from a Helium source: ChirpStack v4&apos;s MQTT integration, an
        HTTP webhook that ChirpStack posts to, or a legacy Helium MQTT broker. A source serves every integration; one
        added here is saved at once. Check that yours says Connected.
      </p>
      {sources.status === "loading" ? <Loading what="sources" /> : null}
      {sources.status === "error" ? <ErrorState what="sources" error={sources.error} onRetry={onReload} /> : null}
      {list.length > 0 ? (
        <ul className="wizard-sources" aria-label="Sources" data-testid="wizard-sources">
          {list.map((source) => (
            <li key={source.id} className="wizard-source" data-testid="wizard-source">
              <span className="card-row-title">{source.name}</span>
              <span className="muted">{KIND_LABELS[source.config.kind] ?? source.config.kind}</span>
              <span className="mono wizard-source-where">{sourceWhere(source.config)}</span>
              <StatusBadge status={sourceStatus(source, live)} />
              {source.paused ? <span className="muted">No uplinks until resumed on the Sources page.</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {none && !adding ? (
        <p className="note note-warn" data-testid="wizard-no-source">
          There is no source yet. Add one now, or skip this step: you can add a source later on the Sources page, but
          no uplinks arrive until you do.
        </p>
      ) : null}
      {added && !adding ? (
        <p className="note" role="status" data-testid="wizard-source-added">
          Added {added.name}. The bridge {added.config.kind === "http_webhook" ? "listens" : "connects"} now; the
          Sources page shows its status.
        </p>
      ) : null}
      {adding ? (
        <div className="wizard-embedded">
          <SourceForm
            onDone={(saved) => {
              setAdded(saved.source);
              onAdding(false);
              onReload();
            }}
            onCancel={() => onAdding(false)}
          />
        </div>
      ) : (
        <div>
          <button
            ref={addButton}
            type="button"
            className="button button-secondary"
            data-testid="wizard-add-source"
            disabled={sources.status === "loading"}
            onClick={() => {
              setAdded(null);
              onAdding(true);
            }}
          >
            {list.length > 0 ? "Add another source" : "Add a source"}
          </button>
        </div>
      )}
    </li>
  );
}
