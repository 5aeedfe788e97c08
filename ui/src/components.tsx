import {
  Fragment,
  useEffect,
  useId,
  useRef,
  useState,
  type ComponentPropsWithRef,
  type KeyboardEvent,
  type ReactNode,
  type Ref,
} from "react";
import { CloseIcon } from "./icons";
import { PORT_MAX, PORT_MIN } from "./payload";

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: string; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/**
 * A small button: a row's actions (Edit, Labels, Delete…), a header's, Dismiss, Copy, Go to line.
 * `danger` is the quiet red one for what removes something (it asks first, in a ConfirmDialog).
 * `label` names it for assistive technology when its text alone does not say what it acts on
 * ("Edit" → "Edit Farm sensors"); `returnFocus` is where a view that replaced the list gives focus
 * back (matched against `data-return-focus`). Other button props pass through.
 */
export function SmallButton({
  tone = "secondary",
  testId,
  label,
  returnFocus,
  ...button
}: {
  tone?: "secondary" | "danger";
  testId?: string;
  label?: string;
  returnFocus?: string;
} & Omit<ComponentPropsWithRef<"button">, "type" | "className" | "aria-label">) {
  return (
    <button
      type="button"
      className={tone === "danger" ? "button button-danger-quiet button-small" : "button button-secondary button-small"}
      data-testid={testId}
      data-return-focus={returnFocus}
      aria-label={label}
      {...button}
    />
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </div>
  );
}

