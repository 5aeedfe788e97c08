import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { appLogDir } from "@tauri-apps/api/path";
import { App } from "./App";
import type { Settings } from "./bindings";
import { SettingsPage } from "./pages/SettingsPage";
import { axeViolations } from "./test/axe";
import { callsOf, changesChannel, defaultAppInfo, mockCommands, resetCommandsEachTest } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

/** Tauri's path API, which names this machine's log folder. */
vi.mock("@tauri-apps/api/path", () => ({ appLogDir: vi.fn() }));
const LOG_DIR = "/home/user/.local/share/org.heliumawsbridge.desktop/logs";

resetCommandsEachTest();
beforeEach(() => {
  vi.mocked(appLogDir).mockReset();
  vi.mocked(appLogDir).mockResolvedValue(LOG_DIR);
});

/** The history's bounds as the core has them by default. */
const HISTORY = { history_days: 7, history_max_mb: 1024 };

const CLOSE = { name: "Keep bridging when the window is closed" };
const NOTIFY = { name: "Desktop notifications" };

/** A get_settings / save_settings pair backed by one stored value, like the core. */
function storedSettings(initial: Settings) {
  let stored = initial;
  return {
    get_settings: () => stored,
    save_settings: (args: Record<string, unknown>) => {
      stored = args.settings as Settings;
      return stored;
    },
  };
}

