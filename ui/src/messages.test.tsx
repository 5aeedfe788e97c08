// The Messages page, live: the stored messages and the stream merged once each, newest first, in a
// bounded window; filters that subscribe again; Pause, Clear, the "N new" marker and the note on
// what came too fast.
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { App } from "./App";
import type { HistoryPage, LiveBatch, MessageFilter, MessageRow } from "./bindings";
import { formatListTime } from "./format";
import { dropsFor, MESSAGE_ROW_HEIGHT, MESSAGE_TABLE_MIN_WIDTH } from "./pages/messages/MessageTable";
import { MAX_MESSAGES } from "./pages/messages/liveWindow";
import { MessagesPage } from "./pages/messages/MessagesPage";
import { axeViolations } from "./test/axe";
import { declarations } from "./test/css";
import { callsOf, device, integration, lastMessageChannel, messageRow, mockCommands, NO_FILTER, resetCommandsEachTest } from "./test/tauri";
import { fakeViewport } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));
// Counted (and run as they are): each row the table renders formats its time once.
vi.mock("./format", async (original) => {
  const format = await original<typeof import("./format")>();
  return { ...format, formatListTime: vi.fn(format.formatListTime) };
});

resetCommandsEachTest();
let restoreLayout: (() => void) | undefined;
beforeEach(() => {
  restoreLayout = fakeViewport(480);
});
afterEach(() => restoreLayout?.());

const rows = () => screen.queryAllByTestId("message-row");
const rowIds = () => rows().map((r) => Number(r.getAttribute("data-id")));
const page = (list: MessageRow[], next: HistoryPage["next"] = null): HistoryPage => ({ rows: list, next });
/** Rows with these ids, newest (highest) first as History returns them. */
const stored = (...ids: number[]) => page(ids.map((id) => messageRow({ id })));
/** `n` stored messages, newest (id `n`) first. */
const storedNewestFirst = (n: number) => stored(...Array.from({ length: n }, (_, i) => n - i));

function stream(list: MessageRow[], skipped = 0, seen: LiveBatch["seen"] = []) {
  act(() => lastMessageChannel().onmessage({ rows: list, skipped, seen } satisfies LiveBatch));
}
const streamIds = (...ids: number[]) => stream(ids.map((id) => messageRow({ id })));

const subscribedFilters = () => callsOf("subscribe_messages").map(([, args]) => (args as { filter: MessageFilter }).filter);

