// The wizard's last part, once the integration exists: create the new label, attach every chosen
// label to the integration (one call per label), and say which devices that pipes there. The label
// part can fail on its own (e.g. a name taken meanwhile); the integration is then kept, never added
// twice, and Retry resumes where the label part stopped.
import { useEffect, useRef, useState } from "react";
import { attachLabel, createLabel } from "../api";
import type { Integration, Label, LabelSummary } from "../bindings";
import { CopyButton } from "../components";
import { devicesText, type LabelPlan } from "./WizardLabelStep";
import { PageLink } from "../navigation";

/** Where AWS users publish a device's downlinks (the wire contract's `helium/devices/{id}/down`). */
export const DOWNLINK_TOPIC_TEMPLATE = "helium/devices/{Device ID}/down";

/**
 * What Helium Console users did once the integration existed: watch its uplinks arrive in AWS
 * IoT's MQTT test client, on its own topic, and know where downlinks go.
 */
export function AwsNextSteps({ integration }: { integration: Integration }) {
  return (
    <section className="wizard-next" aria-labelledby="wizard-next-title" data-testid="wizard-next">
      <h4 id="wizard-next-title">Next, in AWS IoT Core</h4>
      <ol className="wizard-next-steps">
        <li>
          <p>
            Open <strong>MQTT test client</strong> in the AWS IoT console and subscribe to the integration&apos;s topic:
            each uplink arrives there as Helium JSON
            {integration.forward_joins ? <>, and each join event too, with <code>&quot;type&quot;: &quot;join&quot;</code></> : null}.
          </p>
          <p className="details-copy">
            <code data-testid="wizard-next-topic">{integration.topic}</code>
            <CopyButton text={integration.topic} what="the uplink topic" />
          </p>
        </li>
        <li>
          <p>
            To send a device a downlink, publish to its downlink topic,{" "}
            <code data-testid="wizard-next-downlink">{DOWNLINK_TOPIC_TEMPLATE}</code>, e.g.{" "}
            <code>{'{"payload_raw": "AQID", "port": 1}'}</code> (base64). Each device&apos;s topic, with its ID in
            place and a Copy button, is on its page under <PageLink page="devices">Devices</PageLink>.
          </p>
        </li>
      </ol>
    </section>
  );
}

/** What the label part has done so far, so a retry does not create or attach anything twice. */
export type LabelProgress = { created: Label | null; attached: string[] };

export type Finish = {
  integration: Integration;
  plan: LabelPlan;
  progress: LabelProgress;
  state: "running" | "failed" | "done";
  error: string | null;
};

/** A label the new integration carries, and how many devices it pipes there now. */
export type LinkedLabel = { id: string; name: string; devices: number; created: boolean };

const failed = (what: string, e: unknown) => new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);

async function runLabelPart(
  integration: Integration,
  plan: LabelPlan,
  start: LabelProgress,
  onProgress: (progress: LabelProgress) => void,
): Promise<void> {
  let progress = start;
  if (plan.newName !== null && progress.created === null) {
    let created: Label;
    try {
      created = await createLabel(plan.newName);
    } catch (e) {
      throw failed(`Creating the label "${plan.newName}"`, e);
    }
    progress = { ...progress, created };
    onProgress(progress);
  }
  const labels: Label[] = progress.created ? [progress.created, ...plan.existing] : plan.existing;
  for (const label of labels) {
    if (progress.attached.includes(label.id)) continue;
    try {
      await attachLabel(label.id, [{ kind: "integration", id: integration.id }]);
    } catch (e) {
      throw failed(`Attaching the label "${label.name}" to ${integration.name}`, e);
    }
    progress = { ...progress, attached: [...progress.attached, label.id] };
    onProgress(progress);
  }
}

/** Runs the label part after the integration was added; `retry` resumes a failed run. */
export function useLabelPart() {
  const [finish, setFinish] = useState<Finish | null>(null);
  const run = (integration: Integration, plan: LabelPlan, progress: LabelProgress) => {
    setFinish({ integration, plan, progress, state: "running", error: null });
    const update = (patch: Partial<Finish>) => setFinish((f) => (f ? { ...f, ...patch } : f));
    runLabelPart(integration, plan, progress, (p) => update({ progress: p })).then(
      () => update({ state: "done" }),
      (e: Error) => update({ state: "failed", error: e.message }),
    );
  };
  const start = (integration: Integration, plan: LabelPlan) => run(integration, plan, { created: null, attached: [] });
  const retry = () => {
    if (finish?.state === "failed") run(finish.integration, finish.plan, finish.progress);
  };
  return { finish, start, retry };
}

type Line = { key: string; name: string; isNew: boolean; text: string; attached: boolean };

