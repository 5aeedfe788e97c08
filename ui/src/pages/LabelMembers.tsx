import { useDeferredValue, useId, useMemo, useState, type FormEvent } from "react";
import { attachLabel, detachLabel, listDevices, listIntegrations } from "../api";
import type { Device, Integration, LabelLinked, LabelSummary, Target } from "../bindings";
import { Dialog, EmptyState, ErrorState, Loading, SmallButton, Warnings } from "../components";
import { formatCount, formatDateTime, formatLastSeen, plural } from "../format";
import { RadioIcon } from "../icons";
import { useCommand } from "../useCommand";
import { VirtualTable, type Column } from "../VirtualTable";
import { DEVICES_REFRESH_MS, DeviceName, reportedName } from "./deviceName";
import { EnabledBadge } from "./IntegrationControls";

export const MEMBER_ROW_HEIGHT = 44;
/** The check column (32), the columns' minimums (450), their 4 gaps (64) and the rows' padding (36). */
const MEMBERS_MIN_WIDTH = 582;

const DEVICES_WATCH = ["devices"];
const INTEGRATIONS_WATCH = ["integrations"];

const DEV_EUI = /^[0-9a-f]{16}$/i;
const CONSOLE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What the core accepts for a device not heard from yet, as it stores it: a DevEUI (16 hex
 * digits; pasted `A8:40:…` or `a8 40 …` forms too) or a Helium Console id (a UUID). `null` otherwise.
 */
export function parseDeviceRef(input: string): string | null {
  const value = input.trim();
  if (CONSOLE_ID.test(value)) return value.toLowerCase();
  const eui = value.replace(/[\s:-]/g, "");
  return DEV_EUI.test(eui) ? eui.toUpperCase() : null;
}

type Filter = "all" | "with" | "without";
/** What is running (one change at a time), so its button can say so and the others wait. */
type Busy = "attach" | "detach" | "ref" | `integration:${string}`;
type Feedback = { where: "integrations" | "devices" | "ref"; ok: boolean; text: string; warnings?: string[] };

/**
 * The devices and integrations carrying a label, and the controls to change that: a
 * checkbox per integration, and a filterable, virtualised device table with bulk attach
 * and detach (one call for every selected device, all or none).
 */
