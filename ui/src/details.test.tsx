// Integration details (opened from the Integrations page) and device details with its downlink
// form (opened from the Devices page).
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { IntegrationDetails, IntegrationHealth, PipedDevice } from "./bindings";
import { DevicesPage } from "./pages/DevicesPage";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import { parsePayload, parsePort } from "./payload";
import { declarations } from "./test/css";
import { callsOf, device, deviceDetails, integration, keysChecked, mockCommands, resetCommandsEachTest } from "./test/tauri";
import { fakeViewportEachTest } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();
fakeViewportEachTest(480);

const topic = (id: string) => `helium/devices/${id}/down`;

const healthOf = (o: Partial<IntegrationHealth> = {}): IntegrationHealth => ({
  id: "int-1",
  name: "Farm sensors",
  state: "failing",
  sessions_connected: 1,
  sessions_failing: 1,
  last_error: "TLS handshake failed",
  backlog: 7,
  delivered: 40,
  sessions: [
    { device_id: "dev-1", connected: true, detail: "connected" },
    { device_id: "dev-3", connected: false, detail: "TLS handshake failed" },
  ],
  ...o,
});

const piped = (i: number): PipedDevice => ({ device: device(i), downlink_topic: topic(`dev-${i}`), session: null });

function integrationDetails(o: Partial<IntegrationDetails> = {}): IntegrationDetails {
  return {
    integration: integration(),
    labels: [{ id: "l1", name: "farm" }],
    devices: [piped(1), piped(2), piped(3)],
    health: healthOf(),
    ...o,
  };
}

async function openIntegration(user: UserEvent) {
  await user.click(await screen.findByRole("button", { name: "Details of Farm sensors" }));
  return screen.findByTestId("integration-details-page");
}

