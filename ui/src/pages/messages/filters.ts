// What the Messages page filters by, as the user enters it, and as the core takes it.
import { useEffect, useState } from "react";
import type { MessageFilter } from "../../bindings";

/** The kind select: a kind, all of them (""), or only errors and warnings. */
export type KindChoice = "" | "uplink" | "join" | "downlink" | "aws_downlink" | "shadow_update" | "problems";
export type LevelChoice = "" | "info" | "warn" | "error";

export const KIND_OPTIONS: { value: KindChoice; label: string }[] = [
  { value: "", label: "All" },
  { value: "uplink", label: "uplink" },
  { value: "join", label: "join" },
  { value: "downlink", label: "downlink" },
  // Downlinks the integration's AWS monitor saw on the down topics (Watch AWS).
  { value: "aws_downlink", label: "aws_downlink" },
  { value: "shadow_update", label: "shadow_update" },
  { value: "problems", label: "Errors & warnings only" },
];

export const LEVEL_OPTIONS: { value: LevelChoice; label: string }[] = [
  { value: "", label: "All" },
  { value: "info", label: "info" },
  { value: "warn", label: "warn" },
  { value: "error", label: "error" },
];

export type Filters = {
  kind: KindChoice;
  level: LevelChoice;
  /** A device's id, DevEUI or name. */
  device: string;
  /** An integration's id; "" for all. */
  integration: string;
  /** Part of the topic. */
  topic: string;
  /** Part of the text or the JSON. */
  text: string;
};

export const NO_FILTERS: Filters = { kind: "", level: "", device: "", integration: "", topic: "", text: "" };

/** The History view's time range, as typed in `datetime-local` inputs (local time). */
export type Range = { from: string; to: string };

export const NO_RANGE: Range = { from: "", to: "" };

/** Milliseconds since the epoch of a `datetime-local` value (local time); null when empty or not a date. */
export function localToMs(value: string): number | null {
  if (value.trim() === "") return null;
  // A date-time without an offset is read as local time.
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}


/** Why the range cannot be searched, or null. */
export function rangeError(range: Range): string | null {
  const from = localToMs(range.from);
  const to = localToMs(range.to);
  if (range.from !== "" && from === null) return "From is not a date and time.";
  if (range.to !== "" && to === null) return "To is not a date and time.";
  if (from !== null && to !== null && from >= to) return "From must be before To.";
  return null;
}

const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/** What the core filters by: the filters and, in History, the range. */
export function toMessageFilter(f: Filters, range: Range = NO_RANGE): MessageFilter {
  const problems = f.kind === "problems";
  const levels =
    problems ? (f.level === "warn" || f.level === "error" ? [f.level] : ["warn", "error"]) : f.level === "" ? [] : [f.level];
  return {
    kinds: f.kind === "" || problems ? [] : [f.kind],
    levels,
    directions: [],
    device: orNull(f.device),
    integration_id: f.integration === "" ? null : f.integration,
    topic: orNull(f.topic),
    text: orNull(f.text),
    from_ms: localToMs(range.from),
    to_ms: localToMs(range.to),
  };
}

/** Whether anything is filtered out. */
export function isFiltered(f: Filters): boolean {
  return JSON.stringify(toMessageFilter(f)) !== JSON.stringify(toMessageFilter(NO_FILTERS));
}

/** Typing debounce of the text filters. */
export const TYPING_DELAY_MS = 300;

/**
 * The filters as the live view uses them: the selects at once, what is typed once typing pauses
 * for {@link TYPING_DELAY_MS}.
 */
export function useSettledFilters(f: Filters): Filters {
  const typed = JSON.stringify([f.device, f.topic, f.text]);
  const [settled, setSettled] = useState(typed);
  useEffect(() => {
    if (typed === settled) return undefined;
    const timer = setTimeout(() => setSettled(typed), TYPING_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, settled]);
  const [device, topic, text] = JSON.parse(settled) as [string, string, string];
  return { ...f, device, topic, text };
}
