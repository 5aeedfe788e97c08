import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { useImperativeHandle } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Decoder, DecoderKind, DecoderTrial, LabelSummary } from "./bindings";
import type { CodeEditorProps } from "./CodeEditor";
import { DecodersPage } from "./pages/DecodersPage";
import { errorLine, templateOf } from "./pages/decoderTemplates";
import { formatMicros } from "./pages/DecoderTest";
import { axeViolations } from "./test/axe";
import { declarations } from "./test/css";
import { callsOf, changesChannel, device, mockCommands, resetCommandsEachTest } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

/** The lines the page asked the editor to go to. */
const editorCalls = vi.hoisted(() => ({ focusLine: [] as number[] }));

// CodeMirror needs a layout jsdom does not have: the page tests type into a plain text area with
// the editor's name (codeEditor.test.tsx covers the real one).
vi.mock("./CodeEditor", () => ({
  CodeEditor: function CodeEditorStandIn(props: CodeEditorProps) {
    useImperativeHandle(props.ref, () => ({
      focusLine: (line: number) => editorCalls.focusLine.push(line),
      value: () => props.value,
    }));
    return (
      <textarea
        aria-label={props.label}
        aria-describedby={props.describedBy}
        data-testid={props.testId}
        data-error-line={props.errorLine ?? undefined}
        value={props.value}
        onChange={(e) => props.onChange?.(e.target.value)}
      />
    );
  },
}));

resetCommandsEachTest();
beforeEach(() => {
  editorCalls.focusLine = [];
});

const SCRIPT = "function Decoder(bytes, port) {\n  return { first: bytes[0] };\n}\n";

function decoder(overrides: Partial<Decoder> = {}): Decoder {
  return {
    id: "dec-1",
    name: "Farm sensors",
    kind: "helium",
    script: SCRIPT,
    labels: [{ id: "l1", name: "farm" }],
    updated_at_ms: 1_700_000_000_000,
    ...overrides,
  };
}

function label(id: string, name: string, devices: string[] = []): LabelSummary {
  return { id, name, device_count: devices.length, integration_count: 0, devices, integrations: [] };
}

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { resolve, answer: (() => promise) as unknown as () => T };
}

const trial = (overrides: Partial<DecoderTrial> = {}): DecoderTrial => ({
  ok: true,
  payload: { temperature: 24 },
  error: null,
  logs: [],
  warnings: [],
  micros: 420,
  ...overrides,
});

async function openEditor(user: UserEvent, name = "Farm sensors") {
  await user.click(await screen.findByRole("button", { name: `Edit ${name}` }));
  return screen.findByRole("heading", { level: 1, name });
}

