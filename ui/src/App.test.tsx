import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { App } from "./App";
import { DEVICE_ROW_HEIGHT } from "./pages/DevicesPage";
import { declarations } from "./test/css";
import { defaultAppInfo, device, integration, mockCommands } from "./test/tauri";
import { fakeViewport } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

// Reset before (not after) each test: the previous test's tree is unmounted by then, so a
// late IPC call of its effects cannot land in this test's call history.
beforeEach(() => {
  vi.mocked(invoke).mockReset();
});

describe("App shell", () => {
  it("shows the app name and the version from app_info", async () => {
    mockCommands({ app_info: { ...defaultAppInfo, version: "1.2.3" } });
    render(<App />);
    expect(await screen.findByTestId("app-version")).toHaveTextContent(/^1\.2\.3$/);
    expect(screen.getByText("Helium AWS Bridge")).toBeInTheDocument();
    expect(invoke).toHaveBeenCalledWith("app_info");
  });

  it("keeps the app's name in the sidebar on one line, whatever the system font", async () => {
    mockCommands({});
    render(<App />);
    await screen.findByTestId("app-version");
    // Cut at worst, with the whole name in its tooltip: on two lines it moved the navigation.
    expect(screen.getByText("Helium AWS Bridge")).toHaveAttribute("title", "Helium AWS Bridge");
    const name = await declarations("layout.css", ".brand-name");
    expect(name).toContain("white-space: nowrap");
    expect(name).toContain("text-overflow: ellipsis");
    expect(name).toContain("min-width: 0");
  });

  it("shows the startup error screen instead of the pages", async () => {
    mockCommands({
      app_info: {
        ...defaultAppInfo,
        startup_error: "the data directory is in use by another Helium AWS Bridge process",
      },
    });
    render(<App />);
    const screenEl = await screen.findByTestId("startup-error");
    expect(screenEl).toHaveTextContent("the data directory is in use by another Helium AWS Bridge process");
    expect(screen.queryByRole("navigation")).not.toBeInTheDocument();
    expect(screen.queryByTestId("app-version")).not.toBeInTheDocument();
    expect(invoke).not.toHaveBeenCalledWith("list_integrations");
  });

  it("shows a failing app_info as an alert", async () => {
    mockCommands({ app_info: { reject: { message: "core panicked" } } });
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("core panicked");
  });

  it("navigates between pages", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<App />);
    expect(await screen.findByRole("heading", { level: 1, name: "Integrations" })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Main" });

    await user.click(within(nav).getByRole("button", { name: "Devices" }));
    expect(screen.getByRole("heading", { level: 1, name: "Devices" })).toBeInTheDocument();
    expect(within(nav).getByRole("button", { name: "Devices" })).toHaveAttribute("aria-current", "page");
    expect(await screen.findByTestId("devices-empty")).toHaveTextContent(/first uplink/);

    await user.click(within(nav).getByRole("button", { name: "Labels" }));
    expect(screen.getByRole("heading", { level: 1, name: "Labels" })).toBeInTheDocument();
    expect(await screen.findByTestId("labels-empty")).toBeInTheDocument();

    await user.click(within(nav).getByRole("button", { name: "Messages" }));
    expect(screen.getByRole("heading", { level: 1, name: "Messages" })).toBeInTheDocument();
    expect(await screen.findByTestId("messages-empty")).toBeInTheDocument();

    await user.click(within(nav).getByRole("button", { name: "Integrations" }));
    expect(await screen.findByTestId("integrations-empty")).toBeInTheDocument();
  });

  it("goes where a page's sentence says, as the sidebar does", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<App />);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await user.click(within(nav).getByRole("button", { name: "Devices" }));
    const empty = await screen.findByTestId("devices-empty");
    await user.click(within(empty).getByRole("button", { name: "Labels page" }));
    expect(screen.getByRole("heading", { level: 1, name: "Labels" })).toBeInTheDocument();
    expect(within(nav).getByRole("button", { name: "Labels" })).toHaveAttribute("aria-current", "page");
  });
});

