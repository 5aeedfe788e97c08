// Helium Console's "Integration Details": the settings, the live connection (sessions, backlog,
// uplinks/s), the labels, its uplinks per second over the last hour as a chart, what its messages
// carry, and the devices piped to it, each with its session and downlink topic.
import { useCallback, useMemo, type ReactNode } from "react";
import { integrationDetails } from "../api";
import type { Integration, IntegrationDetails, PipedDevice, SessionState } from "../bindings";
import {
  BackButton,
  BreakAfter,
  CopyButton,
  EmptyState,
  ErrorState,
  Loading,
  PageHeader,
  SmallButton,
} from "../components";
import { formatCount, formatDateTime, formatLastSeen } from "../format";
import { RadioIcon } from "../icons";
import { HealthLine, SessionBadge, sessionSummary, type LiveHealth } from "../status";
import { useCommand } from "../useCommand";
import { VirtualTable, type Column } from "../VirtualTable";
import { DeviceName, deviceTitle, reportedName } from "./deviceName";
import { ActiveToggle, AwsAccess, KIND_LABELS, ProvisionButton } from "./IntegrationControls";
import { IntegrationPayload } from "./IntegrationPayload";
import { IntegrationRateChart } from "./IntegrationRateChart";
import { PageLink } from "../navigation";

/** Its settings, labels and piped devices change with each of these. */
const WATCH = ["integrations", "devices", "labels"];

/** Room for a downlink topic wrapped on three lines (at its "/"), in a window 1024 pixels wide. */
export const PIPED_ROW_HEIGHT = 56;
/** The columns' minimums (636), their 3 gaps (36) and the rows' padding (36). */
const PIPED_MIN_WIDTH = 708;

type Props = {
  id: string;
  /** The page's latest health reading of it (with uplinks/s); the details' own reading until then. */
  live: LiveHealth | undefined;
  /** What the last update did, shown under the header. */
  notice?: ReactNode;
  onBack: () => void;
  onUpdate: (integration: Integration) => void;
  onDelete: (integration: Integration) => void;
};

export function IntegrationDetailsPage({ id, live, notice, onBack, onUpdate, onDelete }: Props) {
  const fetcher = useCallback(() => integrationDetails(id), [id]);
  const [state, reload] = useCommand(fetcher, WATCH);

  const details = state.status === "ready" ? state.data : null;
  return (
    <div className="page details-page" data-testid="integration-details-page">
      <BackButton label="Back to integrations" testId="details-back" onBack={onBack} />
      <PageHeader
        title={details ? details.integration.name : "Integration details"}
        subtitle={`${details ? KIND_LABELS[details.integration.kind] : "AWS IoT Core"} integration`}
        actions={
          details ? (
            <>
              <SmallButton testId="integration-update" onClick={() => onUpdate(details.integration)}>
                Update connection details
              </SmallButton>
              <ProvisionButton integration={details.integration} />
              <SmallButton tone="danger" testId="integration-delete" onClick={() => onDelete(details.integration)}>
                Delete
              </SmallButton>
            </>
          ) : undefined
        }
      />
      {notice}
      {state.status === "loading" ? <Loading what="the integration" /> : null}
      {state.status === "error" ? <ErrorState what="the integration" error={state.error} onRetry={reload} /> : null}
      {details ? (
        <DetailsBody details={details} live={live ?? { health: details.health, rate: null }} onChanged={reload} />
      ) : null}
    </div>
  );
}

type BodyProps = { details: IntegrationDetails; live: LiveHealth; onChanged: () => void };

