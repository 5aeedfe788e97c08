import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { listDevices, listLabels } from "../api";
import type { Device } from "../bindings";
import { EmptyState, ErrorState, Loading, PageHeader } from "../components";
import { formatCount, formatDateTime, formatLastSeen } from "../format";
import { RadioIcon } from "../icons";
import { useCommand } from "../useCommand";
import { VirtualTable, type Column } from "../VirtualTable";
import { DeviceDetailsPage } from "./DeviceDetailsPage";
import { DEVICES_REFRESH_MS, DeviceName, deviceTitle, reportedName } from "./deviceName";
import { PageLink } from "../navigation";

/** What this page shows depends on; a change to it reloads the page. */
const WATCH = ["devices", "labels"];
const LABELS_WATCH = ["labels"];

/** Every row has the same height, so the virtualiser never needs to measure the DOM. */
export const DEVICE_ROW_HEIGHT = 48;

/** The columns' minimums (560), their 5 gaps (80) and the rows' padding (36). */
const DEVICES_MIN_WIDTH = 676;

export type DeviceSort = "name" | "last_seen" | "uplinks";

// By the name shown: devices not heard yet (no name of their own) after the others, by DevEUI.
const byName = (a: Device, b: Device) => {
  const [x, y] = [reportedName(a), reportedName(b)];
  if ((x === null) !== (y === null)) return x === null ? 1 : -1;
  return (x ?? a.name).localeCompare(y ?? b.name, "en", { numeric: true }) || a.id.localeCompare(b.id);
};

const SORTS: Record<DeviceSort, { label: string; compare: (a: Device, b: Device) => number }> = {
  name: { label: "Name", compare: byName },
  // Newest first; never-seen devices last.
  last_seen: {
    label: "Last seen (newest first)",
    compare: (a, b) => (b.last_seen_ms ?? -1) - (a.last_seen_ms ?? -1) || byName(a, b),
  },
  uplinks: { label: "Uplinks (most first)", compare: (a, b) => b.uplinks - a.uplinks || byName(a, b) },
};

function matches(device: Device, needle: string): boolean {
  return (
    device.name.toLowerCase().includes(needle) ||
    device.dev_eui.toLowerCase().includes(needle) ||
    device.id.toLowerCase().includes(needle)
  );
}

const deviceKey = (d: Device) => d.id;