describe("Messages, live", () => {
  it("marks an uplink seen on AWS when its echo comes, also while paused", async () => {
    mockCommands({ search_history: page([messageRow({ id: 1, uuid: "u-1" })]) });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([1]));
    expect(screen.queryByTestId("seen-on-aws")).not.toBeInTheDocument();
    stream([messageRow({ id: 2, uuid: "u-2" })], 0, [{ integration_id: "int-1", uuid: "u-1", at_ms: 1_700_000_001_500 }]);
    const [second, first] = rows() as [HTMLElement, HTMLElement];
    expect(within(first).getByTestId("seen-on-aws")).toHaveTextContent("AWS");
    expect(within(second).queryByTestId("seen-on-aws")).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId("messages-pause"));
    stream([], 0, [{ integration_id: "int-1", uuid: "u-2", at_ms: 1_700_000_002_500 }]);
    expect(within(rows()[0] as HTMLElement).getByTestId("seen-on-aws")).toBeInTheDocument();
  });

  it("shows the new-messages marker in the toolbar's flow, not floating over the rows (messages.css)", async () => {
    const marker = await declarations("messages.css", ".msg-new-marker");
    expect(marker).not.toMatch(/position:\s*absolute/);
    expect(marker).not.toMatch(/top:/);
  });

  it("shows today's times alone, older ones with their date, in one 24-hour form", async () => {
    // Only Date is faked: the timers the page and the test wait with run as usual.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 11, 5, 9, 30));
    try {
      mockCommands({
        search_history: page([
          messageRow({ id: 3, at_ms: new Date(2026, 11, 5, 0, 53, 57, 976).getTime() }),
          messageRow({ id: 2, at_ms: new Date(2026, 11, 4, 23, 59, 59, 1).getTime() }),
          messageRow({ id: 1, at_ms: new Date(2025, 11, 31, 12, 0, 0, 0).getTime() }),
        ]),
      });
      render(<MessagesPage />);
      await waitFor(() => expect(rowIds()).toEqual([3, 2, 1]));
      const times = rows().map((r) => within(r).getAllByRole("cell")[0] as HTMLElement);
      expect(times.map((t) => t.textContent)).toEqual(["00:53:57.976", "12-04 23:59:59.001", "2025-12-31 12:00:00.000"]);
      // The whole date and time on hover, never "12/5/2026, 12:53:57 AM".
      expect(times[0]?.getAttribute("title")).toMatch(/^2026-12-05 00:53:57\.976 local time \(UTC[+-]\d{2}:\d{2}\)$/);
      // The column is as wide as the longest, and the times line up on the right.
      expect(screen.getByRole("table", { name: "Messages" }).style.minWidth).toBe(`${MESSAGE_TABLE_MIN_WIDTH + 80}px`);
      expect(times[0]).toHaveClass("num");
    } finally {
      vi.useRealTimers();
    }
  });

  it("dates today's rows at midnight though no message comes", async () => {
    // Only Date is faked: the page's timer runs, and finds the day changed.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 11, 5, 23, 59, 59, 700));
    try {
      mockCommands({ search_history: page([messageRow({ id: 3, at_ms: new Date(2026, 11, 5, 0, 53, 57, 976).getTime() })]) });
      render(<MessagesPage />);
      await waitFor(() => expect(rowIds()).toEqual([3]));
      const time = () => within(rows()[0] as HTMLElement).getAllByRole("cell")[0]?.textContent;
      expect(time()).toBe("00:53:57.976");
      vi.setSystemTime(new Date(2026, 11, 6, 0, 0, 0, 500));
      await waitFor(() => expect(time()).toBe("12-05 00:53:57.976"), { timeout: 3000 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows a message's text as it is stored, so the Text filter finds what is shown", async () => {
    mockCommands({
      list_devices: [device(1)],
      search_history: page([
        messageRow({
          id: 1,
          kind: "downlink",
          direction: "down",
          level: "error",
          device_id: "dev-1",
          device_name: null,
          text: "downlink for dev-1 rejected: port 0 is reserved",
        }),
      ]),
    });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([1]));
    await waitFor(() => expect(rows()[0]).toHaveTextContent("downlink for dev-1 rejected: port 0 is reserved"));
    // The Device column names it.
    expect(rows()[0]).toHaveTextContent("Sensor 1");
  });

  it("names the device of a downlink or an event by the device list, as its uplinks do", async () => {
    mockCommands({
      list_devices: [device(1)],
      search_history: page([
        messageRow({ id: 2, kind: "connection", direction: "none", device_id: "dev-1", device_name: null }),
        messageRow({ id: 1, kind: "downlink", direction: "down", device_id: "dev-9", device_name: null }),
        messageRow({ id: 0, kind: "downlink", direction: "down", device_id: "dev-8", device_name: null, dev_eui: null }),
      ]),
    });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([2, 1, 0]));
    const cells = () => rows().map((r) => r.querySelectorAll("[role=cell], td")[3]?.textContent);
    // A device the list does not know (since removed): by its DevEUI, else its id.
    await waitFor(() => expect(cells()).toEqual(["Sensor 1", "0011223344556677", "dev-8"]));
  });

  it("marks an uplink whose echo from AWS came before the uplink itself, also while paused", async () => {
    mockCommands({ search_history: page([]) });
    render(<MessagesPage />);
    await waitFor(() => expect(screen.getByTestId("messages-pause")).toBeInTheDocument());
    // AWS's echo can beat the bridge's record of the uplink (the broker hands it out at once).
    stream([], 0, [{ integration_id: "int-1", uuid: "u-1", at_ms: 1_700_000_001_500 }]);
    stream([messageRow({ id: 1, uuid: "u-1" })]);
    await waitFor(() => expect(rowIds()).toEqual([1]));
    expect(within(rows()[0] as HTMLElement).getByTestId("seen-on-aws")).toHaveTextContent("AWS");
    await userEvent.click(screen.getByTestId("messages-pause"));
    stream([], 0, [{ integration_id: "int-1", uuid: "u-2", at_ms: 1_700_000_002_500 }]);
    stream([messageRow({ id: 2, uuid: "u-2" }), messageRow({ id: 3, uuid: "u-3" })]);
    await userEvent.click(screen.getByTestId("messages-pause"));
    await waitFor(() => expect(rowIds()).toEqual([3, 2, 1]));
    const marked = rows().map((r) => within(r).queryByTestId("seen-on-aws") !== null);
    expect(marked).toEqual([false, true, true]);
  });

  it("subscribes, then starts with the newest 500 stored, newest first, and streams on top", async () => {
    mockCommands({
      list_integrations: [integration({ id: "int-1", name: "Farm sensors" })],
      search_history: page([
        messageRow({ id: 2, kind: "uplink_rejected", direction: "none", level: "error", text: "no route", topic: null }),
        messageRow({ id: 1, kind: "uplink", text: "uplink from Sensor 1" }),
      ]),
    });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([2, 1]));
    const order = vi.mocked(invoke).mock.calls.map(([c]) => c).filter((c) => c === "subscribe_messages" || c === "search_history");
    expect(order).toEqual(["subscribe_messages", "search_history"]);
    expect(callsOf("search_history")[0]?.[1]).toEqual({ filter: NO_FILTER, after: null, limit: 500 });
    expect(subscribedFilters()).toEqual([NO_FILTER]);

    const [error, uplink] = rows() as [HTMLElement, HTMLElement];
    expect(error).toHaveAttribute("data-kind", "uplink_rejected");
    expect(error).toHaveAttribute("data-level", "error");
    expect(error).toHaveTextContent("Event");
    expect(within(error).getByText("error")).toHaveClass("level-error");
    expect(uplink).toHaveAttribute("data-level", "info");
    // Direction as a word for assistive technology, the device by name, the integration by name.
    expect(uplink).toHaveTextContent("Up");
    expect(uplink).toHaveTextContent("Sensor 1");
    await waitFor(() => expect(uplink).toHaveTextContent("Farm sensors"));
    expect(uplink).toHaveTextContent("helium/uplinks");
    expect(uplink).toHaveTextContent("uplink from Sensor 1");

    streamIds(3, 4);
    expect(rowIds()).toEqual([4, 3, 2, 1]);
    expect(screen.getByTestId("messages-count")).toHaveTextContent("4 messages, newest first.");
    expect(screen.queryByTestId("messages-empty")).not.toBeInTheDocument();
  });

  it("shows a message both stored and streamed while the store was read once", async () => {
    let answer: (p: HistoryPage) => void = () => undefined;
    mockCommands({ search_history: () => new Promise<HistoryPage>((r) => (answer = r)) as unknown as HistoryPage });
    render(<MessagesPage />);
    await waitFor(() => expect(callsOf("search_history")).toHaveLength(1));
    streamIds(10, 11);
    expect(rows()).toHaveLength(0);
    await act(async () => answer(stored(10, 9)));
    await waitFor(() => expect(rowIds()).toEqual([11, 10, 9]));
    // And a batch repeating one already shown adds only the new one.
    streamIds(11, 12);
    expect(rowIds()).toEqual([12, 11, 10, 9]);
  });

  it("keeps at most 2,000 messages and renders only a window of them", async () => {
    mockCommands({ search_history: storedNewestFirst(500) });
    render(<MessagesPage />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    for (let b = 0; b < 12; b++) {
      stream(Array.from({ length: 200 }, (_, i) => messageRow({ id: 1000 + b * 200 + i })));
    }
    expect(screen.getByRole("table", { name: "Messages" })).toHaveAttribute("aria-rowcount", String(MAX_MESSAGES + 1));
    expect(rows().length).toBeLessThan(50);
    expect(rowIds()[0]).toBe(1000 + 12 * 200 - 1);
    expect(screen.getByTestId("messages-count")).toHaveTextContent("2,000 messages, newest first (the latest 2,000");
  });

  it("subscribes again with the filters, typing settled first, and unsubscribes the old stream", async () => {
    // Keys go in without yielding between them: a busy machine cannot fake a pause in typing.
    const user = userEvent.setup({ delay: null });
    mockCommands({ list_integrations: [integration({ id: "int-1", name: "Farm sensors" }), integration({ id: "int-2", name: "Water" })] });
    render(<MessagesPage />);
    await screen.findByTestId("messages-empty");
    const first = lastMessageChannel();

    await user.selectOptions(screen.getByTestId("filter-kind"), "downlink");
    await waitFor(() => expect(subscribedFilters()).toHaveLength(2));
    expect(subscribedFilters()[1]).toEqual({ ...NO_FILTER, kinds: ["downlink"] });
    await waitFor(() => expect(callsOf("unsubscribe_events")).toEqual([["unsubscribe_events", { id: first.id }]]));
    // The stored messages are read with the same filter.
    await waitFor(() => expect(callsOf("search_history")[1]?.[1]).toMatchObject({ filter: { ...NO_FILTER, kinds: ["downlink"] } }));

    await user.selectOptions(screen.getByTestId("filter-kind"), "problems");
    await waitFor(() => expect(subscribedFilters()).toHaveLength(3));
    expect(subscribedFilters()[2]).toEqual({ ...NO_FILTER, levels: ["warn", "error"] });

    await user.selectOptions(screen.getByTestId("filter-level"), "error");
    await within(screen.getByTestId("filter-integration")).findByRole("option", { name: "Water" });
    await user.selectOptions(screen.getByTestId("filter-integration"), "int-2");
    await waitFor(() => expect(subscribedFilters()).toHaveLength(5));
    expect(subscribedFilters()[4]).toEqual({ ...NO_FILTER, levels: ["error"], integration_id: "int-2" });

    // Typing subscribes once, when it pauses.
    await user.type(screen.getByTestId("filter-device"), "Sensor 1");
    await user.type(screen.getByTestId("filter-topic"), "up");
    await user.type(screen.getByTestId("filter-text"), "temp");
    await waitFor(() => expect(subscribedFilters()).toHaveLength(6));
    expect(subscribedFilters()[5]).toEqual({
      ...NO_FILTER,
      levels: ["error"],
      integration_id: "int-2",
      device: "Sensor 1",
      topic: "up",
      text: "temp",
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(subscribedFilters()).toHaveLength(6);
    expect(screen.queryByTestId("messages-empty")).not.toBeInTheDocument();
  });

  it("holds streamed messages while paused and shows them on resume", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: stored(1) });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([1]));

    const pause = screen.getByTestId("messages-pause");
    expect(pause).toHaveTextContent("Pause");
    await user.click(pause);
    expect(pause).toHaveAttribute("aria-pressed", "true");
    expect(pause).toHaveTextContent(/^Resume$/);
    streamIds(2, 3);
    expect(rowIds()).toEqual([1]);
    expect(pause).toHaveTextContent("Resume (2 new)");

    await user.click(pause);
    expect(pause).toHaveAttribute("aria-pressed", "false");
    expect(pause).toHaveTextContent("Pause");
    expect(rowIds()).toEqual([3, 2, 1]);
  });

  it("does not render the rows again for batches that come while paused, only the count", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: storedNewestFirst(5) });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([5, 4, 3, 2, 1]));
    await user.click(screen.getByTestId("messages-pause"));
    const rendered = vi.mocked(formatListTime).mock.calls.length;
    streamIds(6);
    streamIds(7);
    expect(screen.getByTestId("messages-pause")).toHaveTextContent("Resume (2 new)");
    expect(vi.mocked(formatListTime).mock.calls.length).toBe(rendered);
    await user.click(screen.getByTestId("messages-pause"));
    expect(rowIds()).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(vi.mocked(formatListTime).mock.calls.length).toBeGreaterThan(rendered);
  });

  it("clears the view, not the history, and goes on streaming", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: stored(2, 1) });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([2, 1]));
    await user.click(screen.getByTestId("messages-clear"));
    expect(rows()).toHaveLength(0);
    expect(screen.getByTestId("messages-empty")).toBeInTheDocument();
    expect(callsOf("subscribe_messages")).toHaveLength(1);
    streamIds(3);
    expect(rowIds()).toEqual([3]);
  });

  it("holds the view still while scrolled away, counts what came, and jumps to the latest", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: storedNewestFirst(100) });
    render(<MessagesPage />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    const scroll = screen.getByTestId("messages-scroll");

    // At the top, new rows just appear.
    streamIds(101, 102);
    expect(rowIds()[0]).toBe(102);
    expect(scroll.scrollTop).toBe(0);
    expect(screen.queryByTestId("messages-new-marker")).not.toBeInTheDocument();

    // Scrolled down ten rows: three new ones move the view down by three rows.
    scroll.scrollTop = 10 * MESSAGE_ROW_HEIGHT;
    fireEvent.scroll(scroll);
    const inView = rowIds();
    streamIds(103, 104, 105);
    expect(scroll.scrollTop).toBe(13 * MESSAGE_ROW_HEIGHT);
    expect(screen.getByTestId("messages-new-marker")).toHaveTextContent("3 new — jump to latest");
    // In the strip above the list, beside Pause and Clear: over no row.
    expect(screen.getByTestId("messages-new-marker").closest(".msg-toolbar")).not.toBeNull();
    expect(screen.getByTestId("messages-new-marker").closest(".msg-list")).toBeNull();
    // The rows rendered around the view are the same ones.
    expect(rowIds()).toEqual(expect.arrayContaining(inView.slice(10, 20)));
    streamIds(106);
    expect(screen.getByTestId("messages-new-marker")).toHaveTextContent("4 new — jump to latest");
    expect(scroll.scrollTop).toBe(14 * MESSAGE_ROW_HEIGHT);

    await user.click(screen.getByTestId("messages-new-marker"));
    expect(scroll.scrollTop).toBe(0);
    expect(scroll).toHaveFocus();
    expect(screen.queryByTestId("messages-new-marker")).not.toBeInTheDocument();
    expect(rowIds()[0]).toBe(106);

    // Scrolling back to the top by hand clears it too.
    scroll.scrollTop = 5 * MESSAGE_ROW_HEIGHT;
    fireEvent.scroll(scroll);
    streamIds(107);
    expect(screen.getByTestId("messages-new-marker")).toHaveTextContent("1 new");
    scroll.scrollTop = 0;
    fireEvent.scroll(scroll);
    expect(screen.queryByTestId("messages-new-marker")).not.toBeInTheDocument();
  });

  it("shows new messages at the top in the rows' elements, and keeps a row's own while scrolled away", async () => {
    mockCommands({ search_history: storedNewestFirst(100) });
    render(<MessagesPage />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    const top = rows()[0];
    streamIds(101, 102);
    expect(rowIds()[0]).toBe(102);
    expect(rows()[0]).toBe(top);

    const scroll = screen.getByTestId("messages-scroll");
    scroll.scrollTop = 10 * MESSAGE_ROW_HEIGHT;
    fireEvent.scroll(scroll);
    const held = rows().find((r) => r.getAttribute("data-id") === "90");
    expect(held).toBeDefined();
    streamIds(103);
    expect(rows().find((r) => r.getAttribute("data-id") === "90")).toBe(held);
  });

  it("keeps a focused row's message in its element while new ones come in at the top", async () => {
    mockCommands({ search_history: storedNewestFirst(100) });
    render(<MessagesPage />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    act(() => rows()[0]?.focus());
    expect(document.activeElement?.getAttribute("data-id")).toBe("100");
    streamIds(101, 102);
    expect(rowIds()[0]).toBe(102);
    expect(document.activeElement?.getAttribute("role")).toBe("row");
    expect(document.activeElement?.getAttribute("data-id")).toBe("100");
  });

  it("keeps a row the keyboard focuses after a press released outside the list", async () => {
    mockCommands({ search_history: storedNewestFirst(100) });
    render(<MessagesPage />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    // Pressed on a row and released elsewhere: the row takes the focus, and leaves it.
    fireEvent.pointerDown(rows()[1] as HTMLElement);
    act(() => rows()[1]?.focus());
    act(() => (document.activeElement as HTMLElement | null)?.blur());
    act(() => rows()[0]?.focus());
    streamIds(101);
    expect(document.activeElement?.getAttribute("data-id")).toBe("100");
  });

  it("gives a clicked row's focus to the list at the top of a flowing list, where rows change message", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: storedNewestFirst(100) });
    render(<MessagesPage />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    await user.click(rows()[0] as HTMLElement);
    // The click did what it does (the row is the current one) ...
    expect(rows()[0]).toHaveAttribute("aria-current", "true");
    // ... and no row holds the focus while new messages take the rows' places.
    streamIds(101, 102);
    expect(rowIds()[0]).toBe(102);
    expect(document.activeElement?.getAttribute("role")).not.toBe("row");
    // The list has it: arrow keys still scroll, and Tab still reaches the rows.
    expect(document.activeElement?.contains(rows()[0] as HTMLElement)).toBe(true);
  });

  it("says when messages came too fast to show live, and opens History", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<MessagesPage />);
    await screen.findByTestId("messages-empty");
    expect(screen.queryByTestId("messages-skipped")).not.toBeInTheDocument();
    stream([messageRow({ id: 1 })], 1200);
    stream([messageRow({ id: 2 })], 34);
    expect(screen.getByTestId("messages-skipped")).toHaveTextContent(
      "1,234 messages came too fast to show live; search History for them.",
    );
    await user.click(within(screen.getByTestId("messages-skipped")).getByRole("button", { name: "Open History" }));
    expect(screen.getByTestId("messages-mode-history")).toHaveAttribute("aria-pressed", "true");
  });

  it("shows the empty state, a stream that cannot start, and ends the stream on leaving", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<App />);
    await user.click(await screen.findByTestId("nav-monitor"));
    expect(screen.getByRole("heading", { level: 1, name: "Messages" })).toBeInTheDocument();
    expect(await screen.findByTestId("messages-empty")).toHaveTextContent("Nothing to show yet");
    streamIds(1);
    expect(rows()).toHaveLength(1);

    const channel = lastMessageChannel();
    await user.click(screen.getByTestId("nav-labels"));
    await waitFor(() => expect(callsOf("unsubscribe_events")).toEqual([["unsubscribe_events", { id: channel.id }]]));

    mockCommands({
      subscribe_messages: { reject: { message: "the bridge could not start: disk full" } },
      search_history: stored(7),
    });
    await user.click(screen.getByTestId("nav-monitor"));
    expect(await screen.findByTestId("messages-live-error")).toHaveTextContent(
      "Live updates are unavailable: the bridge could not start: disk full",
    );
    await waitFor(() => expect(rowIds()).toEqual([7]));
  });

  it("shows a history that cannot be read, with a retry", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: { reject: { message: "database is locked" } } });
    render(<MessagesPage />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not load messages");
    expect(alert).toHaveTextContent("database is locked");
    mockCommands({ search_history: stored(1) });
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(rowIds()).toEqual([1]));
  });

  it("has no axe violations", async () => {
    mockCommands({
      list_integrations: [integration()],
      search_history: page([
        messageRow({ id: 3, kind: "downlink", direction: "down", level: "error", text: "rejected: bad port" }),
        messageRow({ id: 2, kind: "upstream_gap", direction: "none", level: "warn", topic: null }),
        messageRow({ id: 1 }),
      ]),
    });
    const { container } = render(
      <main>
        <MessagesPage />
      </main>,
    );
    await waitFor(() => expect(rows()).toHaveLength(3));
    stream([messageRow({ id: 4 })], 5);
    expect(await axeViolations(container)).toEqual([]);
  });
});

