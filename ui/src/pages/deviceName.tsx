// A device's name as its source reports it. A device labelled by DevEUI (or Console id) before its
// first uplink is registered under that DevEUI (or id) as its name: shown as a name, it repeated
// the DevEUI beside it. Until the source reports a real name, the name is a placeholder.
import type { Device } from "../bindings";

/**
 * How often a list of devices is read again while open: uplinks change their names, last seen
 * and counters without a change being announced.
 */
export const DEVICES_REFRESH_MS = 5_000;

/** Why what needs a heard device (a downlink, charts) waits. */
export const NOT_HEARD = "No uplink heard yet";

/** Registered by a label (by DevEUI or Console id) and not heard from since. */
export function neverHeard(device: Device): boolean {
  return device.source === "" && device.last_seen_ms === null && device.uplinks === 0;
}

/** The name its source reported; `null` while it has none (the core's stand-in is its DevEUI or id). */
export function reportedName(device: Device): string | null {
  if (neverHeard(device) && (device.name === device.dev_eui || device.name === device.id)) return null;
  return device.name;
}

/** What identifies it in a title: its name, else its DevEUI, else its id. */
export function deviceTitle(device: Device): string {
  return reportedName(device) ?? (device.dev_eui || device.id);
}

/** The name, or a muted "Not heard yet" until the source reports one (short: it fits the Name column at 1024 px). */
export function DeviceName({ device }: { device: Device }) {
  const name = reportedName(device);
  if (name !== null) return <>{name}</>;
  return (
    <span className="muted" title="No name yet: its source reports it with the device's first uplink.">
      Not heard yet
    </span>
  );
}