describe("Integration details", () => {
  it("shows the settings, the connection, the labels and the devices piped with their downlink topics", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_integrations: [integration()],
      integration_health: [healthOf()],
      integration_details: integrationDetails(),
    });
    render(<IntegrationsPage />);
    const page = await openIntegration(user);
    expect(await within(page).findByRole("heading", { level: 1, name: "Farm sensors" })).toBeInTheDocument();
    expect(callsOf("integration_details")).toEqual([["integration_details", { id: "int-1" }]]);
    // Focus moved into the new view.
    expect(screen.getByTestId("details-back")).toHaveFocus();

    expect(screen.getByTestId("details-id")).toHaveTextContent("int-1");
    await user.click(screen.getByRole("button", { name: "Copy the integration ID" }));
    expect(await navigator.clipboard.readText()).toBe("int-1");
    expect(page).toHaveTextContent("AWS IoT Core");
    expect(page).toHaveTextContent("eu-west-1");
    expect(page).toHaveTextContent("helium/uplinks");
    // The switch under one name, as on the list: Forwarding, Enabled (not "Active").
    const toggle = screen.getByRole("switch", { name: "Forward uplinks to Farm sensors" });
    expect(toggle).toHaveAttribute("aria-checked", "true");
    expect(toggle.closest("label")).toHaveTextContent(/^Enabled$/);
    expect(within(page).getByText("Forwarding").tagName).toBe("DT");
    expect(page).not.toHaveTextContent(/Active|Inactive/);

    const connection = screen.getByTestId("details-connection");
    expect(within(connection).getByTestId("health-badge")).toHaveTextContent("Failing: TLS handshake failed");
    expect(within(connection).getByTestId("health-backlog")).toHaveTextContent("Backlog 7");
    expect(within(connection).getByTestId("details-sessions")).toHaveTextContent("1 of 2 sessions connected, 1 failing");
    expect(within(screen.getByTestId("details-labels")).getByText("farm")).toBeInTheDocument();

    const rows = await screen.findAllByTestId("piped-row");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("Sensor 1");
    expect(rows[0]).toHaveTextContent("0000000000000001");
    expect(rows[0]).toHaveTextContent("minute ago");
    expect(rows[0]).toHaveTextContent("Connected");
    expect(rows[0]).toHaveTextContent(topic("dev-1"));
    // The whole topic, wrapping only after its "/", with its Copy button beside it.
    expect((rows[0] as HTMLElement).querySelectorAll(".topic-cell wbr")).toHaveLength(3);
    expect(rows[1]).toHaveTextContent("never");
    expect(rows[1]).toHaveTextContent("Not started");
    expect(rows[2]).toHaveTextContent("Failing: TLS handshake failed");
    expect(screen.getByRole("region", { name: "Devices piped (scrollable)" })).toHaveAttribute("tabindex", "0");

    await user.click(within(rows[1] as HTMLElement).getByRole("button", { name: "Copy the downlink topic of Sensor 2" }));
    expect(await navigator.clipboard.readText()).toBe(topic("dev-2"));

    await user.click(screen.getByRole("button", { name: /Back to integrations/ }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Details of Farm sensors" })).toHaveFocus());
  });

  it("keeps a copyable value and its Copy button on one line; the value breaks at its hyphens", async () => {
    const user = userEvent.setup();
    const id = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    mockCommands({
      list_integrations: [integration({ id })],
      integration_details: integrationDetails({ integration: integration({ id }), health: healthOf({ id }) }),
    });
    render(<IntegrationsPage />);
    await openIntegration(user);
    const shown = await screen.findByTestId("details-id");
    expect(shown).toHaveTextContent(id);
    expect(Array.from(shown.querySelectorAll(".nowrap"), (p) => p.textContent)).toEqual(id.split("-").map((p, i, all) => (i < all.length - 1 ? `${p}-` : p)));
    const row = shown.parentElement as HTMLElement;
    expect(row).toHaveClass("details-copy");
    expect(within(row).getByRole("button", { name: "Copy the integration ID" })).toBeInTheDocument();
    // One line: the value gives way, never the button.
    const copyRow = await declarations("pages.css", ".details-copy");
    expect(copyRow).toContain("flex-wrap: nowrap");
    expect(await declarations("pages.css", ".details-copy > :first-child")).toContain("min-width: 0");
    expect(await declarations("pages.css", ".copy > .button")).toContain("flex: none");
  });

  it("says so when no device is piped", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_integrations: [integration()],
      integration_details: integrationDetails({ devices: [], labels: [], health: healthOf({ state: "idle", sessions: [] }) }),
    });
    render(<IntegrationsPage />);
    await openIntegration(user);
    expect(await screen.findByTestId("piped-empty")).toHaveTextContent("Attach a label to the integration first");
    expect(screen.getByTestId("details-no-labels")).toBeInTheDocument();
    expect(screen.queryByTestId("piped-row")).not.toBeInTheDocument();
  });

  it("shows an error with a retry, and the way back", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_integrations: [integration()],
      integration_details: { reject: { message: "integration int-1 not found" } },
    });
    render(<IntegrationsPage />);
    await openIntegration(user);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("integration int-1 not found");
    mockCommands({ list_integrations: [integration()], integration_details: integrationDetails() });
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("piped-row")).toHaveLength(3);
  });

  it("opens the existing update and delete flows and comes back", async () => {
    const user = userEvent.setup();
    mockCommands({ list_integrations: [integration()], integration_details: integrationDetails() });
    render(<IntegrationsPage />);
    await openIntegration(user);
    // The same name as on the list's rows.
    await user.click(await screen.findByRole("button", { name: "Update connection details" }));
    expect(screen.getByTestId("integration-wizard")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(await screen.findByTestId("integration-details-page")).toBeInTheDocument();

    await user.click(await screen.findByRole("button", { name: "Delete" }));
    expect(screen.getByRole("dialog", { name: "Delete Farm sensors?" })).toBeInTheDocument();
  });
});

