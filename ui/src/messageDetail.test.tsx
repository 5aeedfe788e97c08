// The Messages page's detail pane: one message in full, its views (JSON, hex, text, decoded, source
// event) with a copy button each, the messages about the same uplink, and a message retention removed.
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CodeEditorProps } from "./CodeEditor";
import type { Message } from "./bindings";
import { MESSAGE_ROW_HEIGHT } from "./pages/messages/MessageTable";
import { MessagesPage } from "./pages/messages/MessagesPage";
import { dumpWidthFor } from "./pages/messages/DetailViews";
import { axeViolations } from "./test/axe";
import { declarations } from "./test/css";
import { callsOf, device, integration, message, messageRow, mockCommands, resetCommandsEachTest } from "./test/tauri";
import { fakeViewport } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

// CodeMirror needs a layout jsdom does not have: a read-only text area with the viewer's name and
// text stands in (codeEditor.test.tsx covers the real one, JSON included).
vi.mock("./CodeEditor", () => ({
  CodeEditor: function CodeEditorStandIn(props: CodeEditorProps) {
    return (
      <textarea
        aria-label={props.label}
        data-testid={props.testId}
        data-language={props.language}
        readOnly={props.readOnly}
        data-wrap={props.wrap ? "true" : undefined}
        value={props.value}
      />
    );
  },
}));

resetCommandsEachTest();
let restoreLayout: (() => void) | undefined;
beforeEach(() => {
  restoreLayout = fakeViewport(480);
});
afterEach(() => restoreLayout?.());

/** "Hello" 00 01 ff as base64. */
const PAYLOAD = "SGVsbG8AAf8=";
// Written as text: a number too big for a double must show as published, not rounded.
const UPLINK_JSON =
  `{"id":"dev-1","name":"Sensor 1","port":2,"payload":"${PAYLOAD}",` +
  `"decoded":{"status":"success","payload":{"temperature":21.5}},"big":12345678901234567890}`;
const SOURCE_EVENT = '{"deduplicationId":"d-1","data":"SGVsbG8AAf8="}';

const uplink: Message = message({
  id: 7,
  uuid: "u-7",
  size: UPLINK_JSON.length,
  text: "uplink published to AWS",
  json: UPLINK_JSON,
  source_event: SOURCE_EVENT,
});
const rejected = messageRow({
  id: 8,
  kind: "uplink_rejected",
  direction: "none",
  level: "error",
  uuid: "u-7",
  topic: null,
  text: "AWS refused the uplink: payload too large",
});

async function openDetail(messages: Record<number, Message | null>, rows = [messageRow({ id: 7 })]) {
  const user = userEvent.setup();
  mockCommands({
    list_integrations: [integration({ id: "int-1", name: "Farm sensors" })],
    search_history: { rows, next: null },
    get_message: (args) => messages[args.id as number] ?? null,
    related_messages: (args) => ([7, 8].includes(args.id as number) ? [messageRow({ id: 7 }), rejected] : []),
  });
  render(<MessagesPage />);
  const row = await screen.findByTestId("message-row");
  await user.click(row);
  const detail = await screen.findByTestId("message-detail");
  return { user, detail, row };
}

