import { render, screen, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { App } from "./App";
import type { ConnectionState, Probe, Source, SourceConfig } from "./bindings";
import { SourcesPage } from "./pages/SourcesPage";
import { checkBind, checkMqttUrl, chirpstackTopics, generateSecret, sourceStatus } from "./pages/sourceSettings";
import { callsOf, mockCommands } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

beforeEach(() => {
  vi.mocked(invoke).mockReset();
});

const APP_ID = "2f9e6b1c-4a7d-4e0b-9c51-8d3f2a6b7c10";
const NO_TLS = { ca_file: null, cert_file: null, key_file: null };

function source(config: SourceConfig, overrides: Partial<Source> = {}): Source {
  return { id: "src-1", name: "Farm ChirpStack", config, paused: false, created_at_ms: 1_700_000_000_000, ...overrides };
}

const chirpstack = (overrides: Partial<Source> = {}) =>
  source(
    { kind: "chirpstack_mqtt", url: "mqtt://localhost:1883", username: "bridge", application_id: APP_ID, tls: NO_TLS },
    overrides,
  );
const webhook = (overrides: Partial<Source> = {}) =>
  source({ kind: "http_webhook", bind: "127.0.0.1:8090", require_secret: true }, { id: "src-2", name: "Hook", ...overrides });
const legacy = (overrides: Partial<Source> = {}) =>
  source(
    {
      kind: "legacy_mqtt",
      url: "mqtts://console.example:8883",
      username: null,
      uplink_topic: "helium/+/rx",
      downlink_topic: "helium/{{device_id}}/tx",
      tls: { ...NO_TLS, ca_file: "/etc/ca.pem" },
    },
    { id: "src-3", name: "Old Console", ...overrides },
  );

const conn = (id: string, connected: boolean, detail: string): ConnectionState => ({
  side: "source",
  id,
  name: id,
  connected,
  detail,
});

/** A promise the test settles itself (mocks take plain values, so it is cast). */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve, answer: (() => promise) as unknown as () => T };
}

async function openAddForm(user: UserEvent) {
  await user.click(await screen.findByRole("button", { name: "Add a source" }));
  return screen.getByTestId("source-form");
}

async function typeInto(user: UserEvent, label: string, text: string) {
  const input = screen.getByLabelText(label);
  await user.clear(input);
  if (text !== "") await user.type(input, text);
}