describe("Decoders page states", () => {
  it("keeps inline code in one piece: a shared style, not one page's", async () => {
    const code = await declarations("controls.css", ".decoders-explain code");
    // "{status, error}" never splits into "{status," and "error}": one box, which wraps only
    // when longer than a line.
    expect(code).toContain("display: inline-block");
    expect(code).toContain("max-width: 100%");
    for (const shared of [".panel-note code", ".wizard code", ".dialog code"]) {
      expect(await declarations("controls.css", shared)).toBe(code);
    }
  });

  it("shows loading, then the empty state whose button starts a new decoder", async () => {
    const user = userEvent.setup();
    const list = deferred<Decoder[]>();
    mockCommands({ list_decoders: list.answer });
    render(<DecodersPage />);
    expect(screen.getByRole("heading", { level: 1, name: "Decoders" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Loading decoders…");
    // Named as Helium Console users know them; what two decoders on a device do, said plainly.
    expect(screen.getByTestId("decoders-explain")).toHaveTextContent(
      "Decoders are what Helium Console called Functions. A device gets the decoder of its labels; its uplinks then " +
        "carry decoded ({status, payload} or {status, error}) to AWS. If a device's labels bring two decoders, its " +
        "uplinks carry an error in decoded instead of values.",
    );

    act(() => list.resolve([]));
    const empty = await screen.findByTestId("decoders-empty");
    expect(empty).toHaveTextContent("No decoders yet");
    await user.click(within(empty).getByRole("button", { name: "New decoder" }));
    expect(screen.getByRole("dialog", { name: "New decoder" })).toBeInTheDocument();
  });

  it("shows a failed list in an alert and retries", async () => {
    const user = userEvent.setup();
    mockCommands({ list_decoders: { reject: { message: "database is locked" } } });
    render(<DecodersPage />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not load decoders");
    expect(alert).toHaveTextContent("database is locked");
    mockCommands({ list_decoders: [decoder()] });
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("decoder-row")).toHaveLength(1);
  });

  it("lists each decoder with its kind and labels, and warns of devices with two decoders", async () => {
    mockCommands({
      list_decoders: [
        decoder(),
        decoder({ id: "dec-2", name: "Lpp", kind: "cayenne", script: "", labels: [] }),
        decoder({ id: "dec-3", name: "Ttn codec", kind: "decode_uplink", labels: [{ id: "l2", name: "orchard" }] }),
      ],
      list_labels: [label("l1", "farm", ["dev-1", "dev-2"]), label("l2", "orchard", ["dev-2"])],
    });
    render(<DecodersPage />);
    const [farm, lpp, ttn] = (await screen.findAllByTestId("decoder-row")) as [HTMLElement, HTMLElement, HTMLElement];
    expect(farm).toHaveTextContent("Farm sensors");
    expect(within(farm).getByTestId("decoder-kind")).toHaveTextContent("Helium Console Decoder");
    expect(within(farm).getByRole("list", { name: "Labels of Farm sensors" })).toHaveTextContent("farm");
    expect(within(lpp).getByTestId("decoder-kind")).toHaveTextContent("Cayenne LPP (built in)");
    expect(lpp).toHaveTextContent("No labels: no device uses it");
    expect(within(ttn).getByTestId("decoder-kind")).toHaveTextContent("decodeUplink (ChirpStack/TTN)");
    // dev-2 carries farm and orchard: two decoders.
    expect(await within(farm).findByTestId("decoder-double")).toHaveTextContent(
      "1 device gets another decoder too: their decoded is an error.",
    );
    expect(within(ttn).getByTestId("decoder-double")).toBeInTheDocument();
    expect(within(lpp).queryByTestId("decoder-double")).not.toBeInTheDocument();
  });

  it("reloads when a decoder changes elsewhere (the CLI)", async () => {
    let list: Decoder[] = [];
    mockCommands({ list_decoders: () => list });
    render(<DecodersPage />);
    expect(await screen.findByTestId("decoders-empty")).toBeInTheDocument();
    const channel = changesChannel();
    expect(channel).toBeDefined();
    list = [decoder()];
    act(() => {
      channel?.onmessage({ what: ["sources"] });
      channel?.onmessage({ what: ["decoders"] });
    });
    expect(await screen.findByTestId("decoder-row")).toHaveTextContent("Farm sensors");
    expect(callsOf("list_decoders")).toHaveLength(2);
  });

  it("has no axe violations, listed or in the editor with a result", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder(), decoder({ id: "dec-2", name: "Lpp", kind: "cayenne", script: "", labels: [] })],
      list_labels: [label("l1", "farm", ["dev-1"])],
      list_devices: [device(1)],
      test_decoder: trial({ logs: ["hello"], warnings: ["battery low"] }),
      recent_payloads: [{ port: 2, payload: "AWcA8A==", fcnt: 7, reported_at: 1_700_000_000_000 }],
    });
    const { container } = render(
      <main>
        <DecodersPage />
      </main>,
    );
    await screen.findAllByTestId("decoder-row");
    expect(await axeViolations(container)).toEqual([]);

    await openEditor(user);
    await user.type(screen.getByLabelText("Payload"), "01 67 00 f0");
    await user.click(screen.getByRole("button", { name: "Test" }));
    await screen.findByTestId("decoder-output");
    await user.selectOptions(screen.getByLabelText("Device"), "dev-1");
    await screen.findByTestId("decoder-recent-item");
    await screen.findByRole("checkbox", { name: "farm" });
    expect(await axeViolations(container)).toEqual([]);
  });
});