async function openDevice(user: UserEvent, name = "Sensor 1") {
  await user.click(await screen.findByRole("button", { name }));
  return screen.findByTestId("device-details-page");
}

describe("Device details", () => {
  it("names the device's decoder, or says two labels attach different ones", async () => {
    const user = userEvent.setup();
    const conflict = "its labels attach 2 decoders (\"a\" through farm; \"b\" through roof): each uplink's decoded is an error until one is detached";
    mockCommands({ list_devices: [device(1)], device_details: deviceDetails({ decoder: { state: "conflict", message: conflict } }) });
    render(<DevicesPage />);
    await openDevice(user);
    const shown = await screen.findByTestId("device-decoder");
    expect(shown).toHaveTextContent(conflict);
    expect(within(shown).getByRole("alert")).toBeInTheDocument();
  });

  it("says when no label brings a decoder", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: [device(1)], device_details: deviceDetails({ decoder: { state: "none" } }) });
    render(<DevicesPage />);
    await openDevice(user);
    expect(await screen.findByTestId("device-decoder")).toHaveTextContent("None: attach one to a label on the Decoders page");
  });

  it("shows the device, its routes, topic and events newest first; back returns to the list", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: [device(1), device(2)], device_details: deviceDetails() });
    render(<DevicesPage />);
    const page = await openDevice(user);
    expect(await within(page).findByRole("heading", { level: 1, name: "Sensor 1" })).toBeInTheDocument();
    expect(callsOf("device_details")).toEqual([["device_details", { id: "dev-1" }]]);
    const facts = screen.getByTestId("device-facts");
    expect(facts).toHaveTextContent("dev-1");
    expect(facts).toHaveTextContent("0000000000000001");
    // The source by name, not its id.
    expect(facts).toHaveTextContent("SourceHelium LNS");
    expect(screen.getByTestId("device-counters")).toHaveTextContent("3 uplinks · 1 downlink · 0 errors");
    expect(within(screen.getByTestId("device-labels")).getByText("farm")).toBeInTheDocument();
    expect(screen.getByTestId("device-decoder")).toHaveTextContent("Greenhouse (Helium Console Decoder), through farm");
    expect(screen.getByTestId("device-downlink-topic")).toHaveTextContent(topic("dev-1"));
    // It may wrap only after a "/": each piece stays whole (a UUID never breaks at its hyphens),
    // and "down" never takes a line alone.
    const pieces = screen.getByTestId("device-downlink-topic").querySelectorAll(".nowrap");
    expect(Array.from(pieces, (p) => p.textContent)).toEqual(["helium/", "devices/", "dev-1/down"]);
    expect(screen.getByTestId("device-downlink-topic").querySelectorAll("wbr")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Copy the downlink topic" }));
    expect(await navigator.clipboard.readText()).toBe(topic("dev-1"));

    const routes = screen.getAllByTestId("device-route");
    expect(routes[0]).toHaveTextContent(/Farm sensors\s*Enabled\s*Yes\s*Connected/);
    expect(routes[1]).toHaveTextContent(/Water meters\s*Disabled\s*No\s*Not started/);

    const events = screen.getAllByTestId("device-event");
    expect(events[0]).toHaveTextContent("downlink rejected");
    expect(events[0]).toHaveAttribute("data-level", "error");
    expect(events[0]?.querySelector(".level-error")).not.toBeNull();
    expect(events[1]).toHaveTextContent("uplink from Sensor 1");
    // Today's event by its time alone; an older one with its date, as the message views do.
    expect(events[0]).not.toHaveTextContent(/\d{2}-\d{2} \d{2}:\d{2}/);
    expect(events[1]).toHaveTextContent(/\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}/);

    await user.click(screen.getByRole("button", { name: /Back to devices/ }));
    // The rows render a moment after the table: focus lands once they are there.
    await waitFor(() => expect(screen.getByRole("button", { name: "Sensor 1" })).toHaveFocus());
  });

  it("says Own certificate, not No, for an integration on certificates made by hand", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_devices: [device(1)],
      device_details: deviceDetails({
        integrations: [
          // Made by hand: the bridge never provisions it, yet its session is up.
          {
            integration_id: "int-1",
            name: "Farm sensors",
            active: true,
            provisioned: false,
            session: { device_id: "dev-1", connected: true, detail: "connected" },
          },
          { integration_id: "int-2", name: "Water meters", active: true, provisioned: true, session: null },
        ],
      }),
      list_integrations: [integration(), integration({ id: "int-2", name: "Water meters", aws: keysChecked().account })],
    });
    render(<DevicesPage />);
    await openDevice(user);
    await waitFor(() => expect(screen.getAllByTestId("device-route")[0]).toHaveTextContent(/Farm sensors\s*Enabled\s*Own certificate\s*Connected/));
    expect(screen.getAllByTestId("device-route")[1]).toHaveTextContent(/Water meters\s*Enabled\s*Yes/);
  });

  it("opens from the keyboard", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: [device(1)], device_details: deviceDetails() });
    render(<DevicesPage />);
    (await screen.findByRole("button", { name: "Sensor 1" })).focus();
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("device-details-page")).toBeInTheDocument();
  });

  it("shows an error with a retry", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: [device(1)], device_details: { reject: { message: "device dev-1 not found" } } });
    render(<DevicesPage />);
    await openDevice(user);
    expect(await screen.findByRole("alert")).toHaveTextContent("device dev-1 not found");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });

  it("says when the device goes nowhere and has no events", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: [device(1)], device_details: deviceDetails({ integrations: [], recent_events: [] }) });
    render(<DevicesPage />);
    await openDevice(user);
    expect(await screen.findByTestId("device-routes-empty")).toHaveTextContent("shares no label");
    expect(screen.getByTestId("device-events-empty")).toBeInTheDocument();
  });
});

