// An integration's controls, shared by its row on the Integrations page and its details page:
// the active switch and "Provision now".
import { useState } from "react";
import { provisionNow, setIntegrationActive } from "../api";
import type { Integration, IntegrationKind } from "../bindings";

export const KIND_LABELS: Record<IntegrationKind, string> = {
  aws_iot_core: "AWS IoT Core",
};

/** Enables or disables an integration; the running bridge starts or stops its sessions at once. */
export function ActiveToggle({ integration, onChanged }: { integration: Integration; onChanged: () => void }) {
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
      <button
        type="button"
        role="switch"
        aria-checked={integration.active}
        aria-label={`Forward to ${integration.name}`}
        title={integration.active ? "Disable this integration" : "Enable this integration"}
        className="switch"
        data-testid="integration-toggle"
        disabled={busy}
        onClick={toggle}
      >
        <span className="switch-knob" />
      </button>
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
        setState({ busy: false, failed: false, message: "Provisioning started; the Monitor page shows its steps." }),
      (e: Error) => setState({ busy: false, failed: true, message: e.message }),
    );
  };
  return (
    <>
      <button
        type="button"
        className="button button-secondary button-small"
        data-testid="integration-provision"
        disabled={state.busy || !integration.active}
        title={integration.active ? "Create its devices' things and certificates in AWS now" : "Enable it first"}
        onClick={run}
      >
        Provision now
      </button>
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