describe("Message detail", () => {
  it("takes rows from the list while open, which keeps 4 then (8 when none is open)", async () => {
    const user = userEvent.setup();
    mockCommands({
      search_history: { rows: Array.from({ length: 20 }, (_, i) => messageRow({ id: 20 - i })), next: null },
      get_message: { ...uplink, id: 20 },
    });
    render(<MessagesPage />);
    await user.click((await screen.findAllByTestId("message-row"))[0] as HTMLElement);
    const detail = await screen.findByTestId("message-detail");
    const room = (n: number) => `${38 + n * MESSAGE_ROW_HEIGHT + 2}px`;
    expect(screen.getByTestId("messages-scroll").style.minHeight).toBe(room(4));
    await user.click(within(detail).getByRole("button", { name: "Close the message" }));
    expect(screen.queryByTestId("message-detail")).not.toBeInTheDocument();
    expect(screen.getByTestId("messages-scroll").style.minHeight).toBe(room(8));
  });

  it("shows the message's facts and its JSON exactly, pretty-printed, read-only", async () => {
    const { detail, row } = await openDetail({ 7: uplink });
    expect(callsOf("get_message")).toEqual([["get_message", { id: 7 }]]);
    expect(row).toHaveAttribute("aria-current", "true");
    const facts = await within(detail).findByTestId("detail-facts");
    expect(facts).toHaveTextContent("uplink");
    expect(facts).toHaveTextContent("Up");
    // One 24-hour form with the date in ISO order: no "12/5/2026, 12:53:54 AM (00:53:54.809)".
    // Local time, with its offset from UTC (what exports write).
    expect(within(facts).getByTestId("detail-time").textContent).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} UTC[+-]\d{2}:\d{2}$/,
    );
    // By name, the ids on hover: three short lines of facts, and no more raw ids than needed.
    const deviceFact = within(facts).getByTestId("detail-device");
    expect(deviceFact).toHaveTextContent("Sensor 1 DevEUI 0011223344556677");
    expect(deviceFact).not.toHaveTextContent("dev-1");
    expect(deviceFact).toHaveAttribute("title", "dev-1\nDevEUI 0011223344556677");
    expect(facts).toHaveTextContent("IntegrationFarm sensors");
    expect(facts).not.toHaveTextContent("int-1");
    expect(within(facts).getByText("Farm sensors")).toHaveAttribute("title", "int-1");
    expect(facts).toHaveTextContent("helium/uplinks (QoS 1)");
    expect(facts).toHaveTextContent("UUIDu-7");
    expect(facts).toHaveTextContent(`${UPLINK_JSON.length} bytes`);
    expect(detail).toHaveTextContent("uplink published to AWS");

    const json = within(detail).getByTestId("detail-json");
    // The viewer loads with the pane; its text shows meanwhile.
    expect(json).toHaveTextContent('"payload": "SGVsbG8AAf8="');
    const editor = await within(json).findByRole("textbox");
    expect(editor).toHaveAttribute("data-language", "json");
    expect(editor).toHaveAttribute("readonly");
    expect((editor as HTMLTextAreaElement).value).toContain('\n  "payload": "SGVsbG8AAf8=",\n');
    // Exactly as published: the big number is not rounded.
    expect((editor as HTMLTextAreaElement).value).toContain('"big": 12345678901234567890');
    expect(within(detail).getByTestId("detail-tab-json")).toHaveAttribute("aria-selected", "true");
  });

  it("shows the payload as a hex dump and as text, the decoded payload and the source event", async () => {
    const { user, detail } = await openDetail({ 7: uplink });
    await within(detail).findByTestId("detail-json");

    await user.click(within(detail).getByTestId("detail-tab-hex"));
    expect(within(detail).getByTestId("detail-tab-hex")).toHaveAttribute("aria-selected", "true");
    const hex = within(detail).getByTestId("detail-hex");
    expect(hex).toHaveTextContent("8 payload bytes.");
    expect(hex.querySelector("pre")?.textContent).toBe(`0000  48 65 6c 6c 6f 00 01 ff${" ".repeat(24)}  Hello...`);
    expect(within(detail).queryByTestId("detail-json")).not.toBeInTheDocument();

    await user.click(within(detail).getByTestId("detail-tab-text"));
    expect(within(detail).getByTestId("detail-text").querySelector("pre")?.textContent).toBe("Hello...");

    await user.click(within(detail).getByTestId("detail-tab-decoded"));
    expect(within(detail).getByTestId("detail-decoded").querySelector("pre")?.textContent).toBe(
      JSON.stringify({ status: "success", payload: { temperature: 21.5 } }, null, 2),
    );

    await user.click(within(detail).getByTestId("detail-tab-source"));
    expect(within(detail).getByTestId("detail-source").querySelector("pre")?.textContent).toBe(
      '{\n  "deduplicationId": "d-1",\n  "data": "SGVsbG8AAf8="\n}',
    );

    // Arrow keys move between the tabs.
    await user.keyboard("{ArrowLeft}");
    expect(within(detail).getByTestId("detail-tab-decoded")).toHaveFocus();
    expect(within(detail).getByTestId("detail-decoded")).toBeInTheDocument();
    await user.keyboard("{End}");
    expect(within(detail).getByTestId("detail-tab-source")).toHaveAttribute("aria-selected", "true");
  });

  it("fits the hex dump to a narrow pane: 8 bytes a line, so offsets, hex and text all show", async () => {
    expect(dumpWidthFor(null)).toBe(16);
    expect(dumpWidthFor(600)).toBe(16);
    expect(dumpWidthFor(450)).toBe(8);
    restoreLayout?.();
    // The pane beside the list in a wide window: about 400 px.
    restoreLayout = fakeViewport(480, 400);
    const bytes = { ...uplink, json: `{"payload":"${btoa("Hello, wide world!")}"}` };
    const { user, detail } = await openDetail({ 7: bytes });
    await user.click(await within(detail).findByTestId("detail-tab-hex"));
    expect(within(detail).getByTestId("detail-hex").querySelector("pre")?.textContent).toBe(
      ["0000  48 65 6c 6c 6f 2c 20 77  Hello, w", "0008  69 64 65 20 77 6f 72 6c  ide worl", "0010  64 21                    d!"].join(
        "\n",
      ),
    );
    // Copied as shown.
    await user.click(within(detail).getByRole("button", { name: "Copy the hex dump" }));
    expect(await navigator.clipboard.readText()).toMatch(/^0000 {2}48 65 6c 6c 6f 2c 20 77 {2}Hello, w\n/);
  });

  it("wraps long strings in the JSON and text views, not the hex dump (messages.css)", async () => {
    expect(await declarations("messages.css", ".msg-code-wrap")).toMatch(/white-space:\s*pre-wrap/);

    const { user, detail } = await openDetail({ 7: uplink });
    await within(detail).findByTestId("detail-json");
    // The JSON viewer with CodeMirror's own line wrapping (codeEditor.test.tsx).
    expect(await within(detail).findByTestId("detail-json-editor")).toHaveAttribute("data-wrap", "true");
    await user.click(within(detail).getByTestId("detail-tab-source"));
    expect(within(detail).getByTestId("detail-source").querySelector("pre")).toHaveClass("msg-code-wrap");
    await user.click(within(detail).getByTestId("detail-tab-hex"));
    expect(within(detail).getByTestId("detail-hex").querySelector("pre")).not.toHaveClass("msg-code-wrap");
  });

  it("keeps the pane's header block short, so its views show under the list at 1024×700 (messages.css)", async () => {
    expect(await declarations("messages.css", ".msg-detail")).toMatch(/min-height:\s*220px/);
    expect(await declarations("messages.css", ".msg-detail-header")).toMatch(/padding-block:\s*6px/);
    expect(await declarations("messages.css", ".msg-facts")).toMatch(/gap:\s*2px 16px/);
  });

  it("shows the headline and the related messages as stored, and a level that is not info", async () => {
    const user = userEvent.setup();
    const refused = {
      ...rejected,
      kind: "downlink",
      direction: "down" as const,
      device_name: null,
      text: "downlink for dev-1 rejected: port 0 is reserved",
    };
    mockCommands({
      list_devices: [device(1)],
      search_history: { rows: [refused], next: null },
      get_message: { ...refused, json: null, source_event: null, detail: null },
      related_messages: [refused, { ...refused, id: 9, text: "downlink for dev-1 queued" }],
    });
    render(<MessagesPage />);
    await user.click(await screen.findByTestId("message-row"));
    const detail = await screen.findByTestId("message-detail");
    await waitFor(() => expect(detail.querySelector(".msg-detail-text")).toHaveTextContent("downlink for dev-1 rejected: port 0 is reserved"));
    // The reason is read there: it wraps to three lines before it is cut (messages.css).
    const headline = await declarations("messages.css", ".msg-detail-text");
    expect(headline).toMatch(/-webkit-line-clamp:\s*3/);
    expect(headline).not.toMatch(/white-space:\s*nowrap/);
    const facts = await within(detail).findByTestId("detail-facts");
    expect(facts).toHaveTextContent("Levelerror");
    const related = await within(detail).findAllByTestId("related-message");
    expect(related[0]).toHaveTextContent("downlink for dev-1 queued");
  });

  it("copies each view and says so", async () => {
    const { user, detail } = await openDetail({ 7: uplink });
    await within(detail).findByTestId("detail-json");
    await user.click(within(detail).getByTestId("detail-copy-json"));
    expect(await navigator.clipboard.readText()).toContain('"decoded": {');
    // The button says so once the copy's promise has settled and it rendered again.
    await waitFor(() => expect(within(detail).getByTestId("detail-copy-json")).toHaveTextContent("Copied"));

    await user.click(within(detail).getByTestId("detail-tab-hex"));
    await user.click(within(detail).getByRole("button", { name: "Copy the hex dump" }));
    expect(await navigator.clipboard.readText()).toMatch(/^0000 {2}48 65 6c/);
    await waitFor(() => expect(within(detail).getByTestId("detail-copy-hex")).toHaveTextContent("Copied"));
  });

  it("says what a message without a payload has none of", async () => {
    const event = message({
      id: 7,
      kind: "connection",
      direction: "none",
      topic: null,
      qos: null,
      uuid: null,
      size: 0,
      detail: { integration: "int-1", connected: false },
    });
    const { user, detail } = await openDetail({ 7: event });
    const json = await within(detail).findByTestId("detail-json");
    expect(json).toHaveTextContent("No JSON was sent or received; this is the event's detail.");
    expect(((await within(json).findByRole("textbox")) as HTMLTextAreaElement).value).toContain('"connected": false');
    await user.click(within(detail).getByTestId("detail-tab-hex"));
    expect(within(detail).getByTestId("detail-hex")).toHaveTextContent("No payload bytes in this message.");
    await user.click(within(detail).getByTestId("detail-tab-decoded"));
    expect(within(detail).getByTestId("detail-decoded")).toHaveTextContent("No decoded payload");
    expect(within(detail).queryByTestId("detail-copy-decoded")).not.toBeInTheDocument();
    await user.click(within(detail).getByTestId("detail-tab-source"));
    expect(within(detail).getByTestId("detail-source")).toHaveTextContent("No source event");
    // No uuid: no related messages asked for.
    expect(callsOf("related_messages")).toEqual([]);
  });

  it("lists the other messages about the same uplink, and opens one", async () => {
    const { user, detail } = await openDetail({
      7: uplink,
      8: { ...rejected, json: null, source_event: null, detail: { uuid: "u-7" } },
    });
    const related = await within(detail).findAllByTestId("related-message");
    expect(callsOf("related_messages")).toEqual([["related_messages", { id: 7 }]]);
    expect(related).toHaveLength(1);
    expect(related[0]).toHaveTextContent("uplink_rejected");
    expect(related[0]).toHaveTextContent("AWS refused the uplink: payload too large");

    await user.click(related[0] as HTMLElement);
    await waitFor(() => expect(screen.getByTestId("message-detail")).toHaveTextContent("Message 8"));
    expect(callsOf("get_message").at(-1)).toEqual(["get_message", { id: 8 }]);
    const facts = await within(screen.getByTestId("message-detail")).findByTestId("detail-facts");
    expect(facts).toHaveTextContent("uplink_rejected");
    // Its related list leads back to the uplink.
    const back = await within(screen.getByTestId("message-detail")).findAllByTestId("related-message");
    expect(back.map((b) => b.getAttribute("data-id"))).toEqual(["7"]);
  });

  it("says when retention removed the message, and closes", async () => {
    const { user, detail } = await openDetail({});
    expect(await within(detail).findByTestId("detail-gone")).toHaveTextContent(
      "This message is no longer in the history (retention removed it).",
    );
    await user.click(within(detail).getByRole("button", { name: "Close the message" }));
    expect(screen.queryByTestId("message-detail")).not.toBeInTheDocument();
  });

  it("shows the direction's arrow and word once, the word read out", async () => {
    const { detail } = await openDetail({ 7: uplink });
    const facts = await within(detail).findByTestId("detail-facts");
    const direction = Array.from(facts.querySelectorAll(".msg-fact")).find((f) => f.querySelector("dt")?.textContent === "Direction");
    const value = direction?.querySelector("dd");
    expect(value?.textContent).toBe("↑ Up");
    expect(value?.querySelector('[aria-hidden="true"]')?.textContent).toBe("↑");
    expect(value?.querySelector(".sr-only")).toBeNull();
    // Each fact is a name and its value, together (they wrap as pairs).
    // The level only when it is news (not info), as in the list; QoS with the topic.
    expect(Array.from(facts.querySelectorAll(":scope > .msg-fact > dt"), (dt) => dt.textContent)).toEqual([
      "Time",
      "Kind",
      "Direction",
      "Size",
      "Device",
      "Integration",
      "Topic",
      "Seen on AWS",
      "UUID",
    ]);
    // Not watched: it says how to see it arrive at AWS.
    expect(within(facts).getByTestId("detail-seen")).toHaveTextContent("not yet (turn on Watch AWS");
  });

  it("says when AWS echoed the uplink, and how long after the bridge took it in", async () => {
    const seen = { ...uplink, seen_ms: uplink.at_ms + 85 };
    const { detail } = await openDetail({ 7: seen });
    const facts = await within(detail).findByTestId("detail-facts");
    expect(within(facts).getByTestId("detail-seen")).toHaveTextContent("(85 ms after the bridge took it in)");
    // The same day as the message: its time alone, 24-hour.
    expect(within(facts).getByTestId("detail-seen").textContent).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} \(/);
  });

  it("sits with the list in one body, beside it in a wide window (messages.css)", async () => {
    const { detail } = await openDetail({ 7: uplink });
    const body = detail.parentElement;
    expect(body).toHaveClass("msg-body", "msg-body-open");
    expect(body?.querySelector(":scope > .msg-main [data-testid=messages-scroll]")).not.toBeNull();
    await userEvent.setup().click(within(detail).getByTestId("detail-close"));
    expect(body).not.toHaveClass("msg-body-open");
  });

  it("opens from the keyboard", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: { rows: [messageRow({ id: 7 })], next: null }, get_message: uplink });
    render(<MessagesPage />);
    const row = await screen.findByTestId("message-row");
    row.focus();
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("message-detail")).toBeInTheDocument();
    expect(callsOf("get_message")).toEqual([["get_message", { id: 7 }]]);
  });

  it("has no axe violations", async () => {
    const user = userEvent.setup();
    mockCommands({
      search_history: { rows: [messageRow({ id: 7 })], next: null },
      get_message: uplink,
      related_messages: [messageRow({ id: 7 }), rejected],
    });
    const { container } = render(
      <main>
        <MessagesPage />
      </main>,
    );
    await user.click(await screen.findByTestId("message-row"));
    await screen.findAllByTestId("related-message");
    expect(await axeViolations(container)).toEqual([]);
    await user.click(screen.getByTestId("detail-tab-hex"));
    expect(await axeViolations(container)).toEqual([]);
  });
});
