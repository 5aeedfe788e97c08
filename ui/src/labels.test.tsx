import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type { LabelSummary, Target } from "./bindings";
import { MEMBER_ROW_HEIGHT, parseDeviceRef } from "./pages/LabelMembers";
import { LabelsPage } from "./pages/LabelsPage";
import { callsOf, changesChannel, device, integration, mockCommands, resetCommandsEachTest } from "./test/tauri";
import { declarations } from "./test/css";
import { fakeViewport } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();

const farm: LabelSummary = {
  id: "l1",
  name: "farm",
  device_count: 12,
  integration_count: 1,
  devices: Array.from({ length: 12 }, (_, i) => `d${i}`),
  integrations: ["i1"],
};

describe("Labels page editing", () => {
  it("creates a label and shows the list with it", async () => {
    const user = userEvent.setup();
    let labels: LabelSummary[] = [];
    mockCommands({
      list_labels: () => labels,
      create_label: (args: Record<string, unknown>) => {
        labels = [{ id: "n1", name: String(args.name), device_count: 0, integration_count: 0, devices: [], integrations: [] }];
        return { id: "n1", name: String(args.name) };
      },
    });
    render(<LabelsPage />);
    expect(await screen.findByTestId("labels-empty")).toBeInTheDocument();
    expect(screen.getByTestId("new-label-add")).toBeDisabled();
    await user.type(screen.getByTestId("new-label-name"), "warehouse");
    await user.click(screen.getByTestId("new-label-add"));
    expect(await screen.findByTestId("label-row")).toHaveTextContent("warehouse");
    expect(invoke).toHaveBeenCalledWith("create_label", { name: "warehouse" });
    expect(screen.getByTestId("new-label-name")).toHaveValue("");
  });

  it("shows why a name is refused and keeps what was typed", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_labels: [farm],
      create_label: { reject: { message: 'a label named "farm" already exists' } },
    });
    render(<LabelsPage />);
    await screen.findByTestId("label-row");
    await user.type(screen.getByTestId("new-label-name"), "Farm");
    await user.click(screen.getByTestId("new-label-add"));
    expect(await screen.findByTestId("new-label-error")).toHaveTextContent('a label named "farm" already exists');
    expect(screen.getByTestId("new-label-name")).toHaveValue("Farm");
  });

  it("renames in place; Escape cancels and gives focus back", async () => {
    const user = userEvent.setup();
    let labels = [farm];
    mockCommands({
      list_labels: () => labels,
      rename_label: (args: Record<string, unknown>) => {
        labels = [{ ...farm, name: String(args.name) }];
        return { id: String(args.id), name: String(args.name) };
      },
    });
    render(<LabelsPage />);
    const row = await screen.findByTestId("label-row");
    await user.click(within(row).getByTestId("rename-label"));
    await user.keyboard("{Escape}");
    expect(within(row).getByTestId("rename-label")).toHaveFocus();
    await user.click(within(row).getByTestId("rename-label"));
    const input = within(row).getByTestId("rename-label-input");
    await user.clear(input);
    await user.type(input, "orchard{Enter}");
    expect(invoke).toHaveBeenCalledWith("rename_label", { id: "l1", name: "orchard" });
    expect(await screen.findByText("orchard")).toBeInTheDocument();
  });

  it("says what deleting disconnects, then deletes", async () => {
    const user = userEvent.setup();
    let labels = [farm];
    mockCommands({
      list_labels: () => labels,
      remove_label: (args: Record<string, unknown>) => {
        labels = [];
        return { id: String(args.id), name: "farm" };
      },
    });
    render(<LabelsPage />);
    await user.click(await screen.findByTestId("delete-label"));
    const dialog = screen.getByTestId("delete-label-dialog");
    expect(within(dialog).getByTestId("delete-label-effect")).toHaveTextContent(
      "12 devices and 1 integration lose it. Devices that reach an integration only through this label stop being forwarded there.",
    );
    await user.click(within(dialog).getByTestId("delete-label-confirm"));
    expect(await screen.findByTestId("labels-empty")).toBeInTheDocument();
    expect(invoke).toHaveBeenCalledWith("remove_label", { id: "l1" });
  });

  it("keeps Tab in the delete dialog and gives focus back to Delete on Escape", async () => {
    const user = userEvent.setup();
    mockCommands({ list_labels: [farm] });
    render(<LabelsPage />);
    const opener = await screen.findByTestId("delete-label");
    await user.click(opener);
    const dialog = screen.getByTestId("delete-label-dialog");
    // Cancel first: the safe choice of a destructive dialog.
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    // Every Tab and Shift+Tab stays among the dialog's own buttons.
    for (const shift of [false, false, false, true, true, true]) {
      await user.tab({ shift });
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("delete-label-dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it("reloads when the CLI changes labels", async () => {
    let labels: LabelSummary[] = [];
    mockCommands({ list_labels: () => labels });
    render(<LabelsPage />);
    expect(await screen.findByTestId("labels-empty")).toBeInTheDocument();
    const channel = changesChannel();
    expect(channel).toBeDefined();
    labels = [farm];
    act(() => {
      channel?.onmessage({ what: ["devices"] });
      channel?.onmessage({ what: ["labels"] });
    });
    expect(await screen.findByTestId("label-row")).toHaveTextContent("farm");
    expect(callsOf("list_labels")).toHaveLength(2);
  });
});

