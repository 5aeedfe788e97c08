// The labels a decoder is attached to: a checkbox per label, each tick or untick saved at once
// (all or none, as the members dialog does for integrations). A label that also brings another
// decoder is pointed out: its devices would get an error in `decoded`.
import { useEffect, useState } from "react";
import { attachDecoder, detachDecoder, listLabels } from "../api";
import type { Decoder, LabelSummary } from "../bindings";
import { Dialog, ErrorState, Loading, Warnings } from "../components";
import { plural } from "../format";
import { useCommand } from "../useCommand";

const LABELS_WATCH = ["labels"];

type Feedback = { ok: boolean; text: string; warnings?: string[] };

export function DecoderLabelChecks({
  decoder,
  decoders,
  onChanged,
}: {
  decoder: Decoder;
  /** Every decoder, to say which labels bring another one too. */
  decoders: readonly Decoder[];
  /** A change was saved: the decoder as it is now. */
  onChanged: (decoder: Decoder) => void;
}) {
  const [labels, reloadLabels] = useCommand(listLabels, LABELS_WATCH);
  // What the last change returned shows at once; a reload of the decoder (or the CLI) replaces it.
  const [attached, setAttached] = useState(() => new Set(decoder.labels.map((l) => l.id)));
  useEffect(() => setAttached(new Set(decoder.labels.map((l) => l.id))), [decoder.labels]);
  const [busy, setBusy] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<Feedback | null>(null);

  const toggle = (label: LabelSummary, attach: boolean) => {
    setBusy(label.id);
    setFeedback(null);
    (attach ? attachDecoder : detachDecoder)(decoder.id, [label.id]).then(
      ({ decoder: saved, warnings }) => {
        setBusy(null);
        setAttached(new Set(saved.labels.map((l) => l.id)));
        setFeedback({
          ok: true,
          text: attach ? `Attached ${decoder.name} to "${label.name}"` : `Detached ${decoder.name} from "${label.name}"`,
          warnings,
        });
        onChanged(saved);
      },
      (err: Error) => {
        setBusy(null);
        setFeedback({ ok: false, text: err.message });
      },
    );
  };

  if (labels.status === "loading") return <Loading what="labels" />;
  if (labels.status === "error") return <ErrorState what="labels" error={labels.error} onRetry={reloadLabels} />;
  if (labels.data.length === 0) {
    return (
      <p className="muted" data-testid="decoder-labels-empty">
        No labels yet. Create one on the Labels page and put it on your devices, then tick it here.
      </p>
    );
  }
  return (
    <div className="decoder-labels">
      <ul className="members-integrations" aria-label={`Labels of ${decoder.name}`}>
        {labels.data.map((label) => {
          const on = attached.has(label.id);
          const others = decoders.filter((d) => d.id !== decoder.id && d.labels.some((l) => l.id === label.id));
          return (
            <li key={label.id} data-testid="decoder-label-row">
              <label className="checkbox">
                <input
                  type="checkbox"
                  data-testid="decoder-label"
                  checked={on}
                  disabled={busy !== null}
                  onChange={() => toggle(label, !on)}
                />
                {label.name}
              </label>
              <span className="pill">{plural(label.device_count, "device", "devices")}</span>
              {others.length > 0 ? (
                <span className="decoder-conflict" data-testid="decoder-label-conflict">
                  {on ? "Also has " : "Has "}
                  {others.map((d) => d.name).join(", ")}
                  {on ? ": its devices get an error in decoded" : ""}
                </span>
              ) : null}
              {busy === label.id ? <span className="muted">{on ? "Detaching…" : "Attaching…"}</span> : null}
            </li>
          );
        })}
      </ul>
      {feedback?.ok ? (
        <>
          <p className="members-ok" role="status" data-testid="decoder-labels-feedback">
            {feedback.text}
          </p>
          <Warnings warnings={feedback.warnings ?? []} testId="decoder-labels-warnings" />
        </>
      ) : null}
      {feedback && !feedback.ok ? (
        <p className="inline-error" role="alert" data-testid="decoder-labels-feedback">
          {feedback.text}
        </p>
      ) : null}
    </div>
  );
}

/** The checkboxes in a dialog, from the list's "Labels" button. */
export function DecoderLabelsDialog({
  decoder,
  decoders,
  onClose,
  onChanged,
}: {
  decoder: Decoder;
  decoders: readonly Decoder[];
  onClose: () => void;
  onChanged: (decoder: Decoder) => void;
}) {
  return (
    <Dialog
      titleId="decoder-labels-title"
      title={`Labels of ${decoder.name}`}
      testId="decoder-labels-dialog"
      busy={false}
      onCancel={onClose}
      closeButton
      footer={
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" data-testid="decoder-labels-close" onClick={onClose}>
            Close
          </button>
        </div>
      }
    >
      <div className="members">
        <p className="muted">Devices carrying a ticked label have their uplinks decoded by {decoder.name}.</p>
        <DecoderLabelChecks decoder={decoder} decoders={decoders} onChanged={onChanged} />
      </div>
    </Dialog>
  );
}
