// The Devices page's list: search, sort, label filter, and reading it again as uplinks come.

import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { DevicesPage } from "./pages/DevicesPage";
import { DEVICES_REFRESH_MS } from "./pages/deviceName";
import { callsOf, device, deviceDetails, mockCommands, resetCommandsEachTest } from "./test/tauri";
import { fakeViewportEachTest } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();
fakeViewportEachTest(480);

describe("Devices page search, sort and label filter", () => {
  const devices = [
    { ...device(1), name: "Barn door", uplinks: 5, last_seen_ms: 3_000 },
    { ...device(2), name: "Attic", uplinks: 50, last_seen_ms: null },
    { ...device(3), name: "Cellar", uplinks: 20, last_seen_ms: 9_000 },
  ];
  const names = () => screen.getAllByTestId("device-row").map((r) => within(r).getByRole("button").textContent);

  it("searches by name, DevEUI or id; sorts; filters by label", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_devices: devices,
      list_labels: [
        { id: "l1", name: "farm", device_count: 2, integration_count: 1, devices: ["dev-1", "dev-3"], integrations: [] },
      ],
    });
    render(<DevicesPage />);
    await screen.findAllByTestId("device-row");
    expect(names()).toEqual(["Attic", "Barn door", "Cellar"]);

    await user.selectOptions(screen.getByLabelText("Sort by"), "uplinks");
    expect(names()).toEqual(["Attic", "Cellar", "Barn door"]);
    await user.selectOptions(screen.getByLabelText("Sort by"), "last_seen");
    expect(names()).toEqual(["Cellar", "Barn door", "Attic"]);

    const search = screen.getByLabelText("Search");
    await user.type(search, "barn");
    await waitFor(() => expect(names()).toEqual(["Barn door"]));
    expect(screen.getByTestId("devices-count")).toHaveTextContent("Showing 1 of 3");
    await user.clear(search);
    await user.type(search, "0000000000000003");
    await waitFor(() => expect(names()).toEqual(["Cellar"]));
    await user.clear(search);
    await user.type(search, "DEV-2");
    await waitFor(() => expect(names()).toEqual(["Attic"]));
    await user.clear(search);

    await user.selectOptions(screen.getByLabelText("Label"), "l1");
    await waitFor(() => expect(names()).toEqual(["Cellar", "Barn door"]));
    await user.type(search, "nothing like it");
    expect(await screen.findByTestId("devices-no-match")).toBeInTheDocument();
  });

  it("reads the list again every few seconds: an uplink names a device and counts, unannounced", async () => {
    // Each read is due a while after the last one's answer: its timer is what is faked.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const unheard = { ...device(4), name: "0000000000000004", dev_eui: "0000000000000004", source: "", last_seen_ms: null, uplinks: 0 };
      let heard = false;
      mockCommands({
        list_devices: () => [heard ? { ...unheard, name: "Sensor 4", source: "src-1", last_seen_ms: Date.now(), uplinks: 3 } : unheard],
        list_labels: [],
      });
      render(<DevicesPage />);
      await act(() => vi.advanceTimersByTimeAsync(50));
      expect(names()).toEqual(["Not heard yet"]);
      heard = true;
      await act(() => vi.advanceTimersByTimeAsync(DEVICES_REFRESH_MS));
      expect(names()).toEqual(["Sensor 4"]);
      expect(screen.getAllByTestId("device-row")[0]).toHaveTextContent(/just now\s*3/);
      expect(callsOf("list_devices")).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not read the list behind an open device, and reads it again on the way back", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      // (Clicks without userEvent: its waits are timers too.)
      mockCommands({ list_devices: [device(1)], list_labels: [], device_details: deviceDetails() });
      render(<DevicesPage />);
      await act(() => vi.advanceTimersByTimeAsync(50));
      fireEvent.click(screen.getByRole("button", { name: "Sensor 1" }));
      await act(() => vi.advanceTimersByTimeAsync(50));
      expect(screen.getByTestId("device-details-page")).toBeInTheDocument();
      const whileOpen = callsOf("list_devices").length;
      await act(() => vi.advanceTimersByTimeAsync(3 * DEVICES_REFRESH_MS));
      expect(callsOf("list_devices")).toHaveLength(whileOpen);
      fireEvent.click(screen.getByRole("button", { name: /back/i }));
      await act(() => vi.advanceTimersByTimeAsync(50));
      expect(screen.queryByTestId("device-details-page")).not.toBeInTheDocument();
      expect(callsOf("list_devices")).toHaveLength(whileOpen + 1);
      await act(() => vi.advanceTimersByTimeAsync(DEVICES_REFRESH_MS));
      expect(callsOf("list_devices")).toHaveLength(whileOpen + 2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("sorts devices not heard yet after the named ones, not by the DevEUI they stand under", async () => {
    const unheard = {
      ...device(4),
      name: "0000000000000004",
      dev_eui: "0000000000000004",
      source: "",
      last_seen_ms: null,
      uplinks: 0,
    };
    mockCommands({ list_devices: [unheard, ...devices], list_labels: [] });
    render(<DevicesPage />);
    await screen.findAllByTestId("device-row");
    expect(names()).toEqual(["Attic", "Barn door", "Cellar", "Not heard yet"]);
  });
});
