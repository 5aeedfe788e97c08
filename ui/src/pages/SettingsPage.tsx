// Settings: what closing the window does, desktop notifications, and where the app keeps its
// data and log. A toggle saves at once; the CLI (or another window) changing them reloads them.
import { useEffect, useState } from "react";
import { getSettings, saveSettings } from "../api";
import type { AppInfo, Settings } from "../bindings";
import { CopyButton, ErrorState, Loading, PageHeader, SwitchRow } from "../components";
import { useCommand } from "../useCommand";

/** Saving settings (here or from the CLI) reports "settings": reload them. */
const WATCH = ["settings"];

/** Tauri's log directory for the app's identifier, per platform. */
const APP_ID = "org.heliumawsbridge.desktop";

type SettingKey = keyof Settings;

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

/** The two toggles. Shows the saved settings, or the one being saved (reverted if that fails). */
function SettingsForm({ saved }: { saved: Settings }) {
  const [shown, setShown] = useState(saved);
  const [saving, setSaving] = useState<SettingKey | null>(null);
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

  return (
    <section className="panel" aria-labelledby="settings-app-title">
      <header className="panel-header">
        <h2 id="settings-app-title">While the app runs</h2>
        <span className="muted">Changes are saved at once.</span>
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
  );
}

function AboutPanel({ info }: { info: AppInfo }) {
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
        <dt>Data directory</dt>
        <dd className="details-copy">
          <span className="mono wrap-anywhere" data-testid="about-data-dir">
            {info.data_dir}
          </span>
          <CopyButton text={info.data_dir} what="the data directory" testId="copy-data-dir" />
        </dd>
      </dl>
      <p className="panel-note" data-testid="about-logs">
        The app writes its log to the platform log folder: on Linux <code>$XDG_DATA_HOME/{APP_ID}/logs</code> (usually{" "}
        <code>~/.local/share/{APP_ID}/logs</code>), on macOS <code>~/Library/Logs/{APP_ID}</code>, on Windows{" "}
        <code>%LOCALAPPDATA%\{APP_ID}\logs</code>.
      </p>
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