/** One line per chosen label; device counts from the latest label list (a label may have gained some). */
function summaryLines(finish: Finish, labels: LabelSummary[]): Line[] {
  const { plan, progress } = finish;
  const count = (id: string, fallback: number) => labels.find((l) => l.id === id)?.device_count ?? fallback;
  const lines: Line[] = [];
  const say = (key: string, name: string, isNew: boolean, id: string | null, devices: number) => {
    const attached = id !== null && progress.attached.includes(id);
    let text: string;
    if (id === null) text = "not created yet";
    else if (!attached) text = "not attached yet";
    else text = devices > 0 ? `${devicesText(devices)} piped now` : "no devices carry it yet";
    lines.push({ key, name, isNew, text, attached });
  };
  if (plan.newName !== null) {
    const created = progress.created;
    say("new", created?.name ?? plan.newName, true, created?.id ?? null, created ? count(created.id, 0) : 0);
  }
  for (const label of plan.existing) say(label.id, label.name, false, label.id, count(label.id, label.device_count));
  return lines;
}

/** The labels the integration now carries, for the wizard's result. */
export function linkedLabels(finish: Finish, labels: LabelSummary[]): LinkedLabel[] {
  const { plan, progress } = finish;
  const all: { label: Label; devices: number; created: boolean }[] = [
    ...(progress.created ? [{ label: progress.created, devices: 0, created: true }] : []),
    ...plan.existing.map((l) => ({ label: l, devices: l.device_count, created: false })),
  ];
  return all
    .filter(({ label }) => progress.attached.includes(label.id))
    .map(({ label, devices, created }) => ({
      id: label.id,
      name: label.name,
      devices: labels.find((l) => l.id === label.id)?.device_count ?? devices,
      created,
    }));
}

export function FinishView({
  finish,
  labels,
  noSource,
  onRetry,
  onDone,
}: {
  finish: Finish;
  labels: LabelSummary[];
  /** No source exists: nothing arrives yet, whatever the labels. */
  noSource: boolean;
  onRetry: () => void;
  onDone: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  // The form that held the focus is gone: keyboard and screen reader users start at the outcome.
  useEffect(() => heading.current?.focus(), [finish.state]);

  const { integration, state } = finish;
  const lines = summaryLines(finish, labels);
  const aws = integration.aws;
  const title =
    state === "running"
      ? `Added ${integration.name}; connecting its labels…`
      : state === "failed"
        ? `Added ${integration.name}, but its labels are not all connected`
        : `Added ${integration.name}`;
  const bare = lines.some((l) => l.attached && l.text === "no devices carry it yet");

  return (
    <div className="wizard-body wizard-finish" data-testid="wizard-finish">
      <h3 ref={heading} tabIndex={-1} className="wizard-finish-title">
        {title}
      </h3>
      <p className="check-ok" data-testid="wizard-added">
        The integration {integration.name} is saved{aws ? ` for AWS account ${aws.account}` : ""}.
      </p>
      <ul className="wizard-links" aria-label="Labels of the integration" data-testid="wizard-label-summary">
        {lines.map((l) => (
          <li key={l.key} className={l.attached ? "wizard-link" : "wizard-link wizard-link-pending"}>
            Label "{l.name}"{l.isNew ? " (new)" : ""} — {l.text}
          </li>
        ))}
      </ul>
      {bare ? (
        <p className="muted">
          Attach a label to devices on the <PageLink page="labels">Labels page</PageLink> (or by DevEUI there): their uplinks are then piped to{" "}
          {integration.name}.
        </p>
      ) : null}
      {state === "failed" ? (
        <>
          <p className="inline-error" role="alert" data-testid="wizard-label-failure">
            {finish.error}
          </p>
          <p>
            {integration.name} is saved and is not added again: Retry only does what is missing of the labels. Or
            finish now and attach labels to it later on the <PageLink page="labels">Labels page</PageLink>.
          </p>
        </>
      ) : null}
      {state === "failed" ? null : <AwsNextSteps integration={integration} />}
      {noSource ? (
        <p className="note note-warn" data-testid="wizard-finish-no-source">
          There is no source yet: no uplinks arrive until you add one on the{" "}
          <PageLink page="sources">Sources page</PageLink>.
        </p>
      ) : null}
      <footer className="wizard-footer">
        {state === "failed" ? (
          <button type="button" className="button button-secondary" data-testid="wizard-label-retry" onClick={onRetry}>
            Retry the labels
          </button>
        ) : null}
        <button
          type="button"
          className="button button-primary"
          data-testid="wizard-done"
          disabled={state === "running"}
          onClick={onDone}
        >
          {state === "failed" ? "Finish without them" : "Done"}
        </button>
      </footer>
    </div>
  );
}
