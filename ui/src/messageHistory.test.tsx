// The Messages page's History: a search by the filters and a time range, a page of 200 at a time,
// newest first, and the same search exported to CSV or NDJSON.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { HistoryPage, MessageFilter } from "./bindings";
import { MessagesPage } from "./pages/messages/MessagesPage";
import { axeViolations } from "./test/axe";
import { callsOf, integration, messageRow, mockCommands, NO_FILTER, resetCommandsEachTest } from "./test/tauri";
import { fakeViewportEachTest } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();
fakeViewportEachTest(480);

const rowIds = () => screen.queryAllByTestId("message-row").map((r) => Number(r.getAttribute("data-id")));
/** Rows `from` down to `to` (newest first). */
const span = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => messageRow({ id: from - i }));
type SearchArgs = { filter: MessageFilter; after: HistoryPage["next"]; limit: number };
const searches = () => callsOf("search_history").map(([, args]) => args as SearchArgs);
/** History's searches (the live view's prefill reads 500). */
const historySearches = () => searches().filter((s) => s.limit === 200);

/** A store of `total` messages, paged like the core. */
function pagedStore(total: number) {
  return (args: Record<string, unknown>): HistoryPage => {
    const after = args.after as HistoryPage["next"];
    const limit = args.limit as number;
    const top = after === null ? total : after.id - 1;
    const bottom = Math.max(1, top - limit + 1);
    const rows = top >= 1 ? span(top, bottom) : [];
    const last = rows[rows.length - 1];
    return { rows, next: bottom > 1 && last ? { at_ms: last.at_ms, id: last.id } : null };
  };
}

/** Sets an end of the range: "Set", then the date and time typed in its box. */
async function setEnd(user: ReturnType<typeof userEvent.setup>, end: "from" | "to", value: string) {
  await user.click(screen.getByTestId(`history-${end}-set`));
  // datetime-local takes its value whole.
  fireEvent.change(screen.getByTestId(`history-${end}`), { target: { value } });
}

async function openHistory(mocks: Parameters<typeof mockCommands>[0]) {
  const user = userEvent.setup();
  mockCommands({ list_integrations: [integration({ id: "int-1", name: "Farm sensors" })], ...mocks });
  render(<MessagesPage />);
  await user.click(await screen.findByTestId("messages-mode-history"));
  return user;
}

