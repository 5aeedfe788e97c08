// The filters of the Messages page, shared by Live and History: kind, level, device, integration,
// topic and text (History adds its time range).
import type { ReactNode } from "react";
import type { Integration } from "../../bindings";
import { KIND_OPTIONS, LEVEL_OPTIONS, type Filters, type KindChoice, type LevelChoice } from "./filters";

function Filter({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="msg-filter">
      <span className="field-label">{label}</span>
      {children}
    </label>
  );
}

export function FilterBar({
  filters,
  integrations,
  onChange,
  children,
}: {
  filters: Filters;
  integrations: readonly Integration[];
  onChange: (next: Filters) => void;
  /** More filters (History's range) at the end. */
  children?: ReactNode;
}) {
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => onChange({ ...filters, [key]: value });
  // Short hints that fit a narrow box; the whole one is the tooltip.
  const text = (key: "device" | "topic" | "text", testId: string, placeholder: string, hint: string) => (
    <input
      type="search"
      className="input"
      data-testid={testId}
      autoComplete="off"
      spellCheck={false}
      placeholder={placeholder}
      title={hint}
      value={filters[key]}
      onChange={(e) => set(key, e.target.value)}
    />
  );
  const problems = filters.kind === "problems";
  // An integration that is gone still shows as the filter's value.
  const known = filters.integration === "" || integrations.some((i) => i.id === filters.integration);

  return (
    <div className="msg-filters" role="search" aria-label="Filter messages">
      <Filter label="Kind">
        <select
          className="input"
          data-testid="filter-kind"
          value={filters.kind}
          onChange={(e) => set("kind", e.target.value as KindChoice)}
        >
          {KIND_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </Filter>
      <Filter label="Level">
        <select
          className="input"
          data-testid="filter-level"
          value={problems && filters.level === "info" ? "" : filters.level}
          onChange={(e) => set("level", e.target.value as LevelChoice)}
        >
          {LEVEL_OPTIONS.map((o) => (
            // "Errors & warnings only" leaves no info messages to pick.
            <option key={o.value} value={o.value} disabled={problems && o.value === "info"}>
              {o.label}
            </option>
          ))}
        </select>
      </Filter>
      <Filter label="Device">{text("device", "filter-device", "Name, id", "A device's name, DevEUI or id")}</Filter>
      <Filter label="Integration">
        <select
          className="input"
          data-testid="filter-integration"
          value={filters.integration}
          onChange={(e) => set("integration", e.target.value)}
        >
          <option value="">All</option>
          {integrations.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name}
            </option>
          ))}
          {known ? null : <option value={filters.integration}>{filters.integration}</option>}
        </select>
      </Filter>
      <Filter label="Topic">{text("topic", "filter-topic", "Contains", "Part of the topic")}</Filter>
      <Filter label="Text">{text("text", "filter-text", "Any text", "Part of the message's text or of its JSON")}</Filter>
      {children}
    </div>
  );
}
