import { describe, expect, it } from "vitest";
import { formatLastSeen, formatTime, plural } from "./format";

describe("formatLastSeen", () => {
  const now = 1_700_000_000_000;
  it("says not heard yet for devices not seen", () => expect(formatLastSeen(null, now)).toBe("not heard yet"));
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

describe("plural", () => {
  it("uses the singular for exactly one, the plural otherwise", () => {
    expect(plural(1, "downlink", "downlinks")).toBe("1 downlink");
    expect(plural(0, "downlink", "downlinks")).toBe("0 downlinks");
    expect(plural(1234, "device", "devices")).toBe("1,234 devices");
    expect(plural(1, "carries", "carry")).toBe("1 carries");
    expect(plural(2, "carries", "carry")).toBe("2 carry");
  });
});
