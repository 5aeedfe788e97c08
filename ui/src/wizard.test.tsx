// The wizard's Helium-side steps: a source for uplinks to arrive through, the labels that connect
// devices to the new integration, and the label part that runs once the integration exists.
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type { Integration, Label, LabelSummary, NewIntegrationInput, Source, SourceConfig } from "./bindings";
import { IntegrationWizard, type WizardResult } from "./pages/IntegrationWizard";
import { callsOf, integration, keysChecked, mockCommands } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

beforeEach(() => {
  vi.mocked(invoke).mockReset();
});

const KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const APP_ID = "2f9e6b1c-4a7d-4e0b-9c51-8d3f2a6b7c10";
const NO_TLS = { ca_file: null, cert_file: null, key_file: null };

const calls = () => vi.mocked(invoke).mock.calls;
/** The commands that change something, in the order they were sent. */
const changes = () =>
  calls()
    .map(([c]) => c)
    .filter((c) => ["add_integration", "create_label", "attach_label", "add_source"].includes(c));

/** What every attach_label of the new integration (int-9) sends: the integration, in one call. */
const TO_INTEGRATION = [{ kind: "integration", id: "int-9" }];

const added = (input: NewIntegrationInput): Integration =>
  integration({ id: "int-9", name: input.name, region: input.region, aws: keysChecked().account });
const addIntegration = (args: Record<string, unknown>) => added(args.input as NewIntegrationInput);

function labelSummary(id: string, name: string, devices: number): LabelSummary {
  return {
    id,
    name,
    device_count: devices,
    integration_count: 0,
    devices: Array.from({ length: devices }, (_, i) => `dev-${i}`),
    integrations: [],
  };
}

const CHIRPSTACK: SourceConfig = {
  kind: "chirpstack_mqtt",
  url: "mqtt://10.0.0.5:1883",
  username: null,
  application_id: APP_ID,
  tls: NO_TLS,
};

function source(config: SourceConfig, overrides: Partial<Source> = {}): Source {
  return { id: "src-1", name: "Farm ChirpStack", config, paused: false, created_at_ms: 1_700_000_000_000, ...overrides };
}
const chirpstack = (overrides: Partial<Source> = {}) => source(CHIRPSTACK, overrides);
const webhook = (overrides: Partial<Source> = {}) =>
  source(
    { kind: "http_webhook", bind: "127.0.0.1:8090", require_secret: true },
    { id: "src-2", name: "Hook", ...overrides },
  );

function renderWizard() {
  const onDone = vi.fn<(result: WizardResult) => void>();
  const onCancel = vi.fn();
  render(<IntegrationWizard onDone={onDone} onCancel={onCancel} />);
  return { onDone, onCancel };
}

/** Fills the AWS steps; the region and topic keep their defaults. */
async function fillAws(user: UserEvent, name = "Farm sensors") {
  await user.type(screen.getByLabelText("Access Key ID"), KEY_ID);
  await user.type(screen.getByLabelText("Secret Access Key"), SECRET);
  await user.type(screen.getByLabelText("Name"), name);
}

const labelsStep = () => screen.getByTestId("wizard-labels-step");
const sourceStep = () => screen.getByTestId("wizard-source-step");