export function LabelMembersDialog({
  label,
  onClose,
  onChanged,
}: {
  label: LabelSummary;
  onClose: () => void;
  /** A change was saved: the caller reloads the label (its members come from it). */
  onChanged: () => void;
}) {
  const [devices, reloadDevices] = useCommand(listDevices, DEVICES_WATCH, DEVICES_REFRESH_MS);
  const [integrations, reloadIntegrations] = useCommand(listIntegrations, INTEGRATIONS_WATCH);
  const [busy, setBusy] = useState<Busy | null>(null);
  const [feedback, setFeedback] = useState<Feedback | null>(null);

  /** Runs one change; says what it did, or the core's reason for refusing it. */
  const run = (what: Busy, where: Feedback["where"], change: () => Promise<LabelLinked>, done: string, after?: () => void) => {
    setBusy(what);
    setFeedback(null);
    change().then(
      (linked) => {
        setBusy(null);
        setFeedback({ where, ok: true, text: done, warnings: linked.warnings });
        after?.();
        onChanged();
      },
      (err: Error) => {
        setBusy(null);
        setFeedback({ where, ok: false, text: err.message });
      },
    );
  };
  const say = (where: Feedback["where"]) => (feedback?.where === where ? feedback : null);

  return (
    <Dialog
      titleId="label-members-title"
      title={`Devices and integrations labelled "${label.name}"`}
      testId="label-members-dialog"
      className="dialog-wide"
      busy={busy !== null}
      onCancel={onClose}
      closeButton
      footer={
        <div className="dialog-actions">
          <button
            type="button"
            className="button button-secondary"
            data-testid="members-close"
            disabled={busy !== null}
            onClick={onClose}
          >
            Close
          </button>
        </div>
      }
    >
      <div className="members">
        <p className="muted">
          Uplinks of every device carrying "{label.name}" are forwarded to every enabled integration carrying it.
        </p>
        <section className="members-section" aria-labelledby="members-integrations-title">
          <header className="members-section-header">
            <h3 id="members-integrations-title">Integrations</h3>
            {/* The two lists apply differently: said where each starts, not learnt by surprise. */}
            <span className="muted" data-testid="members-integrations-mode">
              Applied at once: ticking one attaches the label, clearing it detaches it.
            </span>
          </header>
          {integrations.status === "loading" ? <Loading what="integrations" /> : null}
          {integrations.status === "error" ? (
            <ErrorState what="integrations" error={integrations.error} onRetry={reloadIntegrations} />
          ) : null}
          {integrations.status === "ready" ? (
            <IntegrationChecks
              label={label}
              integrations={integrations.data}
              busy={busy}
              onToggle={(integration, attach) =>
                run(
                  `integration:${integration.id}`,
                  "integrations",
                  () => (attach ? attachLabel : detachLabel)(label.id, [{ kind: "integration", id: integration.id }]),
                  attach
                    ? `Attached "${label.name}" to ${integration.name}`
                    : `Detached "${label.name}" from ${integration.name}`,
                )
              }
            />
          ) : null}
          <Said feedback={say("integrations")} testId="members-integrations-feedback" />
        </section>
        <section className="members-section" aria-labelledby="members-devices-title">
          <header className="members-section-header">
            <h3 id="members-devices-title">Devices</h3>
            <span className="muted" data-testid="members-devices-mode">
              Tick devices, then attach or detach them with the buttons under the list.
            </span>
          </header>
          {devices.status === "loading" ? <Loading what="devices" /> : null}
          {devices.status === "error" ? <ErrorState what="devices" error={devices.error} onRetry={reloadDevices} /> : null}
          {devices.status === "ready" && devices.data.length === 0 ? (
            <EmptyState testId="members-devices-empty" icon={<RadioIcon size={32} />} title="No devices yet">
              <p>
                Devices appear when the bridge receives their first uplink. To label one before that, attach the
                label to its DevEUI below.
              </p>
            </EmptyState>
          ) : null}
          {devices.status === "ready" && devices.data.length > 0 ? (
            <DeviceMembers
              label={label}
              devices={devices.data}
              busy={busy}
              onChange={(attach, targets, clear) =>
                run(
                  attach ? "attach" : "detach",
                  "devices",
                  () => (attach ? attachLabel : detachLabel)(label.id, targets),
                  attach
                    ? `Attached "${label.name}" to ${plural(targets.length, "device", "devices")}`
                    : `Detached "${label.name}" from ${plural(targets.length, "device", "devices")}`,
                  clear,
                )
              }
            />
          ) : null}
          <Said feedback={say("devices")} testId="members-devices-feedback" />
          <AttachByRef
            busy={busy}
            feedback={say("ref")}
            onAttach={(ref, clear) =>
              run(
                "ref",
                "ref",
                () => attachLabel(label.id, [{ kind: "device", id: ref }]),
                `Attached "${label.name}" to ${ref}`,
                () => {
                  clear();
                  // A device not heard from yet is registered by this: list it.
                  reloadDevices();
                },
              )
            }
          />
        </section>
      </div>
    </Dialog>
  );
}

/** A bulk button's text: how many it changes, without a puzzling "0". */
const bulkLabel = (action: string, count: number) =>
  count === 0 ? `${action} selected` : `${action} ${formatCount(count)} selected`;

/** Why a bulk button waits, as its tooltip: nothing ticked, or none of the ticked it applies to. */
const waiting = (ticked: number, applies: number, none: string) =>
  ticked === 0 ? "Tick devices in the list first" : applies === 0 ? none : undefined;

/** A change's result (a polite status) or its error (an alert). */
function Said({ feedback, testId }: { feedback: Feedback | null; testId: string }) {
  if (!feedback) return null;
  return feedback.ok ? (
    <>
      <p className="members-ok" role="status" data-testid={testId}>
        {feedback.text}
      </p>
      <Warnings warnings={feedback.warnings ?? []} testId={`${testId}-warnings`} />
    </>
  ) : (
    <p className="inline-error" role="alert" data-testid={testId}>
      {feedback.text}
    </p>
  );
}