describe("Messages, History", () => {
  it("closes a message picked in Live: History lists its own results", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: pagedStore(3), get_message: { ...messageRow({ id: 3 }), json: null, source_event: null, detail: null } });
    render(<MessagesPage />);
    await waitFor(() => expect(rowIds()).toEqual([3, 2, 1]));
    await user.click(screen.getAllByTestId("message-row")[0] as HTMLElement);
    expect(await screen.findByTestId("message-detail")).toBeInTheDocument();
    await user.click(screen.getByTestId("messages-mode-history"));
    await waitFor(() => expect(historySearches()).toHaveLength(1));
    expect(screen.queryByTestId("message-detail")).not.toBeInTheDocument();
  });

  it("searches when opened, shows the count, and loads more pages by the cursor", async () => {
    const user = await openHistory({ search_history: pagedStore(450) });
    expect(screen.getByTestId("messages-mode-history")).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByTestId("messages-mode-live")).toHaveAttribute("aria-pressed", "false");
    await waitFor(() => expect(screen.getByTestId("history-count")).toHaveTextContent("200 messages found so far, newest first."));
    expect(historySearches()).toEqual([{ filter: NO_FILTER, after: null, limit: 200 }]);
    expect(rowIds()[0]).toBe(450);
    expect(screen.getByRole("table", { name: "Messages" })).toHaveAttribute("aria-rowcount", "201");

    await user.click(screen.getByTestId("history-more"));
    await waitFor(() => expect(screen.getByTestId("history-count")).toHaveTextContent("400 messages found so far"));
    expect(historySearches()[1]).toEqual({ filter: NO_FILTER, after: { at_ms: messageRow({ id: 251 }).at_ms, id: 251 }, limit: 200 });

    await user.click(screen.getByTestId("history-more"));
    await waitFor(() => expect(screen.getByTestId("history-count")).toHaveTextContent("450 messages found, newest first."));
    expect(screen.queryByTestId("history-more")).not.toBeInTheDocument();
    expect(screen.getByRole("table", { name: "Messages" })).toHaveAttribute("aria-rowcount", "451");
  });

  it("searches by the filters and the time range (local time)", async () => {
    const user = await openHistory({ search_history: pagedStore(3) });
    await waitFor(() => expect(historySearches()).toHaveLength(1));

    await user.selectOptions(screen.getByTestId("filter-kind"), "uplink");
    await user.type(screen.getByTestId("filter-device"), "0011223344556677");
    await user.selectOptions(screen.getByTestId("filter-integration"), "int-1");
    await user.type(screen.getByTestId("filter-topic"), "helium/");
    await user.type(screen.getByTestId("filter-text"), "temperature");
    await setEnd(user, "from", "2024-03-05T14:30");
    await setEnd(user, "to", "2024-03-06T08:00");
    // Nothing is searched until asked.
    expect(historySearches()).toHaveLength(1);

    await user.click(screen.getByTestId("history-search"));
    await waitFor(() => expect(historySearches()).toHaveLength(2));
    expect(historySearches()[1]).toEqual({
      filter: {
        ...NO_FILTER,
        kinds: ["uplink"],
        device: "0011223344556677",
        integration_id: "int-1",
        topic: "helium/",
        text: "temperature",
        from_ms: new Date(2024, 2, 5, 14, 30).getTime(),
        to_ms: new Date(2024, 2, 6, 8, 0).getTime(),
      },
      after: null,
      limit: 200,
    });
    await waitFor(() => expect(screen.getByTestId("history-count")).toHaveTextContent("3 messages found, newest first."));
  });

  it("says an end with no limit in words, never as an empty date box, and sets or clears it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 11, 5, 14, 7, 30));
    try {
      const user = await openHistory({ search_history: pagedStore(3) });
      await waitFor(() => expect(historySearches()).toHaveLength(1));
      // No limit: a button in the box's place, not an empty date-time box WebKit greys a date into.
      const from = screen.getByRole("group", { name: "From" });
      expect(within(from).queryByRole("textbox")).toBeNull();
      expect(from.querySelector("input")).toBeNull();
      expect(screen.getByTestId("history-from-set")).toHaveTextContent("No limit (the oldest kept)Set…");
      expect(screen.getByTestId("history-to-set")).toHaveTextContent("No limit (now)Set…");

      // Set: the day's start for From, the next minute for To; the box takes the focus.
      await user.click(screen.getByTestId("history-from-set"));
      expect(screen.getByTestId("history-from")).toHaveValue("2026-12-05T00:00");
      expect(screen.getByTestId("history-from")).toHaveFocus();
      expect(screen.getByTestId("history-from")).toHaveAccessibleName("From");
      await user.click(screen.getByTestId("history-to-set"));
      expect(screen.getByTestId("history-to")).toHaveValue("2026-12-05T14:08");
      await user.click(screen.getByTestId("history-search"));
      await waitFor(() => expect(historySearches()).toHaveLength(2));
      expect(historySearches()[1]?.filter).toMatchObject({
        from_ms: new Date(2026, 11, 5).getTime(),
        to_ms: new Date(2026, 11, 5, 14, 8).getTime(),
      });

      // Cleared: no limit again, said so, and the focus on its button.
      await user.click(screen.getByRole("button", { name: "No limit for From" }));
      expect(screen.queryByTestId("history-from")).not.toBeInTheDocument();
      expect(screen.getByTestId("history-from-set")).toHaveFocus();
      await user.click(screen.getByTestId("history-search"));
      await waitFor(() => expect(historySearches()).toHaveLength(3));
      expect(historySearches()[2]?.filter).toMatchObject({ from_ms: null, to_ms: new Date(2026, 11, 5, 14, 8).getTime() });

      // WebKit says "" while a date is edited field by field: the box stays until left empty.
      fireEvent.change(screen.getByTestId("history-to"), { target: { value: "" } });
      expect(screen.getByTestId("history-to")).toBeInTheDocument();
      fireEvent.blur(screen.getByTestId("history-to"));
      expect(screen.getByTestId("history-to-set")).toHaveTextContent("No limit (now)");

      // To at a midnight: From set starts the day before, never an empty range.
      await user.click(screen.getByTestId("history-to-set"));
      fireEvent.change(screen.getByTestId("history-to"), { target: { value: "2026-12-05T00:00" } });
      await user.click(screen.getByTestId("history-from-set"));
      expect(screen.getByTestId("history-from")).toHaveValue("2026-12-04T00:00");
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows every result's date: History keeps days of messages", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 11, 5, 9, 30));
    try {
      await openHistory({
        search_history: {
          rows: [
            messageRow({ id: 2, at_ms: new Date(2026, 11, 5, 0, 53, 57, 976).getTime() }),
            messageRow({ id: 1, at_ms: new Date(2026, 11, 1, 13, 2, 3, 4).getTime() }),
          ],
          next: null,
        },
      });
      await waitFor(() => expect(rowIds()).toEqual([2, 1]));
      const times = screen.getAllByTestId("message-row").map((r) => within(r).getAllByRole("cell")[0]?.textContent);
      // Today's too.
      expect(times).toEqual(["12-05 00:53:57.976", "12-01 13:02:03.004"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a range that ends before it starts", async () => {
    const user = await openHistory({});
    await waitFor(() => expect(historySearches()).toHaveLength(1));
    await setEnd(user, "from", "2024-03-06T08:00");
    await setEnd(user, "to", "2024-03-05T08:00");
    expect(screen.getByTestId("history-range-error")).toHaveTextContent("From must be before To.");
    expect(screen.getByTestId("history-search")).toBeDisabled();
    expect(screen.getByTestId("export-csv")).toBeDisabled();
  });

  it("says when nothing matches", async () => {
    await openHistory({});
    expect(await screen.findByText("No stored messages match: widen the filters or the time range.")).toBeInTheDocument();
    expect(screen.getByTestId("history-count")).toHaveTextContent("0 messages found");
  });

  it("exports what the filters find, says where, and nothing when cancelled", async () => {
    let answer: { path: string; count: number } | null = { path: "/home/me/messages.csv", count: 1234 };
    const user = await openHistory({ export_history: () => answer });
    await user.selectOptions(screen.getByTestId("filter-kind"), "downlink");
    await user.click(screen.getByTestId("export-csv"));
    expect(await screen.findByTestId("export-result")).toHaveTextContent(
      "Exported 1,234 messages to /home/me/messages.csv",
    );
    expect(callsOf("export_history")).toEqual([["export_history", { filter: { ...NO_FILTER, kinds: ["downlink"] }, format: "csv" }]]);

    answer = null;
    await user.click(screen.getByTestId("export-ndjson"));
    await waitFor(() => expect(callsOf("export_history")).toHaveLength(2));
    expect(callsOf("export_history")[1]?.[1]).toMatchObject({ format: "ndjson" });
    await waitFor(() => expect(screen.queryByTestId("export-result")).not.toBeInTheDocument());
    expect(screen.queryByTestId("export-error")).not.toBeInTheDocument();
  });

  it("says why an export failed", async () => {
    const user = await openHistory({ export_history: { reject: { message: "disk full" } } });
    await user.click(screen.getByTestId("export-ndjson"));
    expect(await screen.findByTestId("export-error")).toHaveTextContent("Could not export: disk full");
    expect(screen.queryByTestId("export-result")).not.toBeInTheDocument();
  });

  it("opens a result in the detail pane", async () => {
    const user = await openHistory({ search_history: pagedStore(2), get_message: null });
    await waitFor(() => expect(rowIds()).toEqual([2, 1]));
    await user.click(screen.getAllByTestId("message-row")[1] as HTMLElement);
    const detail = await screen.findByTestId("message-detail");
    expect(callsOf("get_message")).toEqual([["get_message", { id: 1 }]]);
    expect(await within(detail).findByTestId("detail-gone")).toBeInTheDocument();
    // Back to Live: the pane closes, as it does the other way (each view lists its own).
    await user.click(screen.getByTestId("messages-mode-live"));
    expect(screen.queryByTestId("message-detail")).not.toBeInTheDocument();
  });

  it("has no axe violations", async () => {
    const user = userEvent.setup();
    mockCommands({ search_history: pagedStore(300), export_history: { path: "/tmp/x.csv", count: 300 } });
    const view = render(
      <main>
        <MessagesPage />
      </main>,
    );
    await user.click(await screen.findByTestId("messages-mode-history"));
    await screen.findByTestId("history-more");
    await user.click(screen.getByTestId("export-csv"));
    await screen.findByTestId("export-result");
    expect(await axeViolations(view.container)).toEqual([]);
  });
});