describe("A device not heard yet", () => {
  const EUI = "0102030405060708";
  const unheard = { ...device(9), name: EUI, dev_eui: EUI, source: "", last_seen_ms: null, uplinks: 0 };

  it("has no name in the list but a placeholder, and its DevEUI once", async () => {
    mockCommands({ list_devices: [device(1), unheard] });
    render(<DevicesPage />);
    const rows = await screen.findAllByTestId("device-row");
    const row = rows.find((r) => r.textContent?.includes(EUI)) as HTMLElement;
    expect(row).toHaveTextContent("Not heard yet");
    expect(row.textContent?.split(EUI)).toHaveLength(2);
    // Its button still says which device it opens.
    expect(within(row).getByRole("button", { name: `${EUI}, not heard yet` })).toBeInTheDocument();
  });

  it("shows its DevEUI once, and says why a downlink and charts wait", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: [unheard], device_details: deviceDetails({ device: unheard, source_name: null }) });
    render(<DevicesPage />);
    await openDevice(user, `${EUI}, not heard yet`);
    const page = await screen.findByTestId("device-details-page");
    expect(await within(page).findByRole("heading", { level: 1, name: EUI })).toBeInTheDocument();
    expect(within(page).getByText("Helium device, not heard yet: registered by a label")).toBeInTheDocument();
    expect(screen.getByTestId("device-name")).toHaveTextContent(/^Not heard yet$/);

    const send = within(screen.getByTestId("downlink-form")).getByRole("button", { name: "Send downlink" });
    expect(send).toBeDisabled();
    expect(send).toHaveAccessibleDescription("No uplink heard yet: a downlink goes out through the source the device is heard on.");
    expect(screen.getByTestId("chart-unheard")).toHaveTextContent("No uplink heard yet");
    expect(screen.queryByTestId("chart-range")).not.toBeInTheDocument();
    expect(callsOf("series_fields")).toEqual([]);
  });
});

