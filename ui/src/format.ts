const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "just now", "5 minutes ago", "yesterday"… or "not heard yet" when the bridge has not seen the device. */
export function formatLastSeen(ms: number | null, now: number = Date.now()): string {
  if (ms === null) return "not heard yet";
  const diff = ms - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size) return relative.format(Math.round(diff / size), unit);
  }
  return "just now";
}

// One formatter for every call, as for times below: the message list formats each row's size on
// every live batch.
const count = new Intl.NumberFormat("en");

export function formatCount(n: number): string {
  return count.format(n);
}

/** "1 device", "2 devices", "0 devices"; also verbs: plural(1, "carries", "carry") is "1 carries". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

// One formatter for every call: `toLocaleString` builds a new one each time, which a list that
// formats every row's time on each live batch pays for many times a second.
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
  second: "2-digit",
});

export function formatDateTime(ms: number): string {
  return dateTime.format(ms);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** "14:03:07.125" in local time, for the monitor's rows. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
