import { describe, expect, it, vi } from "vitest";
import { datePart, formatDateTime, formatLastSeen, formatListTime, formatTime, formatTimestamp, formatZone, plural } from "./format";

describe("formatLastSeen", () => {
  const now = 1_700_000_000_000;
  it("says never for devices not heard", () => expect(formatLastSeen(null, now)).toBe("never"));
  it("says just now under a minute", () => expect(formatLastSeen(now - 5_000, now)).toBe("just now"));
  it("uses relative units", () => {
    expect(formatLastSeen(now - 5 * 60_000, now)).toBe("5 minutes ago");
    expect(formatLastSeen(now - 3 * 3_600_000, now)).toBe("3 hours ago");
    expect(formatLastSeen(now - 86_400_000, now)).toBe("yesterday");
  });
});

describe("formatTime", () => {
  it("shows local time with milliseconds", () => {
    const at = new Date(2024, 0, 2, 3, 4, 5, 67).getTime();
    expect(formatTime(at)).toBe("03:04:05.067");
  });
});

describe("dates and times", () => {
  // Just after midnight: a 12-hour clock would say 12:53 AM, a locale's date 12/5/2026.
  const at = new Date(2026, 11, 5, 0, 53, 54, 809).getTime();

  it("read one way whatever the locale: ISO order, 24-hour clock", () => {
    expect(formatDateTime(at)).toBe("2026-12-05 00:53:54");
    expect(formatTimestamp(at)).toBe("2026-12-05 00:53:54.809");
    expect(formatDateTime(new Date(2026, 0, 9, 13, 5, 7).getTime())).toBe("2026-01-09 13:05:07");
  });

  it("give a list's rows the time alone today, the month and day earlier this year, all before", () => {
    const now = new Date(2026, 11, 5, 9, 0).getTime();
    expect(datePart(at, now)).toBe("none");
    expect(formatListTime(at, datePart(at, now))).toBe("00:53:54.809");
    const yesterday = new Date(2026, 11, 4, 23, 59, 59, 1).getTime();
    expect(datePart(yesterday, now)).toBe("day");
    expect(formatListTime(yesterday, "day")).toBe("12-04 23:59:59.001");
    const lastYear = new Date(2025, 11, 5, 0, 53, 54, 809).getTime();
    expect(datePart(lastYear, now)).toBe("year");
    expect(formatListTime(lastYear, "year")).toBe("2025-12-05 00:53:54.809");
  });

  it("always date History's rows", () => {
    const now = new Date(2026, 11, 5, 9, 0).getTime();
    expect(datePart(at, now, "day")).toBe("day");
    expect(formatListTime(at, datePart(at, now, "day"))).toBe("12-05 00:53:54.809");
    expect(datePart(new Date(2025, 0, 1).getTime(), now, "day")).toBe("year");
  });
});

describe("plural", () => {
  it("uses the singular for exactly one, the plural otherwise", () => {
    expect(plural(1, "downlink", "downlinks")).toBe("1 downlink");
    expect(plural(0, "downlink", "downlinks")).toBe("0 downlinks");
    expect(plural(1234, "device", "devices")).toBe("1,234 devices");
    expect(plural(1, "carries", "carry")).toBe("1 carries");
    expect(plural(2, "carries", "carry")).toBe("2 carry");
  });
});

describe("formatZone", () => {
  it("says local time's offset from UTC, half hours and west of Greenwich too", () => {
    const offset = vi.spyOn(Date.prototype, "getTimezoneOffset");
    try {
      offset.mockReturnValue(-330);
      expect(formatZone(0)).toBe("UTC+05:30");
      offset.mockReturnValue(60);
      expect(formatZone(0)).toBe("UTC-01:00");
      offset.mockReturnValue(0);
      expect(formatZone(0)).toBe("UTC+00:00");
    } finally {
      offset.mockRestore();
    }
  });
});