describe("Integrations page", () => {
  it("shows the empty state with the add button when there are no integrations", async () => {
    const user = userEvent.setup();
    mockCommands({ list_integrations: [] });
    render(<App />);
    const empty = await screen.findByTestId("integrations-empty");
    expect(empty).toHaveTextContent(/AWS IoT Core/);
    expect(empty).toHaveTextContent(/labels/);
    const add = within(empty).getByTestId("add-integration");
    expect(add).toHaveTextContent("Add an AWS IoT Core integration");
    expect(screen.queryByTestId("integration-row")).not.toBeInTheDocument();

    await user.click(add);
    expect(screen.getByRole("heading", { name: "Add an AWS IoT Core integration" })).toBeInTheDocument();
    expect(screen.getByTestId("integration-wizard")).toHaveTextContent("HeliumIntegrationAccess");
  });

  it("renders one row per integration", async () => {
    mockCommands({
      list_integrations: [
        integration(),
        integration({ id: "int-2", name: "Water meters", active: false, region: "us-east-1", topic: "meters/up" }),
      ],
    });
    render(<App />);
    const rows = await screen.findAllByTestId("integration-row");
    expect(rows).toHaveLength(2);
    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(first).toHaveTextContent("Farm sensors");
    expect(first).toHaveTextContent("AWS IoT Core");
    expect(first).toHaveTextContent("eu-west-1");
    expect(first).toHaveTextContent("helium/uplinks");
    // The switch says the user's choice, Enabled or Disabled, the one name for it everywhere.
    expect(within(first).getByRole("switch", { name: "Forward uplinks to Farm sensors" }).closest("label")).toHaveTextContent(
      /^Enabled$/,
    );
    expect(second).toHaveTextContent("Water meters");
    expect(within(second).getByRole("switch", { name: "Forward uplinks to Water meters" }).closest("label")).toHaveTextContent(
      /^Disabled$/,
    );
    expect(first).not.toHaveTextContent(/Active|Inactive|Forwarding/);
    expect(screen.queryByTestId("integrations-empty")).not.toBeInTheDocument();
    expect(screen.getByTestId("add-integration")).toBeInTheDocument();
  });

  it("shows a rejected command's message in an alert", async () => {
    mockCommands({ list_integrations: { reject: { message: "database is locked" } } });
    render(<App />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("database is locked");
    expect(screen.queryByTestId("integrations-empty")).not.toBeInTheDocument();
  });

  it("retries after an error", async () => {
    const user = userEvent.setup();
    mockCommands({ list_integrations: { reject: { message: "database is locked" } } });
    render(<App />);
    const alert = await screen.findByRole("alert");
    mockCommands({ list_integrations: [integration()] });
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("integration-row")).toHaveLength(1);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

describe("Labels page", () => {
  it("lists labels with their counts", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_labels: [
        { id: "l1", name: "farm", device_count: 12, integration_count: 1, devices: [], integrations: ["i1"] },
        { id: "l2", name: "spare", device_count: 1, integration_count: 0, devices: ["d1"], integrations: [] },
      ],
    });
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Labels" }));
    const rows = await screen.findAllByTestId("label-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("farm");
    expect(rows[0]).toHaveTextContent("12 devices");
    expect(rows[0]).toHaveTextContent("1 integration");
    expect(rows[1]).toHaveTextContent("1 device");
    expect(rows[1]).toHaveTextContent("0 integrations");
  });

  it("shows a rejected list_labels in an alert", async () => {
    const user = userEvent.setup();
    mockCommands({ list_labels: { reject: { message: "labels table missing" } } });
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Labels" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("labels table missing");
  });
});

describe("Devices page", () => {
  const VIEWPORT = 480;
  let restore: (() => void) | undefined;

  beforeEach(() => {
    restore = fakeViewport(VIEWPORT);
  });

  afterEach(() => restore?.());

  it("virtualises a long device list", async () => {
    const user = userEvent.setup();
    const devices = Array.from({ length: 1000 }, (_, i) => device(i + 1));
    mockCommands({ list_devices: devices });
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Devices" }));

    const rows = await screen.findAllByTestId("device-row");
    expect(rows.length).toBeGreaterThan(0);
    // About one viewport of rows (480px / 48px) plus overscan, nowhere near 1000.
    expect(rows.length).toBeLessThanOrEqual(Math.ceil(VIEWPORT / DEVICE_ROW_HEIGHT) + 2 * 8 + 1);
    expect(rows.length).toBeLessThan(devices.length);
    // The first rows are the ones rendered, with their data.
    expect(rows[0]).toHaveTextContent("0000000000000001");
    expect(rows[0]).toHaveTextContent("Sensor 1");
    expect(screen.queryByText("Sensor 1000")).not.toBeInTheDocument();
    // The table still announces the full size, and the scroll canvas is sized for every row.
    expect(screen.getByRole("table", { name: "Devices" })).toHaveAttribute("aria-rowcount", "1001");
    expect(screen.getByText("1,000 devices known to the bridge.")).toBeInTheDocument();
    // Headers share one type (no monospace DevEUI header); counts align right under theirs.
    const headers = screen.getAllByRole("columnheader");
    expect(headers.map((h) => h.textContent)).toEqual(["DevEUI", "Name", "Last seen", "Uplinks", "Downlinks", "Errors"]);
    expect(headers[0]).not.toHaveClass("mono");
    for (const h of headers.slice(3)) expect(h).toHaveClass("num");
    expect(within(rows[0] as HTMLElement).getAllByRole("cell")[3]).toHaveClass("num");
  });

  it("renders later rows after scrolling", async () => {
    const user = userEvent.setup();
    const devices = Array.from({ length: 1000 }, (_, i) => device(i + 1));
    mockCommands({ list_devices: devices });
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Devices" }));
    await screen.findAllByTestId("device-row");

    const scroller = screen.getByTestId("device-scroll");
    fireEvent.scroll(scroller, { target: { scrollTop: DEVICE_ROW_HEIGHT * 900 } });
    expect(await screen.findByText("Sensor 901")).toBeInTheDocument();
    expect(screen.queryByText("Sensor 1")).not.toBeInTheDocument();
    expect(screen.getAllByTestId("device-row").length).toBeLessThan(50);
  });

  it("shows a rejected list_devices in an alert", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: { reject: { message: "devices unavailable" } } });
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Devices" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("devices unavailable");
  });
});