describe("Sources page states", () => {
  it("shows loading, then the empty state with an add button that opens the form", async () => {
    const user = userEvent.setup();
    const list = deferred<Source[]>();
    mockCommands({ list_sources: list.answer });
    render(<SourcesPage />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading sources…");

    list.resolve([]);
    const empty = await screen.findByTestId("sources-empty");
    expect(empty).toHaveTextContent("No sources yet");
    expect(empty).toHaveTextContent(/ChirpStack v4.*MQTT/);
    expect(empty).toHaveTextContent(/HTTP webhook/);
    expect(empty).toHaveTextContent(/legacy Helium MQTT/);
    await user.click(within(empty).getByRole("button", { name: "Add a source" }));
    expect(screen.getByRole("heading", { name: "Add a source" })).toHaveFocus();
  });

  it("shows a failed list in an alert and retries", async () => {
    const user = userEvent.setup();
    mockCommands({ list_sources: { reject: { message: "database is locked" } } });
    render(<SourcesPage />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not load sources");
    expect(alert).toHaveTextContent("database is locked");
    mockCommands({ list_sources: [chirpstack()] });
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("source-row")).toHaveLength(1);
  });

  it("lists each source with its kind, address, application or topics", async () => {
    mockCommands({ list_sources: [chirpstack(), webhook(), legacy({ config: { ...legacy().config } })] });
    render(<SourcesPage />);
    const [cs, hook, old] = (await screen.findAllByTestId("source-row")) as [HTMLElement, HTMLElement, HTMLElement];
    expect(cs).toHaveTextContent("Farm ChirpStack");
    expect(cs).toHaveTextContent("ChirpStack MQTT");
    expect(cs).toHaveTextContent("mqtt://localhost:1883");
    expect(cs).toHaveTextContent(APP_ID);
    expect(hook).toHaveTextContent("HTTP webhook");
    expect(hook).toHaveTextContent("http://127.0.0.1:8090/");
    expect(hook).toHaveTextContent("Required");
    expect(old).toHaveTextContent("Legacy Helium MQTT");
    expect(old).toHaveTextContent("helium/+/rx");
    expect(old).toHaveTextContent("helium/{{device_id}}/tx");
    expect(screen.getByTestId("add-source")).toBeInTheDocument();
  });

  it("badges each source from source_states", async () => {
    mockCommands({
      list_sources: [
        chirpstack(),
        webhook(),
        legacy(),
        chirpstack({ id: "src-4", name: "Paused one", paused: true }),
      ],
      source_states: [
        conn("src-1", true, "connected"),
        conn("src-2", false, "address already in use (os error 98)"),
        { ...conn("src-1", false, "not a source"), side: "integration" },
      ],
    });
    render(<SourcesPage />);
    await screen.findAllByTestId("source-row");
    const badges = await screen.findAllByTestId("source-status");
    await vi.waitFor(() => expect(badges[0]).toHaveTextContent("Connected"));
    expect(badges[0]).toHaveAttribute("title", "connected");
    expect(badges[1]).toHaveTextContent("Failing: address already in use (os error 98)");
    expect(badges[2]).toHaveTextContent("Connecting…");
    expect(badges[3]).toHaveTextContent("Paused");
  });
});

describe("Adding a source", () => {
  it("adds a ChirpStack MQTT source with the right input and shows its topics", async () => {
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
    render(<SourcesPage />);
    const form = await openAddForm(user);
    expect(screen.getByLabelText("ChirpStack MQTT")).toBeChecked();
    await typeInto(user, "Name", "  Farm ChirpStack ");
    await typeInto(user, "Broker URL", "mqtt://10.0.0.5:1883");
    await typeInto(user, "Username", "bridge");
    await user.type(screen.getByLabelText("Password"), "s3cret!");
    await typeInto(user, "Application ID", APP_ID);
    const guide = within(form).getByTestId("source-guide");
    expect(guide).toHaveTextContent("In ChirpStack");
    expect(guide).toHaveTextContent("[integration.mqtt]");
    expect(within(guide).getByTestId("guide-topic-up")).toHaveTextContent(`application/${APP_ID}/device/+/event/up`);
    expect(within(guide).getByTestId("guide-topic-join")).toHaveTextContent(
      `application/${APP_ID}/device/+/event/join`,
    );
    expect(within(guide).getByTestId("guide-topic-down")).toHaveTextContent(
      `application/${APP_ID}/device/{devEui}/command/down`,
    );

    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(await screen.findByTestId("source-notice")).toHaveTextContent("Added Farm ChirpStack.");
    expect(callsOf("add_source")).toEqual([
      [
        "add_source",
        {
          input: {
            name: "Farm ChirpStack",
            config: {
              kind: "chirpstack_mqtt",
              url: "mqtt://10.0.0.5:1883",
              username: "bridge",
              application_id: APP_ID,
              tls: NO_TLS,
            },
            secret: "s3cret!",
          },
        },
      ],
    ]);
    expect(screen.queryByTestId("source-form")).not.toBeInTheDocument();
    expect(await screen.findByTestId("source-row")).toHaveTextContent("mqtt://10.0.0.5:1883");
    // The password went to add_source only.
    const others = vi.mocked(invoke).mock.calls.filter(([c]) => c !== "add_source");
    expect(JSON.stringify(others)).not.toContain("s3cret!");
  });

  it("blocks the submit with a message on each bad field", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<SourcesPage />);
    await openAddForm(user);
    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(screen.getByLabelText("Name")).toHaveAccessibleDescription("Enter a name for this source.");
    expect(screen.getByLabelText("Name")).toHaveFocus();
    expect(screen.getByTestId("source-form-invalid")).toHaveTextContent("Fix the 2 fields marked above.");
    expect(screen.getByLabelText("Application ID")).toHaveAccessibleDescription(/^Enter the application's UUID/);

    await typeInto(user, "Name", "Farm");
    await typeInto(user, "Application ID", "12345");
    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(screen.getByLabelText("Application ID")).toHaveAccessibleDescription(/^Not an application id: ChirpStack's are UUIDs/);
    await typeInto(user, "Application ID", "+");
    await typeInto(user, "Broker URL", "http://broker:1883");
    await user.type(screen.getByLabelText("Password"), "pw");
    await user.click(screen.getByRole("button", { name: "Add source" }));
    const url = screen.getByLabelText("Broker URL");
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(/must start with mqtt:\/\/ or mqtts:\/\//);
    expect(url).toHaveFocus();
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/A password needs a username/);

    await typeInto(user, "Broker URL", "mqtt://");
    expect(url).toHaveAccessibleDescription(/needs a host name/);
    await typeInto(user, "Broker URL", "mqtts://broker:8883");
    await typeInto(user, "Username", "bridge");
    await user.type(screen.getByLabelText("Client certificate"), "/etc/client.pem");
    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(screen.getByLabelText("CA file")).toHaveAccessibleDescription(/An mqtts:\/\/ broker needs a CA file/);
    expect(screen.getByLabelText("CA file")).toHaveFocus();
    expect(screen.getByLabelText("Client key")).toHaveAccessibleDescription(/needs its key file/);
    expect(screen.getByLabelText("Password")).not.toHaveAttribute("aria-invalid");
    expect(callsOf("add_source")).toEqual([]);
  });

  it("keeps what was typed and shows the core's error when adding fails", async () => {
    const user = userEvent.setup();
    mockCommands({ add_source: { reject: { message: 'a source named "Farm" already exists' } } });
    render(<SourcesPage />);
    await openAddForm(user);
    await typeInto(user, "Name", "Farm");
    await typeInto(user, "Application ID", "12345");
    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(screen.getByLabelText("Application ID")).toHaveAccessibleDescription(/^Not an application id: ChirpStack's are UUIDs/);
    await typeInto(user, "Application ID", "+");
    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(await screen.findByTestId("source-form-error")).toHaveTextContent('a source named "Farm" already exists');
    expect(screen.getByTestId("source-form-error")).toHaveAttribute("role", "alert");
    expect(screen.getByLabelText("Name")).toHaveValue("Farm");
    expect(screen.getByRole("button", { name: "Add source" })).toBeEnabled();
  });

  it("adds a webhook with a generated secret, shown once with its ChirpStack settings", async () => {
    const user = userEvent.setup();
    mockCommands({ add_source: webhook() });
    render(<SourcesPage />);
    await openAddForm(user);
    await user.click(screen.getByLabelText("HTTP webhook"));
    await typeInto(user, "Name", "Hook");
    expect(screen.getByLabelText("Listen address")).toHaveValue("127.0.0.1:8090");
    expect(screen.getByLabelText("Require a shared secret")).toBeChecked();
    const secret = (screen.getByLabelText("New shared secret") as HTMLInputElement).value;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(screen.getByTestId("source-secret-once")).toHaveTextContent("not shown again");

    const guide = screen.getByTestId("source-guide");
    expect(guide).toHaveTextContent("Applications → your application → Integrations → HTTP");
    expect(guide).toHaveTextContent("Payload encoding");
    expect(within(guide).getByTestId("guide-url")).toHaveTextContent("http://127.0.0.1:8090/");
    expect(within(guide).getByTestId("guide-header")).toHaveTextContent(`Bearer ${secret}`);
    await user.click(screen.getByRole("button", { name: "Copy the endpoint URL" }));
    expect(await navigator.clipboard.readText()).toBe("http://127.0.0.1:8090/");
    await user.click(screen.getByRole("button", { name: "Copy the header value" }));
    expect(await navigator.clipboard.readText()).toBe(`Bearer ${secret}`);

    await typeInto(user, "Listen address", "0.0.0.0:9000");
    expect(within(guide).getByTestId("guide-url")).toHaveTextContent("http://<this computer's address>:9000/");
    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(await screen.findByTestId("source-notice")).toHaveTextContent("new shared secret");
    expect(callsOf("add_source")).toEqual([
      [
        "add_source",
        { input: { name: "Hook", config: { kind: "http_webhook", bind: "0.0.0.0:9000", require_secret: true }, secret } },
      ],
    ]);
  });

  it("refuses a listen address that is not an IP address and port", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<SourcesPage />);
    await openAddForm(user);
    await user.click(screen.getByLabelText("HTTP webhook"));
    await typeInto(user, "Name", "Hook");
    await typeInto(user, "Listen address", "localhost:8090");
    await user.click(screen.getByRole("button", { name: "Add source" }));
    expect(screen.getByLabelText("Listen address")).toHaveAccessibleDescription(/IP address and port/);
    expect(callsOf("add_source")).toEqual([]);
  });
});