export function DevicesPage() {
  // The open device, by id; the list keeps its search, sort and filter meanwhile.
  const [open, setOpen] = useState<string | null>(null);
  // Uplinks change a device's name, last seen and counters without a change being announced:
  // read again while the list is shown (not behind an open device; it is read on the way back).
  const [state, reload] = useCommand(listDevices, WATCH, open === null ? DEVICES_REFRESH_MS : undefined);
  const [labels] = useCommand(listLabels, LABELS_WATCH);
  const [returnFocus, setReturnFocus] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<DeviceSort>("name");
  const [label, setLabel] = useState("");
  // Typing stays responsive with thousands of devices: the table filters a moment later.
  const needle = useDeferredValue(query.trim().toLowerCase());
  const pageRef = useRef<HTMLDivElement>(null);

  const labelList = labels.status === "ready" ? labels.data : null;
  const members = useMemo(() => {
    const chosen = labelList?.find((l) => l.id === label);
    return chosen ? new Set(chosen.devices) : null;
  }, [labelList, label]);
  const all = state.status === "ready" ? state.data : null;
  const shown = useMemo(() => {
    if (!all) return [];
    const list = all.filter((d) => (members === null || members.has(d.id)) && (needle === "" || matches(d, needle)));
    return list.sort(SORTS[sort].compare);
  }, [all, members, needle, sort]);

  // Back from a device, focus returns to its name in the list (or the search box when it is
  // scrolled out of the rendered window). The rows appear a frame after the table: wait for them.
  useEffect(() => {
    if (open !== null || returnFocus === null) return undefined;
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = () => {
      const page = pageRef.current;
      const buttons = page ? Array.from(page.querySelectorAll<HTMLElement>("[data-device-id]")) : [];
      const target = buttons.find((b) => b.dataset.deviceId === returnFocus);
      if (!target && tries++ < 20) {
        timer = setTimeout(attempt, 16);
        return;
      }
      (target ?? page?.querySelector<HTMLElement>("input"))?.focus();
      setReturnFocus(null);
    };
    attempt();
    return () => clearTimeout(timer);
  }, [open, returnFocus]);

  const columns: readonly Column<Device>[] = useMemo(
    () => [
      // Minimums fit the 16 hex digits and the headers; the name gives way first (cut, its
      // full text in the tooltip), so the table fits a 1024-pixel window without scrolling sideways.
      { header: "DevEUI", width: "minmax(140px, 1.1fr)", className: "mono", render: (d) => d.dev_eui },
      {
        header: "Name",
        width: "minmax(100px, 2fr)",
        className: "ellipsis",
        title: (d) => reportedName(d) ?? undefined,
        // A real button: the device's details open with a click, Enter or Space. A device not
        // heard yet has no name: a placeholder, not its DevEUI a second time.
        render: (d) => (
          <button
            type="button"
            className="link-button ellipsis"
            data-device-id={d.id}
            // Several unheard devices: each button still says which one it opens.
            aria-label={reportedName(d) === null ? `${deviceTitle(d)}, not heard yet` : undefined}
            title={`Show the details of ${deviceTitle(d)}`}
            onClick={() => setOpen(d.id)}
          >
            <DeviceName device={d} />
          </button>
        ),
      },
      {
        header: "Last seen",
        width: "minmax(104px, 1fr)",
        className: "ellipsis",
        title: (d) => (d.last_seen_ms === null ? undefined : formatDateTime(d.last_seen_ms)),
        render: (d) => formatLastSeen(d.last_seen_ms),
      },
      { header: "Uplinks", width: "minmax(72px, 0.6fr)", numeric: true, render: (d) => formatCount(d.uplinks) },
      { header: "Downlinks", width: "minmax(84px, 0.6fr)", numeric: true, render: (d) => formatCount(d.downlinks) },
      {
        header: "Errors",
        width: "minmax(60px, 0.5fr)",
        numeric: true,
        className: (d) => (d.errors > 0 ? "text-danger" : undefined),
        render: (d) => formatCount(d.errors),
      },
    ],
    [],
  );

  if (open !== null) {
    return (
      <DeviceDetailsPage
        id={open}
        onBack={() => {
          setReturnFocus(open);
          setOpen(null);
        }}
      />
    );
  }

  const subtitle =
    all && all.length > 0
      ? `${formatCount(all.length)} ${all.length === 1 ? "device" : "devices"} known to the bridge.`
      : "Helium devices whose traffic reaches this bridge.";
  const filtered = needle !== "" || members !== null;

  return (
    <div className="page page-fill" ref={pageRef}>
      <PageHeader title="Devices" subtitle={subtitle} />
      {state.status === "loading" ? <Loading what="devices" /> : null}
      {state.status === "error" ? <ErrorState what="devices" error={state.error} onRetry={reload} /> : null}
      {all && all.length === 0 ? (
        <EmptyState testId="devices-empty" icon={<RadioIcon size={40} />} title="No devices yet">
          <p>
            Devices appear here automatically when the bridge receives their first uplink. To label a device
            before that, attach a label to its DevEUI on the <PageLink page="labels">Labels page</PageLink>.
          </p>
        </EmptyState>
      ) : null}
      {all && all.length > 0 ? (
        <>
          <div className="devices-toolbar" role="search" aria-label="Devices">
            <label className="field devices-search">
              <span className="field-label">Search</span>
              <input
                className="input"
                type="search"
                data-testid="devices-search"
                placeholder="Name, DevEUI or id"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
              />
            </label>
            <label className="field">
              <span className="field-label">Sort by</span>
              <select
                className="input"
                data-testid="devices-sort"
                value={sort}
                onChange={(e) => setSort(e.target.value as DeviceSort)}
              >
                {(Object.keys(SORTS) as DeviceSort[]).map((key) => (
                  <option key={key} value={key}>
                    {SORTS[key].label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">Label</span>
              <select
                className="input"
                data-testid="devices-label"
                value={label}
                disabled={labels.status !== "ready"}
                onChange={(e) => setLabel(e.target.value)}
              >
                <option value="">All labels</option>
                {(labelList ?? []).map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.name} ({formatCount(l.device_count)})
                  </option>
                ))}
              </select>
            </label>
            <p className="devices-count muted" aria-live="polite" data-testid="devices-count">
              {filtered ? `Showing ${formatCount(shown.length)} of ${formatCount(all.length)}` : null}
              {labels.status === "error" ? ` Labels unavailable: ${labels.error.message}` : null}
            </p>
          </div>
          <VirtualTable
            label="Devices"
            scrollLabel="Device list (scrollable)"
            rows={shown}
            columns={columns}
            rowHeight={DEVICE_ROW_HEIGHT}
            getKey={deviceKey}
            minWidth={DEVICES_MIN_WIDTH}
            rowTestId="device-row"
            scrollTestId="device-scroll"
            empty={<p className="muted" data-testid="devices-no-match">No device matches this search or label.</p>}
          />
        </>
      ) : null}
    </div>
  );
}
