// Settings: what closing the window does, desktop notifications, how much message history to keep,
// and where the app keeps its data and log. A toggle saves at once, the history's bounds with their
// Save button (each panel says which); the CLI (or another window) changing them reloads them.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { appLogDir } from "@tauri-apps/api/path";
import { getSettings, saveSettings } from "../api";
import type { AppInfo, Settings } from "../bindings";
import { CopyButton, ErrorState, FormField, Loading, PageHeader, SwitchRow } from "../components";
import { formatCount } from "../format";
import { useCommand } from "../useCommand";

/** Saving settings (here or from the CLI) reports "settings": reload them. */
const WATCH = ["settings"];

/** The app's identifier: its log folder's name, per platform, when Tauri cannot say where it is. */
const APP_ID = "org.heliumawsbridge.desktop";

type SettingKey = "close_to_tray" | "notifications";

/** The history's bounds the core accepts. */
export const HISTORY_DAYS = { min: 1, max: 365 };
export const HISTORY_MB = { min: 10, max: 100_000 };

/** The whole number typed, or why it is not one in `range`. */
function parseBound(
  input: string,
  range: { min: number; max: number },
  what: string,
): { ok: true; value: number } | { ok: false; error: string } {
  const text = input.trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < range.min || value > range.max) {
    return { ok: false, error: `Enter a whole number of ${what} from ${formatCount(range.min)} to ${formatCount(range.max)}.` };
  }
  return { ok: true, value };
}

const SETTINGS: { key: SettingKey; label: string; hint: string }[] = [
  {
    key: "close_to_tray",
    label: "Keep bridging when the window is closed",
    hint:
      "Closing the window keeps uplinks flowing; the app stays in the system tray (Open, Pause bridging, Quit). " +
      "Off: closing the window quits the app and stops bridging.",
  },
  {
    key: "notifications",
    label: "Desktop notifications",
    hint: "When an integration cannot reach AWS or recovers, and when uplinks were lost before reaching the bridge.",
  },
];

/**
 * How long and how much message history is kept: two numbers, checked as they are typed, saved
 * together with the other settings as they are shown.
 */
function HistoryForm({
  shown,
  busy,
  onSave,
}: {
  shown: Settings;
  busy: boolean;
  onSave: (bounds: { history_days: number; history_max_mb: number }) => Promise<void>;
}) {
  const [days, setDays] = useState(String(shown.history_days));
  const [mb, setMb] = useState(String(shown.history_max_mb));
  const [state, setState] = useState<{ saving: boolean; saved: boolean; error: string | null }>({
    saving: false,
    saved: false,
    error: null,
  });
  const daysRef = useRef<HTMLInputElement>(null);
  const mbRef = useRef<HTMLInputElement>(null);
  // Saved values from elsewhere (the CLI) replace what is shown, unless the user is editing them.
  const [base, setBase] = useState({ days: shown.history_days, mb: shown.history_max_mb });
  const edited = days !== String(base.days) || mb !== String(base.mb);
  if (base.days !== shown.history_days || base.mb !== shown.history_max_mb) {
    setBase({ days: shown.history_days, mb: shown.history_max_mb });
    if (!edited) {
      setDays(String(shown.history_days));
      setMb(String(shown.history_max_mb));
    }
  }

  const parsedDays = parseBound(days, HISTORY_DAYS, "days");
  const parsedMb = parseBound(mb, HISTORY_MB, "MiB");

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (state.saving || busy) return;
    if (!parsedDays.ok || !parsedMb.ok) {
      (parsedDays.ok ? mbRef : daysRef).current?.focus();
      return;
    }
    setState({ saving: true, saved: false, error: null });
    onSave({ history_days: parsedDays.value, history_max_mb: parsedMb.value }).then(
      () => setState({ saving: false, saved: true, error: null }),
      (err: Error) => setState({ saving: false, saved: false, error: err.message }),
    );
  };

  return (
    <section className="panel" aria-labelledby="settings-history-title" data-testid="settings-history">
      <header className="panel-header">
        <h2 id="settings-history-title">Message history</h2>
        <span className="muted" data-testid="settings-history-mode">
          Saved when you press Save.
        </span>
      </header>
      <form className="panel-form" noValidate onSubmit={submit}>
        <p className="field-hint" data-testid="settings-history-order">
          When a limit is reached, the oldest messages are deleted first.
        </p>
        <div className="field-grid">
          <FormField
            label="Keep messages for (days)"
            hint={`${HISTORY_DAYS.min}–${HISTORY_DAYS.max} days.`}
            error={parsedDays.ok ? null : parsedDays.error}
          >
            {(control) => (
              <input
                {...control}
                ref={daysRef}
                className="input input-narrow"
                inputMode="numeric"
                data-testid="setting-history-days"
                value={days}
                onChange={(e) => {
                  setDays(e.target.value);
                  setState((s) => ({ ...s, saved: false }));
                }}
              />
            )}
          </FormField>
          <FormField
            label="At most (MiB)"
            hint={`${HISTORY_MB.min}–${formatCount(HISTORY_MB.max)} MiB on disk.`}
            error={parsedMb.ok ? null : parsedMb.error}
          >
            {(control) => (
              <input
                {...control}
                ref={mbRef}
                className="input input-narrow"
                inputMode="numeric"
                data-testid="setting-history-mb"
                value={mb}
                onChange={(e) => {
                  setMb(e.target.value);
                  setState((s) => ({ ...s, saved: false }));
                }}
              />
            )}
          </FormField>
        </div>
        <div className="form-actions">
          <button type="submit" className="button button-primary" data-testid="setting-history-save" disabled={state.saving}>
            {state.saving ? "Saving…" : "Save"}
          </button>
          <span role="status" className="muted" data-testid="setting-history-saved">
            {state.saved && !edited ? "Saved." : ""}
          </span>
        </div>
        {state.error !== null ? (
          <p className="inline-error" role="alert" data-testid="setting-history-error">
            Could not save: {state.error}
          </p>
        ) : null}
      </form>
    </section>
  );
}

