// Decoders: the list (name, kind, labels), "New decoder" from a template, the editor (DecoderEditor),
// the labels dialog and delete. A device gets the decoder of its labels.
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { listDecoders, listLabels, removeDecoder } from "../api";
import type { Decoder, LabelSummary } from "../bindings";
import { ConfirmDialog, Dialog, EmptyState, ErrorState, Loading, PageHeader, SmallButton } from "../components";
import { plural } from "../format";
import { RadioCards, type RadioCardOption } from "../RadioCards";
import { CodeIcon } from "../icons";
import { useCommand } from "../useCommand";
import { DecoderEditor } from "./DecoderEditor";
import { DecoderLabelsDialog } from "./DecoderLabels";
import { KIND_LABELS, TEMPLATES, templateOf, type DecoderTemplate } from "./decoderTemplates";

/** A change to decoders, or to the labels they name (here or from the CLI), reloads the list. */
const WATCH = ["decoders", "labels"];
const LABELS_WATCH = ["labels", "devices"];

const SUBTITLE = "Turn your devices' payloads into readable values before they reach AWS.";

type View = { kind: "list" } | { kind: "editor"; session: number; id: string | null; template: DecoderTemplate; held: Decoder | null };

function NewDecoderButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" className="button button-primary" data-testid="new-decoder" data-return-focus="new" onClick={onClick}>
      New decoder
    </button>
  );
}

/** What a decoder does, under the title: what Helium Console users knew as Functions. */
function Explain() {
  return (
    <p className="muted decoders-explain" data-testid="decoders-explain">
      Decoders are what Helium Console called Functions. A device gets the decoder of its labels; its uplinks then
      carry <code>decoded</code> (<code>{"{status, payload}"}</code> or <code>{"{status, error}"}</code>) to AWS. If a
      device&apos;s labels bring two decoders, its uplinks carry an error in <code>decoded</code> instead of values.
    </p>
  );
}

