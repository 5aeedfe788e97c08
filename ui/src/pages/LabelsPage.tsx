import { useRef, useState, type FormEvent } from "react";
import { createLabel, listLabels, removeLabel, renameLabel } from "../api";
import type { LabelSummary } from "../bindings";
import { ConfirmDialog, EmptyState, ErrorState, Loading, PageHeader, SmallButton } from "../components";
import { plural } from "../format";
import { TagIcon } from "../icons";
import { useCommand } from "../useCommand";
import { LabelMembersDialog } from "./LabelMembers";

/** A change to labels (here or from the CLI) reloads the list. Works with every network down. */
const WATCH = ["labels"];

export function LabelsPage() {
  const [state, reload] = useCommand(listLabels, WATCH);
  const [deleting, setDeleting] = useState<LabelSummary | null>(null);
  // The label whose members are open, by id: its summary is re-read from each reload, so
  // the dialog shows what an attach or detach (or the CLI) changed.
  const [membersOf, setMembersOf] = useState<string | null>(null);
  const opener = useRef<HTMLElement | null>(null);
  const members = state.status === "ready" && membersOf !== null ? state.data.find((l) => l.id === membersOf) : undefined;
  const closeMembers = () => {
    // Back to the button that opened it, before the dialog (holding focus) goes away.
    opener.current?.focus();
    setMembersOf(null);
  };

  return (
    <div className="page labels-page">
      <PageHeader title="Labels" subtitle="Labels connect devices to integrations." />
      <NewLabel onAdded={reload} />
      {state.status === "loading" ? <Loading what="labels" /> : null}
      {state.status === "error" ? <ErrorState what="labels" error={state.error} onRetry={reload} /> : null}
      {state.status === "ready" && state.data.length === 0 ? (
        <EmptyState testId="labels-empty" icon={<TagIcon size={40} />} title="No labels yet">
          <p>
            A label groups devices. Attach a label to an integration and every device carrying it has its uplinks
            forwarded there.
          </p>
        </EmptyState>
      ) : null}
      {state.status === "ready" && state.data.length > 0 ? (
        <ul className="card-list" aria-label="Labels">
          {state.data.map((label) => (
            <LabelRow
              key={label.id}
              label={label}
              onChanged={reload}
              onDelete={() => setDeleting(label)}
              onMembers={(button) => {
                opener.current = button;
                setMembersOf(label.id);
              }}
            />
          ))}
        </ul>
      ) : null}
      {members ? <LabelMembersDialog label={members} onClose={closeMembers} onChanged={reload} /> : null}
      {deleting ? (
        <DeleteLabelDialog
          label={deleting}
          onDone={() => {
            setDeleting(null);
            reload();
          }}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </div>
  );
}

function NewLabel({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    createLabel(name).then(
      () => {
        setBusy(false);
        setName("");
        onAdded();
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };

  return (
    <form className="inline-form" onSubmit={submit} aria-label="New label">
      <label className="field-label" htmlFor="new-label-name">
        New label
      </label>
      <input
        className="input"
        id="new-label-name"
        data-testid="new-label-name"
        value={name}
        placeholder="e.g. warehouse-sensors"
        onChange={(e) => setName(e.target.value)}
        aria-invalid={error !== null}
        aria-describedby={error ? "new-label-error" : undefined}
      />
      <button type="submit" className="button" data-testid="new-label-add" disabled={busy || name.trim() === ""}>
        {busy ? "Adding…" : "Add label"}
      </button>
      {error ? (
        <p id="new-label-error" className="inline-error" role="alert" data-testid="new-label-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function LabelRow({
  label,
  onChanged,
  onDelete,
  onMembers,
}: {
  label: LabelSummary;
  onChanged: () => void;
  onDelete: () => void;
  /** Opens the label's devices and integrations; gets the button to give focus back to. */
  onMembers: (opener: HTMLButtonElement) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(label.name);
  const [error, setError] = useState<string | null>(null);
  const renameButton = useRef<HTMLButtonElement>(null);

  const finish = () => {
    setEditing(false);
    setError(null);
    // Focus goes back to where the user was.
    setTimeout(() => renameButton.current?.focus(), 0);
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === label.name) return finish();
    renameLabel(label.id, name).then(
      () => {
        finish();
        onChanged();
      },
      (err: Error) => setError(err.message),
    );
  };

  return (
    <li className="card-row" data-testid="label-row">
      <div className="card-row-main">
        {editing ? (
          <form className="inline-form" onSubmit={save} aria-label={`Rename ${label.name}`}>
            <input
              className="input"
              aria-label="Label name"
              data-testid="rename-label-input"
              autoFocus
              value={name}
              onChange={(e) => setName(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Escape") {
                  setName(label.name);
                  finish();
                }
              }}
            />
            <button type="submit" className="button" data-testid="rename-label-save">
              Save
            </button>
            {error ? (
              <p className="inline-error" role="alert" data-testid="rename-label-error">
                {error}
              </p>
            ) : null}
          </form>
        ) : (
          <span className="card-row-title">
            <TagIcon size={14} /> {label.name}
          </span>
        )}
      </div>
      <span className="pill">{plural(label.device_count, "device", "devices")}</span>
      <span className="pill">{plural(label.integration_count, "integration", "integrations")}</span>
      {editing ? null : (
        // One group: it wraps to the next line as a whole, on the right.
        <div className="card-row-buttons">
          <SmallButton
            testId="label-members"
            label={`Devices & integrations of ${label.name}`}
            onClick={(e) => onMembers(e.currentTarget)}
          >
            Devices &amp; integrations
          </SmallButton>
          <SmallButton
            ref={renameButton}
            testId="rename-label"
            label={`Rename ${label.name}`}
            onClick={() => setEditing(true)}
          >
            Rename
          </SmallButton>
          <SmallButton tone="danger" testId="delete-label" label={`Delete ${label.name}`} onClick={onDelete}>
            Delete
          </SmallButton>
        </div>
      )}
    </li>
  );
}

/** Says what deleting disconnects before it does. */
function DeleteLabelDialog({ label, onDone, onCancel }: { label: LabelSummary; onDone: () => void; onCancel: () => void }) {
  const linked = label.device_count > 0 && label.integration_count > 0;
  return (
    <ConfirmDialog
      titleId="delete-label-title"
      title={`Delete the label ${label.name}?`}
      testId="delete-label-dialog"
      confirmLabel="Delete label"
      busyLabel="Deleting…"
      confirmTestId="delete-label-confirm"
      action={() => removeLabel(label.id)}
      onDone={onDone}
      onCancel={onCancel}
    >
      <p data-testid="delete-label-effect">
        {plural(label.device_count, "device", "devices")} and{" "}
        {plural(label.integration_count, "integration", "integrations")} lose it.
        {linked
          ? " Devices that reach an integration only through this label stop being forwarded there."
          : " Nothing is forwarded through it now."}
      </p>
    </ConfirmDialog>
  );
}