describe("Editing a source", () => {
  it("keeps the stored password when the field is left empty (secret: null)", async () => {
    const user = userEvent.setup();
    const current = chirpstack();
    mockCommands({ list_sources: [current], update_source: (args) => ({ ...current, name: String((args.input as { name: string }).name) }) });
    render(<SourcesPage />);
    await user.click(await screen.findByRole("button", { name: "Edit Farm ChirpStack" }));
    expect(screen.getByRole("heading", { name: "Edit Farm ChirpStack" })).toHaveFocus();
    expect(screen.getByLabelText("Application ID")).toHaveValue(APP_ID);
    expect(screen.getByLabelText("Password")).toHaveValue("");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(
      "Stored in the keychain — leave empty to keep it.",
    );
    await typeInto(user, "Name", "Farm LNS");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByTestId("source-notice")).toHaveTextContent("Saved Farm LNS.");
    expect(callsOf("update_source")).toEqual([
      ["update_source", { id: "src-1", input: { name: "Farm LNS", config: current.config, secret: null } }],
    ]);
    // Back on the list, the focus is where the user left it.
    expect(await screen.findByRole("button", { name: "Edit Farm ChirpStack" })).toHaveFocus();
  });

  it("sends a newly generated webhook secret, and none when it is not regenerated", async () => {
    const user = userEvent.setup();
    const current = webhook();
    mockCommands({ list_sources: [current], update_source: current });
    render(<SourcesPage />);
    await user.click(await screen.findByRole("button", { name: "Edit Hook" }));
    expect(screen.getByTestId("source-secret-stored")).toHaveTextContent("stored in the keychain");
    expect(screen.queryByLabelText("New shared secret")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Generate a new secret" }));
    const secret = (screen.getByLabelText("New shared secret") as HTMLInputElement).value;
    expect(secret).toHaveLength(43);
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await screen.findByTestId("source-notice");
    expect(callsOf("update_source")).toEqual([
      ["update_source", { id: "src-2", input: { name: "Hook", config: current.config, secret } }],
    ]);
  });
});

