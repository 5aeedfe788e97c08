import { describe, expect, it } from "vitest";
import { formatHostPort, parseHostPort } from "./endpoint";

describe("data endpoint field", () => {
  it("parses host, host:port and [ipv6]:port", () => {
    expect(parseHostPort("")).toEqual({ host: null, port: null });
    expect(parseHostPort(" a1-ats.iot.us-east-1.amazonaws.com ")).toEqual({
      host: "a1-ats.iot.us-east-1.amazonaws.com",
      port: null,
    });
    expect(parseHostPort("localhost:8883")).toEqual({ host: "localhost", port: 8883 });
    expect(parseHostPort("[::1]:443")).toEqual({ host: "::1", port: 443 });
  });

  it("explains what is wrong", () => {
    expect(parseHostPort("localhost:0")).toMatch(/port/);
    expect(parseHostPort("localhost:70000")).toMatch(/port/);
    expect(parseHostPort("mqtts://host")).toMatch(/host name/);
    expect(parseHostPort("a b")).toMatch(/host name/);
  });

  it("formats what it parses", () => {
    expect(formatHostPort(null, null)).toBe("");
    expect(formatHostPort("localhost", 8883)).toBe("localhost:8883");
    expect(formatHostPort("::1", null)).toBe("[::1]");
  });
});