describe("parseDeviceRef", () => {
  it("accepts a DevEUI (pasted with separators too) or a Console id, as the core stores them", () => {
    expect(parseDeviceRef(" a84041000181b3c2 ")).toBe("A84041000181B3C2");
    expect(parseDeviceRef("A8:40:41:00:01:81:B3:C2")).toBe("A84041000181B3C2");
    expect(parseDeviceRef("a8-40-41-00-01-81-b3-c2")).toBe("A84041000181B3C2");
    expect(parseDeviceRef("3F2504E0-4F89-41D3-9A0C-0305E82C3301")).toBe("3f2504e0-4f89-41d3-9a0c-0305e82c3301");
    expect(parseDeviceRef("A84041000181B3C")).toBeNull();
    expect(parseDeviceRef("not-a-device")).toBeNull();
    expect(parseDeviceRef("")).toBeNull();
  });
});

describe("Label members", () => {
  const VIEWPORT = 480;
  let restore: (() => void) | undefined;

  beforeEach(() => {
    restore = fakeViewport(VIEWPORT);
  });

  afterEach(() => restore?.());

  /** "farm" on dev-2 and dev-4 and on the first integration. */
  const label = (devices: string[] = ["dev-2", "dev-4"], integrations: string[] = ["int-1"]): LabelSummary => ({
    id: "l1",
    name: "farm",
    device_count: devices.length,
    integration_count: integrations.length,
    devices,
    integrations,
  });
  const fiveDevices = Array.from({ length: 5 }, (_, i) => device(i + 1));
  const twoIntegrations = [integration(), integration({ id: "int-2", name: "Water meters", active: false })];

  /** The mocked core keeps the label's members and applies attach/detach to them. */
  function core(initial: LabelSummary) {
    let current = initial;
    const apply = (args: Record<string, unknown>, attach: boolean) => {
      const targets = args.targets as Target[];
      const edit = (ids: string[], kind: Target["kind"]) => {
        const mine = targets.filter((t) => t.kind === kind).map((t) => t.id);
        return attach ? [...ids, ...mine.filter((id) => !ids.includes(id))] : ids.filter((id) => !mine.includes(id));
      };
      const devices = edit(current.devices, "device");
      const integrations = edit(current.integrations, "integration");
      current = { ...current, devices, integrations, device_count: devices.length, integration_count: integrations.length };
      return { label: { id: current.id, name: current.name }, warnings: [] };
    };
    return {
      list_labels: () => [current],
      attach_label: (args: Record<string, unknown>) => apply(args, true),
      detach_label: (args: Record<string, unknown>) => apply(args, false),
    };
  }

  async function openMembers(user: ReturnType<typeof userEvent.setup>) {
    const row = await screen.findByTestId("label-row");
    const opener = within(row).getByRole("button", { name: "Devices & integrations of farm" });
    await user.click(opener);
    const dialog = screen.getByRole("dialog", { name: 'Devices and integrations labelled "farm"' });
    return { dialog, opener };
  }

  it("opens a label's members; Escape closes and gives focus back", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label()), list_devices: fiveDevices, list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog, opener } = await openMembers(user);

    const farmSensors = await within(dialog).findByRole("checkbox", { name: "Farm sensors" });
    expect(farmSensors).toBeChecked();
    expect(within(dialog).getByRole("checkbox", { name: "Water meters" })).not.toBeChecked();
    // The user's on/off choice, as a neutral badge: not a green health badge with its dot.
    const badges = within(dialog).getAllByTestId("integration-enabled");
    expect(badges.map((b) => b.textContent)).toEqual(["Enabled", "Disabled"]);
    for (const b of badges) {
      expect(b).toHaveClass("badge-setting");
      expect(b).not.toHaveClass("badge-active");
    }
    expect(await declarations("controls.css", ".badge-setting::before")).toContain("content: none");
    expect(within(dialog).queryByText(/^(Active|Inactive)$/)).not.toBeInTheDocument();
    // Each list says how its changes apply: integrations at once, devices with the buttons.
    expect(within(dialog).getByTestId("members-integrations-mode")).toHaveTextContent("Applied at once");
    expect(within(dialog).getByTestId("members-devices-mode")).toHaveTextContent(
      "Tick devices, then attach or detach them with the buttons under the list.",
    );

    const rows = await within(dialog).findAllByTestId("member-device-row");
    expect(rows).toHaveLength(5);
    expect(rows[0]).toHaveTextContent("Sensor 1");
    expect(rows[0]).toHaveTextContent("Not attached");
    expect(rows[1]).toHaveTextContent("Attached");
    expect(within(dialog).getByTestId("members-count")).toHaveTextContent("Showing 5 of 5 devices · 2 carry this label");
    // The table's scroll region takes focus (keyboard scrolling), under a name.
    const scroller = within(dialog).getByRole("region", { name: "Device list (scrollable)" });
    expect(scroller).toHaveAttribute("tabindex", "0");

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it("keeps Tab inside the dialog", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label()), list_devices: fiveDevices, list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    await within(dialog).findAllByTestId("member-device-row");
    // The × in the title bar first, then the dialog's controls in order; Close at the end.
    await user.tab();
    expect(within(dialog).getByTestId("label-members-dialog-x")).toHaveFocus();
    await user.tab();
    expect(within(dialog).getByRole("checkbox", { name: "Farm sensors" })).toHaveFocus();
    await user.tab({ shift: true });
    await user.tab({ shift: true });
    expect(within(dialog).getByTestId("members-close")).toHaveFocus();
    await user.tab();
    expect(within(dialog).getByTestId("label-members-dialog-x")).toHaveFocus();
  });

  it("counts one carrier in the singular; the × in its title bar closes it too", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label(["dev-2"])), list_devices: fiveDevices, list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog, opener } = await openMembers(user);
    expect(await within(dialog).findByTestId("members-count")).toHaveTextContent(
      "Showing 5 of 5 devices · 1 carries this label",
    );
    // A device not heard from yet (no last uplink) says so in words.
    const rows = within(dialog).getAllByTestId("member-device-row");
    expect(rows[1]).toHaveTextContent("never");

    const x = within(dialog).getByTestId("label-members-dialog-x");
    expect(x).toHaveAccessibleName("Close");
    await user.click(x);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it("names a device not heard yet with a placeholder, not its DevEUI twice", async () => {
    const user = userEvent.setup();
    const unheard = { ...device(9), name: "0102030405060708", dev_eui: "0102030405060708", source: "", last_seen_ms: null, uplinks: 0 };
    mockCommands({ ...core(label()), list_devices: [device(1), unheard], list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    const rows = await within(dialog).findAllByTestId("member-device-row");
    expect(rows[0]).toHaveTextContent("Sensor 1");
    expect(rows[1]).toHaveTextContent("Not heard yet");
    expect(rows[1]!.textContent?.split("0102030405060708")).toHaveLength(2);
    // Said once: its Last seen is "never", not the name's placeholder again.
    expect(rows[1]!.textContent?.match(/not heard yet/gi)).toHaveLength(1);
  });

  it("attaches the label to two selected devices in one call", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label()), list_devices: fiveDevices, list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    await within(dialog).findAllByTestId("member-device-row");

    const attach = within(dialog).getByTestId("members-attach");
    expect(attach).toBeDisabled();
    // Nothing ticked: no "0 selected" to puzzle over, and the tooltip says what to do.
    expect(attach).toHaveTextContent(/^Attach label to selected$/);
    expect(attach).toHaveAttribute("title", "Tick devices in the list first");
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 1" }));
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 3" }));
    // dev-2 already carries it: selecting it changes what detach would do, not attach.
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 2" }));
    expect(within(dialog).getByTestId("members-selected")).toHaveTextContent("3 devices selected");
    expect(attach).toHaveTextContent("Attach label to 2 selected");
    expect(within(dialog).getByTestId("members-detach")).toHaveTextContent("Detach label from 1 selected");

    await user.click(attach);
    expect(await within(dialog).findByTestId("members-devices-feedback")).toHaveTextContent(
      'Attached "farm" to 2 devices',
    );
    expect(callsOf("attach_label")).toEqual([
      [
        "attach_label",
        {
          id: "l1",
          targets: [
            { kind: "device", id: "dev-1" },
            { kind: "device", id: "dev-3" },
          ],
        },
      ],
    ]);
    // Reloaded: the new members show, and the selection is cleared.
    await waitFor(() => expect(within(dialog).getByTestId("members-count")).toHaveTextContent("4 carry this label"));
    expect(within(dialog).getAllByTestId("member-device-row")[0]).toHaveTextContent("Attached");
    expect(within(dialog).getByTestId("members-selected")).toHaveTextContent("0 devices selected");
    expect(within(screen.getByTestId("label-row")).getByText("4 devices")).toBeInTheDocument();
  });

  it("warns at once when the attach gives a device a second decoder", async () => {
    const user = userEvent.setup();
    const mocks = core(label());
    const conflict = 'device "Sensor 1" (dev-1): its labels attach 2 decoders ("lpp" through farm; "js" through roof)';
    mockCommands({
      ...mocks,
      list_devices: fiveDevices,
      list_integrations: twoIntegrations,
      attach_label: (args) => ({ ...mocks.attach_label(args), warnings: [conflict] }),
    });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    await within(dialog).findAllByTestId("member-device-row");
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 1" }));
    await user.click(within(dialog).getByTestId("members-attach"));
    expect(await within(dialog).findByTestId("members-devices-feedback")).toHaveTextContent(
      'Attached "farm" to 1 device',
    );
    const warning = within(dialog).getByTestId("members-devices-feedback-warnings");
    expect(warning).toHaveTextContent(conflict);
    expect(warning).toHaveAttribute("role", "alert");
  });

  it("detaches the label from the selected devices that carry it, and says so while it works", async () => {
    const user = userEvent.setup();
    let finish: (() => void) | undefined;
    mockCommands({ ...core(label()), list_devices: fiveDevices, list_integrations: twoIntegrations });
    // detach_label answers only when the test lets it, to see the busy state.
    const answer = vi.mocked(invoke).getMockImplementation();
    vi.mocked(invoke).mockImplementation((cmd, args) =>
      cmd === "detach_label"
        ? new Promise((resolve) => {
            finish = () => resolve(answer?.(cmd, args));
          })
        : (answer?.(cmd, args) ?? Promise.reject(new Error("no mock"))),
    );
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    await within(dialog).findAllByTestId("member-device-row");

    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 2" }));
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 4" }));
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 5" }));
    const detach = within(dialog).getByTestId("members-detach");
    expect(detach).toHaveTextContent("Detach label from 2 selected");
    await user.click(detach);
    expect(detach).toHaveTextContent("Detaching…");
    expect(detach).toBeDisabled();
    expect(within(dialog).getByTestId("members-attach")).toBeDisabled();
    await act(async () => finish?.());

    expect(await within(dialog).findByTestId("members-devices-feedback")).toHaveTextContent(
      'Detached "farm" from 2 devices',
    );
    expect(callsOf("detach_label")).toEqual([
      [
        "detach_label",
        {
          id: "l1",
          targets: [
            { kind: "device", id: "dev-2" },
            { kind: "device", id: "dev-4" },
          ],
        },
      ],
    ]);
    await waitFor(() => expect(within(dialog).getByTestId("members-count")).toHaveTextContent("0 carry this label"));
  });

  it("filters by membership and by text; the selection survives filtering", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label()), list_devices: fiveDevices, list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    await within(dialog).findAllByTestId("member-device-row");
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 1" }));

    await user.selectOptions(within(dialog).getByLabelText("Show"), "With this label");
    let rows = within(dialog).getAllByTestId("member-device-row");
    expect(rows.map((r) => within(r).getByText(/^Sensor/).textContent)).toEqual(["Sensor 2", "Sensor 4"]);
    expect(within(dialog).getByTestId("members-selected")).toHaveTextContent("1 device selected (1 hidden by the filter)");

    await user.selectOptions(within(dialog).getByLabelText("Show"), "Without this label");
    rows = within(dialog).getAllByTestId("member-device-row");
    expect(rows.map((r) => within(r).getByText(/^Sensor/).textContent)).toEqual(["Sensor 1", "Sensor 3", "Sensor 5"]);

    await user.type(within(dialog).getByLabelText("Filter devices"), "0000000000000005");
    rows = await within(dialog).findAllByTestId("member-device-row");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent("Sensor 5");

    await user.clear(within(dialog).getByLabelText("Filter devices"));
    await user.type(within(dialog).getByLabelText("Filter devices"), "nothing like it");
    expect(await within(dialog).findByText("No device matches this filter.")).toBeInTheDocument();
    expect(within(dialog).getByRole("checkbox", { name: "Select all shown devices" })).toBeDisabled();

    // The first Escape clears the filter, the second closes the dialog.
    await user.keyboard("{Escape}");
    expect(within(dialog).getByLabelText("Filter devices")).toHaveValue("");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("shows the core's refusal and keeps the selection", async () => {
    const user = userEvent.setup();
    mockCommands({
      ...core(label()),
      list_devices: fiveDevices,
      list_integrations: twoIntegrations,
      attach_label: { reject: { message: 'label "farm" was deleted' } },
    });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    await within(dialog).findAllByTestId("member-device-row");
    await user.click(within(dialog).getByRole("checkbox", { name: "Select device Sensor 1" }));
    await user.click(within(dialog).getByTestId("members-attach"));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent('label "farm" was deleted');
    expect(within(dialog).getByRole("checkbox", { name: "Select device Sensor 1" })).toBeChecked();
    expect(within(dialog).getByTestId("members-attach")).toBeEnabled();
  });

  it("attaches and detaches an integration with its checkbox", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label()), list_devices: fiveDevices, list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    await user.click(await within(dialog).findByRole("checkbox", { name: "Water meters" }));
    expect(await within(dialog).findByTestId("members-integrations-feedback")).toHaveTextContent(
      'Attached "farm" to Water meters',
    );
    expect(invoke).toHaveBeenCalledWith("attach_label", { id: "l1", targets: [{ kind: "integration", id: "int-2" }] });
    await user.click(within(dialog).getByRole("checkbox", { name: "Farm sensors" }));
    expect(await within(dialog).findByText('Detached "farm" from Farm sensors')).toBeInTheDocument();
    expect(invoke).toHaveBeenCalledWith("detach_label", { id: "l1", targets: [{ kind: "integration", id: "int-1" }] });
    // The ticks come from the label, which the page reloads after the change is said.
    await waitFor(() => expect(within(dialog).getByRole("checkbox", { name: "Farm sensors" })).not.toBeChecked());
    expect(within(dialog).getByRole("checkbox", { name: "Water meters" })).toBeChecked();
  });

  it("checks a DevEUI before sending it, and shows the core's refusal", async () => {
    const user = userEvent.setup();
    let devices = fiveDevices;
    const mocks = core(label());
    let refuse = true;
    mockCommands({
      ...mocks,
      list_devices: () => devices,
      list_integrations: twoIntegrations,
      attach_label: (args) => {
        if (refuse) return { reject: { message: "database is locked" } };
        const eui = "A84041000181B3C2";
        devices = [...fiveDevices, { ...device(99), id: "eui-a84041000181b3c2", name: eui, dev_eui: eui, last_seen_ms: null }];
        return mocks.attach_label({ ...args, targets: [{ kind: "device", id: "eui-a84041000181b3c2" }] });
      },
    });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    const input = within(dialog).getByLabelText("Attach to a DevEUI…");

    await user.type(input, "A84041000181B3C{Enter}");
    expect(within(dialog).getByTestId("members-ref-invalid")).toHaveTextContent("16 hex digits");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(callsOf("attach_label")).toHaveLength(0);

    await user.clear(input);
    await user.type(input, "a8:40:41:00:01:81:b3:c2");
    expect(within(dialog).queryByTestId("members-ref-invalid")).not.toBeInTheDocument();
    await user.click(within(dialog).getByTestId("members-ref-attach"));
    expect(await within(dialog).findByTestId("members-ref-feedback")).toHaveTextContent("database is locked");
    expect(within(dialog).getByTestId("members-ref-feedback")).toHaveAttribute("role", "alert");
    expect(input).toHaveValue("a8:40:41:00:01:81:b3:c2");

    refuse = false;
    await user.click(within(dialog).getByTestId("members-ref-attach"));
    expect(await within(dialog).findByText('Attached "farm" to A84041000181B3C2')).toBeInTheDocument();
    expect(callsOf("attach_label").map(([, args]) => args)).toEqual([
      { id: "l1", targets: [{ kind: "device", id: "A84041000181B3C2" }] },
      { id: "l1", targets: [{ kind: "device", id: "A84041000181B3C2" }] },
    ]);
    expect(input).toHaveValue("");
    // The registered device is listed, carrying the label.
    const row = await waitFor(() => {
      const found = within(dialog)
        .getAllByTestId("member-device-row")
        .find((r) => r.textContent?.includes("A84041000181B3C2"));
      expect(found).toHaveTextContent("Attached");
      return found;
    });
    expect(row).toHaveTextContent("never");
  });

  it("explains where devices and integrations come from when there are none", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label([], [])), list_devices: [], list_integrations: [] });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    expect(await within(dialog).findByTestId("members-devices-empty")).toHaveTextContent(/first uplink/);
    expect(within(dialog).getByTestId("members-devices-empty")).toHaveTextContent(/DevEUI/);
    expect(within(dialog).getByTestId("members-integrations-empty")).toHaveTextContent(/No integrations yet/);
    expect(within(dialog).queryByRole("table")).not.toBeInTheDocument();
    // Adding by DevEUI is still there.
    expect(within(dialog).getByLabelText("Attach to a DevEUI…")).toBeInTheDocument();
  });

  it("shows why devices could not be loaded", async () => {
    const user = userEvent.setup();
    mockCommands({ ...core(label()), list_devices: { reject: { message: "devices unavailable" } } });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("devices unavailable");
  });

  it("virtualises 2,000 devices and selects all shown in one call", async () => {
    const user = userEvent.setup();
    const many = Array.from({ length: 2000 }, (_, i) => device(i + 1));
    mockCommands({ ...core(label()), list_devices: many, list_integrations: twoIntegrations });
    render(<LabelsPage />);
    const { dialog } = await openMembers(user);

    const rows = await within(dialog).findAllByTestId("member-device-row");
    // About one viewport of rows plus overscan, nowhere near 2,000.
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(Math.ceil(VIEWPORT / MEMBER_ROW_HEIGHT) + 2 * 8 + 1);
    expect(within(dialog).getByRole("table")).toHaveAttribute("aria-rowcount", "2001");
    expect(within(dialog).queryByText("Sensor 2000")).not.toBeInTheDocument();

    fireEvent.scroll(within(dialog).getByTestId("members-scroll"), { target: { scrollTop: MEMBER_ROW_HEIGHT * 1990 } });
    expect(await within(dialog).findByText("Sensor 2000")).toBeInTheDocument();
    expect(within(dialog).getAllByTestId("member-device-row").length).toBeLessThan(40);

    // Everything shown, not only the rendered rows, is selected; dev-2 and dev-4 carry it already.
    await user.click(within(dialog).getByRole("checkbox", { name: "Select all shown devices" }));
    expect(within(dialog).getByTestId("members-selected")).toHaveTextContent("2,000 devices selected");
    await user.click(within(dialog).getByTestId("members-attach"));
    await within(dialog).findByText('Attached "farm" to 1,998 devices');
    const sent = callsOf("attach_label");
    expect(sent).toHaveLength(1);
    const targets = (sent[0]?.[1] as { targets: Target[] }).targets;
    expect(targets).toHaveLength(1998);
    expect(targets.map((t) => t.id)).not.toContain("dev-2");
  });
});