describe("Remove a device never heard from", () => {
  const unheard = { ...device(9), name: "A84041000181B3C9", source: "", last_seen_ms: null, uplinks: 0 };

  it("offers it only for a device a label registered and nothing heard since", async () => {
    const user = userEvent.setup();
    mockCommands({ list_devices: [device(1)], device_details: deviceDetails() });
    render(<DevicesPage />);
    await openDevice(user);
    await screen.findByTestId("device-facts");
    expect(screen.queryByTestId("device-unheard")).toBeNull();
    expect(screen.queryByRole("button", { name: "Remove device" })).toBeNull();
  });

  it("asks, removes through the core and returns to the list; a refusal shows in the dialog", async () => {
    const user = userEvent.setup();
    let refuse = true;
    mockCommands({
      list_devices: [unheard],
      // Provisioned in advance for Farm sensors (the fixture's first route), not for Water meters.
      device_details: deviceDetails({ device: unheard, source_name: null }),
      remove_device: () => {
        if (!refuse) return unheard;
        refuse = false;
        return { reject: { message: 'device "A84041000181B3C9" (dev-9) has been heard from, so its next uplink would bring it back' } };
      },
    });
    render(<DevicesPage />);
    await openDevice(user, "A84041000181B3C9");
    expect(await screen.findByTestId("device-unheard")).toHaveTextContent("not heard from yet");
    await user.click(screen.getByRole("button", { name: "Remove device" }));
    const dialog = screen.getByRole("dialog", { name: "Remove the device A84041000181B3C9?" });
    expect(within(dialog).getByTestId("remove-device-aws")).toHaveTextContent(
      "Its AWS thing in Farm sensors stays until that integration is deleted with its AWS clean-up.",
    );
    await user.click(within(dialog).getByTestId("remove-device-confirm"));
    expect(await within(dialog).findByTestId("remove-device-error")).toHaveTextContent("has been heard from");
    expect(screen.getByTestId("device-details-page")).toBeInTheDocument();

    await user.click(within(dialog).getByTestId("remove-device-confirm"));
    await waitFor(() => expect(screen.queryByTestId("device-details-page")).toBeNull());
    expect(callsOf("remove_device")).toEqual([
      ["remove_device", { id: "dev-9" }],
      ["remove_device", { id: "dev-9" }],
    ]);
  });
});

