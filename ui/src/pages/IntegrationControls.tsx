// An integration's controls, shared by its row on the Integrations page and its details page:
// the Enabled switch, "Provision now", and what it provisions with.
import { useState } from "react";
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
 * The user's on/off choice for an integration, one name everywhere: Enabled or Disabled. It is
 * what the user chose, not what happens (an enabled integration may be failing): its health
 * badge says that.
 */
export const enabledText = (active: boolean) => (active ? "Enabled" : "Disabled");

/** The choice as a neutral badge, without the status dot of a health badge (labels dialog, device routes). */
export function EnabledBadge({ active }: { active: boolean }) {
  return (
    <span
      className="badge badge-setting"
      data-testid="integration-enabled"
      title={active ? "Enabled: its uplinks are forwarded" : "Disabled: nothing is forwarded to it"}
    >
      {enabledText(active)}
    </span>
  );
}

/**
 * Enables or disables an integration; the running bridge starts or stops its sessions at once.
 * Beside it, the choice ("Enabled"/"Disabled", clicking it toggles too); its accessible name says
 * what it switches, its checked state the choice.
 */
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
      <label className="switch-label">
        <button
          type="button"
          role="switch"
          aria-checked={integration.active}
          aria-label={`Forward uplinks to ${integration.name}`}
          title={integration.active ? "Disable: stop forwarding uplinks to it" : "Enable: forward uplinks to it again"}
          className="switch"
          data-testid="integration-toggle"
          disabled={busy}
          onClick={toggle}
        >
          <span className="switch-knob" />
        </button>
        <span>{enabledText(integration.active)}</span>
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
        // With certificates made by hand there is nothing the bridge could create (the core refuses).
        disabled={state.busy || !integration.active || integration.aws === null}
        title={
          integration.aws === null
            ? "Nothing to provision: it uses certificates made by hand"
            : integration.active
              ? "Create its devices' things and certificates in AWS now"
              : "Enable it first"
        }
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