function DetailsBody({ details, live, onChanged }: BodyProps) {
  const { integration, labels, devices } = details;
  const health = live.health;
  const aws = integration.aws;
  // The per-device sessions of the latest reading; the details' own (older) ones otherwise.
  const sessions = useMemo(() => new Map(health.sessions.map((s) => [s.device_id, s])), [health.sessions]);

  return (
    <>
      <div className="details-grid">
        <section className="panel" aria-labelledby="details-settings-title">
          <header className="panel-header">
            <h2 id="details-settings-title">Settings</h2>
          </header>
          <dl className="details-facts">
            <dt>ID</dt>
            <dd className="details-copy">
              {/* Short of room, it breaks at a hyphen: its Copy button stays beside it. */}
              <BreakAfter text={integration.id} at="-" className="mono" testId="details-id" />
              <CopyButton text={integration.id} what="the integration ID" testId="copy-integration-id" />
            </dd>
            <dt>Name</dt>
            <dd>{integration.name}</dd>
            <dt>Type</dt>
            <dd>{KIND_LABELS[integration.kind] ?? integration.kind}</dd>
            <dt>Region</dt>
            <dd className="mono">{integration.region}</dd>
            <dt>Topic</dt>
            <dd className="mono">{integration.topic}</dd>
            <dt>AWS</dt>
            <dd>
              <AwsAccess aws={aws} />
            </dd>
            <dt>Join events</dt>
            <dd>{integration.forward_joins ? "Forwarded" : "Not forwarded"}</dd>
            <dt>Forwarding</dt>
            <dd className="details-toggle">
              <ActiveToggle integration={integration} onChanged={onChanged} />
            </dd>
          </dl>
        </section>
        <section className="panel" aria-labelledby="details-connection-title" data-testid="details-connection">
          <header className="panel-header">
            <h2 id="details-connection-title">Connection</h2>
          </header>
          <div className="details-section">
            <HealthLine live={live} />
            <p data-testid="details-sessions">{sessionSummary(health)}</p>
            {health.last_error ? (
              <p className="text-danger details-error" data-testid="details-last-error">
                Last error: {health.last_error}
              </p>
            ) : null}
          </div>
          <header className="panel-header panel-header-inner">
            <h2 id="details-labels-title">Labels</h2>
          </header>
          <div className="details-section">
            {labels.length > 0 ? (
              <ul className="pill-list" aria-labelledby="details-labels-title" data-testid="details-labels">
                {labels.map((l) => (
                  <li key={l.id} className="pill pill-strong">
                    {l.name}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted" data-testid="details-no-labels">
                No labels. Attach a label to it on the <PageLink page="labels">Labels page</PageLink>: every device
                carrying that label is piped here.
              </p>
            )}
          </div>
        </section>
      </div>
      <IntegrationRateChart key={`rate-${integration.id}`} id={integration.id} backlogNow={health.backlog} />
      <IntegrationPayload key={integration.id} integration={integration} onChanged={onChanged} />
      <section className="details-devices" aria-labelledby="details-devices-title">
        <h2 id="details-devices-title" className="section-title">
          Devices piped <span className="muted">({formatCount(devices.length)})</span>
        </h2>
        {devices.length === 0 ? (
          <EmptyState testId="piped-empty" icon={<RadioIcon size={32} />} title="No devices piped yet">
            <p>
              A device is piped to this integration when it carries one of its labels.
              {labels.length === 0 ? " Attach a label to the integration first." : " No device carries them yet."}
            </p>
          </EmptyState>
        ) : (
          <PipedTable devices={devices} sessions={sessions} />
        )}
      </section>
    </>
  );
}

function PipedTable({ devices, sessions }: { devices: PipedDevice[]; sessions: Map<string, SessionState> }) {
  const columns: Column<PipedDevice>[] = useMemo(
    () => [
      // The name over its DevEUI, so the downlink topic has the room to show in full.
      {
        header: "Device",
        width: "minmax(116px, 1fr)",
        render: (p) => (
          <span className="device-cell">
            <span className="ellipsis" title={reportedName(p.device) ?? undefined}>
              <DeviceName device={p.device} />
            </span>
            <span className="mono muted ellipsis">{p.device.dev_eui || "—"}</span>
          </span>
        ),
      },
      {
        header: "Last uplink",
        width: "minmax(100px, 0.6fr)",
        className: "ellipsis",
        title: (p) => (p.device.last_seen_ms === null ? undefined : formatDateTime(p.device.last_seen_ms)),
        render: (p) => formatLastSeen(p.device.last_seen_ms),
      },
      {
        header: "Session",
        width: "minmax(104px, 0.7fr)",
        className: "cell-clip",
        render: (p) => <SessionBadge session={sessions.get(p.device.id) ?? p.session} />,
      },
      {
        header: "Downlink topic",
        // Its widest piece (a UUID and its "/") and the Copy button.
        width: "minmax(316px, 3fr)",
        render: (p) => (
          <span className="topic-cell">
            <BreakAfter text={p.downlink_topic} at="/" className="mono topic-text" />
            <CopyButton text={p.downlink_topic} what={`the downlink topic of ${deviceTitle(p.device)}`} />
          </span>
        ),
      },
    ],
    [sessions],
  );
  return (
    <VirtualTable
      label="Devices piped"
      scrollLabel="Devices piped (scrollable)"
      className="details-table piped-table"
      rows={devices}
      columns={columns}
      rowHeight={PIPED_ROW_HEIGHT}
      getKey={(p) => p.device.id}
      minWidth={PIPED_MIN_WIDTH}
      rowTestId="piped-row"
      scrollTestId="piped-scroll"
    />
  );
}
