import { listLabels } from "../api";
import { EmptyState, ErrorState, Loading, PageHeader } from "../components";
import { formatCount } from "../format";
import { TagIcon } from "../icons";
import { useCommand } from "../useCommand";

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

export function LabelsPage() {
  const [state, reload] = useCommand(listLabels);

  return (
    <div className="page">
      <PageHeader title="Labels" subtitle="Labels connect devices to integrations." />
      {state.status === "loading" ? <Loading what="labels" /> : null}
      {state.status === "error" ? <ErrorState what="labels" error={state.error} onRetry={reload} /> : null}
      {state.status === "ready" && state.data.length === 0 ? (
        <EmptyState testId="labels-empty" icon={<TagIcon size={40} />} title="No labels yet">
          <p>
            A label groups devices. Attach a label to an integration and every device carrying it has its uplinks
            forwarded there.
          </p>
        </EmptyState>
      ) : null}
      {state.status === "ready" && state.data.length > 0 ? (
        <ul className="card-list" aria-label="Labels">
          {state.data.map((label) => (
            <li key={label.id} className="card-row" data-testid="label-row">
              <div className="card-row-main">
                <span className="card-row-title">
                  <TagIcon size={14} /> {label.name}
                </span>
              </div>
              <span className="pill">{plural(label.device_count, "device", "devices")}</span>
              <span className="pill">{plural(label.integration_count, "integration", "integrations")}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
