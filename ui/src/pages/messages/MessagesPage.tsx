// Messages: what the bridge publishes to AWS, receives from it and reports, live as it happens or
// searched in the history, with one message in full in the detail pane.
import { useMemo, useState } from "react";
import { listDevices, listIntegrations } from "../../api";
import { PageHeader } from "../../components";
import { useCommand } from "../../useCommand";
import type { DetailTab } from "./DetailViews";
import { FilterBar } from "./FilterBar";
import { NO_FILTERS, NO_RANGE, useSettledFilters, type Filters, type Range } from "./filters";
import { HistoryView, RangeInputs } from "./HistoryView";
import { LiveView } from "./LiveView";
import { MessageDetail } from "./MessageDetail";
import type { Names } from "./MessageTable";
import { WatchAws, type AwsCounts } from "./WatchAws";

type Mode = "live" | "history";

/** Integrations' names follow renames, here or from the CLI; devices' names come with uplinks. */
const WATCH = ["integrations"];
const DEVICES_WATCH = ["devices"];

const MODES: { id: Mode; label: string }[] = [
  { id: "live", label: "Live" },
  { id: "history", label: "History" },
];

export function MessagesPage() {
  const [mode, setMode] = useState<Mode>("live");
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [range, setRange] = useState<Range>(NO_RANGE);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  // A message picked in one view is not among the other's results (History is searched anew).
  const show = (next: Mode) => {
    if (next !== mode) setSelectedId(null);
    setMode(next);
  };
  const [tab, setTab] = useState<DetailTab>("json");
  // The live list's ✓ and AWS downlinks, for Watch AWS to count what the list shows.
  const [awsCounts, setAwsCounts] = useState<AwsCounts>({});
  const settled = useSettledFilters(filters);
  const [integrations] = useCommand(listIntegrations, WATCH);
  const list = integrations.status === "ready" ? integrations.data : [];
  const [devices] = useCommand(listDevices, DEVICES_WATCH);
  const names: Names = useMemo(
    () => ({
      integrations: new Map(list.map((i) => [i.id, i.name])),
      devices: new Map(devices.status === "ready" ? devices.data.map((d) => [d.id, d.name]) : []),
    }),
    [list, devices],
  );

  const modeSwitch = (
    <div className="msg-modes" role="group" aria-label="Show">
      {MODES.map((m) => (
        <button
          key={m.id}
          type="button"
          className={m.id === mode ? "msg-mode msg-mode-active" : "msg-mode"}
          aria-pressed={m.id === mode}
          data-testid={`messages-mode-${m.id}`}
          onClick={() => show(m.id)}
        >
          {m.label}
        </button>
      ))}
    </div>
  );

  return (
    <div className="page page-fill messages-page">
      <PageHeader
        title="Messages"
        // One line each beside Live | History at 1024 pixels: a line more for the list and the message.
        subtitle={
          mode === "live"
            ? "Uplinks published to AWS, downlinks received and events, live."
            : "Stored messages: search by filters and a time range, export them."
        }
        actions={modeSwitch}
      />
      <FilterBar filters={filters} integrations={list} onChange={setFilters}>
        {mode === "history" ? <RangeInputs range={range} onChange={setRange} /> : null}
      </FilterBar>
      {mode === "live" ? <WatchAws integrations={list} preferred={filters.integration} counts={awsCounts} /> : null}
      {/* The list, and the message read: beside it in a wide window, under it otherwise. */}
      <div className={selectedId !== null ? "msg-body msg-body-open" : "msg-body"}>
        <div className="msg-main">
          {mode === "live" ? (
            <LiveView
              filters={settled}
              names={names}
              selectedId={selectedId}
              onSelect={setSelectedId}
              onOpenHistory={() => show("history")}
              onAwsCounts={setAwsCounts}
            />
          ) : (
            <HistoryView filters={filters} range={range} names={names} selectedId={selectedId} onSelect={setSelectedId} />
          )}
        </div>
        {selectedId !== null ? (
          <MessageDetail
            key={selectedId}
            id={selectedId}
            names={names}
            tab={tab}
            onTab={setTab}
            onSelect={setSelectedId}
            onClose={() => setSelectedId(null)}
          />
        ) : null}
      </div>
    </div>
  );
}