/** The toggles and the history's bounds. Shows the saved settings, or what is being saved (reverted if that fails). */
function SettingsForm({ saved }: { saved: Settings }) {
  const [shown, setShown] = useState(saved);
  const [saving, setSaving] = useState<SettingKey | "history" | null>(null);
  const [error, setError] = useState<{ key: SettingKey; message: string } | null>(null);

  // Newly loaded settings (after a save, or a change from the CLI) replace what is shown,
  // except while a save is on its way (its answer settles it).
  useEffect(() => {
    if (saving === null) setShown(saved);
    // `saving` is left out on purpose: its end must not overwrite the answer with older data.
  }, [saved]);

  const toggle = (key: SettingKey) => {
    if (saving !== null) return;
    const before = shown;
    const next: Settings = { ...shown, [key]: !shown[key] };
    setShown(next);
    setSaving(key);
    setError(null);
    saveSettings(next)
      .then(
        (answer) => setShown(answer),
        (e: Error) => {
          setShown(before);
          setError({ key, message: e.message });
        },
      )
      .finally(() => setSaving(null));
  };

  const saveHistory = (bounds: { history_days: number; history_max_mb: number }): Promise<void> => {
    setSaving("history");
    return saveSettings({ ...shown, ...bounds })
      .then((answer) => setShown(answer))
      .finally(() => setSaving(null));
  };

  return (
    <>
    <section className="panel" aria-labelledby="settings-app-title">
      <header className="panel-header">
        <h2 id="settings-app-title">While the app runs</h2>
        {/* Said per panel: the next one saves with its button. */}
        <span className="muted" data-testid="settings-app-mode">
          Each switch is saved as you flip it.
        </span>
      </header>
      {SETTINGS.map((setting) => (
        <SwitchRow
          key={setting.key}
          testId={`setting-${setting.key}`}
          label={setting.label}
          hint={setting.hint}
          checked={shown[setting.key]}
          busy={saving !== null}
          error={error?.key === setting.key ? error.message : null}
          onToggle={() => toggle(setting.key)}
        />
      ))}
    </section>
    <HistoryForm shown={shown} busy={saving !== null} onSave={saveHistory} />
    </>
  );
}

/**
 * The version, the data directory and the log directory. Tauri's path API (the core's own command,
 * allowed by `core:default`) names this machine's log folder, the one the log plugin writes to;
 * should it fail, where it is on each platform.
 */
function AboutPanel({ info }: { info: AppInfo }) {
  const [logs] = useCommand(appLogDir);
  return (
    <section className="panel" aria-labelledby="settings-about-title" data-testid="settings-about">
      <header className="panel-header">
        <h2 id="settings-about-title">About</h2>
      </header>
      <dl className="details-facts">
        <dt>Version</dt>
        <dd className="mono" data-testid="about-version">
          {info.version}
        </dd>
        <PathFact name="Data directory" what="the data directory" path={info.data_dir} testId="data-dir" />
        {logs.status === "ready" ? (
          <PathFact name="Log directory" what="the log directory" path={logs.data} testId="log-dir" />
        ) : null}
      </dl>
      {logs.status === "error" ? (
        <p className="panel-note" data-testid="about-logs">
          The app writes its log to the platform log folder: on Linux <code>$XDG_DATA_HOME/{APP_ID}/logs</code>{" "}
          (usually <code>~/.local/share/{APP_ID}/logs</code>), on macOS <code>~/Library/Logs/{APP_ID}</code>, on
          Windows <code>%LOCALAPPDATA%\{APP_ID}\logs</code>.
        </p>
      ) : null}
      <p className="panel-note muted" data-testid="about-cli">
        The command-line tool <code>helium-aws-bridge</code> works beside the running app, on the same data directory.
      </p>
    </section>
  );
}

export function SettingsPage({ info }: { info: AppInfo }) {
  const [state, reload] = useCommand(getSettings, WATCH);

  return (
    <div className="page">
      <PageHeader title="Settings" subtitle="How the app behaves on this computer." />
      {state.status === "loading" ? <Loading what="settings" /> : null}
      {state.status === "error" ? <ErrorState what="settings" error={state.error} onRetry={reload} /> : null}
      {state.status === "ready" ? <SettingsForm saved={state.data} /> : null}
      <AboutPanel info={info} />
    </div>
  );
}

/** A folder of this machine's, with a Copy button: `about-{testId}`, and `copy-{testId}` for the button. */
function PathFact({ name, what, path, testId }: { name: string; what: string; path: string; testId: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd className="details-copy">
        <span className="mono wrap-anywhere" data-testid={`about-${testId}`}>
          {path}
        </span>
        <CopyButton text={path} what={what} testId={`copy-${testId}`} />
      </dd>
    </>
  );
}
