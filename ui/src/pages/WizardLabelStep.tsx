// The wizard's "Connect devices" step: Helium Console's "Connecting Integrations to Devices". A
// device carrying a label is piped to every integration carrying it, so the step chooses the labels
// the new integration gets: a new one (its name follows the integration's until edited) and/or
// existing ones. Nothing is sent here; the wizard creates and attaches them after the integration.
import { useId, type Ref } from "react";
import type { LabelSummary } from "../bindings";
import { ErrorState, Loading, SmallButton } from "../components";
import { formatCount } from "../format";
import type { CommandState } from "../useCommand";

export type LabelChoice = {
  createNew: boolean;
  /** `null`: follow the integration's name (see `labelNameFor`) until the user edits it. */
  newName: string | null;
  /** Ids of existing labels to attach. */
  picked: string[];
};

export const NO_LABELS: LabelChoice = { createNew: false, newName: null, picked: [] };

/** A label name made from the integration's: "Farm sensors" → "farm-sensors". */
export function labelNameFor(integrationName: string): string {
  return integrationName.trim().toLowerCase().replace(/\s+/g, "-");
}

export const newLabelName = (choice: LabelChoice, integrationName: string): string =>
  (choice.newName ?? labelNameFor(integrationName)).trim();

export type LabelProblem = { message: string; empty: boolean; clash: LabelSummary | null };

/** Why the new label cannot be created as named, if it cannot. Mirrors the core: names are unique ignoring case. */
export function newLabelProblem(
  choice: LabelChoice,
  integrationName: string,
  labels: LabelSummary[],
): LabelProblem | null {
  if (!choice.createNew) return null;
  const name = newLabelName(choice, integrationName);
  if (name === "") {
    return { message: "Enter a name for the new label, or untick “Create a new label”.", empty: true, clash: null };
  }
  const clash = labels.find((l) => l.name.trim().toLowerCase() === name.toLowerCase()) ?? null;
  if (clash === null) return null;
  return {
    message: `A label named "${clash.name}" already exists: pick it from the existing labels instead.`,
    empty: false,
    clash,
  };
}

/** What the wizard does after adding the integration: the labels to create and attach. */
export type LabelPlan = { newName: string | null; existing: LabelSummary[] };

export function labelPlan(choice: LabelChoice, integrationName: string, labels: LabelSummary[]): LabelPlan {
  return {
    newName: choice.createNew ? newLabelName(choice, integrationName) : null,
    // Only labels still listed: one deleted meanwhile (e.g. from the CLI) is not attached.
    existing: labels.filter((l) => choice.picked.includes(l.id)),
  };
}

export const isEmptyPlan = (plan: LabelPlan): boolean => plan.newName === null && plan.existing.length === 0;

export const devicesText = (n: number): string => `${formatCount(n)} ${n === 1 ? "device" : "devices"}`;

export function LabelStep({
  labels,
  onReload,
  choice,
  onChange,
  integrationName,
  problem,
  showEmpty,
  nameRef,
}: {
  labels: CommandState<LabelSummary[]>;
  onReload: () => void;
  choice: LabelChoice;
  onChange: (choice: LabelChoice) => void;
  integrationName: string;
  problem: LabelProblem | null;
  /** Also say that the name is empty (once edited, or after trying to finish). */
  showEmpty: boolean;
  nameRef: Ref<HTMLInputElement>;
}) {
  const id = useId();
  const shown = problem && (!problem.empty || showEmpty) ? problem : null;
  const existing = labels.status === "ready" ? labels.data : [];
  const picked = existing.filter((l) => choice.picked.includes(l.id));
  const skipped = !choice.createNew && picked.length === 0;
  const name = integrationName.trim() || "this integration";

  const toggle = (labelId: string, on: boolean) =>
    onChange({
      ...choice,
      picked: on ? [...choice.picked, labelId] : choice.picked.filter((p) => p !== labelId),
    });

  return (
    <li className="wizard-step" data-testid="wizard-labels-step">
      <h3>Connect devices</h3>
      <p id={`${id}-about`}>
        Devices carrying these labels are piped to this integration. Attach labels to devices on the Labels page (or
        by DevEUI there).
      </p>
      <fieldset className="wizard-choices" aria-describedby={`${id}-about`}>
        <legend className="field-label">Labels for this integration</legend>
        <label className="checkbox">
          <input
            type="checkbox"
            data-testid="wizard-new-label"
            checked={choice.createNew}
            onChange={(e) => onChange({ ...choice, createNew: e.target.checked })}
          />
          Create a new label
        </label>
        {choice.createNew ? (
          <div className={shown ? "field field-invalid wizard-indent" : "field wizard-indent"}>
            <label className="field-label" htmlFor={`${id}-name`}>
              New label name
            </label>
            <input
              id={`${id}-name`}
              ref={nameRef}
              className="input"
              data-testid="wizard-new-label-name"
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. farm-sensors"
              aria-invalid={shown ? true : undefined}
              aria-describedby={shown ? `${id}-error` : `${id}-hint`}
              value={choice.newName ?? labelNameFor(integrationName)}
              onChange={(e) => onChange({ ...choice, newName: e.target.value })}
            />
            {shown ? (
              <p id={`${id}-error`} className="field-error" role="alert" data-testid="wizard-label-error">
                {shown.message}
              </p>
            ) : (
              <p id={`${id}-hint`} className="field-hint">
                Created when you add the integration; no device carries it until you attach it to some.
              </p>
            )}
            {shown?.clash ? (
              <div>
                <SmallButton
                  testId="wizard-pick-instead"
                  onClick={() => {
                    const clash = shown.clash as LabelSummary;
                    onChange({
                      ...choice,
                      createNew: false,
                      picked: choice.picked.includes(clash.id) ? choice.picked : [...choice.picked, clash.id],
                    });
                  }}
                >
                  Pick "{shown.clash.name}" instead
                </SmallButton>
              </div>
            ) : null}
          </div>
        ) : null}
        {labels.status === "loading" ? <Loading what="labels" /> : null}
        {labels.status === "error" ? <ErrorState what="labels" error={labels.error} onRetry={onReload} /> : null}
        {labels.status === "ready" && existing.length === 0 ? (
          <p className="muted" data-testid="wizard-no-labels">
            No labels exist yet, so there are none to pick.
          </p>
        ) : null}
        {existing.length > 0 ? (
          <p id={`${id}-existing`} className="field-hint">
            Existing labels:
          </p>
        ) : null}
        {existing.length > 0 ? (
          <ul className="wizard-label-list" aria-labelledby={`${id}-existing`} data-testid="wizard-existing-labels">
            {existing.map((label) => (
              <li key={label.id} className="wizard-label-option">
                <label className="checkbox">
                  <input
                    type="checkbox"
                    aria-describedby={`${id}-count-${label.id}`}
                    checked={choice.picked.includes(label.id)}
                    onChange={(e) => toggle(label.id, e.target.checked)}
                  />
                  {label.name}
                </label>
                <span id={`${id}-count-${label.id}`} className="pill">
                  {devicesText(label.device_count)}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </fieldset>
      {skipped ? (
        <p className="note" data-testid="wizard-labels-skipped">
          No label chosen: you can skip this, but no device is piped to {name} until a label links them. You can
          attach a label to it later on the Labels page.
        </p>
      ) : null}
    </li>
  );
}
