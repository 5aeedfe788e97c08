const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "just now", "5 minutes ago", "yesterday"… or "never" when the bridge has not heard the device. */
export function formatLastSeen(ms: number | null, now: number = Date.now()): string {
  // "never": the Name column already says "Not heard yet" of a device without a name.
  if (ms === null) return "never";
  const diff = ms - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size) return relative.format(Math.round(diff / size), unit);
  }
  return "just now";
}

// One formatter for every call: the message list formats each row's size on every live batch.
const count = new Intl.NumberFormat("en");

export function formatCount(n: number): string {
  return count.format(n);
}

/** "1 device", "2 devices", "0 devices"; also verbs: plural(1, "carries", "carry") is "1 carries". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

// Built from the date's own fields, not Intl: one form in every locale (ISO order, 24-hour clock,
// never "12/5/2026, 12:53 AM"), and cheap enough for a list that formats every row's time on each
// live batch. Local time throughout.
const ymd = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const hms = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/** A `datetime-local` input's value (local time, to the minute): "2026-12-05T00:53". */
export function msToLocal(ms: number): string {
  const d = new Date(ms);
  return `${ymd(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-12-05 00:53:54" in local time: a date and time that reads the same everywhere. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${ymd(d)} ${hms(d)}`;
}

/**
 * "UTC+01:00": the offset of local time at `ms`. Exports write UTC (RFC 3339, "Z"): the offset
 * said beside a time the app shows tells how the two compare.
 */
export function formatZone(ms: number): string {
  const minutes = -new Date(ms).getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-12-05 00:53:54.809" in local time: a message's time in full. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${ymd(d)} ${hms(d)}.${pad(d.getMilliseconds(), 3)}`;
}

/** "14:03:07.125" in local time, for the monitor's rows. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${hms(d)}.${pad(d.getMilliseconds(), 3)}`;
}

/** How much of the date a time in a list shows: none (the time alone), month and day, or all of it. */
export type DatePart = "none" | "day" | "year";

const PARTS: readonly DatePart[] = ["none", "day", "year"];

/**
 * The date a list shows with the time `ms`: none on the day of `ref` (usually now), the month
 * and day within its year, the whole date before; at least `least` (History always dates).
 */
export function datePart(ms: number, ref: number, least: DatePart = "none"): DatePart {
  const d = new Date(ms);
  const r = new Date(ref);
  const sameDay = d.getMonth() === r.getMonth() && d.getDate() === r.getDate();
  const part: DatePart = d.getFullYear() !== r.getFullYear() ? "year" : sameDay ? "none" : "day";
  return PARTS.indexOf(part) >= PARTS.indexOf(least) ? part : least;
}

/** A list's time: "14:03:07.125", "12-04 14:03:07.125" or "2025-12-04 14:03:07.125" (see {@link datePart}). */
export function formatListTime(ms: number, part: DatePart): string {
  if (part === "none") return formatTime(ms);
  if (part === "year") return formatTimestamp(ms);
  const d = new Date(ms);
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(ms)}`;
}