describe("Creating a decoder", () => {
  it.each<[DecoderKind, string]>([
    ["cayenne", "Cayenne LPP (built in)"],
    ["helium", "Blank Helium Console Decoder"],
    ["decode_uplink", "Blank decodeUplink (ChirpStack/TTN)"],
  ])("creates one from the %s template", async (kind, choice) => {
    const user = userEvent.setup();
    let list: Decoder[] = [];
    mockCommands({
      list_decoders: () => list,
      add_decoder: (args) => {
        list = [decoder({ id: "new-1", name: String(args.name), kind, script: String(args.script), labels: [] })];
        return list[0]!;
      },
      list_labels: [label("l1", "farm")],
    });
    render(<DecodersPage />);
    await user.click(await screen.findByRole("button", { name: "New decoder" }));
    const dialog = screen.getByRole("dialog", { name: "New decoder" });
    const group = within(dialog).getByRole("group", { name: "Start from" });
    expect(within(group).getAllByRole("radio")).toHaveLength(3);
    await user.click(within(group).getByRole("radio", { name: choice }));
    await user.click(within(dialog).getByRole("button", { name: "Continue" }));

    expect(await screen.findByRole("heading", { level: 1, name: "New decoder" })).toBeInTheDocument();
    expect(screen.getByTestId("decoder-unsaved")).toHaveTextContent("Not saved yet");
    expect(screen.getByTestId("decoder-labels-unsaved")).toBeInTheDocument();
    const template = templateOf(kind);
    if (kind === "cayenne") {
      expect(screen.queryByRole("textbox", { name: "Decoder script" })).not.toBeInTheDocument();
      expect(screen.getByTestId("decoder-cayenne-note")).toHaveTextContent("{channel, type, name, value, unit}");
    } else {
      const script = await screen.findByRole("textbox", { name: "Decoder script" });
      expect(script).toHaveValue(template.script);
      expect(template.script).toContain(kind === "helium" ? "function Decoder(bytes, port, uplink_info)" : "function decodeUplink(input)");
    }

    // A name first.
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByLabelText("Name")).toHaveAccessibleDescription("Give the decoder a name.");
    expect(screen.getByLabelText("Name")).toHaveFocus();
    expect(callsOf("add_decoder")).toHaveLength(0);

    await user.type(screen.getByLabelText("Name"), " Farm sensors ");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByTestId("decoder-saved")).toHaveTextContent("Created Farm sensors.");
    expect(callsOf("add_decoder")).toEqual([["add_decoder", { name: "Farm sensors", kind, script: template.script }]]);
    expect(screen.getByRole("heading", { level: 1, name: "Farm sensors" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
    expect(screen.queryByTestId("decoder-unsaved")).not.toBeInTheDocument();
    // Saved: it can have labels now.
    expect(await screen.findByRole("checkbox", { name: "farm" })).not.toBeChecked();

    await user.click(screen.getByRole("button", { name: "Back to decoders" }));
    expect(await screen.findByTestId("decoder-row")).toHaveTextContent("Farm sensors");
    expect(screen.getByRole("button", { name: "Edit Farm sensors" })).toHaveFocus();
  });
});

describe("Editing a decoder", () => {
  it("keeps the text and marks the line when a save is refused", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder()],
      update_decoder: {
        reject: { code: "invalid", message: "the script does not run: line 3: SyntaxError: unexpected token '}'" },
      },
    });
    render(<DecodersPage />);
    await openEditor(user);
    const save = screen.getByRole("button", { name: "Save" });
    expect(save).toBeDisabled();
    const script = screen.getByRole("textbox", { name: "Decoder script" });
    await user.type(script, "}");
    expect(screen.getByTestId("decoder-unsaved")).toHaveTextContent("Unsaved changes");
    await user.click(save);

    const error = await screen.findByRole("alert");
    expect(error).toHaveTextContent("Not saved: the script does not run: line 3: SyntaxError: unexpected token '}'");
    expect(callsOf("update_decoder")).toEqual([["update_decoder", { id: "dec-1", name: null, script: `${SCRIPT}}` }]]);
    expect(script).toHaveValue(`${SCRIPT}}`);
    expect(script).toHaveAttribute("data-error-line", "3");
    expect(script).toHaveAccessibleDescription(expect.stringContaining("line 3: SyntaxError"));
    expect(screen.getByTestId("decoder-unsaved")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Go to line 3" }));
    expect(editorCalls.focusLine).toEqual([3]);
  });

  it("renames and saves only what changed; Save is off until something does", async () => {
    const user = userEvent.setup();
    let list = [decoder()];
    mockCommands({
      list_decoders: () => list,
      update_decoder: (args) => {
        list = [decoder({ name: String(args.name), updated_at_ms: 1_700_000_000_001 })];
        return list[0]!;
      },
    });
    render(<DecodersPage />);
    await openEditor(user);
    expect(screen.getByRole("button", { name: "Back to decoders" })).toHaveFocus();
    const name = screen.getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "Orchard sensors");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByTestId("decoder-saved")).toHaveTextContent("Saved Orchard sensors.");
    expect(callsOf("update_decoder")).toEqual([["update_decoder", { id: "dec-1", name: "Orchard sensors", script: null }]]);
    expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
    expect(screen.getByRole("heading", { level: 1, name: "Orchard sensors" })).toBeInTheDocument();
  });

  it("says at the name when it is taken", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder(), decoder({ id: "dec-2", name: "Other" })],
      update_decoder: { reject: { code: "conflict", message: 'a decoder named "Other" already exists' } },
    });
    render(<DecodersPage />);
    await openEditor(user);
    const name = screen.getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "other");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(name).toHaveAccessibleDescription('a decoder named "Other" already exists'));
    expect(name).toHaveFocus();
    expect(name).toHaveValue("other");
  });

  it("asks before leaving unsaved changes", async () => {
    const user = userEvent.setup();
    mockCommands({ list_decoders: [decoder()] });
    render(<DecodersPage />);
    await openEditor(user);
    await user.type(screen.getByRole("textbox", { name: "Decoder script" }), "// more");
    await user.click(screen.getByRole("button", { name: "Back to decoders" }));
    const dialog = screen.getByRole("dialog", { name: "Discard your changes?" });
    await user.click(within(dialog).getByRole("button", { name: "Keep editing" }));
    expect(screen.getByRole("textbox", { name: "Decoder script" })).toHaveValue(`${SCRIPT}// more`);
    await user.click(screen.getByRole("button", { name: "Back to decoders" }));
    await user.click(screen.getByRole("button", { name: "Discard changes" }));
    expect(await screen.findByTestId("decoder-row")).toBeInTheDocument();
    expect(callsOf("update_decoder")).toHaveLength(0);
  });

  it("asks before the sidebar leaves the page with unsaved changes", async () => {
    const user = userEvent.setup();
    mockCommands({ list_decoders: [decoder()] });
    render(<App />);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await user.click(within(nav).getByRole("button", { name: "Decoders" }));
    await openEditor(user);
    await user.type(screen.getByRole("textbox", { name: "Decoder script" }), "x");
    await user.click(within(nav).getByRole("button", { name: "Labels" }));
    const dialog = screen.getByRole("dialog", { name: "Leave without saving?" });
    await user.click(within(dialog).getByRole("button", { name: "Stay" }));
    expect(screen.getByRole("textbox", { name: "Decoder script" })).toHaveValue(`${SCRIPT}x`);
    await user.click(within(nav).getByRole("button", { name: "Labels" }));
    await user.click(screen.getByRole("button", { name: "Leave" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Labels" })).toBeInTheDocument();
  });
});

describe("Testing a decoder", () => {
  it("runs the unsaved text on a pasted payload and shows the output, the logs and the time", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder()],
      test_decoder: trial({ payload: { first: 1, ok: true }, logs: ["got 4 bytes", "port 2"], micros: 420 }),
    });
    render(<DecodersPage />);
    await openEditor(user);
    await user.type(screen.getByRole("textbox", { name: "Decoder script" }), "// edited");
    const payload = screen.getByRole("textbox", { name: "Payload" });
    const port = screen.getByRole("textbox", { name: "Port" });
    expect(port).toHaveValue("1");
    // Read as chosen (decoderTest.test.tsx has the formats), sent as hex said 0x.
    await user.click(screen.getByRole("radio", { name: "Hex" }));
    await user.type(payload, "01 67 00 f0");
    await user.clear(port);
    await user.type(port, "2");
    await user.click(screen.getByRole("button", { name: "Test" }));

    const result = await screen.findByRole("region", { name: "Test result" });
    expect(callsOf("test_decoder")).toEqual([
      ["test_decoder", { kind: "helium", script: `${SCRIPT}// edited`, payload: "0x016700f0", port: 2 }],
    ]);
    expect(within(result).getByTestId("decoder-test-ok")).toHaveTextContent("Decoded in 0.42 ms");
    expect(within(result).getByTestId("decoder-output").textContent).toBe('{\n  "first": 1,\n  "ok": true\n}');
    expect(within(result).getByRole("button", { name: "Copy the output" })).toBeInTheDocument();
    expect(within(result).getByTestId("decoder-logs").textContent).toBe("got 4 bytes\nport 2");
    expect(within(result).queryByTestId("decoder-warnings")).toBeNull();
  });

  it("lists a decodeUplink's warnings apart from what it logged", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder()],
      test_decoder: trial({ logs: ["port 1"], warnings: ["battery low", "clock unset"] }),
    });
    render(<DecodersPage />);
    await openEditor(user);
    await user.type(screen.getByRole("textbox", { name: "Payload" }), "AQ==");
    await user.click(screen.getByRole("button", { name: "Test" }));
    const result = await screen.findByRole("region", { name: "Test result" });
    const warnings = within(result).getByTestId("decoder-warnings");
    expect(within(warnings).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "battery low",
      "clock unset",
    ]);
    expect(within(result).getByTestId("decoder-logs").textContent).toBe("port 1");
  });

  it("shows a failed trial's error with its line, and marks the line", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder()],
      test_decoder: trial({ ok: false, payload: null, error: "Decoder failed: line 2: TypeError: cannot read property '0' of undefined", logs: [], micros: 130 }),
    });
    render(<DecodersPage />);
    await openEditor(user);
    await user.type(screen.getByRole("textbox", { name: "Payload" }), "AWcA8A==");
    await user.click(screen.getByRole("button", { name: "Test" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Decoder failed: line 2: TypeError: cannot read property '0' of undefined");
    expect(screen.getByRole("textbox", { name: "Decoder script" })).toHaveAttribute("data-error-line", "2");
    expect(screen.getByTestId("decoder-logs-none")).toHaveTextContent("Nothing logged.");
    await user.click(screen.getByRole("button", { name: "Go to line 2" }));
    expect(editorCalls.focusLine).toEqual([2]);
  });

  it("says at the field what the core refuses in the payload, and checks the port", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder()],
      test_decoder: { reject: { code: "invalid", message: "the payload is too long" } },
    });
    render(<DecodersPage />);
    await openEditor(user);
    const payload = screen.getByRole("textbox", { name: "Payload" });
    await user.click(screen.getByRole("button", { name: "Test" }));
    expect(payload).toHaveAccessibleDescription(expect.stringContaining("Enter a payload"));
    expect(callsOf("test_decoder")).toHaveLength(0);

    await user.type(payload, "AQID");
    const port = screen.getByRole("textbox", { name: "Port" });
    await user.clear(port);
    await user.type(port, "300");
    await user.click(screen.getByRole("button", { name: "Test" }));
    expect(port).toHaveAccessibleDescription(expect.stringContaining("Port must be a whole number from 1 to 223."));
    expect(port).toHaveFocus();

    await user.clear(port);
    await user.type(port, "1");
    await user.click(screen.getByRole("button", { name: "Test" }));
    await vi.waitFor(() => expect(payload).toHaveAccessibleDescription(expect.stringContaining("the payload is too long")));
    expect(payload).toHaveAttribute("aria-invalid", "true");
    expect(payload).toHaveFocus();
    expect(screen.queryByRole("region", { name: "Test result" })).not.toBeInTheDocument();
  });

  it("fills the payload and port from a device's recent uplinks, its labelled devices first", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_decoders: [decoder()],
      list_devices: [device(1), device(2), device(3)],
      list_labels: [label("l1", "farm", ["dev-3"])],
      recent_payloads: (args) =>
        args.id === "dev-3"
          ? [
              { port: 5, payload: "AWcA8A==", fcnt: 12, reported_at: 1_700_000_060_000 },
              { port: 2, payload: "AQI=", fcnt: 11, reported_at: 1_700_000_000_000 },
            ]
          : [],
    });
    render(<DecodersPage />);
    await openEditor(user);
    const picker = screen.getByRole("combobox", { name: "Device" });
    await vi.waitFor(() => expect(picker).toBeEnabled());
    const groups = within(picker).getAllByRole("group");
    expect(groups.map((g) => g.getAttribute("label"))).toEqual(["With this decoder's labels", "Other devices"]);
    expect(within(groups[0]!).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Sensor 3 (0000000000000003)",
    ]);

    await user.selectOptions(picker, "dev-1");
    expect(await screen.findByTestId("decoder-recent-empty")).toHaveTextContent(
      "No uplinks from this device since the bridge started.",
    );
    await user.selectOptions(picker, "dev-3");
    const items = await screen.findAllByTestId("decoder-recent-item");
    expect(callsOf("recent_payloads").at(-1)).toEqual(["recent_payloads", { id: "dev-3" }]);
    expect(items[0]).toHaveTextContent("01 67 00 f0");
    expect(items[0]).toHaveTextContent("port 5 · fcnt 12");
    // Not today's: with its date. Filled in the format chosen (base64 unless said): hex here.
    expect(items[0]).toHaveTextContent(/fcnt 12 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    await user.click(screen.getByRole("radio", { name: "Hex" }));
    await user.click(items[0]!);
    expect(screen.getByRole("textbox", { name: "Payload" })).toHaveValue("01 67 00 f0");
    expect(screen.getByRole("textbox", { name: "Port" })).toHaveValue("5");
    expect(items[0]).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("status")).toHaveTextContent(/^Payload and port filled in from the uplink of .*: press Test\.$/);
    // Another payload typed: the uplink is no longer what the form holds.
    await user.type(screen.getByRole("textbox", { name: "Payload" }), " 01");
    expect(items[0]).toHaveAttribute("aria-pressed", "false");
    expect(screen.queryByText(/filled in from the uplink/)).toBeNull();
  });
});