describe("Messages table, fitted to its width", () => {
  const headers = () => screen.getAllByRole("columnheader").map((h) => h.textContent);

  it("leaves out Topic, then Size, then Integration as the table narrows, never scrolling sideways from 508 px", () => {
    // Text keeps 140 px at least (what a row says), Kind and Integration their words whole.
    expect(dropsFor(null)).toBe(0);
    expect(dropsFor(784)).toBe(0);
    expect(dropsFor(783)).toBe(1);
    expect(dropsFor(676)).toBe(1);
    expect(dropsFor(675)).toBe(2);
    expect(dropsFor(612)).toBe(2);
    expect(dropsFor(611)).toBe(3);
    expect(MESSAGE_TABLE_MIN_WIDTH).toBe(508);
  });

  it("keeps room for 8 rows, or as many as there are", async () => {
    mockCommands({ search_history: storedNewestFirst(20) });
    const { unmount } = render(<MessagesPage />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    expect(screen.getByTestId("messages-scroll").style.minHeight).toBe(`${38 + 8 * MESSAGE_ROW_HEIGHT + 2}px`);
    unmount();
    mockCommands({ search_history: stored(2, 1) });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([2, 1]));
    expect(screen.getByTestId("messages-scroll").style.minHeight).toBe(`${38 + 2 * MESSAGE_ROW_HEIGHT + 2}px`);
  });

  it.each([
    [1000, ["Time", "Dir", "Kind", "Device", "Integration", "Topic", "Size", "Text"]],
    [700, ["Time", "Dir", "Kind", "Device", "Integration", "Size", "Text"]],
    [650, ["Time", "Dir", "Kind", "Device", "Integration", "Text"]],
    [500, ["Time", "Dir", "Kind", "Device", "Text"]],
  ])("at %i px shows %j", async (width, expected) => {
    restoreLayout?.();
    restoreLayout = fakeViewport(480, width);
    // The browser reports the table's width when it is laid out.
    vi.stubGlobal(
      "ResizeObserver",
      class {
        constructor(private readonly callback: () => void) {}
        observe() {
          this.callback();
        }
        unobserve() {}
        disconnect() {}
      },
    );
    try {
      // Today's: times without a date (see below for the others).
      const now = Date.now();
      mockCommands({ search_history: page([messageRow({ id: 2, at_ms: now }), messageRow({ id: 1, at_ms: now - 1000 })]) });
      render(<MessagesPage />);
      await waitFor(() => expect(rowIds()).toEqual([2, 1]));
      await waitFor(() => expect(headers()).toEqual(expected));
      const table = screen.getByRole("table", { name: "Messages" });
      expect(table.style.minWidth).toBe(`${MESSAGE_TABLE_MIN_WIDTH}px`);
      // Every row has a cell per column shown.
      expect(within(rows()[0] as HTMLElement).getAllByRole("cell")).toHaveLength(expected.length);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
