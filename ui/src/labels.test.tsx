import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { resetChangeStreamForTests } from "./api";
import type { LabelSummary } from "./bindings";
import { LabelsPage } from "./pages/LabelsPage";
import { changesChannel, mockCommands } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

beforeEach(() => {
  vi.mocked(invoke).mockReset();
  resetChangeStreamForTests();
});

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

  it("reloads when the CLI changes labels", async () => {
    let labels: LabelSummary[] = [];
    mockCommands({ list_labels: () => labels });
    render(<LabelsPage />);
    expect(await screen.findByTestId("labels-empty")).toBeInTheDocument();
    const channel = changesChannel();
    expect(channel).toBeDefined();
    labels = [farm];
    channel?.onmessage({ what: ["devices"] });
    channel?.onmessage({ what: ["labels"] });
    expect(await screen.findByTestId("label-row")).toHaveTextContent("farm");
    expect(vi.mocked(invoke).mock.calls.filter(([c]) => c === "list_labels")).toHaveLength(2);
  });
});