describe("Helium source step", () => {
  it("with no source, says no uplinks arrive, and adds one at once with the Sources page's form", async () => {
    const user = userEvent.setup();
    let list: Source[] = [];
    mockCommands({
      list_sources: () => list,
      add_source: (args) => {
        const input = args.input as { name: string; config: SourceConfig };
        list = [chirpstack({ name: input.name, config: input.config })];
        return list[0]!;
      },
    });
    renderWizard();
    expect(await screen.findByTestId("wizard-no-source")).toHaveTextContent(
      "you can add a source later on the Sources page, but no uplinks arrive until you do",
    );
    await fillAws(user);

    await user.click(within(sourceStep()).getByRole("button", { name: "Add a source" }));
    const form = within(sourceStep()).getByTestId("source-form");
    expect(within(form).getByRole("heading", { name: "Add a source" })).toHaveFocus();
    // An open source form holds the integration back, and says so.
    expect(screen.getByTestId("wizard-submit")).toBeDisabled();
    expect(screen.getByTestId("wizard-source-open")).toHaveTextContent("Add the source above, or cancel it");

    await user.type(within(form).getByLabelText("Name"), "Farm ChirpStack");
    await user.clear(within(form).getByLabelText("Broker URL"));
    await user.type(within(form).getByLabelText("Broker URL"), "mqtt://10.0.0.5:1883");
    await user.type(within(form).getByLabelText("Application ID"), APP_ID);
    await user.click(within(form).getByRole("button", { name: "Add source" }));

    expect(await screen.findByTestId("wizard-source-added")).toHaveTextContent("Added Farm ChirpStack.");
    expect(callsOf("add_source")).toEqual([
      [
        "add_source",
        {
          input: {
            name: "Farm ChirpStack",
            config: CHIRPSTACK,
            secret: null,
          },
        },
      ],
    ]);
    // Saved on its own: the integration is not added with it.
    expect(callsOf("add_integration")).toEqual([]);
    expect(screen.queryByTestId("source-form")).not.toBeInTheDocument();
    expect(await screen.findByTestId("wizard-source")).toHaveTextContent("Farm ChirpStack");
    expect(screen.queryByTestId("wizard-no-source")).not.toBeInTheDocument();
    const another = screen.getByRole("button", { name: "Add another source" });
    expect(another).toHaveFocus();
    expect(screen.getByTestId("wizard-submit")).toBeEnabled();
  });

  it("can be skipped: the integration is added without a source, and the wizard closes as before", async () => {
    const user = userEvent.setup();
    mockCommands({ add_integration: addIntegration });
    const { onDone } = renderWizard();
    await screen.findByTestId("wizard-no-source");
    await fillAws(user);
    expect(screen.getByTestId("wizard-labels-skipped")).toHaveTextContent(
      "no device is piped to Farm sensors until a label links them",
    );
    await user.click(screen.getByRole("button", { name: "Add integration" }));
    await waitFor(() => expect(onDone).toHaveBeenCalledTimes(1));
    expect(onDone.mock.calls[0]![0]).toMatchObject({
      kind: "added",
      integration: { id: "int-9", name: "Farm sensors" },
    });
    expect(changes()).toEqual(["add_integration"]);
  });

  it("lists the sources there are, with their kind and where they connect, and can add another", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_sources: [chirpstack(), webhook({ paused: true })],
      source_states: [{ side: "source", id: "src-1", name: "Farm ChirpStack", connected: true, detail: "subscribed" }],
    });
    renderWizard();
    const rows = await screen.findAllByTestId("wizard-source");
    // Each with its live status, the Sources page's badge: the step checks something.
    await waitFor(() =>
      expect(rows.map((r) => r.textContent)).toEqual([
        "Farm ChirpStackChirpStack MQTTmqtt://10.0.0.5:1883Connected",
        "HookHTTP webhookhttp://127.0.0.1:8090/PausedNo uplinks until resumed on the Sources page.",
      ]),
    );
    expect(within(rows[0]!).getByTestId("source-status")).toHaveAttribute("data-tone", "connected");
    expect(within(rows[1]!).getByTestId("source-status")).toHaveAttribute("data-tone", "paused");
    expect(callsOf("source_states").length).toBeGreaterThan(0);
    expect(screen.queryByTestId("wizard-no-source")).not.toBeInTheDocument();

    const another = within(sourceStep()).getByRole("button", { name: "Add another source" });
    await user.click(another);
    expect(within(sourceStep()).getByTestId("source-form")).toBeInTheDocument();
    await user.click(within(screen.getByTestId("source-form")).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("source-form")).not.toBeInTheDocument();
    expect(within(sourceStep()).getByRole("button", { name: "Add another source" })).toHaveFocus();
    expect(callsOf("add_source")).toEqual([]);
  });

  it("is not part of updating connection details, which fetches neither sources nor labels", async () => {
    mockCommands({});
    render(<IntegrationWizard integration={integration()} onDone={vi.fn()} onCancel={vi.fn()} />);
    // Found, not got: the wait lets the wizard settle (no act() warning).
    expect(await screen.findByRole("heading", { name: /^Update connection details of/ })).toBeInTheDocument();
    expect(screen.queryByTestId("wizard-source-step")).not.toBeInTheDocument();
    expect(screen.queryByTestId("wizard-labels-step")).not.toBeInTheDocument();
    expect(callsOf("list_sources")).toEqual([]);
    expect(callsOf("list_labels")).toEqual([]);
  });
});