describe("Row actions", () => {
  it("pauses and resumes", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_sources: [chirpstack(), webhook({ paused: true })],
      set_source_paused: (args) => chirpstack({ paused: Boolean(args.paused) }),
    });
    render(<SourcesPage />);
    await user.click(await screen.findByRole("button", { name: "Pause Farm ChirpStack" }));
    await user.click(screen.getByRole("button", { name: "Resume Hook" }));
    expect(callsOf("set_source_paused")).toEqual([
      ["set_source_paused", { id: "src-1", paused: true }],
      ["set_source_paused", { id: "src-2", paused: false }],
    ]);
  });

  it("shows a failed pause next to the row", async () => {
    const user = userEvent.setup();
    mockCommands({ list_sources: [chirpstack()], set_source_paused: { reject: { message: "database is locked" } } });
    render(<SourcesPage />);
    await user.click(await screen.findByRole("button", { name: "Pause Farm ChirpStack" }));
    expect(await screen.findByTestId("source-pause-error")).toHaveTextContent("database is locked");
    expect(screen.getByTestId("source-pause-error")).toHaveAttribute("role", "alert");
  });

  it("tests a saved source with its stored secret and shows what worked", async () => {
    const user = userEvent.setup();
    const answer = deferred<Probe>();
    mockCommands({ list_sources: [chirpstack()], test_source: answer.answer });
    render(<SourcesPage />);
    const test = await screen.findByRole("button", { name: "Test Farm ChirpStack" });
    await user.click(test);
    expect(test).toBeDisabled();
    expect(test).toHaveTextContent("Testing…");
    expect(screen.getByTestId("source-test-result-busy")).toHaveTextContent("up to 10 s");
    expect(callsOf("test_source")).toEqual([
      ["test_source", { input: { id: "src-1", config: chirpstack().config, secret: null, wait_secs: 10 } }],
    ]);

    answer.resolve({
      ok: true,
      summary: "Working: an uplink from device 0102030405060708 (porch), fCnt 7 arrived.",
      steps: ["Connected to localhost:1883", `Subscribed to application/${APP_ID}/device/+/event/up`],
    });
    const result = await screen.findByTestId("source-test-result");
    expect(result).toHaveAttribute("role", "status");
    expect(result).toHaveTextContent("Working: an uplink from device 0102030405060708 (porch), fCnt 7 arrived.");
    expect(within(result).getAllByRole("listitem")).toHaveLength(2);
    expect(test).toBeEnabled();
  });

  it("shows a failed test as an alert with its steps", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_sources: [chirpstack()],
      test_source: {
        ok: false,
        summary: "127.0.0.1:1883 refused the username or password",
        steps: ["Connected to 127.0.0.1:1883", "The broker answered: bad user name or password"],
      },
    });
    render(<SourcesPage />);
    await user.click(await screen.findByRole("button", { name: "Test Farm ChirpStack" }));
    const result = await screen.findByTestId("source-test-result");
    expect(result).toHaveAttribute("role", "alert");
    expect(result).toHaveTextContent("127.0.0.1:1883 refused the username or password");
    expect(result).toHaveTextContent("bad user name or password");
  });

  it("tests the form's unsaved settings with what was typed", async () => {
    const user = userEvent.setup();
    mockCommands({ test_source: { ok: true, summary: "Working.", steps: [] } });
    render(<SourcesPage />);
    await openAddForm(user);
    await typeInto(user, "Name", "New");
    await typeInto(user, "Application ID", "+");
    await typeInto(user, "Username", "u");
    await user.type(screen.getByLabelText("Password"), "p");
    expect(screen.getByTestId("guide-topic-down")).toHaveTextContent(
      "application/{the device's application id}/device/{devEui}/command/down",
    );
    await user.click(screen.getByRole("button", { name: "Test these settings" }));
    expect(await screen.findByTestId("source-form-test-result")).toHaveTextContent("Working.");
    expect(callsOf("test_source")).toEqual([
      [
        "test_source",
        {
          input: {
            id: null,
            config: { kind: "chirpstack_mqtt", url: "mqtt://localhost:1883", username: "u", application_id: "+", tls: NO_TLS },
            secret: "p",
            wait_secs: 10,
          },
        },
      ],
    ]);
    // A changed setting makes the answer stale.
    await typeInto(user, "Broker URL", "mqtt://other:1883");
    expect(screen.queryByTestId("source-form-test-result")).not.toBeInTheDocument();
  });

  it("removes a source after confirming, and shows a warning the result carries", async () => {
    const user = userEvent.setup();
    let list = [chirpstack()];
    mockCommands({
      list_sources: () => list,
      remove_source: () => {
        list = [];
        return { name: "Farm ChirpStack", secret_deleted: false, warning: "its secret could not be deleted from the keychain: locked" };
      },
    });
    render(<SourcesPage />);
    await user.click(await screen.findByRole("button", { name: "Remove Farm ChirpStack" }));
    const dialog = screen.getByRole("dialog", { name: "Remove Farm ChirpStack?" });
    expect(dialog).toHaveTextContent("Its devices stop receiving uplinks from it");
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(callsOf("remove_source")).toEqual([]);

    await user.click(screen.getByRole("button", { name: "Remove Farm ChirpStack" }));
    await user.click(screen.getByRole("button", { name: "Remove source" }));
    expect(await screen.findByTestId("source-notice")).toHaveTextContent("Removed Farm ChirpStack.");
    expect(screen.getByTestId("source-notice-warning")).toHaveTextContent("could not be deleted from the keychain");
    expect(callsOf("remove_source")).toEqual([["remove_source", { id: "src-1" }]]);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(await screen.findByTestId("sources-empty")).toBeInTheDocument();
  });

  it("keeps the dialog open with the error when removing fails", async () => {
    const user = userEvent.setup();
    mockCommands({ list_sources: [chirpstack()], remove_source: { reject: { message: "database is locked" } } });
    render(<SourcesPage />);
    await user.click(await screen.findByRole("button", { name: "Remove Farm ChirpStack" }));
    await user.click(screen.getByRole("button", { name: "Remove source" }));
    expect(await screen.findByTestId("remove-source-error")).toHaveTextContent("database is locked");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
  });
});