function IntegrationChecks({
  label,
  integrations,
  busy,
  onToggle,
}: {
  label: LabelSummary;
  integrations: Integration[];
  busy: Busy | null;
  onToggle: (integration: Integration, attach: boolean) => void;
}) {
  if (integrations.length === 0) {
    return (
      <p className="muted" data-testid="members-integrations-empty">
        No integrations yet. Add one on the Integrations page, then tick it here to forward the uplinks of devices
        carrying "{label.name}" to it.
      </p>
    );
  }
  const carrying = new Set(label.integrations);
  return (
    <ul className="members-integrations" aria-label="Integrations">
      {integrations.map((integration) => {
        const on = carrying.has(integration.id);
        return (
          <li key={integration.id}>
            <label className="checkbox">
              <input
                type="checkbox"
                data-testid="member-integration"
                checked={on}
                disabled={busy !== null}
                onChange={() => onToggle(integration, !on)}
              />
              {integration.name}
            </label>
            {/* The user's choice, not its health: a neutral badge (the sidebar has the health). */}
            <EnabledBadge active={integration.active} />
            {busy === `integration:${integration.id}` ? (
              <span className="muted">{on ? "Detaching…" : "Attaching…"}</span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

function matches(device: Device, needle: string): boolean {
  return (
    device.name.toLowerCase().includes(needle) ||
    device.dev_eui.toLowerCase().includes(needle) ||
    device.id.toLowerCase().includes(needle)
  );
}

function DeviceMembers({
  label,
  devices,
  busy,
  onChange,
}: {
  label: LabelSummary;
  devices: Device[];
  busy: Busy | null;
  /** Attach (or detach) the label to `targets` in one call; `clear` empties the selection after it. */
  onChange: (attach: boolean, targets: Target[], clear: () => void) => void;
}) {
  const [query, setQuery] = useState("");
  const [filter, setFilter] = useState<Filter>("all");
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  // Typing stays responsive with thousands of devices: the table filters a moment later.
  const needle = useDeferredValue(query.trim().toLowerCase());
  const members = useMemo(() => new Set(label.devices), [label.devices]);

  const shown = useMemo(
    () =>
      devices.filter(
        (d) =>
          (filter === "all" || members.has(d.id) === (filter === "with")) && (needle === "" || matches(d, needle)),
      ),
    [devices, members, filter, needle],
  );
  // The selection survives filtering, so it can be built across searches; devices gone
  // from the list no longer count.
  const chosen = useMemo(() => devices.filter((d) => selected.has(d.id)), [devices, selected]);
  const toAttach = chosen.filter((d) => !members.has(d.id));
  const toDetach = chosen.filter((d) => members.has(d.id));
  const shownIds = useMemo(() => new Set(shown.map((d) => d.id)), [shown]);
  const hidden = chosen.filter((d) => !shownIds.has(d.id)).length;
  const clear = () => setSelected(new Set());
  const targets = (list: Device[]): Target[] => list.map((d) => ({ kind: "device", id: d.id }));

  const columns: Column<Device>[] = useMemo(
    () => [
      // A device not heard from yet has no name: a placeholder, not its DevEUI twice.
      {
        header: "Name",
        width: "minmax(100px, 2fr)",
        className: "ellipsis",
        title: (d) => reportedName(d) ?? undefined,
        render: (d) => <DeviceName device={d} />,
      },
      { header: "DevEUI", width: "minmax(140px, 1.3fr)", className: "mono", render: (d) => d.dev_eui || "—" },
      {
        header: "Last seen",
        width: "minmax(100px, 1fr)",
        className: "ellipsis",
        title: (d) => (d.last_seen_ms === null ? undefined : formatDateTime(d.last_seen_ms)),
        render: (d) => formatLastSeen(d.last_seen_ms),
      },
      {
        header: "This label",
        width: "110px",
        // Said in words, not only by colour.
        render: (d) =>
          members.has(d.id) ? (
            <span className="badge badge-active">Attached</span>
          ) : (
            <span className="muted">Not attached</span>
          ),
      },
    ],
    [members],
  );

  return (
    <div className="members-devices">
      <div className="members-toolbar">
        <label className="field">
          <span className="field-label">Filter devices</span>
          <input
            className="input"
            type="search"
            data-testid="members-filter"
            placeholder="Name, DevEUI or id"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              // The first Escape clears the filter; the next one closes the dialog.
              if (e.key === "Escape" && query !== "") {
                e.stopPropagation();
                setQuery("");
              }
            }}
          />
        </label>
        <label className="field">
          <span className="field-label">Show</span>
          <select
            className="input"
            data-testid="members-show"
            value={filter}
            onChange={(e) => setFilter(e.target.value as Filter)}
          >
            <option value="all">All devices</option>
            <option value="with">With this label</option>
            <option value="without">Without this label</option>
          </select>
        </label>
        <p className="members-count muted" aria-live="polite" data-testid="members-count">
          Showing {formatCount(shown.length)} of {plural(devices.length, "device", "devices")} ·{" "}
          {plural(members.size, "carries", "carry")} this label
        </p>
      </div>
      <VirtualTable
        label={`Devices and the label "${label.name}"`}
        scrollLabel="Device list (scrollable)"
        className="members-table"
        rows={shown}
        columns={columns}
        rowHeight={MEMBER_ROW_HEIGHT}
        getKey={(d) => d.id}
        minWidth={MEMBERS_MIN_WIDTH}
        rowTestId="member-device-row"
        scrollTestId="members-scroll"
        selection={{
          selected,
          onChange: setSelected,
          rowLabel: (d) => `Select device ${d.name}`,
          allLabel: "Select all shown devices",
        }}
        empty={<p className="muted">No device matches this filter.</p>}
      />
      <div className="members-actions">
        <span className="muted" data-testid="members-selected">
          {plural(chosen.length, "device", "devices")} selected
          {hidden > 0 ? ` (${formatCount(hidden)} hidden by the filter)` : ""}
        </span>
        {chosen.length > 0 ? (
          <SmallButton disabled={busy !== null} onClick={clear}>
            Clear selection
          </SmallButton>
        ) : null}
        <span className="members-actions-spacer" />
        <button
          type="button"
          className="button button-primary"
          data-testid="members-attach"
          disabled={busy !== null || toAttach.length === 0}
          title={waiting(chosen.length, toAttach.length, "Every selected device carries this label already")}
          onClick={() => onChange(true, targets(toAttach), clear)}
        >
          {busy === "attach" ? "Attaching…" : bulkLabel("Attach label to", toAttach.length)}
        </button>
        <button
          type="button"
          className="button button-danger-quiet"
          data-testid="members-detach"
          disabled={busy !== null || toDetach.length === 0}
          title={waiting(chosen.length, toDetach.length, "No selected device carries this label")}
          onClick={() => onChange(false, targets(toDetach), clear)}
        >
          {busy === "detach" ? "Detaching…" : bulkLabel("Detach label from", toDetach.length)}
        </button>
      </div>
    </div>
  );
}

/** Labels a device not heard from yet, by DevEUI or Helium Console id (the core registers it). */
function AttachByRef({
  busy,
  feedback,
  onAttach,
}: {
  busy: Busy | null;
  feedback: Feedback | null;
  onAttach: (ref: string, clear: () => void) => void;
}) {
  const [value, setValue] = useState("");
  const [invalid, setInvalid] = useState(false);
  const id = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const ref = parseDeviceRef(value);
    setInvalid(ref === null);
    if (ref !== null) onAttach(ref, () => setValue(""));
  };

  return (
    <form className="members-ref" onSubmit={submit} aria-label="Attach to a DevEUI" noValidate>
      <label className="field-label" htmlFor={`${id}-input`}>
        Attach to a DevEUI…
      </label>
      <div className="inline-form">
        <input
          id={`${id}-input`}
          className="input mono"
          data-testid="members-ref"
          placeholder="A84041000181B3C2"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setInvalid(false);
          }}
          aria-invalid={invalid || (feedback !== null && !feedback.ok)}
          aria-describedby={`${id}-hint${invalid ? ` ${id}-invalid` : ""}`}
        />
        <button
          type="submit"
          className="button button-secondary"
          data-testid="members-ref-attach"
          disabled={busy !== null || value.trim() === ""}
        >
          {busy === "ref" ? "Attaching…" : "Attach"}
        </button>
      </div>
      <p id={`${id}-hint`} className="field-hint">
        For a device not heard from yet: its DevEUI (16 hex digits) or its Helium Console device id.
      </p>
      {invalid ? (
        <p id={`${id}-invalid`} className="inline-error" role="alert" data-testid="members-ref-invalid">
          Enter a DevEUI of 16 hex digits (e.g. A84041000181B3C2) or a Helium Console device id (a UUID).
        </p>
      ) : null}
      <Said feedback={feedback} testId="members-ref-feedback" />
    </form>
  );
}