describe("Connect devices step", () => {
  it("prefills the new label from the integration's name and refuses an empty name", async () => {
    const user = userEvent.setup();
    mockCommands({});
    renderWizard();
    expect(labelsStep()).toHaveTextContent(
      "Devices carrying these labels are piped to this integration. " +
        "Attach labels to devices on the Labels page (or by DevEUI there).",
    );
    expect(await screen.findByTestId("wizard-no-labels")).toBeInTheDocument();
    await fillAws(user);

    // Keyboard only: Space ticks the box, Tab reaches the name it reveals.
    const createNew = screen.getByRole("checkbox", { name: "Create a new label" });
    createNew.focus();
    await user.keyboard(" ");
    expect(createNew).toBeChecked();
    await user.tab();
    const name = screen.getByLabelText("New label name");
    expect(name).toHaveFocus();
    expect(name).toHaveValue("farm-sensors");
    expect(screen.queryByTestId("wizard-labels-skipped")).not.toBeInTheDocument();

    await user.clear(name);
    const alert = within(labelsStep()).getByRole("alert");
    expect(alert).toHaveTextContent("Enter a name for the new label");
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription(alert.textContent ?? "");

    await user.click(screen.getByRole("button", { name: "Add integration" }));
    expect(name).toHaveFocus();
    expect(callsOf("add_integration")).toEqual([]);
  });

  it("refuses a name an existing label has (ignoring case) and offers to pick that label instead", async () => {
    const user = userEvent.setup();
    mockCommands({ list_labels: [labelSummary("lab-farm", "farm", 12), labelSummary("lab-barn", "barn", 1)] });
    renderWizard();
    const farm = await screen.findByRole("checkbox", { name: "farm" });
    expect(farm).not.toBeChecked();
    expect(farm).toHaveAccessibleDescription("12 devices");
    expect(screen.getByRole("checkbox", { name: "barn" })).toHaveAccessibleDescription("1 device");
    await fillAws(user, "Farm");
    await user.click(screen.getByRole("checkbox", { name: "Create a new label" }));
    const name = screen.getByLabelText("New label name");
    // "Farm" makes "farm": taken.
    expect(name).toHaveValue("farm");
    expect(within(labelsStep()).getByRole("alert")).toHaveTextContent('A label named "farm" already exists');
    await user.clear(name);
    await user.type(name, "FARM");
    expect(within(labelsStep()).getByRole("alert")).toHaveTextContent("pick it from the existing labels instead");

    await user.click(screen.getByRole("button", { name: "Add integration" }));
    expect(callsOf("add_integration")).toEqual([]);
    expect(callsOf("create_label")).toEqual([]);

    await user.click(screen.getByRole("button", { name: 'Pick "farm" instead' }));
    expect(screen.getByRole("checkbox", { name: "Create a new label" })).not.toBeChecked();
    expect(screen.getByRole("checkbox", { name: "farm" })).toBeChecked();
    expect(within(labelsStep()).queryByRole("alert")).not.toBeInTheDocument();
  });
});

