// A decoder, new or saved: its name, its script in a code editor (none for the built-in Cayenne
// LPP), Save (refused scripts keep the text and mark the line), a Test of the text as it is, and
// its labels. Leaving with unsaved changes asks first.
import { lazy, Suspense, useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { addDecoder, CommandError, updateDecoder } from "../api";
import type { Decoder } from "../bindings";
import type { CodeEditorHandle } from "../CodeEditor";
import { BackButton, Dialog, FormField, PageHeader, SmallButton, TechnicalDetail } from "../components";
import { useUnsavedChanges } from "../unsaved";
import { DecoderLabelChecks } from "./DecoderLabels";
import { DecoderTest } from "./DecoderTest";
import { CAYENNE_OUTPUT, errorLine, KIND_LABELS, type DecoderTemplate } from "./decoderTemplates";

// CodeMirror is loaded with the editor, not with the app's first screen.
const CodeEditor = lazy(() => import("../CodeEditor").then((m) => ({ default: m.CodeEditor })));

type Saved = { name: string; script: string };

export function DecoderEditor({
  decoder,
  template,
  decoders,
  gone = false,
  onSaved,
  onBack,
}: {
  /** The saved decoder; null for a new one, not saved yet. */
  decoder: Decoder | null;
  /** What a new decoder starts from (its kind and script). */
  template: DecoderTemplate;
  decoders: readonly Decoder[];
  /** Deleted elsewhere (the CLI) while open. */
  gone?: boolean;
  /** Saved (`created`: the first save of a new decoder); the caller reloads the list. */
  onSaved: (decoder: Decoder, created: boolean) => void;
  onBack: () => void;
}) {
  const kind = decoder?.kind ?? template.kind;
  const [name, setName] = useState(decoder?.name ?? "");
  const [script, setScript] = useState(decoder?.script ?? template.script);
  /** What is saved, as this editor last knew it. */
  const [base, setBase] = useState<Saved | null>(decoder ? { name: decoder.name, script: decoder.script } : null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  /** The line the last refused save or failed trial named, marked in the editor. */
  const [markLine, setMarkLine] = useState<number | null>(null);
  /** Changed elsewhere (the CLI) while this editor held unsaved changes. */
  const [stale, setStale] = useState(false);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const editor = useRef<CodeEditorHandle>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const ids = useId();

  const labelIds = useMemo(() => decoder?.labels.map((l) => l.id) ?? [], [decoder?.labels]);
  const dirty = base === null || name.trim() !== base.name || (kind !== "cayenne" && script !== base.script);
  useUnsavedChanges(dirty);

  // A save elsewhere (the CLI): taken as is when nothing here is unsaved, pointed out otherwise.
  const savedName = decoder?.name;
  const savedScript = decoder?.script;
  useEffect(() => {
    if (savedName === undefined || savedScript === undefined || base === null) return;
    if (savedName === base.name && savedScript === base.script) return;
    if (name.trim() === base.name && script === base.script) {
      setName(savedName);
      setScript(savedScript);
    } else {
      setStale(true);
    }
    setBase({ name: savedName, script: savedScript });
    // Only a change of the saved decoder matters here, not each keystroke.
  }, [savedName, savedScript]);

  const save = () => {
    if (busy || !dirty) return;
    const trimmed = name.trim();
    if (trimmed === "") {
      setNameError("Give the decoder a name.");
      nameRef.current?.focus();
      return;
    }
    setBusy(true);
    setSaveError(null);
    setNameError(null);
    setNotice(null);
    const saving = decoder
      ? updateDecoder(
          decoder.id,
          trimmed !== decoder.name ? trimmed : null,
          kind !== "cayenne" && script !== decoder.script ? script : null,
        )
      : addDecoder(trimmed, kind, kind === "cayenne" ? "" : script);
    saving.then(
      (saved) => {
        setBusy(false);
        setBase({ name: saved.name, script: saved.script });
        setName(saved.name);
        setStale(false);
        setMarkLine(null);
        setNotice(decoder ? `Saved ${saved.name}.` : `Created ${saved.name}. Tick its labels below to put it to work.`);
        onSaved(saved, decoder === null);
      },
      (err: Error) => {
        setBusy(false);
        if (err instanceof CommandError && err.code === "conflict") {
          setNameError(err.message);
          nameRef.current?.focus();
          return;
        }
        setSaveError(err);
        setMarkLine(errorLine(err.message));
      },
    );
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save();
  };
  // Ctrl+S (⌘S) saves, from the editor too.
  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
      e.preventDefault();
      save();
    }
  };
  const back = () => (dirty ? setConfirmLeave(true) : onBack());
  const saveLine = saveError ? errorLine(saveError.message) : null;
  const title = decoder ? decoder.name : "New decoder";

  return (
    <div className="page decoder-page">
      <BackButton label="Back to decoders" testId="decoder-back" onBack={back} />
      <PageHeader
        title={title}
        subtitle={KIND_LABELS[kind]}
        actions={
          dirty ? (
            <span className="badge badge-connecting" data-testid="decoder-unsaved">
              {decoder ? "Unsaved changes" : "Not saved yet"}
            </span>
          ) : null
        }
      />
      {gone ? (
        <p className="note note-warn" role="alert" data-testid="decoder-gone">
          This decoder was deleted elsewhere (from the CLI?): it can no longer be saved. Copy your script if you need it.
        </p>
      ) : null}
      {stale ? (
        <p className="note note-warn" role="status" data-testid="decoder-stale">
          This decoder was changed elsewhere since you opened it. Saving replaces that version with yours.
        </p>
      ) : null}
      <form className="panel decoder-form" aria-label={`${title}: name and script`} onSubmit={onSubmit} onKeyDown={onKeyDown} noValidate>
        <FormField label="Name" error={nameError}>
          {(control) => (
            <input
              {...control}
              ref={nameRef}
              className="input decoder-name"
              data-testid="decoder-name"
              autoComplete="off"
              placeholder="e.g. Farm temperature sensors"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setNameError(null);
                setNotice(null);
              }}
            />
          )}
        </FormField>
        {kind === "cayenne" ? (
          <div className="note decoder-cayenne" data-testid="decoder-cayenne-note">
            <p>
              Cayenne LPP is built into the bridge: there is no script to write. Each reading becomes{" "}
              <code>{"{channel, type, name, value, unit}"}</code>, as the Helium router did; for 01 67 00 f0:
            </p>
            <pre className="mono">{CAYENNE_OUTPUT}</pre>
          </div>
        ) : (
          <div className="field">
            <span className="field-label" aria-hidden="true">
              Script
            </span>
            <Suspense
              fallback={
                <p className="code-editor code-editor-loading muted" role="status">
                  Loading the editor…
                </p>
              }
            >
              <CodeEditor
                ref={editor}
                value={script}
                onChange={(next) => {
                  setScript(next);
                  setNotice(null);
                }}
                label="Decoder script"
                describedBy={[saveError ? `${ids}-error` : null, `${ids}-hint`].filter(Boolean).join(" ")}
                errorLine={markLine}
                testId="decoder-script"
              />
            </Suspense>
            <p id={`${ids}-hint`} className="field-hint">
              JavaScript, checked when you save. Tab moves on; Ctrl+] and Ctrl+[ indent; Ctrl+F searches; Ctrl+S
              saves.
            </p>
          </div>
        )}
        {saveError ? (
          <div className="decoder-save-error">
            <p id={`${ids}-error`} className="inline-error" role="alert" data-testid="decoder-save-error">
              Not saved: {saveError.message}
            </p>
            {saveLine !== null ? (
              <SmallButton testId="decoder-save-goto" onClick={() => editor.current?.focusLine(saveLine)}>
                Go to line {saveLine}
              </SmallButton>
            ) : null}
            <TechnicalDetail error={saveError} />
          </div>
        ) : null}
        <footer className="wizard-footer decoder-form-footer">
          {notice ? (
            <span className="members-ok" role="status" data-testid="decoder-saved">
              {notice}
            </span>
          ) : null}
          <button type="submit" className="button button-primary" data-testid="decoder-save" disabled={busy || !dirty}>
            {busy ? "Saving…" : "Save"}
          </button>
        </footer>
      </form>
      <section className="panel" aria-labelledby={`${ids}-test`}>
        <header className="panel-header">
          <h2 id={`${ids}-test`}>Test</h2>
          <span className="muted">Runs the script above as it is, saved or not.</span>
        </header>
        <DecoderTest
          kind={kind}
          script={kind === "cayenne" ? "" : script}
          labelIds={labelIds}
          onErrorLine={setMarkLine}
          onGoToLine={(line) => editor.current?.focusLine(line)}
        />
      </section>
      <section className="panel" aria-labelledby={`${ids}-labels`}>
        <header className="panel-header">
          <h2 id={`${ids}-labels`}>Labels</h2>
          <span className="muted">A device gets the decoder of its labels.</span>
        </header>
        <div className="decoder-labels-body">
          {decoder ? (
            <DecoderLabelChecks decoder={decoder} decoders={decoders} onChanged={(d) => onSaved(d, false)} />
          ) : (
            <p className="muted" data-testid="decoder-labels-unsaved">
              Save the decoder first, then tick the labels whose devices it decodes.
            </p>
          )}
        </div>
      </section>
      {confirmLeave ? (
        <Dialog
          titleId="decoder-leave-title"
          title="Discard your changes?"
          testId="decoder-leave-dialog"
          busy={false}
          onCancel={() => setConfirmLeave(false)}
        >
          <p>{decoder ? `Your changes to ${decoder.name} are not saved.` : "This decoder is not saved yet."}</p>
          <div className="dialog-actions">
            <button type="button" className="button button-secondary" autoFocus onClick={() => setConfirmLeave(false)}>
              Keep editing
            </button>
            <button type="button" className="button button-danger" data-testid="decoder-leave-confirm" onClick={onBack}>
              Discard changes
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}
