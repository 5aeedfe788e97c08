import { useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { listDevices } from "../api";
import type { Device } from "../bindings";
import { EmptyState, ErrorState, Loading, PageHeader } from "../components";
import { formatCount, formatDateTime, formatLastSeen } from "../format";
import { RadioIcon } from "../icons";
import { useCommand } from "../useCommand";

/** What this page shows depends on; a change to it reloads the page. */
const WATCH = ["devices", "labels"];

/** Every row has the same height, so the virtualiser never needs to measure the DOM. */
export const DEVICE_ROW_HEIGHT = 48;

const COLUMNS = ["DevEUI", "Name", "Last seen", "Uplinks", "Downlinks", "Errors"] as const;

function DeviceRow({ device, index, top }: { device: Device; index: number; top: number }) {
  return (
    <div
      role="row"
      aria-rowindex={index + 2 /* 1-based, after the header row */}
      className="device-row"
      data-testid="device-row"
      style={{ transform: `translateY(${top}px)`, height: DEVICE_ROW_HEIGHT }}
    >
      <span role="cell" className="mono">
        {device.dev_eui}
      </span>
      <span role="cell" className="ellipsis" title={device.name}>
        {device.name}
      </span>
      <span role="cell" title={device.last_seen_ms === null ? undefined : formatDateTime(device.last_seen_ms)}>
        {formatLastSeen(device.last_seen_ms)}
      </span>
      <span role="cell" className="num">
        {formatCount(device.uplinks)}
      </span>
      <span role="cell" className="num">
        {formatCount(device.downlinks)}
      </span>
      <span role="cell" className={device.errors > 0 ? "num text-danger" : "num"}>
        {formatCount(device.errors)}
      </span>
    </div>
  );
}

function DeviceTable({ devices }: { devices: Device[] }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: devices.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => DEVICE_ROW_HEIGHT,
    getItemKey: (index) => devices[index]?.id ?? index,
    overscan: 8,
  });

  return (
    <div role="table" aria-label="Devices" aria-rowcount={devices.length + 1} className="device-table">
      <div role="row" aria-rowindex={1} className="device-row device-header">
        {COLUMNS.map((c) => (
          <span role="columnheader" key={c} className={c === "DevEUI" || c === "Name" || c === "Last seen" ? undefined : "num"}>
            {c}
          </span>
        ))}
      </div>
      <div ref={scrollRef} className="device-scroll" data-testid="device-scroll">
        <div role="rowgroup" className="device-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const device = devices[item.index];
            return device ? <DeviceRow key={item.key} device={device} index={item.index} top={item.start} /> : null;
          })}
        </div>
      </div>
    </div>
  );
}

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
            Devices appear here automatically when the bridge receives their first uplink. There is nothing to
            register by hand.
          </p>
        </EmptyState>
      ) : null}
      {state.status === "ready" && state.data.length > 0 ? <DeviceTable devices={state.data} /> : null}
    </div>
  );
}