describe("Finishing with labels", () => {
  it("adds the integration, then creates the label, then attaches it in one call, and says what it pipes", async () => {
    const user = userEvent.setup();
    const created: Label = { id: "lab-9", name: "farm-sensors" };
    mockCommands({
      add_integration: addIntegration,
      create_label: created,
      attach_label: { label: created, warnings: [] },
    });
    const { onDone } = renderWizard();
    await screen.findByTestId("wizard-no-labels");
    await fillAws(user);
    await user.click(screen.getByRole("checkbox", { name: "Create a new label" }));
    await user.click(screen.getByRole("button", { name: "Add integration" }));

    const finish = await screen.findByTestId("wizard-finish");
    await waitFor(() => expect(within(finish).getByRole("button", { name: "Done" })).toBeEnabled());
    expect(changes()).toEqual(["add_integration", "create_label", "attach_label"]);
    expect(callsOf("create_label")).toEqual([["create_label", { name: "farm-sensors" }]]);
    expect(callsOf("attach_label")).toEqual([
      ["attach_label", { id: "lab-9", targets: [{ kind: "integration", id: "int-9" }] }],
    ]);
    expect(within(finish).getByRole("heading", { name: "Added Farm sensors" })).toHaveFocus();
    expect(within(finish).getByTestId("wizard-added")).toHaveTextContent(
      "The integration Farm sensors is saved for AWS account 123456789012.",
    );
    expect(within(finish).getByTestId("wizard-label-summary")).toHaveTextContent(
      'Label "farm-sensors" (new) — no devices carry it yet',
    );
    expect(finish).toHaveTextContent("Attach a label to devices on the Labels page (or by DevEUI there)");
    // What Helium Console users did next: watch the topic in AWS IoT's MQTT test client; where downlinks go.
    const next = within(finish).getByTestId("wizard-next");
    expect(next).toHaveTextContent("MQTT test client");
    expect(within(next).getByTestId("wizard-next-topic")).toHaveTextContent(/^helium\/uplinks$/);
    expect(within(next).getByTestId("wizard-next-downlink")).toHaveTextContent(/^helium\/devices\/\{Device ID\}\/down$/);
    await user.click(within(next).getByRole("button", { name: "Copy the uplink topic" }));
    expect(await navigator.clipboard.readText()).toBe("helium/uplinks");
    // A template is not a topic: no Copy for it (each device's page has its own, with Copy).
    expect(within(next).queryByRole("button", { name: "Copy the downlink topic" })).toBeNull();
    expect(next).not.toHaveTextContent("join");
    // No source yet: the outcome says nothing arrives.
    expect(within(finish).getByTestId("wizard-finish-no-source")).toHaveTextContent("no uplinks arrive");
    // The secret went to add_integration only, and the wizard stays until Done.
    expect(JSON.stringify(calls().filter(([c]) => c !== "add_integration"))).not.toContain(SECRET);
    expect(onDone).not.toHaveBeenCalled();

    await user.click(within(finish).getByRole("button", { name: "Done" }));
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(onDone.mock.calls[0]![0]).toMatchObject({
      kind: "added",
      integration: { id: "int-9" },
      labels: [{ id: "lab-9", name: "farm-sensors", devices: 0, created: true }],
    });
  });

  it("attaches picked labels without creating one, and counts the devices each pipes now", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_sources: [chirpstack()],
      list_labels: [
        labelSummary("lab-barn", "barn", 1),
        labelSummary("lab-farm", "farm", 12),
        labelSummary("lab-shed", "shed", 0),
      ],
      add_integration: addIntegration,
      attach_label: (args) => ({ label: { id: args.id as string, name: "x" }, warnings: [] }),
    });
    renderWizard();
    await user.click(await screen.findByRole("checkbox", { name: "farm" }));
    await user.click(screen.getByRole("checkbox", { name: "barn" }));
    await user.click(screen.getByRole("checkbox", { name: "shed" }));
    await fillAws(user);
    await user.click(screen.getByRole("button", { name: "Add integration" }));

    const finish = await screen.findByTestId("wizard-finish");
    await waitFor(() => expect(callsOf("attach_label")).toHaveLength(3));
    expect(callsOf("create_label")).toEqual([]);
    expect(callsOf("attach_label")).toEqual(
      ["lab-barn", "lab-farm", "lab-shed"].map((id) => ["attach_label", { id, targets: TO_INTEGRATION }]),
    );
    const lines = await within(within(finish).getByTestId("wizard-label-summary")).findAllByRole("listitem");
    expect(lines.map((l) => l.textContent)).toEqual([
      'Label "barn" — 1 device piped now',
      'Label "farm" — 12 devices piped now',
      'Label "shed" — no devices carry it yet',
    ]);
    expect(within(finish).queryByTestId("wizard-finish-no-source")).not.toBeInTheDocument();
  });

  it("keeps the integration when attaching fails, and Retry redoes only the label part", async () => {
    const user = userEvent.setup();
    const created: Label = { id: "lab-9", name: "farm-sensors" };
    let attaches = 0;
    mockCommands({
      add_integration: addIntegration,
      create_label: created,
      attach_label: () =>
        ++attaches === 1 ? { reject: { message: "the store is busy" } } : { label: created, warnings: [] },
    });
    const { onDone } = renderWizard();
    await screen.findByTestId("wizard-no-labels");
    await fillAws(user);
    await user.click(screen.getByRole("checkbox", { name: "Create a new label" }));
    await user.click(screen.getByRole("button", { name: "Add integration" }));

    const failure = await screen.findByTestId("wizard-label-failure");
    expect(failure).toHaveAttribute("role", "alert");
    expect(failure).toHaveTextContent('Attaching the label "farm-sensors" to Farm sensors failed: the store is busy');
    const finish = screen.getByTestId("wizard-finish");
    expect(within(finish).getByRole("heading", { name: /but its labels are not all connected/ })).toHaveFocus();
    expect(within(finish).getByTestId("wizard-added")).toHaveTextContent("The integration Farm sensors is saved");
    expect(within(finish).getByTestId("wizard-label-summary")).toHaveTextContent(
      'Label "farm-sensors" (new) — not attached yet',
    );
    // The form is gone: the integration cannot be added twice.
    expect(screen.queryByTestId("wizard-submit")).not.toBeInTheDocument();

    await user.click(within(finish).getByRole("button", { name: "Retry the labels" }));
    await waitFor(() => expect(screen.queryByTestId("wizard-label-failure")).not.toBeInTheDocument());
    expect(await within(finish).findByRole("heading", { name: "Added Farm sensors" })).toBeInTheDocument();
    expect(within(finish).getByTestId("wizard-label-summary")).toHaveTextContent(
      'Label "farm-sensors" (new) — no devices carry it yet',
    );
    expect(changes()).toEqual(["add_integration", "create_label", "attach_label", "attach_label"]);
    expect(callsOf("attach_label")[1]).toEqual(["attach_label", { id: "lab-9", targets: TO_INTEGRATION }]);

    await user.click(within(finish).getByRole("button", { name: "Done" }));
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(callsOf("add_integration")).toHaveLength(1);
  });

  it("when creating the label fails, finishing without it still reports the added integration", async () => {
    const user = userEvent.setup();
    mockCommands({
      add_integration: addIntegration,
      create_label: { reject: { message: 'a label named "farm-sensors" already exists' } },
    });
    const { onDone } = renderWizard();
    await screen.findByTestId("wizard-no-labels");
    await fillAws(user);
    await user.click(screen.getByRole("checkbox", { name: "Create a new label" }));
    await user.click(screen.getByRole("button", { name: "Add integration" }));

    expect(await screen.findByTestId("wizard-label-failure")).toHaveTextContent(
      'Creating the label "farm-sensors" failed: a label named "farm-sensors" already exists',
    );
    expect(screen.getByTestId("wizard-label-summary")).toHaveTextContent(
      'Label "farm-sensors" (new) — not created yet',
    );
    expect(callsOf("attach_label")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Finish without them" }));
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(onDone.mock.calls[0]![0]).toMatchObject({ kind: "added", integration: { id: "int-9" }, labels: [] });
    expect(callsOf("add_integration")).toHaveLength(1);
  });
});

