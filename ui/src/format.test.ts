import { describe, expect, it } from "vitest";
import { formatLastSeen, formatTime } from "./format";

describe("formatLastSeen", () => {
  const now = 1_700_000_000_000;
  it("says Never for devices not seen", () => expect(formatLastSeen(null, now)).toBe("Never"));
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
