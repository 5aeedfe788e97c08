// Watch AWS on the Messages page: turning the integration's monitor on and off, its state, and
// publishing a downlink through AWS with the answer or the refusal shown.
import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { LiveBatch, WatchState } from "./bindings";
import { MessagesPage } from "./pages/messages/MessagesPage";
import { countOnAws, WatchAws } from "./pages/messages/WatchAws";
import { axeViolations } from "./test/axe";
import {
  callsOf,
  device,
  integration,
  lastMessageChannel,
  messageRow,
  mockCommands,
  resetCommandsEachTest,
} from "./test/tauri";
import { fakeViewport } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();

const farm = integration({ id: "int-1", name: "Farm sensors" });
const city = integration({ id: "int-2", name: "City" });
const watching: WatchState = {
  integration_id: "int-1",
  thing: "helium-bridge-monitor-int-1",
  phase: "watching",
  detail: "watching helium/uplinks and helium/devices/+/down as helium-bridge-monitor-int-1",
  seen: 12,
  downlinks: 1,
};

describe("Watch AWS", () => {
  it("turns the chosen integration's monitor on and shows what it sees, then off", async () => {
    let on = false;
    mockCommands({
      watch_aws: (args) => {
        on = args.on as boolean;
        return on ? [watching] : [];
      },
      watch_states: () => (on ? [watching] : []),
    });
    const counts = { "int-1": { seen: 3, downlinks: 1 }, "int-2": { seen: 9, downlinks: 0 } };
    const { container } = render(<WatchAws integrations={[farm, city]} preferred="" counts={counts} />);
    expect(screen.getByTestId("watch-state")).toHaveTextContent("Not watching AWS.");
    await userEvent.click(screen.getByTestId("watch-toggle"));
    expect(callsOf("watch_aws")[0]?.[1]).toEqual({ id: "int-1", on: true });
    await waitFor(() => expect(screen.getByTestId("watch-state")).toHaveTextContent("Watching"));
    // What the list shows (its ✓), not the monitor's own tally (12).
    expect(screen.getByTestId("watch-state")).toHaveTextContent("In the list: 3 uplinks seen on AWS, 1 downlink seen on AWS");
    expect(screen.getByTestId("watch-state")).toHaveAttribute(
      "title",
      `${watching.detail} (connected as helium-bridge-monitor-int-1)`,
    );
    expect(screen.getByTestId("watch-toggle")).toHaveTextContent("Stop watching AWS");
    expect(await axeViolations(container)).toEqual([]);
    await userEvent.click(screen.getByTestId("watch-toggle"));
    expect(callsOf("watch_aws")[1]?.[1]).toEqual({ id: "int-1", on: false });
    await waitFor(() => expect(screen.getByTestId("watch-state")).toHaveTextContent("Not watching AWS."));
  });

  it("labels whose monitor watches, so it does not read as a second filter, and says what ✓ means", async () => {
    let on = false;
    mockCommands({
      watch_aws: () => {
        on = true;
        return [watching];
      },
      watch_states: () => (on ? [watching] : []),
    });
    render(<WatchAws integrations={[farm, city]} preferred="" />);
    expect(screen.getByRole("combobox", { name: "Watch on AWS as:" })).toHaveValue("int-1");
    expect(screen.getByText("Watch on AWS as:")).toBeVisible();
    // Nothing to explain until there is a watch or a ✓.
    expect(screen.queryByTestId("watch-legend")).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId("watch-toggle"));
    expect(await screen.findByTestId("watch-legend")).toHaveTextContent("✓ = AWS echoed it back: seen on AWS");
  });

  it("counts the uplinks and AWS downlinks the list shows, by integration", () => {
    const at = 1_700_000_000_000;
    expect(
      countOnAws([
        messageRow({ id: 1, seen_ms: at }),
        messageRow({ id: 2, kind: "join", seen_ms: at }),
        messageRow({ id: 3 }),
        messageRow({ id: 4, integration_id: "int-2", seen_ms: at }),
        messageRow({ id: 5, kind: "aws_downlink", direction: "down" }),
        messageRow({ id: 6, kind: "downlink", direction: "down" }),
      ]),
    ).toEqual({ "int-1": { seen: 2, downlinks: 1 }, "int-2": { seen: 1, downlinks: 0 } });
  });

  it("says as many seen on AWS as the list has ✓, at once and from earlier watches too", async () => {
    const restore = fakeViewport(480);
    try {
      // The monitor's own tally lags (it is polled) and starts again with each watch: 0 here.
      mockCommands({
        list_integrations: [farm],
        watch_states: [{ ...watching, seen: 0, downlinks: 0 }],
        // Marked seen by an earlier watch, kept in the history.
        search_history: { rows: [messageRow({ id: 1, uuid: "u-1", seen_ms: 1_700_000_001_100 })], next: null },
      });
      render(<MessagesPage />);
      const state = await screen.findByTestId("watch-state");
      await waitFor(() => expect(state).toHaveTextContent("Watching In the list: 1 uplink seen on AWS"));
      expect(screen.getAllByTestId("seen-on-aws")).toHaveLength(1);
      // AWS echoes the next one: the ✓ and the count together.
      act(() =>
        lastMessageChannel().onmessage({
          rows: [messageRow({ id: 2, uuid: "u-2" })],
          skipped: 0,
          seen: [{ integration_id: "int-1", uuid: "u-2", at_ms: 1_700_000_002_100 }],
        } satisfies LiveBatch),
      );
      expect(screen.getAllByTestId("seen-on-aws")).toHaveLength(2);
      expect(state).toHaveTextContent("2 uplinks seen on AWS");
    } finally {
      restore();
    }
  });

  it("watches the integration the filter shows, and says why it cannot", async () => {
    mockCommands({
      watch_aws: { reject: { code: "unavailable", message: "the bridge is not running" } },
    });
    render(<WatchAws integrations={[farm, city]} preferred="int-2" />);
    expect(screen.queryByTestId("watch-integration")).not.toBeInTheDocument();
    expect(screen.getByTestId("watch-integration-name")).toHaveTextContent("Watch on AWS as: City (the Integration filter's)");
    await userEvent.click(screen.getByTestId("watch-toggle"));
    expect(callsOf("watch_aws")[0]?.[1]).toEqual({ id: "int-2", on: true });
    expect(await screen.findByTestId("watch-error")).toHaveTextContent("the bridge is not running");
  });

  it("shows why a monitor fails", async () => {
    const failing: WatchState = {
      ...watching,
      phase: "failing",
      detail: "no identity for the monitor thing helium-bridge-monitor-int-1: cannot read certs/x.cert.pem",
    };
    mockCommands({ watch_states: [failing] });
    render(<WatchAws integrations={[farm]} preferred="" />);
    await waitFor(() => expect(screen.getByTestId("watch-state")).toHaveTextContent("Failing"));
    expect(screen.getByTestId("watch-state")).toHaveTextContent("cannot read certs/x.cert.pem");
    expect(screen.getByText(/no identity for the monitor thing/)).toHaveClass("field-error");
  });

  it("publishes a downlink through AWS for the chosen device and shows AWS's answer or the refusal", async () => {
    let refuse = false;
    mockCommands({
      list_devices: [device(1), device(2)],
      publish_downlink_via_aws: (args) => {
        if (refuse) return { reject: { code: "invalid", message: "the downlink is not JSON: EOF" } };
        return `helium/devices/${args.device as string}/down`;
      },
    });
    render(<WatchAws integrations={[farm]} preferred="" />);
    await userEvent.click(screen.getByTestId("publish-downlink"));
    await waitFor(() => expect(screen.getByTestId("publish-device")).toHaveValue("dev-1"));
    await userEvent.selectOptions(screen.getByTestId("publish-device"), "dev-2");
    await userEvent.clear(screen.getByTestId("publish-body"));
    await userEvent.type(screen.getByTestId("publish-body"), '{{"payload_raw":"AQ==","port":2}');
    await userEvent.click(screen.getByTestId("publish-send"));
    expect(callsOf("publish_downlink_via_aws")[0]?.[1]).toEqual({
      id: "int-1",
      device: "dev-2",
      downlink: '{"payload_raw":"AQ==","port":2}',
    });
    expect(await screen.findByTestId("publish-result")).toHaveTextContent(
      "AWS acknowledged it on helium/devices/dev-2/down",
    );
    refuse = true;
    await userEvent.click(screen.getByTestId("publish-send"));
    await waitFor(() => expect(screen.getByTestId("publish-result")).toHaveTextContent("the downlink is not JSON: EOF"));
    expect(screen.getByTestId("publish-result")).toHaveClass("inline-error");
  });

  it("says when the devices cannot be listed, and sends nothing", async () => {
    mockCommands({ list_devices: { reject: { message: "database is locked" } } });
    render(<WatchAws integrations={[farm]} preferred="" />);
    await userEvent.click(screen.getByTestId("simulate-uplink"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not list the devices: database is locked");
    expect(screen.getByTestId("simulate-send")).toBeDisabled();
  });

  it("simulates an uplink for the chosen device, checks the port, and says where it went or why not", async () => {
    let answer: unknown = 1;
    mockCommands({
      list_devices: [device(1), device(2)],
      simulate_uplink: () => answer as number,
    });
    render(<WatchAws integrations={[farm]} preferred="" />);
    await userEvent.click(screen.getByTestId("simulate-uplink"));
    await waitFor(() => expect(screen.getByTestId("simulate-device")).toHaveValue("dev-1"));
    await userEvent.clear(screen.getByTestId("simulate-port"));
    await userEvent.type(screen.getByTestId("simulate-port"), "300");
    expect(screen.getByText("A port is 0 to 255.")).toBeInTheDocument();
    await userEvent.click(screen.getByTestId("simulate-send"));
    expect(await screen.findByTestId("simulate-result")).toHaveTextContent("A port is 0 to 255.");
    expect(callsOf("simulate_uplink")).toHaveLength(0);

    await userEvent.clear(screen.getByTestId("simulate-port"));
    await userEvent.type(screen.getByTestId("simulate-port"), "7");
    // Base64 unless said, as Helium's JSON has it; sent as its bytes in hex, so the core cannot
    // read base64 that looks like hex as hex.
    expect(screen.getByTestId("simulate-format-base64")).toBeChecked();
    await userEvent.clear(screen.getByTestId("simulate-payload"));
    await userEvent.type(screen.getByTestId("simulate-payload"), "AQID");
    expect(screen.getByTestId("simulate-payload")).toHaveAccessibleDescription("3 bytes: 01 02 03");
    await userEvent.click(screen.getByTestId("simulate-send"));
    expect(callsOf("simulate_uplink")[0]?.[1]).toEqual({ id: "dev-1", port: 7, payload: "0x010203" });
    await waitFor(() => expect(screen.getByTestId("simulate-result")).toHaveTextContent("Sent to 1 integration;"));

    answer = 0;
    await userEvent.click(screen.getByTestId("simulate-send"));
    await waitFor(() =>
      expect(screen.getByTestId("simulate-result")).toHaveTextContent("no integration shares a label with this device"),
    );
    answer = { reject: { code: "invalid", message: "uplink from Sensor 1 (fcnt 0) rejected: payload is 243 bytes" } };
    await userEvent.click(screen.getByTestId("simulate-send"));
    await waitFor(() => expect(screen.getByTestId("simulate-result")).toHaveTextContent("payload is 243 bytes"));
    expect(screen.getByTestId("simulate-result")).toHaveClass("inline-error");
  });

  it("reads the simulated payload in the format chosen, never guessed, and names it when it does not parse", async () => {
    mockCommands({ list_devices: [device(1)], simulate_uplink: 1 });
    render(<WatchAws integrations={[farm]} preferred="" />);
    await userEvent.click(screen.getByTestId("simulate-uplink"));
    await waitFor(() => expect(screen.getByTestId("simulate-device")).toHaveValue("dev-1"));
    const payload = screen.getByTestId("simulate-payload");
    // "AAAA" is hex too: as base64 (chosen) it is three zero bytes.
    await userEvent.clear(payload);
    await userEvent.type(payload, "AAAA");
    expect(payload).toHaveAccessibleDescription("3 bytes: 00 00 00");
    await userEvent.click(screen.getByTestId("simulate-send"));
    await waitFor(() => expect(callsOf("simulate_uplink")).toHaveLength(1));
    expect(callsOf("simulate_uplink")[0]?.[1]).toMatchObject({ payload: "0x000000" });
    // As hex, two bytes aa aa.
    await userEvent.click(screen.getByRole("radio", { name: "Hex" }));
    expect(payload).toHaveAccessibleDescription("2 bytes: aa aa");
    await userEvent.click(screen.getByTestId("simulate-send"));
    await waitFor(() => expect(callsOf("simulate_uplink")).toHaveLength(2));
    expect(callsOf("simulate_uplink")[1]?.[1]).toMatchObject({ payload: "0xaaaa" });
    // Not the chosen format: said at the field, by name, and nothing sent.
    await userEvent.click(screen.getByRole("radio", { name: "Base64" }));
    await userEvent.clear(payload);
    await userEvent.type(payload, "01 02 0");
    await userEvent.click(screen.getByTestId("simulate-send"));
    expect(await screen.findByTestId("simulate-result")).toHaveTextContent(/^Not base64: /);
    expect(payload).toHaveAttribute("aria-invalid", "true");
    expect(payload).toHaveAccessibleDescription(expect.stringContaining("Not base64:"));
    expect(callsOf("simulate_uplink")).toHaveLength(2);
  });
});