describe("Join events", () => {
  it("says where they go: the same topic, with \"type\": \"join\"", async () => {
    mockCommands({});
    renderWizard();
    const joins = await screen.findByRole("checkbox", { name: "Also forward join events" });
    expect(joins).toHaveAccessibleDescription(
      'Published to the same topic as uplinks, as Helium JSON with "type": "join" (uplinks have "type": "uplink") and no decoded.',
    );
    await screen.findByTestId("wizard-no-source");
  });

  it("are named in the next steps when forwarded", async () => {
    const user = userEvent.setup();
    const created: Label = { id: "lab-9", name: "farm-sensors" };
    mockCommands({
      add_integration: (args) => ({ ...addIntegration(args), forward_joins: true, topic: "farm/up" }),
      create_label: created,
      attach_label: { label: created, warnings: [] },
    });
    renderWizard();
    await screen.findByTestId("wizard-no-labels");
    await fillAws(user);
    await user.click(screen.getByRole("checkbox", { name: "Also forward join events" }));
    await user.click(screen.getByRole("checkbox", { name: "Create a new label" }));
    await user.click(screen.getByRole("button", { name: "Add integration" }));
    const next = await screen.findByTestId("wizard-next");
    expect(next).toHaveTextContent('and each join event too, with "type": "join"');
    expect(within(next).getByTestId("wizard-next-topic")).toHaveTextContent(/^farm\/up$/);
  });
});