export function ErrorState({ what, error, onRetry }: { what: string; error: Error; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">Could not load {what}</p>
      <p className="state-message">{error.message}</p>
      <TechnicalDetail error={error} />
      {onRetry ? (
        <button type="button" className="button button-secondary" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** The technical detail of a refused command, one click away. */
export function TechnicalDetail({ error }: { error: Error }) {
  const detail = "detail" in error && typeof error.detail === "string" ? error.detail : null;
  if (!detail) return null;
  return (
    <details className="technical-detail">
      <summary>Technical detail</summary>
      <pre className="mono">{detail}</pre>
    </details>
  );
}

export function EmptyState({
  testId,
  icon,
  title,
  children,
}: {
  testId: string;
  icon: ReactNode;
  title: string;
  children: ReactNode;
}) {
  return (
    <section className="empty" data-testid={testId}>
      <div className="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** What Tab can reach inside a dialog. */
const FOCUSABLE = [
  "a[href]",
  "button:not(:disabled)",
  "input:not(:disabled)",
  "select:not(:disabled)",
  "textarea:not(:disabled)",
  '[tabindex]:not([tabindex="-1"])',
].join(", ");

/** The dialog's focusable elements, in document order (not every selector engine keeps it). */
function focusables(dialog: HTMLElement): HTMLElement[] {
  return Array.from(dialog.querySelectorAll<HTMLElement>(FOCUSABLE)).sort((a, b) =>
    a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1,
  );
}

/**
 * A modal dialog: the backdrop, the labelled dialog box, its text and its `dialog-actions` row.
 * Focus moves to it when it opens, Tab stays inside it (the page behind is not reachable),
 * Escape cancels (unless busy), and focus goes back to what opened it when it closes. A button
 * disabled while busy drops focus; it comes back to the dialog, not the page.
 *
 * With `footer`, the children scroll between the title and the footer, which stay in view; with
 * `closeButton`, a × in the title bar cancels too.
 */
export function Dialog({
  titleId,
  title,
  testId,
  busy,
  onCancel,
  closeButton = false,
  footer,
  className,
  children,
}: {
  titleId: string;
  title: string;
  testId: string;
  busy: boolean;
  onCancel: () => void;
  closeButton?: boolean;
  footer?: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // Read while rendering, before a control inside takes focus (autoFocus runs before effects).
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));
  useEffect(() => {
    const dialog = ref.current;
    // The dialog itself (its title is read out); the first Tab reaches its first control.
    if (dialog && !dialog.contains(document.activeElement)) dialog.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, [opener]);
  useEffect(() => {
    const dialog = ref.current;
    if (!busy && dialog && !dialog.contains(document.activeElement)) dialog.focus();
  }, [busy]);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === "Escape" && !busy) {
      e.stopPropagation();
      onCancel();
      return;
    }
    if (e.key !== "Tab") return;
    const items = focusables(e.currentTarget);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) {
      e.preventDefault();
      return;
    }
    const at = document.activeElement;
    if (e.shiftKey && (at === first || at === e.currentTarget)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && at === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <div className="dialog-backdrop">
      <div
        ref={ref}
        className={["dialog", footer !== undefined ? "dialog-framed" : null, className].filter(Boolean).join(" ")}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <div className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          {closeButton ? (
            <button
              type="button"
              className="dialog-close"
              aria-label="Close"
              data-testid={`${testId}-x`}
              disabled={busy}
              onClick={onCancel}
            >
              <CloseIcon size={18} />
            </button>
          ) : null}
        </div>
        {footer !== undefined ? (
          <>
            <div className="dialog-body">{children}</div>
            <div className="dialog-footer">{footer}</div>
          </>
        ) : (
          children
        )}
      </div>
    </div>
  );
}

/**
 * Asks before something that cannot be undone: what it does (`children`), Cancel (focused, so
 * Enter does not confirm by accident) and the danger button. It runs `action`, busy until that
 * settles: `onDone` gets the answer, or the refusal shows above the buttons.
 */
export function ConfirmDialog<T>({
  titleId,
  title,
  testId,
  confirmLabel,
  busyLabel,
  confirmTestId,
  errorTestId,
  action,
  onDone,
  onCancel,
  children,
}: {
  titleId: string;
  title: string;
  testId: string;
  confirmLabel: string;
  /** The danger button's text while `action` runs ("Deleting…"). */
  busyLabel: string;
  confirmTestId: string;
  errorTestId?: string;
  action: () => Promise<T>;
  onDone: (answer: T) => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = () => {
    setBusy(true);
    setError(null);
    action().then(onDone, (e: Error) => {
      setBusy(false);
      setError(e.message);
    });
  };
  return (
    <Dialog titleId={titleId} title={title} testId={testId} busy={busy} onCancel={onCancel}>
      {children}
      {error ? (
        <p className="inline-error" role="alert" data-testid={errorTestId}>
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" className="button button-secondary" autoFocus disabled={busy} onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-danger"
          data-testid={confirmTestId}
          disabled={busy}
          onClick={confirm}
        >
          {busy ? busyLabel : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** What a saved change leaves the user to know (a device given two decoders): in the warning tone. */
export function Warnings({ warnings, testId }: { warnings: readonly string[]; testId?: string }) {
  if (warnings.length === 0) return null;
  return (
    <div className="note note-warn" role="alert" data-testid={testId}>
      {warnings.map((w) => (
        <p key={w}>{w}</p>
      ))}
    </div>
  );
}

/** What a FormField hands its control: the id its label points at, and its hint and error links. */
export type FieldControl = { id: string; "aria-describedby"?: string; "aria-invalid"?: true };

/**
 * A labelled form field: the label, the control (rendered by `children` with the props that tie
 * it to the label, hint and error), the error and the hint. Spread the control props on the input.
 */
export function FormField({
  label,
  hint,
  error,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  /** Shown under the control, which is then marked invalid. */
  error?: string | null;
  children: (control: FieldControl) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  // The error first: it is what the user needs to hear when the field gets focus.
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter((x) => x !== null).join(" ");
  return (
    <div className={error ? "field field-invalid" : "field"}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children({ id, "aria-describedby": describedBy || undefined, "aria-invalid": error ? true : undefined })}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A LoRaWAN port (1–223) typed as text; `parsePort` checks it when the form is sent. */
export function PortField({
  testId,
  value,
  error,
  onChange,
  ref,
}: {
  testId: string;
  value: string;
  error?: string;
  onChange: (value: string) => void;
  /** Where the form puts focus when the port is what is wrong. */
  ref?: Ref<HTMLInputElement>;
}) {
  return (
    <FormField label="Port" hint={`${PORT_MIN}–${PORT_MAX}`} error={error}>
      {(control) => (
        <input
          {...control}
          ref={ref}
          className="input input-narrow"
          data-testid={testId}
          inputMode="numeric"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </FormField>
  );
}

/**
 * A setting that saves as it is switched: its label and hint, why it cannot be changed now (if it
 * cannot), why its last change was not saved, and the switch. `testId` names the row; its switch,
 * error and reason add `-switch`, `-error` and `-reason`.
 */
export function SwitchRow({
  testId,
  label,
  hint,
  checked,
  busy,
  unavailable = null,
  error,
  onToggle,
}: {
  testId: string;
  label: ReactNode;
  hint: ReactNode;
  checked: boolean;
  /** Another change is being saved: a click is ignored (focus stays). */
  busy: boolean;
  /** Why it cannot be changed now, if it cannot: the switch is then disabled. */
  unavailable?: string | null;
  error: string | null;
  onToggle: () => void;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const reasonId = `${id}-reason`;
  const errorId = `${id}-error`;
  // The error first: it is what the user needs to hear when the switch gets focus.
  const describedBy = [error !== null ? errorId : null, unavailable !== null ? reasonId : null, hintId]
    .filter((x) => x !== null)
    .join(" ");
  return (
    <div className="card-row" data-testid={testId}>
      <div className="card-row-main">
        <label className="card-row-title" htmlFor={id}>
          {label}
        </label>
        <p id={hintId} className="field-hint">
          {hint}
        </p>
        {unavailable !== null ? (
          <p id={reasonId} className="field-hint" data-testid={`${testId}-reason`}>
            {unavailable}
          </p>
        ) : null}
        {error !== null ? (
          <p id={errorId} className="field-error" role="alert" data-testid={`${testId}-error`}>
            Could not save: {error}
          </p>
        ) : null}
      </div>
      <button
        type="button"
        role="switch"
        id={id}
        className={unavailable !== null ? "switch switch-unavailable" : "switch"}
        aria-checked={checked}
        aria-describedby={describedBy}
        disabled={unavailable !== null}
        // Not `disabled` while saving: that would drop keyboard focus mid-save. A click then is ignored.
        aria-disabled={(busy && unavailable === null) || undefined}
        data-testid={`${testId}-switch`}
        onClick={onToggle}
      >
        <span className="switch-knob" />
      </button>
    </div>
  );
}

/** Copies `text`; says so (or that it could not) where the user is looking. */
export function CopyButton({ text, what, testId }: { text: string; what: string; testId?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const copy = () => {
    clearTimeout(timer.current);
    // The clipboard API is missing or refused in some webviews: say so rather than fail silently.
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(text))
      .then(
      () => {
        setState("copied");
        timer.current = setTimeout(() => setState("idle"), 2000);
      },
      () => setState("failed"),
    );
  };
  return (
    <span className="copy">
      <SmallButton label={`Copy ${what}`} testId={testId} onClick={copy}>
        {state === "copied" ? "Copied" : "Copy"}
      </SmallButton>
      <span className={state === "failed" ? "copy-status text-danger" : "copy-status"} role="status">
        {state === "copied" ? <span className="sr-only">Copied {what}.</span> : null}
        {state === "failed" ? "Could not copy: select it and copy it by hand." : null}
      </span>
    </span>
  );
}

/** A labelled one-line text input bound to a string value (no autocomplete or spellcheck:
 *  these are ids, URLs and names). */
export function TextField({
  label,
  hint,
  error,
  testId,
  value,
  onChange,
  placeholder,
  mono = true,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
  testId: string;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  mono?: boolean;
}) {
  return (
    <FormField label={label} hint={hint} error={error}>
      {(control) => (
        <input
          {...control}
          className={mono ? "input mono" : "input"}
          data-testid={testId}
          autoComplete="off"
          spellCheck={false}
          placeholder={placeholder}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </FormField>
  );
}

/** "← Back to …" at the top of a view that replaced a list; it takes focus when the view opens,
 *  so keyboard users start at its top rather than on <body>. */
export function BackButton({ label, testId, onBack }: { label: string; testId: string; onBack: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="details-back">
      <SmallButton ref={ref} testId={testId} onClick={onBack}>
        <span aria-hidden="true">←</span> {label}
      </SmallButton>
    </div>
  );
}

/** A last piece this short never takes a line alone ("…/" then "down", "…amazonaws." then "com)"). */
const SHORT_TAIL = 5;

/**
 * Machine text (a topic, a host name) that may wrap only right after `at` ("/" or "."): each
 * piece between them stays whole, so a UUID or a host name never breaks at its hyphens. With
 * `keepTail`, a short last piece stays with the one before it.
 */
export function BreakAfter({
  text,
  at,
  className,
  testId,
  keepTail = false,
}: {
  text: string;
  at: string;
  className?: string;
  testId?: string;
  keepTail?: boolean;
}) {
  const parts = text.split(at).map((part, i, all) => (i < all.length - 1 ? part + at : part));
  const tail = parts[parts.length - 1];
  if (keepTail && parts.length > 1 && tail !== undefined && tail.length <= SHORT_TAIL) {
    parts.splice(parts.length - 2, 2, parts[parts.length - 2] + tail);
  }
  const last = parts.length - 1;
  return (
    <span className={className} data-testid={testId}>
      {parts.map((part, i) => (
        // The pieces of one string never move: their index is their key.
        <Fragment key={i}>
          <span className="nowrap">{part}</span>
          {i < last ? <wbr /> : null}
        </Fragment>
      ))}
    </span>
  );
}