describe("Labels and delete", () => {
  it("attaches and detaches labels by id, and points out a label with another decoder", async () => {
    const user = userEvent.setup();
    let current = decoder();
    const other = decoder({ id: "dec-2", name: "Other", labels: [{ id: "l3", name: "meters" }] });
    const labels = [label("l1", "farm"), label("l2", "orchard"), label("l3", "meters")];
    const names = Object.fromEntries(labels.map((l) => [l.id, l.name]));
    mockCommands({
      list_decoders: () => [current, other],
      list_labels: labels,
      attach_decoder: (args) => {
        const ids = args.labels as string[];
        current = { ...current, labels: [...current.labels, ...ids.map((id) => ({ id, name: names[id] ?? id }))] };
        // Orchard's devices carry meters too, which brings Other.
        return { decoder: current, warnings: ['device "Sensor 1" (dev-1): its labels attach 2 decoders'] };
      },
      detach_decoder: (args) => {
        const ids = args.labels as string[];
        current = { ...current, labels: current.labels.filter((l) => !ids.includes(l.id)) };
        return { decoder: current, warnings: [] };
      },
    });
    render(<DecodersPage />);
    const [row] = await screen.findAllByTestId("decoder-row");
    const opener = within(row!).getByRole("button", { name: "Labels of Farm sensors" });
    await user.click(opener);
    const dialog = screen.getByRole("dialog", { name: "Labels of Farm sensors" });
    const farm = await within(dialog).findByRole("checkbox", { name: "farm" });
    const orchard = within(dialog).getByRole("checkbox", { name: "orchard" });
    expect(farm).toBeChecked();
    expect(orchard).not.toBeChecked();
    expect(within(dialog).getByTestId("decoder-label-conflict")).toHaveTextContent("Has Other");

    await user.click(orchard);
    expect(await within(dialog).findByRole("status")).toHaveTextContent('Attached Farm sensors to "orchard"');
    expect(within(dialog).getByTestId("decoder-labels-warnings")).toHaveTextContent(
      'device "Sensor 1" (dev-1): its labels attach 2 decoders',
    );
    expect(callsOf("attach_decoder")).toEqual([["attach_decoder", { id: "dec-1", labels: ["l2"] }]]);
    expect(orchard).toBeChecked();

    await user.click(farm);
    await vi.waitFor(() => expect(farm).not.toBeChecked());
    expect(callsOf("detach_decoder")).toEqual([["detach_decoder", { id: "dec-1", labels: ["l1"] }]]);
    // The row's labels come from the list, which reloads after each change (it showed "farm" before).
    await waitFor(() =>
      expect(within(row!).getByRole("list", { name: "Labels of Farm sensors" })).toHaveTextContent("orchard"),
    );

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it("says which labels lose the decoder, then deletes it", async () => {
    const user = userEvent.setup();
    let list = [decoder({ labels: [{ id: "l1", name: "farm" }, { id: "l2", name: "orchard" }] })];
    mockCommands({
      list_decoders: () => list,
      remove_decoder: () => {
        const gone = list[0]!;
        list = [];
        return gone;
      },
    });
    render(<DecodersPage />);
    await user.click(await screen.findByRole("button", { name: "Delete Farm sensors" }));
    const dialog = screen.getByRole("dialog", { name: "Delete the decoder Farm sensors?" });
    expect(within(dialog).getByTestId("delete-decoder-effect")).toHaveTextContent(
      'The labels "farm" and "orchard" lose it: the uplinks of their devices go to AWS without decoded.',
    );
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Delete decoder" }));
    expect(await screen.findByTestId("decoders-empty")).toBeInTheDocument();
    expect(callsOf("remove_decoder")).toEqual([["remove_decoder", { id: "dec-1" }]]);
    expect(screen.getByTestId("decoder-notice")).toHaveTextContent("Deleted Farm sensors.");
  });

  it("says when a deleted decoder had no labels", async () => {
    const user = userEvent.setup();
    mockCommands({ list_decoders: [decoder({ labels: [] })] });
    render(<DecodersPage />);
    await user.click(await screen.findByRole("button", { name: "Delete Farm sensors" }));
    expect(screen.getByTestId("delete-decoder-effect")).toHaveTextContent("It is attached to no label: no device uses it.");
  });
});

describe("decoder helpers", () => {
  it("reads the line an error names", () => {
    expect(errorLine("the script does not run: line 3: SyntaxError: x")).toBe(3);
    expect(errorLine("Decoder failed: line 12: TypeError: y")).toBe(12);
    expect(errorLine("Decoder failed: it threw plain string")).toBeNull();
    expect(errorLine(null)).toBeNull();
  });

  it("has templates whose examples decode", () => {
    const helium = new Function(`${templateOf("helium").script}; return Decoder;`)() as (b: number[], p: number, u: object) => unknown;
    expect(helium([0x00, 0xeb], 1, {})).toEqual({ temperature: 23.5 });
    expect(helium([0xff, 0x9c], 1, {})).toEqual({ temperature: -10 });
    expect(helium([1], 1, {})).toEqual({});
    const ttn = new Function(`${templateOf("decode_uplink").script}; return decodeUplink;`)() as (i: object) => unknown;
    expect(ttn({ bytes: [0x00, 0xeb], fPort: 1 })).toEqual({ data: { temperature: 23.5 }, warnings: [], errors: [] });
    expect(ttn({ bytes: [1], fPort: 1 })).toEqual({ data: {}, warnings: ["expected at least 2 bytes"], errors: [] });
    expect(templateOf("cayenne").script).toBe("");
  });

  it("shows times in milliseconds", () => {
    expect(formatMicros(420)).toBe("0.42 ms");
    expect(formatMicros(5)).toBe("0.005 ms");
    expect(formatMicros(12_345)).toBe("12.35 ms");
  });
});
