// Deleting an integration: a dialog with two explicit choices (clean up AWS or leave it), and
// what the deletion did.
import { useState } from "react";
import { removeIntegration } from "../api";
import type { Integration, RemoveOutcome } from "../bindings";
import { Dialog, SmallButton } from "../components";
import { formatCount } from "../format";

export function DeleteDialog({
  integration,
  onDeleted,
  onCancel,
}: {
  integration: Integration;
  onDeleted: (outcome: RemoveOutcome) => void;
  onCancel: () => void;
}) {
  const [busy, setBusy] = useState<"cleanup" | "keep" | null>(null);
  const [error, setError] = useState<string | null>(null);

  const remove = (cleanupAws: boolean) => {
    setBusy(cleanupAws ? "cleanup" : "keep");
    setError(null);
    removeIntegration(integration.id, cleanupAws).then(onDeleted, (e: Error) => {
      setBusy(null);
      setError(e.message);
    });
  };

  return (
    <Dialog
      titleId="delete-title"
      title={`Delete ${integration.name}?`}
      testId="delete-dialog"
      busy={busy !== null}
      onCancel={onCancel}
    >
      <p>
        The bridge stops forwarding to it and forgets its settings and the keys it keeps for it. Uplinks still
        waiting for it are dropped.
      </p>
      <p>
        Should it also clean up what it created in AWS IoT Core for this integration: each device&apos;s thing and
        certificate, and the integration&apos;s policy?
        {integration.aws === null ? " (This integration uses certificates you made yourself, so there is nothing the bridge created.)" : null}
      </p>
      {error ? (
        <p className="inline-error" role="alert" data-testid="delete-error">
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" className="button button-secondary" autoFocus disabled={busy !== null} onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-secondary"
          data-testid="delete-keep-aws"
          disabled={busy !== null}
          onClick={() => remove(false)}
        >
          {busy === "keep" ? "Deleting…" : "Delete, keep AWS"}
        </button>
        <button
          type="button"
          className="button button-danger"
          data-testid="delete-cleanup-aws"
          disabled={busy !== null}
          onClick={() => remove(true)}
        >
          {busy === "cleanup" ? "Deleting and cleaning up…" : "Delete and clean up AWS"}
        </button>
      </div>
    </Dialog>
  );
}

/**
 * What a deletion did: with cleanup, what was removed, what was left on purpose and what could
 * not be removed (and why). A cleanup that failed in part keeps the integration (disabled).
 */
export function RemoveOutcomeNote({ outcome, onDismiss }: { outcome: RemoveOutcome; onDismiss: () => void }) {
  const { cleanup } = outcome;
  return (
    <section className="panel outcome" role="status" data-testid="remove-outcome">
      <header className="panel-header">
        <h2>{outcome.removed ? `Deleted ${outcome.name}` : `${outcome.name} was not deleted`}</h2>
        <SmallButton onClick={onDismiss}>Dismiss</SmallButton>
      </header>
      <div className="panel-note">
        {outcome.dropped_uplinks > 0 ? (
          <p>
            {formatCount(outcome.dropped_uplinks)} {outcome.dropped_uplinks === 1 ? "uplink" : "uplinks"} still
            waiting for it {outcome.dropped_uplinks === 1 ? "was" : "were"} dropped.
          </p>
        ) : null}
        {outcome.warnings.map((w) => (
          <p key={w} className="text-danger" data-testid="remove-warning">
            {w}
          </p>
        ))}
        {cleanup === null && outcome.left_in_aws.length === 0 ? (
          <p data-testid="remove-untouched">Nothing in AWS was touched; the bridge had created nothing there for it.</p>
        ) : null}
        {cleanup === null && outcome.left_in_aws.length > 0 ? (
          <>
            <p data-testid="remove-untouched">Nothing in AWS was touched. Still there:</p>
            <ul className="outcome-list" data-testid="remove-left">
              {outcome.left_in_aws.map((what) => (
                <li key={what}>{what}</li>
              ))}
            </ul>
          </>
        ) : null}
        {cleanup === null ? null : (
          <>
            {cleanup.removed.length > 0 ? (
              <>
                <p>Cleaned up:</p>
                <ul className="outcome-list" data-testid="remove-removed">
                  {cleanup.removed.map((what) => (
                    <li key={what}>{what}</li>
                  ))}
                </ul>
              </>
            ) : null}
            {cleanup.kept.length > 0 ? (
              <>
                <p>Left in AWS on purpose:</p>
                <ul className="outcome-list" data-testid="remove-kept">
                  {cleanup.kept.map(([what, why]) => (
                    <li key={what}>
                      <span className="mono">{what}</span>: {why}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {cleanup.failed.length > 0 ? (
              <>
                <p className="text-danger">Could not remove:</p>
                <ul className="outcome-list" data-testid="remove-failed">
                  {cleanup.failed.map(([what, why]) => (
                    <li key={what}>
                      <span className="mono">{what}</span>: {why}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {cleanup.removed.length === 0 && cleanup.kept.length === 0 && cleanup.failed.length === 0 ? (
              <p>There was nothing in AWS to clean up.</p>
            ) : null}
          </>
        )}
      </div>
    </section>
  );
}
