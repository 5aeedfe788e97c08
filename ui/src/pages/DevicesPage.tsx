import { listDevices } from "../api";
import type { Device } from "../bindings";
import { EmptyState, ErrorState, Loading, PageHeader } from "../components";
import { formatCount, formatDateTime, formatLastSeen } from "../format";
import { RadioIcon } from "../icons";
import { useCommand } from "../useCommand";
import { VirtualTable, type Column } from "../VirtualTable";

/** What this page shows depends on; a change to it reloads the page. */
const WATCH = ["devices", "labels"];

/** Every row has the same height, so the virtualiser never needs to measure the DOM. */
export const DEVICE_ROW_HEIGHT = 48;

const COLUMNS: readonly Column<Device>[] = [
  { header: "DevEUI", width: "minmax(170px, 1.3fr)", className: "mono", render: (d) => d.dev_eui },
  { header: "Name", width: "minmax(120px, 2fr)", className: "ellipsis", title: (d) => d.name, render: (d) => d.name },
  {
    header: "Last seen",
    width: "minmax(110px, 1fr)",
    title: (d) => (d.last_seen_ms === null ? undefined : formatDateTime(d.last_seen_ms)),
    render: (d) => formatLastSeen(d.last_seen_ms),
  },
  { header: "Uplinks", width: "90px", className: "num", render: (d) => formatCount(d.uplinks) },
  { header: "Downlinks", width: "90px", className: "num", render: (d) => formatCount(d.downlinks) },
  {
    header: "Errors",
    width: "70px",
    className: (d) => (d.errors > 0 ? "num text-danger" : "num"),
    render: (d) => formatCount(d.errors),
  },
];

const deviceKey = (d: Device) => d.id;

export function DevicesPage() {
  const [state, reload] = useCommand(listDevices, WATCH);
  const subtitle =
    state.status === "ready" && state.data.length > 0
      ? `${formatCount(state.data.length)} ${state.data.length === 1 ? "device" : "devices"} seen by the bridge.`
      : "Helium devices whose traffic reaches this bridge.";

  return (
    <div className="page page-fill">
      <PageHeader title="Devices" subtitle={subtitle} />
      {state.status === "loading" ? <Loading what="devices" /> : null}
      {state.status === "error" ? <ErrorState what="devices" error={state.error} onRetry={reload} /> : null}
      {state.status === "ready" && state.data.length === 0 ? (
        <EmptyState testId="devices-empty" icon={<RadioIcon size={40} />} title="No devices yet">
          <p>
            Devices appear here automatically when the bridge receives their first uplink. To label a device
            before that, attach a label to its DevEUI on the Labels page.
          </p>
        </EmptyState>
      ) : null}
      {state.status === "ready" && state.data.length > 0 ? (
        <VirtualTable
          label="Devices"
          scrollLabel="Device list (scrollable)"
          rows={state.data}
          columns={COLUMNS}
          rowHeight={DEVICE_ROW_HEIGHT}
          getKey={deviceKey}
          minWidth={760}
          rowTestId="device-row"
          scrollTestId="device-scroll"
        />
      ) : null}
    </div>
  );
}
