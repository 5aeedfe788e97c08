import { EmptyState, PageHeader } from "../components";
import { ActivityIcon } from "../icons";

export function MonitorPage() {
  return (
    <div className="page">
      <PageHeader title="Monitor" subtitle="Live traffic between Helium and AWS IoT Core." />
      <EmptyState testId="monitor-empty" icon={<ActivityIcon size={40} />} title="Nothing to show yet">
        <p>
          Once the bridge is running, every uplink it receives and every message it publishes to AWS IoT Core will
          appear here as it happens.
        </p>
      </EmptyState>
    </div>
  );
}