/** How many of each decoder's devices get another decoder too (their `decoded` is an error). */
function doubleDecoded(decoders: readonly Decoder[], labels: readonly LabelSummary[]): Map<string, number> {
  const byLabel = new Map(labels.map((l) => [l.id, l.devices]));
  const devicesOf = new Map<string, Set<string>>();
  const decodersOf = new Map<string, number>();
  for (const d of decoders) {
    const set = new Set<string>();
    for (const l of d.labels) for (const dev of byLabel.get(l.id) ?? []) set.add(dev);
    devicesOf.set(d.id, set);
    for (const dev of set) decodersOf.set(dev, (decodersOf.get(dev) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [id, set] of devicesOf) {
    let n = 0;
    for (const dev of set) if ((decodersOf.get(dev) ?? 0) > 1) n++;
    out.set(id, n);
  }
  return out;
}

export function DecodersPage() {
  const [state, reload] = useCommand(listDecoders, WATCH);
  const [labels] = useCommand(listLabels, LABELS_WATCH);
  const [view, setView] = useState<View>({ kind: "list" });
  const [choosing, setChoosing] = useState(false);
  const [deleting, setDeleting] = useState<Decoder | null>(null);
  // By id: the dialog shows the decoder as each reload has it.
  const [labelsOf, setLabelsOf] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const pageRef = useRef<HTMLDivElement>(null);
  // Back from the editor, the focus returns to the button that opened it.
  const [returnFocus, setReturnFocus] = useState<string | null>(null);
  const sessions = useRef(0);
  // Decoders the list has shown: one missing from it since was deleted elsewhere.
  const seen = useRef(new Set<string>());

  const decoders = useMemo(() => (state.status === "ready" ? state.data : []), [state]);
  useEffect(() => decoders.forEach((d) => seen.current.add(d.id)), [decoders]);
  const doubles = useMemo(
    () => doubleDecoded(decoders, labels.status === "ready" ? labels.data : []),
    [decoders, labels],
  );

  useEffect(() => {
    if (view.kind !== "list" || returnFocus === null) return;
    const targets = pageRef.current?.querySelectorAll<HTMLElement>("[data-return-focus]") ?? [];
    Array.from(targets)
      .find((el) => el.dataset.returnFocus === returnFocus)
      ?.focus();
    setReturnFocus(null);
  }, [view, returnFocus]);

  const openEditor = (decoder: Decoder | null, template: DecoderTemplate) => {
    setNotice(null);
    setReturnFocus(decoder ? `edit:${decoder.id}` : "new");
    setView({ kind: "editor", session: ++sessions.current, id: decoder?.id ?? null, template, held: decoder });
  };

  if (view.kind === "editor") {
    const listed = view.id === null ? undefined : decoders.find((d) => d.id === view.id);
    // The list's copy once it has caught up with the editor's last save.
    const current = listed && (!view.held || listed.updated_at_ms >= view.held.updated_at_ms) ? listed : view.held;
    const gone = view.id !== null && state.status === "ready" && !listed && seen.current.has(view.id);
    return (
      <DecoderEditor
        key={view.session}
        decoder={current}
        template={view.template}
        decoders={decoders}
        gone={gone}
        onSaved={(saved, created) => {
          if (created) setReturnFocus(`edit:${saved.id}`);
          setView((v) => (v.kind === "editor" ? { ...v, id: saved.id, held: saved } : v));
          reload();
        }}
        onBack={() => setView({ kind: "list" })}
      />
    );
  }

  const hasRows = state.status === "ready" && state.data.length > 0;
  const labelsDecoder = labelsOf === null ? undefined : decoders.find((d) => d.id === labelsOf);

  return (
    <div className="page decoders-page" ref={pageRef}>
      <PageHeader
        title="Decoders"
        subtitle={SUBTITLE}
        actions={hasRows ? <NewDecoderButton onClick={() => setChoosing(true)} /> : undefined}
      />
      <Explain />
      {notice ? (
        <div className="note note-dismissible" role="status" data-testid="decoder-notice">
          <span>{notice}</span>
          <SmallButton onClick={() => setNotice(null)}>Dismiss</SmallButton>
        </div>
      ) : null}
      {state.status === "loading" ? <Loading what="decoders" /> : null}
      {state.status === "error" ? <ErrorState what="decoders" error={state.error} onRetry={reload} /> : null}
      {state.status === "ready" && state.data.length === 0 ? (
        <EmptyState testId="decoders-empty" icon={<CodeIcon size={40} />} title="No decoders yet">
          <p>
            A decoder turns a device&apos;s raw bytes into values: the built-in Cayenne LPP, or your own JavaScript as
            Helium Console or ChirpStack ran it. Attach it to labels and their devices&apos; uplinks carry the result.
          </p>
          <NewDecoderButton onClick={() => setChoosing(true)} />
        </EmptyState>
      ) : null}
      {hasRows ? (
        <ul className="card-list" aria-label="Decoders">
          {state.data.map((d) => (
            <DecoderRow
              key={d.id}
              decoder={d}
              doubles={doubles.get(d.id) ?? 0}
              onEdit={() => openEditor(d, templateOf(d.kind))}
              onLabels={() => setLabelsOf(d.id)}
              onDelete={() => setDeleting(d)}
            />
          ))}
        </ul>
      ) : null}
      {choosing ? (
        <NewDecoderDialog
          onCancel={() => setChoosing(false)}
          onChoose={(template) => {
            setChoosing(false);
            openEditor(null, template);
          }}
        />
      ) : null}
      {labelsDecoder ? (
        <DecoderLabelsDialog
          decoder={labelsDecoder}
          decoders={decoders}
          onClose={() => setLabelsOf(null)}
          onChanged={reload}
        />
      ) : null}
      {deleting ? (
        <DeleteDecoderDialog
          decoder={deleting}
          onDeleted={() => {
            setNotice(`Deleted ${deleting.name}.`);
            setDeleting(null);
            reload();
          }}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </div>
  );
}

function DecoderRow({
  decoder,
  doubles,
  onEdit,
  onLabels,
  onDelete,
}: {
  decoder: Decoder;
  doubles: number;
  onEdit: () => void;
  onLabels: () => void;
  onDelete: () => void;
}) {
  return (
    <li className="card-row decoder-row" data-testid="decoder-row">
      <div className="card-row-main">
        <span className="card-row-title">{decoder.name}</span>
        <span className="muted" data-testid="decoder-kind">
          {KIND_LABELS[decoder.kind]}
        </span>
      </div>
      <div className="decoder-row-labels" data-testid="decoder-row-labels">
        {decoder.labels.length > 0 ? (
          <ul className="pill-list" aria-label={`Labels of ${decoder.name}`}>
            {decoder.labels.map((l) => (
              <li key={l.id} className="pill pill-strong">
                {l.name}
              </li>
            ))}
          </ul>
        ) : (
          <span className="muted">No labels: no device uses it</span>
        )}
      </div>
      <div className="card-row-buttons">
        <SmallButton
          testId="decoder-edit"
          returnFocus={`edit:${decoder.id}`}
          label={`Edit ${decoder.name}`}
          onClick={onEdit}
        >
          Edit
        </SmallButton>
        <SmallButton testId="decoder-labels" label={`Labels of ${decoder.name}`} onClick={onLabels}>
          Labels
        </SmallButton>
        <SmallButton tone="danger" testId="decoder-delete" label={`Delete ${decoder.name}`} onClick={onDelete}>
          Delete
        </SmallButton>
      </div>
      {doubles > 0 ? (
        <p className="decoder-conflict decoder-row-note" data-testid="decoder-double">
          {plural(doubles, "device gets", "devices get")} another decoder too: their <code>decoded</code> is an error.
        </p>
      ) : null}
    </li>
  );
}

const TEMPLATE_OPTIONS: readonly RadioCardOption<DecoderTemplate["kind"]>[] = TEMPLATES.map((t) => ({
  value: t.kind,
  title: t.title,
  description: t.description,
  testId: `decoder-template-${t.kind}`,
}));

/** "New decoder": which template to start from. */
function NewDecoderDialog({ onChoose, onCancel }: { onChoose: (t: DecoderTemplate) => void; onCancel: () => void }) {
  const [kind, setKind] = useState<DecoderTemplate["kind"]>("helium");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChoose(templateOf(kind));
  };
  return (
    <Dialog titleId="new-decoder-title" title="New decoder" testId="new-decoder-dialog" busy={false} onCancel={onCancel}>
      <form className="decoder-new" onSubmit={submit}>
        <RadioCards
          legend="Start from"
          className="decoder-templates"
          options={TEMPLATE_OPTIONS}
          value={kind}
          onChange={setKind}
        />
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="new-decoder-continue">
            Continue
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** "The labels farm and orchard", "The label farm". */
function labelList(decoder: Decoder): string {
  const names = decoder.labels.map((l) => `"${l.name}"`);
  const last = names.pop();
  return names.length === 0 ? `The label ${last}` : `The labels ${names.join(", ")} and ${last}`;
}

/** Says which labels lose the decoder before it goes. */
function DeleteDecoderDialog({
  decoder,
  onDeleted,
  onCancel,
}: {
  decoder: Decoder;
  onDeleted: () => void;
  onCancel: () => void;
}) {
  const many = decoder.labels.length > 1;
  return (
    <ConfirmDialog
      titleId="delete-decoder-title"
      title={`Delete the decoder ${decoder.name}?`}
      testId="delete-decoder-dialog"
      confirmLabel="Delete decoder"
      busyLabel="Deleting…"
      confirmTestId="delete-decoder-confirm"
      errorTestId="delete-decoder-error"
      action={() => removeDecoder(decoder.id)}
      onDone={onDeleted}
      onCancel={onCancel}
    >
      <p data-testid="delete-decoder-effect">
        {decoder.labels.length > 0
          ? `${labelList(decoder)} ${many ? "lose" : "loses"} it: the uplinks of ${many ? "their" : "its"} devices go to AWS without decoded.`
          : "It is attached to no label: no device uses it."}
      </p>
    </ConfirmDialog>
  );
}
