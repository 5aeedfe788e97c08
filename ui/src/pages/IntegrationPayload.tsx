// What an integration's messages carry beyond the uplink itself: `decoded`, the source's own
// decoded object, and shadow updates. A switch saves at once (all three options); a refusal
// shows under it and the switch goes back to what it was.
import { useEffect, useState, type ReactNode } from "react";
import { setIntegrationPayload } from "../api";
import type { Integration, PayloadOptions } from "../bindings";
import { SwitchRow } from "../components";
import { PageLink } from "../navigation";

type Key = keyof PayloadOptions;

type Option = {
  key: Key;
  label: string;
  hint: ReactNode;
  /** Announced once it is saved, on and off. */
  saved: Record<"on" | "off", string>;
  /** Announced while it is saved, when that takes more than a moment. */
  saving?: Partial<Record<"on" | "off", string>>;
};

const OPTIONS: Option[] = [
  {
    key: "decoded",
    label: "Include decoded values",
    hint: (
      <>
        Adds <code className="mono">decoded</code> to each message: the result of the device's decoder, or
        ChirpStack's own <code className="mono">object</code>.
      </>
    ),
    saved: { on: "Messages now include decoded values.", off: "Messages no longer include decoded values." },
  },
  {
    key: "source_object",
    label: "Use the source's decoded values",
    hint: (
      <>
        For a device with no decoder here, passes ChirpStack's <code className="mono">object</code> (or a legacy
        uplink's <code className="mono">decoded</code>) as <code className="mono">decoded</code>.
      </>
    ),
    saved: {
      on: "Devices with no decoder here now pass on ChirpStack's decoded values.",
      off: "Only devices with a decoder here now have decoded values.",
    },
  },
  {
    key: "shadow",
    label: "Update device shadows",
    hint:
      "After each decoded uplink, reports its decoded values, the best hotspot's RSSI and SNR, fcnt and last seen " +
      "to the thing's classic shadow (a state over 8 KB is skipped).",
    saved: {
      on: "Shadow updates on: each thing may now update its own shadow.",
      off: "Shadow updates off.",
    },
    saving: { on: "Allowing shadow updates in the integration's AWS IoT policy…" },
  },
];

/** Shadows on for certificates made by hand: the bridge changed no policy (there is none of its own). */
export const SHADOW_OWN_POLICY =
  "Shadow updates on. Your certificates' policy must allow iot:Publish on " +
  "$aws/things/${iot:Connection.Thing.ThingName}/shadow/update, or AWS IoT disconnects the devices.";

/** Why "Use the source's decoded values" cannot be changed while decoded values are left out. */
const SOURCE_OBJECT_OFF_REASON = "Only applies to messages that include decoded values: turn those on first.";

/**
 * The options in a few words, for the integrations list: what each message is (Helium JSON) and
 * what it carries beyond it ("Decoded" alone left the reader guessing).
 */
export function payloadSummary(p: PayloadOptions): string {
  const decoded = !p.decoded
    ? "Helium JSON only"
    : p.source_object
      ? "Helium JSON + decoded values"
      : "Helium JSON + values from this bridge's decoders";
  return p.shadow ? `${decoded} + shadow updates` : decoded;
}

/**
 * The "Message contents" panel of an integration's details. Shows its saved options, or the ones
 * being saved (put back if that fails); options loaded anew (a change from the CLI) replace them.
 */
export function IntegrationPayload({ integration, onChanged }: { integration: Integration; onChanged: () => void }) {
  const saved = integration.payload;
  const [shown, setShown] = useState<PayloadOptions>(saved);
  const [saving, setSaving] = useState<Key | null>(null);
  const [error, setError] = useState<{ key: Key; message: string } | null>(null);
  const [status, setStatus] = useState("Changes are saved at once.");

  useEffect(() => {
    if (saving === null) setShown(saved);
    // `saving` is left out on purpose: its end must not overwrite the answer with older data.
  }, [saved.decoded, saved.source_object, saved.shadow]);

  const toggle = (option: Option) => {
    const { key } = option;
    if (saving !== null || (key === "source_object" && !shown.decoded)) return;
    const before = shown;
    const next: PayloadOptions = { ...shown, [key]: !shown[key] };
    const way = next[key] ? "on" : "off";
    setShown(next);
    setSaving(key);
    setError(null);
    // With certificates made by hand the bridge has no policy to change: the user's must allow it.
    const ownCerts = integration.aws === null;
    setStatus(ownCerts ? "Saving…" : (option.saving?.[way] ?? "Saving…"));
    setIntegrationPayload(integration.id, next)
      .then(
        (answer) => {
          setShown(answer.payload);
          setStatus(key === "shadow" && way === "on" && ownCerts ? SHADOW_OWN_POLICY : option.saved[way]);
          onChanged();
        },
        (e: Error) => {
          setShown(before);
          setError({ key, message: e.message });
          setStatus("Not saved.");
        },
      )
      .finally(() => setSaving(null));
  };

  return (
    <section className="panel" aria-labelledby="details-payload-title" data-testid="details-payload">
      <header className="panel-header">
        <h2 id="details-payload-title">Message contents</h2>
        <span className="muted" role="status" data-testid="payload-status">
          {status}
        </span>
      </header>
      <p className="panel-note muted" data-testid="payload-decoders-note">
        What each message to AWS carries besides the uplink. Decoders are attached to labels on the{" "}
        <PageLink page="decoders">Decoders page</PageLink>.
      </p>
      {OPTIONS.map((option) => (
        <SwitchRow
          key={option.key}
          testId={`payload-${option.key}`}
          label={option.label}
          hint={option.hint}
          checked={shown[option.key]}
          busy={saving !== null}
          unavailable={option.key === "source_object" && !shown.decoded ? SOURCE_OBJECT_OFF_REASON : null}
          error={error?.key === option.key ? error.message : null}
          onToggle={() => toggle(option)}
        />
      ))}
    </section>
  );
}