describe("Send downlink", () => {
  async function openForm(user: UserEvent, sendDownlink: Parameters<typeof mockCommands>[0]["send_downlink"] = null) {
    mockCommands({ list_devices: [device(1)], device_details: deviceDetails(), send_downlink: sendDownlink });
    render(<DevicesPage />);
    await openDevice(user);
    return screen.findByTestId("downlink-form");
  }

  it("sends hex as base64 with the port and confirmed flag, then says it was queued and reloads", async () => {
    const user = userEvent.setup();
    const form = await openForm(user);
    const port = within(form).getByLabelText("Port");
    expect(port).toHaveValue("1");
    await user.clear(port);
    await user.type(port, "2");
    await user.click(within(form).getByLabelText(/Confirmed/));
    // Base64 first, as Helium's downlinks carry payloads; the user says it is hex.
    expect(within(form).getByLabelText("Base64")).toBeChecked();
    await user.click(within(form).getByLabelText("Hex"));
    await user.type(within(form).getByLabelText("Payload"), "01 02 ff");
    expect(form).toHaveTextContent("3 bytes, sent as base64 AQL/");
    await user.click(within(form).getByRole("button", { name: "Send downlink" }));

    expect(await within(form).findByRole("status")).toHaveTextContent("Downlink queued for Sensor 1");
    expect(callsOf("send_downlink")).toEqual([
      ["send_downlink", { id: "dev-1", port: 2, confirmed: true, payload_raw: "AQL/" }],
    ]);
    await waitFor(() => expect(callsOf("device_details")).toHaveLength(2));
    expect(within(form).getByLabelText("Payload")).toHaveValue("");
  });

  it("opens with the payload format chosen last, here or in another payload field", async () => {
    const user = userEvent.setup();
    const form = await openForm(user);
    await user.click(within(form).getByLabelText("Text"));
    await user.click(screen.getByRole("button", { name: /back/i }));
    await openDevice(user);
    expect(within(await screen.findByTestId("downlink-form")).getByLabelText("Text")).toBeChecked();
  });

  it("sends text as UTF-8 and base64 as it is", async () => {
    const user = userEvent.setup();
    const form = await openForm(user);
    await user.click(within(form).getByLabelText("Text"));
    await user.type(within(form).getByLabelText("Payload"), "hé");
    await user.click(within(form).getByRole("button", { name: "Send downlink" }));
    await within(form).findByRole("status");
    await user.click(within(form).getByLabelText("Base64"));
    await user.type(within(form).getByLabelText("Payload"), "AQL/");
    await user.click(within(form).getByRole("button", { name: "Send downlink" }));
    await waitFor(() => expect(callsOf("send_downlink")).toHaveLength(2));
    expect(callsOf("send_downlink").map(([, a]) => (a as { payload_raw: string }).payload_raw)).toEqual(["aMOp", "AQL/"]);
  });

  it("blocks a bad port, bad hex and an empty payload with a message on each field", async () => {
    const user = userEvent.setup();
    const form = await openForm(user);
    const port = within(form).getByLabelText("Port");
    const payload = within(form).getByLabelText("Payload");
    const send = within(form).getByRole("button", { name: "Send downlink" });

    await user.clear(port);
    await user.type(port, "224");
    await user.click(send);
    expect(form).toHaveTextContent("Port must be a whole number from 1 to 223.");
    expect(form).toHaveTextContent("Enter a payload.");
    expect(port).toHaveAttribute("aria-invalid", "true");
    expect(port).toHaveFocus();

    await user.clear(port);
    await user.type(port, "0");
    await user.click(within(form).getByLabelText("Hex"));
    await user.type(payload, "zz");
    await user.click(send);
    expect(form).toHaveTextContent("Port must be a whole number from 1 to 223.");
    expect(form).toHaveTextContent("Not hex");

    await user.clear(port);
    await user.type(port, "10");
    await user.clear(payload);
    await user.type(payload, "01 0");
    await user.click(send);
    expect(form).not.toHaveTextContent("Port must be");
    expect(form).toHaveTextContent("two digits per byte");
    expect(payload).toHaveFocus();
    expect(callsOf("send_downlink")).toEqual([]);
  });

  it("shows the core's refusal in an alert and keeps what was typed", async () => {
    const user = userEvent.setup();
    const form = await openForm(user, { reject: { message: "the bridge is not running; downlinks go out through it" } });
    await user.type(within(form).getByLabelText("Payload"), "0102");
    await user.click(within(form).getByRole("button", { name: "Send downlink" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent(
      "the bridge is not running; downlinks go out through it",
    );
    expect(within(form).getByLabelText("Payload")).toHaveValue("0102");
    expect(within(form).queryByRole("status")).not.toBeInTheDocument();
  });

  it("parses payloads and ports", () => {
    expect(parsePayload("01 02 ff", "hex")).toEqual({ ok: true, base64: "AQL/", bytes: 3 });
    expect(parsePayload("0x0102FF", "hex")).toEqual({ ok: true, base64: "AQL/", bytes: 3 });
    expect(parsePayload("AQL/", "base64")).toEqual({ ok: true, base64: "AQL/", bytes: 3 });
    expect(parsePayload("AQL", "base64").ok).toBe(false);
    expect(parsePayload("   ", "hex")).toEqual({ ok: false, error: "Enter a payload." });
    expect(parsePort("223")).toEqual({ ok: true, port: 223 });
    expect(parsePort("1.5").ok).toBe(false);
    expect(parsePort("").ok).toBe(false);
  });
});
