// Trying the pipe from the Messages page: publish a downlink through AWS (as an AWS application
// would), or simulate an uplink for a device (marked `metadata.simulated`). Both pick a device,
// send, and show the answer or the refusal.
import { useId, useState, type ReactNode } from "react";
import { listDevices, publishDownlinkViaAws, simulateUplink, toError } from "../../api";
import type { Integration } from "../../bindings";
import { Dialog, FormField, TextField } from "../../components";
import { plural } from "../../format";
import { forCore, parsePayload, payloadFormat, payloadHint, type PayloadFormat } from "../../payload";
import { useCommand } from "../../useCommand";
import { PayloadFormatChoice, usePayloadFormat } from "../../PayloadFormatChoice";

/** The device list follows devices added or renamed meanwhile. */
const DEVICES = ["devices"];

const EXAMPLE_UPLINK: Record<PayloadFormat, string> = { base64: "AQID", hex: "01 02 03", text: "abc" };
const EXAMPLE_DOWNLINK = '{"payload_raw": "AQID", "port": 1, "confirmed": false}';

type Outcome = { ok: boolean; text: string } | null;

/** A dialog that sends one thing for a chosen device: the device list, the fields, the answer. */
function TryDialog({
  title,
  testId,
  action,
  intro,
  onSend,
  onClose,
  children,
}: {
  title: string;
  /** Prefix of its parts' test ids: `{testId}-dialog`, `-device`, `-send`, `-result`. */
  testId: string;
  /** The send button's word. */
  action: string;
  intro: (device: string) => ReactNode;
  /** Sends for the device; resolves with what to tell the user, rejects with the refusal. */
  onSend: (device: string) => Promise<string>;
  onClose: () => void;
  children: ReactNode;
}) {
  const titleId = useId();
  const [devices] = useCommand(listDevices, DEVICES);
  const [chosen, setChosen] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const list = devices.status === "ready" ? devices.data : [];
  // The first device until the user picks one.
  const device = chosen || list[0]?.id || "";

  const send = () => {
    setBusy(true);
    setOutcome(null);
    onSend(device).then(
      (text) => {
        setOutcome({ ok: true, text });
        setBusy(false);
      },
      (e: unknown) => {
        setOutcome({ ok: false, text: toError(e).message });
        setBusy(false);
      },
    );
  };

  return (
    <Dialog
      titleId={titleId}
      title={title}
      testId={`${testId}-dialog`}
      busy={busy}
      onCancel={onClose}
      closeButton
      footer={
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" disabled={busy} onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            className="button button-primary"
            data-testid={`${testId}-send`}
            disabled={busy || device === ""}
            onClick={send}
          >
            {busy ? `${action}…` : action}
          </button>
        </div>
      }
    >
      <div className="members">
        <p className="muted">{intro(device)}</p>
        <label className="field">
          <span className="field-label">Device</span>
          <select
            className="input"
            data-testid={`${testId}-device`}
            value={device}
            disabled={devices.status !== "ready"}
            onChange={(e) => setChosen(e.target.value)}
          >
            {list.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name || d.id}
              </option>
            ))}
          </select>
        </label>
        {devices.status === "error" ? (
          <p className="note inline-error" role="alert">
            Could not list the devices: {devices.error.message}
          </p>
        ) : null}
        {children}
        {outcome ? (
          <p className={outcome.ok ? "note check-ok" : "note inline-error"} role="status" data-testid={`${testId}-result`}>
            {outcome.text}
          </p>
        ) : null}
      </div>
    </Dialog>
  );
}

export function PublishDialog({ integration, onClose }: { integration: Integration | null; onClose: () => void }) {
  const [body, setBody] = useState(EXAMPLE_DOWNLINK);
  return (
    <TryDialog
      title="Publish a downlink through AWS"
      testId="publish"
      action="Publish"
      intro={(device) => (
        <>
          Goes to <code>helium/devices/{device || "{id}"}/down</code> on AWS IoT, published with the monitor identity of{" "}
          {integration ? integration.name : "the integration"}, as your AWS application would. The bridge takes it from
          there to the device's LNS.
        </>
      )}
      onSend={async (device) => {
        if (integration === null) throw new Error("choose an integration first");
        const topic = await publishDownlinkViaAws(integration.id, device, body);
        return `AWS acknowledged it on ${topic}; the bridge takes it from there.`;
      }}
      onClose={onClose}
    >
      <label className="field">
        <span className="field-label">Downlink JSON</span>
        <textarea
          className="input mono"
          rows={4}
          spellCheck={false}
          data-testid="publish-body"
          value={body}
          onChange={(e) => setBody(e.target.value)}
        />
      </label>
    </TryDialog>
  );
}

export function SimulateDialog({ onClose }: { onClose: () => void }) {
  const [port, setPort] = useState("1");
  const [format, setFormat] = usePayloadFormat();
  // Three bytes to start from, written in the format the form opens with.
  const [payload, setPayload] = useState(() => EXAMPLE_UPLINK[format]);
  // Said at the field once Simulate found it wrong, until it changes.
  const [payloadError, setPayloadError] = useState<string | null>(null);
  const portNumber = Number(port);
  const portError = Number.isInteger(portNumber) && portNumber >= 0 && portNumber <= 255 ? null : "A port is 0 to 255.";
  return (
    <TryDialog
      title="Simulate an uplink"
      testId="simulate"
      action="Simulate"
      intro={() => (
        <>
          A test uplink for the device, decoded, routed and published to AWS like a real one, marked{" "}
          <code>"metadata": {"{"}"simulated": true{"}"}</code> so your AWS rules can tell it apart.
        </>
      )}
      onSend={async (device) => {
        if (portError) throw new Error(portError);
        const parsed = parsePayload(payload, format);
        if (!parsed.ok) {
          setPayloadError(parsed.error);
          throw new Error(parsed.error);
        }
        const routes = await simulateUplink(device, portNumber, forCore(parsed));
        return routes === 0
          ? "Stored, but no integration shares a label with this device: nothing was published."
          : `Sent to ${plural(routes, "integration", "integrations")}; it appears in the list as it goes out.`;
      }}
      onClose={onClose}
    >
      <PayloadFormatChoice
        value={format}
        testId="simulate-format"
        onChange={(f) => {
          setFormat(f);
          setPayloadError(null);
        }}
      />
      <div className="field-grid">
        {/* Not PortField: a simulated uplink may use any port 0–255, not only an application's. */}
        <FormField label="Port" error={portError}>
          {(control) => (
            <input
              {...control}
              className="input input-narrow"
              inputMode="numeric"
              data-testid="simulate-port"
              value={port}
              onChange={(e) => setPort(e.target.value)}
            />
          )}
        </FormField>
        <TextField
          label="Payload"
          testId="simulate-payload"
          value={payload}
          placeholder={payloadFormat(format)?.placeholder}
          error={payloadError}
          hint={payloadHint(payload, format)}
          onChange={(value) => {
            setPayload(value);
            setPayloadError(null);
          }}
        />
      </div>
    </TryDialog>
  );
}
