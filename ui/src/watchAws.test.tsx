// Watch AWS on the Messages page: turning the integration's monitor on and off, its state, and
// publishing a downlink through AWS with the answer or the refusal shown.
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { WatchState } from "./bindings";
import { WatchAws } from "./pages/messages/WatchAws";
import { axeViolations } from "./test/axe";
import { callsOf, device, integration, mockCommands, resetCommandsEachTest } from "./test/tauri";

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
    const { container } = render(<WatchAws integrations={[farm, city]} preferred="" />);
    expect(screen.getByTestId("watch-state")).toHaveTextContent("Not watching AWS.");
    await userEvent.click(screen.getByTestId("watch-toggle"));
    expect(callsOf("watch_aws")[0]?.[1]).toEqual({ id: "int-1", on: true });
    await waitFor(() => expect(screen.getByTestId("watch-state")).toHaveTextContent("Watching"));
    expect(screen.getByTestId("watch-state")).toHaveTextContent("12 uplinks seen on AWS, 1 downlink");
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

  it("watches the integration the filter shows, and says why it cannot", async () => {
    mockCommands({
      watch_aws: { reject: { code: "unavailable", message: "the bridge is not running" } },
    });
    render(<WatchAws integrations={[farm, city]} preferred="int-2" />);
    expect(screen.queryByTestId("watch-integration")).not.toBeInTheDocument();
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
    await userEvent.clear(screen.getByTestId("simulate-payload"));
    await userEvent.type(screen.getByTestId("simulate-payload"), "AQID");
    await userEvent.click(screen.getByTestId("simulate-send"));
    expect(callsOf("simulate_uplink")[0]?.[1]).toEqual({ id: "dev-1", port: 7, payload: "AQID" });
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
});