describe("Settings page", () => {
  it("loads and shows both settings with their hints", async () => {
    mockCommands({ get_settings: { close_to_tray: true, notifications: false, ...HISTORY } });
    render(<SettingsPage info={defaultAppInfo} />);
    expect(screen.getByText(/Loading settings/)).toHaveAttribute("role", "status");

    const close = await screen.findByRole("switch", CLOSE);
    expect(close).toBeChecked();
    expect(close).toHaveAccessibleDescription(/the app stays in the system tray \(Open, Pause bridging, Quit\)/);
    expect(close).toHaveAccessibleDescription(/Off: closing the window quits the app and stops bridging\./);
    const notify = screen.getByRole("switch", NOTIFY);
    expect(notify).not.toBeChecked();
    expect(notify).toHaveAccessibleDescription(/cannot reach AWS or recovers/);
    expect(invoke).toHaveBeenCalledWith("get_settings");
  });

  it("saves the full settings when a setting is toggled", async () => {
    const user = userEvent.setup();
    mockCommands(storedSettings({ close_to_tray: true, notifications: true, ...HISTORY }));
    render(<SettingsPage info={defaultAppInfo} />);

    await user.click(await screen.findByRole("switch", CLOSE));
    expect(invoke).toHaveBeenCalledWith("save_settings", { settings: { close_to_tray: false, notifications: true, ...HISTORY } });
    expect(screen.getByRole("switch", CLOSE)).not.toBeChecked();
    expect(screen.getByRole("switch", NOTIFY)).toBeChecked();

    // From the keyboard too, carrying the first change along.
    screen.getByRole("switch", NOTIFY).focus();
    await user.keyboard(" ");
    expect(invoke).toHaveBeenLastCalledWith("save_settings", {
      settings: { close_to_tray: false, notifications: false, ...HISTORY },
    });
    expect(screen.getByRole("switch", NOTIFY)).not.toBeChecked();
    expect(screen.getByRole("switch", NOTIFY)).toHaveFocus();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("reverts the switch and shows the error when saving fails", async () => {
    const user = userEvent.setup();
    mockCommands({
      get_settings: { close_to_tray: true, notifications: true, ...HISTORY },
      save_settings: { reject: { message: "settings file is read-only" } },
    });
    render(<SettingsPage info={defaultAppInfo} />);

    const notify = await screen.findByRole("switch", NOTIFY);
    await user.click(notify);
    expect(callsOf("save_settings")).toEqual([
      ["save_settings", { settings: { close_to_tray: true, notifications: false, ...HISTORY } }],
    ]);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("settings file is read-only");
    expect(within(screen.getByTestId("setting-notifications")).getByRole("alert")).toBe(alert);
    expect(notify).toBeChecked();
    expect(notify).toHaveAccessibleDescription(/settings file is read-only/);
    expect(screen.getByRole("switch", CLOSE)).toBeChecked();

    // The next attempt clears the message.
    mockCommands(storedSettings({ close_to_tray: true, notifications: true, ...HISTORY }));
    await user.click(notify);
    expect(notify).not.toBeChecked();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("reloads when the settings change elsewhere (the CLI)", async () => {
    let stored: Settings = { close_to_tray: true, notifications: true, ...HISTORY };
    mockCommands({ get_settings: () => stored });
    render(<SettingsPage info={defaultAppInfo} />);
    expect(await screen.findByRole("switch", CLOSE)).toBeChecked();

    stored = { close_to_tray: false, notifications: true, history_days: 30, history_max_mb: 2048 };
    const channel = changesChannel();
    expect(channel).toBeDefined();
    act(() => channel?.onmessage({ what: ["settings"] }));
    await waitFor(() => expect(screen.getByRole("switch", CLOSE)).not.toBeChecked());
    // The history's bounds follow (nobody was editing them).
    expect(screen.getByTestId("setting-history-days")).toHaveValue("30");
    expect(screen.getByTestId("setting-history-mb")).toHaveValue("2048");
    expect(callsOf("get_settings")).toHaveLength(2);
  });

  it("shows a failing get_settings with a retry", async () => {
    const user = userEvent.setup();
    mockCommands({ get_settings: { reject: { message: "database is locked" } } });
    render(<SettingsPage info={defaultAppInfo} />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not load settings");
    expect(alert).toHaveTextContent("database is locked");
    // The About panel does not depend on the settings.
    expect(screen.getByTestId("about-version")).toHaveTextContent("0.1.0");

    mockCommands({ get_settings: { close_to_tray: false, notifications: true, ...HISTORY } });
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("switch", CLOSE)).not.toBeChecked();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows the version, the data directory, this machine's log directory and the CLI in About", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<SettingsPage info={{ ...defaultAppInfo, version: "2.4.6", data_dir: "/srv/bridge data" }} />);
    const about = screen.getByRole("region", { name: "About" });
    expect(within(about).getByTestId("about-version")).toHaveTextContent(/^2\.4\.6$/);
    expect(within(about).getByTestId("about-data-dir")).toHaveTextContent(/^\/srv\/bridge data$/);
    expect(within(about).getByTestId("about-data-dir")).toHaveClass("mono");
    expect(within(about).getByRole("button", { name: "Copy the data directory" })).toBeInTheDocument();
    // The folder the log is in on this machine, from Tauri, with its Copy button: not three platforms' guesses.
    expect(await within(about).findByTestId("about-log-dir")).toHaveTextContent(new RegExp(`^${LOG_DIR}$`));
    expect(within(about).queryByTestId("about-logs")).not.toBeInTheDocument();
    await user.click(within(about).getByRole("button", { name: "Copy the log directory" }));
    expect(await navigator.clipboard.readText()).toBe(LOG_DIR);
    expect(within(about).getByTestId("about-cli")).toHaveTextContent("helium-aws-bridge");
    await screen.findByRole("switch", CLOSE);
  });

  it("says where the log is on each platform when Tauri cannot name the folder", async () => {
    vi.mocked(appLogDir).mockRejectedValue(new Error("unknown path"));
    mockCommands({});
    render(<SettingsPage info={defaultAppInfo} />);
    const logs = await screen.findByTestId("about-logs");
    expect(logs).toHaveTextContent("$XDG_DATA_HOME/org.heliumawsbridge.desktop/logs");
    expect(logs).toHaveTextContent("~/.local/share/org.heliumawsbridge.desktop/logs");
    expect(logs).toHaveTextContent("~/Library/Logs/org.heliumawsbridge.desktop");
    expect(logs).toHaveTextContent("%LOCALAPPDATA%\\org.heliumawsbridge.desktop\\logs");
    expect(screen.queryByTestId("about-log-dir")).not.toBeInTheDocument();
    await screen.findByRole("switch", CLOSE);
  });

  it("says per panel how changes are saved, and which messages go first", async () => {
    mockCommands({});
    render(<SettingsPage info={defaultAppInfo} />);
    await screen.findByRole("switch", CLOSE);
    expect(screen.getByTestId("settings-app-mode")).toHaveTextContent("Each switch is saved as you flip it.");
    const history = screen.getByRole("region", { name: "Message history" });
    expect(within(history).getByTestId("settings-history-mode")).toHaveTextContent("Saved when you press Save.");
    expect(within(history).getByTestId("settings-history-order")).toHaveTextContent(
      "When a limit is reached, the oldest messages are deleted first.",
    );
    expect(screen.queryByText(/Changes are saved at once|leave the history first/)).not.toBeInTheDocument();
  });

  it("copies the data directory", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<SettingsPage info={defaultAppInfo} />);
    await user.click(screen.getByRole("button", { name: "Copy the data directory" }));
    expect(await navigator.clipboard.readText()).toBe(defaultAppInfo.data_dir);
    // The button says so once the copy's promise has settled and it rendered again.
    await waitFor(() => expect(screen.getByTestId("copy-data-dir")).toHaveTextContent("Copied"));
    await screen.findByRole("switch", CLOSE);
  });

  it("shows how much message history is kept, checks it as typed, and saves it with the rest", async () => {
    const user = userEvent.setup();
    mockCommands(storedSettings({ close_to_tray: false, notifications: true, history_days: 7, history_max_mb: 1024 }));
    render(<SettingsPage info={defaultAppInfo} />);
    const panel = await screen.findByRole("region", { name: "Message history" });
    const days = within(panel).getByRole("textbox", { name: "Keep messages for (days)" });
    const mb = within(panel).getByRole("textbox", { name: "At most (MiB)" });
    expect(days).toHaveValue("7");
    expect(mb).toHaveValue("1024");
    expect(days).toHaveAccessibleDescription("1–365 days.");

    // Out of range, or not a whole number: said at once, and not saved.
    await user.clear(days);
    await user.type(days, "0");
    expect(days).toHaveAttribute("aria-invalid", "true");
    expect(days).toHaveAccessibleDescription(/Enter a whole number of days from 1 to 365\./);
    await user.clear(days);
    await user.type(days, "366");
    expect(within(panel).getByText("Enter a whole number of days from 1 to 365.")).toBeInTheDocument();
    await user.clear(mb);
    await user.type(mb, "9.5");
    expect(within(panel).getByText("Enter a whole number of MiB from 10 to 100,000.")).toBeInTheDocument();
    await user.clear(mb);
    await user.type(mb, "100001");
    expect(mb).toHaveAttribute("aria-invalid", "true");
    await user.click(within(panel).getByTestId("setting-history-save"));
    expect(callsOf("save_settings")).toEqual([]);
    expect(days).toHaveFocus();

    await user.clear(days);
    await user.type(days, "365");
    expect(days).not.toHaveAttribute("aria-invalid");
    await user.clear(mb);
    await user.type(mb, "10");
    expect(within(panel).queryByText(/Enter a whole number/)).not.toBeInTheDocument();
    await user.click(within(panel).getByTestId("setting-history-save"));
    expect(callsOf("save_settings")).toEqual([
      ["save_settings", { settings: { close_to_tray: false, notifications: true, history_days: 365, history_max_mb: 10 } }],
    ]);
    // The status line is always there (empty): wait for the answer to fill it.
    await waitFor(() => expect(within(panel).getByTestId("setting-history-saved")).toHaveTextContent("Saved."));

    // A toggle after it carries the saved bounds along.
    await user.click(screen.getByRole("switch", NOTIFY));
    expect(callsOf("save_settings")[1]).toEqual([
      "save_settings",
      { settings: { close_to_tray: false, notifications: false, history_days: 365, history_max_mb: 10 } },
    ]);
  });

  it("keeps the typed bounds and shows why saving them failed", async () => {
    const user = userEvent.setup();
    mockCommands({
      get_settings: { close_to_tray: true, notifications: true, ...HISTORY },
      save_settings: { reject: { message: "history_days must be 1 to 365 days (got 0)" } },
    });
    render(<SettingsPage info={defaultAppInfo} />);
    const days = await screen.findByTestId("setting-history-days");
    await user.clear(days);
    await user.type(days, "30");
    await user.click(screen.getByTestId("setting-history-save"));
    expect(await screen.findByTestId("setting-history-error")).toHaveTextContent(
      "Could not save: history_days must be 1 to 365 days (got 0)",
    );
    expect(days).toHaveValue("30");
    expect(screen.getByTestId("setting-history-saved")).toHaveTextContent("");
  });

  it("has no axe violations", async () => {
    mockCommands({});
    const { container } = render(
      <main>
        <SettingsPage info={defaultAppInfo} />
      </main>,
    );
    await screen.findByTestId("setting-history-days");
    expect(await axeViolations(container)).toEqual([]);
  });

  it("is the last entry in the sidebar and opens from it", async () => {
    const user = userEvent.setup();
    mockCommands({ app_info: { ...defaultAppInfo, version: "1.2.3" } });
    render(<App />);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    const entries = within(nav).getAllByRole("button");
    const settings = entries[entries.length - 1];
    expect(settings).toHaveAccessibleName("Settings");

    await user.click(within(nav).getByRole("button", { name: "Settings" }));
    expect(screen.getByRole("heading", { level: 1, name: "Settings" })).toBeInTheDocument();
    expect(within(nav).getByRole("button", { name: "Settings" })).toHaveAttribute("aria-current", "page");
    expect(await screen.findByRole("switch", CLOSE)).toBeChecked();
    expect(screen.getByRole("switch", NOTIFY)).toBeChecked();
    expect(screen.getByTestId("about-version")).toHaveTextContent("1.2.3");
    expect(screen.getByTestId("about-data-dir")).toHaveTextContent(defaultAppInfo.data_dir);
  });
});
