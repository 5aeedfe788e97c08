// An integration's controls, shared by its row on the Integrations page and its details page:
// the active switch, "Provision now", and what it provisions with.
import { useState, type ReactNode } from "react";
import { provisionNow, setIntegrationActive } from "../api";
import type { Integration, IntegrationKind } from "../bindings";
import { SmallButton } from "../components";

export const KIND_LABELS: Record<IntegrationKind, string> = {
  aws_iot_core: "AWS IoT Core",
};

/** The AWS account and access key it provisions devices with; without keys, certificates made by hand. */
export function AwsAccess({ aws }: { aws: Integration["aws"] }) {
  if (!aws) {
    return (
      <span title="No AWS keys are stored for it: it uses a folder of device certificates made by hand.">
        Certificates made by hand
      </span>
    );
  }
  return (
    <span className="mono" title={aws.user_arn}>
      {aws.account} · {aws.access_key_id}
    </span>
  );
}

/**
 * Enables or disables an integration; the running bridge starts or stops its sessions at once.
 * `label` is the switch's visible label (clicking it toggles too).
 */
export function ActiveToggle({
  integration,
  onChanged,
  label,
}: {
  integration: Integration;
  onChanged: () => void;
  /** What shows beside the switch; by default what it is doing now. */
  label?: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = () => {
    setBusy(true);
    setError(null);
    setIntegrationActive(integration.id, !integration.active)
      .then(onChanged, (e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  };
  return (
    <div className="toggle-wrap">
      <label className="switch-label">
        <button
          type="button"
          role="switch"
          aria-checked={integration.active}
          aria-label={`Forwarding to ${integration.name}`}
          title={integration.active ? "Stop forwarding to this integration" : "Forward to this integration again"}
          className="switch"
          data-testid="integration-toggle"
          disabled={busy}
          onClick={toggle}
        >
          <span className="switch-knob" />
        </button>
        <span>{label ?? (integration.active ? "Forwarding" : "Not forwarding")}</span>
      </label>
      {error ? (
        <span className="toggle-error text-danger" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** Asks the running bridge to provision the integration's devices now. */
export function ProvisionButton({ integration }: { integration: Integration }) {
  const [state, setState] = useState<{ busy: boolean; message: string | null; failed: boolean }>({
    busy: false,
    message: null,
    failed: false,
  });
  const run = () => {
    setState({ busy: true, message: null, failed: false });
    provisionNow(integration.id).then(
      () =>
        setState({ busy: false, failed: false, message: "Provisioning started; the Messages page shows its steps." }),
      (e: Error) => setState({ busy: false, failed: true, message: e.message }),
    );
  };
  return (
    <>
      <SmallButton
        testId="integration-provision"
        disabled={state.busy || !integration.active}
        title={integration.active ? "Create its devices' things and certificates in AWS now" : "Enable it first"}
        onClick={run}
      >
        Provision now
      </SmallButton>
      {state.message ? (
        <span
          className={state.failed ? "row-message text-danger" : "row-message muted"}
          role={state.failed ? "alert" : "status"}
          data-testid="integration-provision-result"
        >
          {state.message}
        </span>
      ) : null}
    </>
  );
}