describe("Navigation", () => {
  it("has a Sources entry that opens the Sources page", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<App />);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await user.click(within(nav).getByRole("button", { name: "Sources" }));
    expect(screen.getByRole("heading", { level: 1, name: "Sources" })).toBeInTheDocument();
    expect(within(nav).getByRole("button", { name: "Sources" })).toHaveAttribute("aria-current", "page");
    expect(await screen.findByTestId("sources-empty")).toBeInTheDocument();
  });
});

describe("Source settings", () => {
  it("reads broker URLs and listen addresses as the core does", () => {
    expect(checkMqttUrl("mqtt://localhost")).toEqual({ tls: false });
    expect(checkMqttUrl("mqtts://broker.example:8884/")).toEqual({ tls: true });
    expect(checkMqttUrl("mqtt://h:0")).toMatch(/port/);
    expect(checkMqttUrl("mqtt://user@h")).toMatch(/host/);
    expect(checkBind("127.0.0.1:8090")).toBeNull();
    expect(checkBind("[::1]:8090")).toBeNull();
    expect(checkBind("256.0.0.1:8090")).not.toBeNull();
    expect(checkBind("127.0.0.1:70000")).toMatch(/port/);
  });

  it("substitutes the application id in the topics", () => {
    expect(chirpstackTopics("app").down).toBe("application/app/device/{devEui}/command/down");
    expect(chirpstackTopics("").up).toBe("application/{application id}/device/+/event/up");
  });

  it("makes a different 32-byte secret each time", () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateSecret()).not.toBe(a);
  });

  it("says a source is unknown when the states are not", () => {
    expect(sourceStatus(chirpstack(), new Error("bridge stopped"))).toEqual({
      tone: "unknown",
      label: "Status unknown",
      detail: "bridge stopped",
    });
    expect(sourceStatus(chirpstack({ paused: true }), [conn("src-1", false, "paused")]).label).toBe("Paused");
  });
});
