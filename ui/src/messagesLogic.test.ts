// The Messages page's pure parts: payload bytes as hex and text, exact JSON indenting, the live
// window (each message once, newest first, bounded), holding the scroll position, and the filters.
import { describe, expect, it } from "vitest";
import type { MessageRow } from "./bindings";
import { holdPosition } from "./holdPosition";
import { bytesAsText, decodeBase64, decodedOf, hexDump, payloadBytes, prettyJson } from "./pages/messages/bytes";
import { msToLocal } from "./format";
import { localToMs, NO_FILTERS, rangeError, toMessageFilter } from "./pages/messages/filters";
import {
  markSeen,
  MAX_MESSAGES,
  mergePrefill,
  prependBatch,
  prependRows,
  rememberSeen,
  type SeenMarks,
} from "./pages/messages/liveWindow";
import { forCore, parsePayload, payloadHint } from "./payload";
import { messageRow, NO_FILTER } from "./test/tauri";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("hexDump", () => {
  it("is one line per 16 bytes: offset, hex pairs, ASCII", () => {
    const all = new Uint8Array(20).map((_, i) => 0x41 + i); // A, B, C…
    all[1] = 0x00;
    all[2] = 0xff;
    expect(hexDump(all).split("\n")).toEqual([
      "0000  41 00 ff 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  A..DEFGHIJKLMNOP",
      "0010  51 52 53 54" + " ".repeat(36) + "  QRST",
    ]);
  });

  it("keeps the ASCII column aligned on a short last line, and is empty for no bytes", () => {
    const lines = hexDump(bytes(0x48, 0x69, 0x0a)).split("\n");
    expect(lines).toEqual(["0000  48 69 0a" + " ".repeat(39) + "  Hi."]);
    expect(lines[0]?.indexOf("Hi.")).toBe(6 + 47 + 2);
    expect(hexDump(bytes())).toBe("");
  });

  it("counts offsets in hex past the first lines", () => {
    const lines = hexDump(new Uint8Array(40)).split("\n");
    expect(lines.map((l) => l.slice(0, 4))).toEqual(["0000", "0010", "0020"]);
  });

  it("takes fewer bytes a line for a narrow pane, the text column still aligned", () => {
    const lines = hexDump(new TextEncoder().encode("Hello, world"), 8).split("\n");
    expect(lines).toEqual(["0000  48 65 6c 6c 6f 2c 20 77  Hello, w", "0008  6f 72 6c 64" + " ".repeat(12) + "  orld"]);
  });
});

describe("payloads typed in a chosen format", () => {
  it("are read only in that format: base64 that is hex too is base64", () => {
    expect(parsePayload("AAAA", "base64")).toEqual({ ok: true, base64: "AAAA", bytes: 3 });
    expect(parsePayload("AAAA", "hex")).toEqual({ ok: true, base64: "qqo=", bytes: 2 });
  });

  it("go to the core as hex said 0x, which it cannot read as anything else", () => {
    expect(forCore({ base64: "AAAA" })).toBe("0x000000");
    expect(forCore({ base64: "AWcA8A==" })).toBe("0x016700f0");
  });

  it("are refused with the format named, and the other format when the text is that", () => {
    const notBase64 = parsePayload("0102ff", "base64");
    expect(notBase64.ok ? "" : notBase64.error).toBe(
      "Not base64: use A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4, e.g. AQL/. It is hex: choose Hex.",
    );
    const notHex = parsePayload("AQL/", "hex");
    expect(notHex.ok ? "" : notHex.error).toBe("Not hex: use only 0-9 and a-f, e.g. 01 02 ff. It is base64: choose Base64.");
    const neither = parsePayload("zz!", "base64");
    expect(neither.ok ? "" : neither.error).not.toContain("choose");
  });

  it("say under the field what bytes they are, or what the format takes", () => {
    expect(payloadHint("AAAA", "base64")).toBe("3 bytes: 00 00 00");
    expect(payloadHint("", "base64")).toBe("Standard base64, as Helium's JSON carries a payload.");
    expect(payloadHint("hi", "text")).toBe("2 bytes: 68 69");
    expect(payloadHint("00".repeat(20), "hex")).toBe(`20 bytes: ${"00 ".repeat(16)}…`);
    // Spaced hex is base64 too once its spaces go: pointed out.
    expect(payloadHint("01 67 00 f0", "base64")).toBe("6 bytes: d3 5e bb d3 47 f4. This looks like hex: choose Hex to read it so.");
  });
});

describe("msToLocal", () => {
  it("is a datetime-local value, to the minute, that reads back as the same time", () => {
    const at = new Date(2026, 11, 5, 0, 53, 54).getTime();
    expect(msToLocal(at)).toBe("2026-12-05T00:53");
    expect(localToMs(msToLocal(at))).toBe(new Date(2026, 11, 5, 0, 53).getTime());
  });
});

describe("bytesAsText", () => {
  it("reads UTF-8 and shows controls and invalid bytes as dots", () => {
    expect(bytesAsText(new TextEncoder().encode("21.5 °C"))).toBe("21.5 °C");
    expect(bytesAsText(bytes(0x6f, 0x6b, 0x00, 0x0a, 0x09, 0x7f, 0xff, 0x21))).toBe("ok.....!");
  });
});

describe("payload of a message's JSON", () => {
  it("is an uplink's payload or a downlink's payload_raw, as bytes", () => {
    expect(payloadBytes(JSON.stringify({ payload: "AWcA8A==" }))).toEqual(bytes(0x01, 0x67, 0x00, 0xf0));
    expect(payloadBytes(JSON.stringify({ payload_raw: "SGk=", port: 1 }))).toEqual(bytes(0x48, 0x69));
  });

  it("is null without one, for a payload that is not base64, or JSON that is not JSON", () => {
    expect(payloadBytes(JSON.stringify({ state: { reported: {} } }))).toBeNull();
    expect(payloadBytes(JSON.stringify({ payload: "not base64!" }))).toBeNull();
    expect(payloadBytes("{oops")).toBeNull();
    expect(payloadBytes(null)).toBeNull();
    expect(decodeBase64("")).toEqual(bytes());
  });

  it("reads the decoded payload", () => {
    expect(decodedOf(JSON.stringify({ decoded: { temperature: 21.5 } }))).toEqual({ temperature: 21.5 });
    expect(decodedOf(JSON.stringify({ decoded: null }))).toBeUndefined();
    expect(decodedOf(JSON.stringify({ payload: "AA==" }))).toBeUndefined();
  });
});

describe("prettyJson", () => {
  it("indents by two spaces, keeping every value exactly as written", () => {
    const raw = '{"id":12345678901234567890,"price":1.50,"s":"a, b: {c}","e":"q\\"x","list":[1,{"k":[]}],"o":{}}';
    expect(prettyJson(raw)).toBe(
      [
        "{",
        '  "id": 12345678901234567890,',
        '  "price": 1.50,',
        '  "s": "a, b: {c}",',
        '  "e": "q\\"x",',
        '  "list": [',
        "    1,",
        "    {",
        '      "k": []',
        "    }",
        "  ],",
        '  "o": {}',
        "}",
      ].join("\n"),
    );
  });

  it("leaves text that is not JSON as it is", () => {
    expect(prettyJson("temperature=21")).toBe("temperature=21");
    expect(prettyJson('  "just a string" ')).toBe('"just a string"');
  });
});

const ids = (rows: MessageRow[]) => rows.map((r) => r.id);
const rowsOf = (...list: number[]) => list.map((id) => messageRow({ id }));

describe("live window", () => {
  it("puts a batch (oldest first) on top, newest first, each message once", () => {
    const current = rowsOf(3, 2, 1);
    expect(ids(prependBatch(current, rowsOf(3, 4, 5)))).toEqual([5, 4, 3, 2, 1]);
    expect(prependBatch(current, rowsOf(2, 3))).toBe(current);
  });

  it("keeps at most the newest MAX_MESSAGES", () => {
    const full = rowsOf(...Array.from({ length: MAX_MESSAGES }, (_, i) => MAX_MESSAGES - i));
    const next = prependBatch(full, rowsOf(MAX_MESSAGES + 1, MAX_MESSAGES + 2));
    expect(next).toHaveLength(MAX_MESSAGES);
    expect(ids(next).slice(0, 3)).toEqual([MAX_MESSAGES + 2, MAX_MESSAGES + 1, MAX_MESSAGES]);
    expect(next[next.length - 1]?.id).toBe(3);
    expect(ids(prependRows(rowsOf(2, 1), rowsOf(6, 5, 4, 3), 3))).toEqual([6, 5, 4]);
  });

  it("takes a batch out of order or repeating itself, each message once, newest first", () => {
    const current = rowsOf(3, 2, 1);
    expect(ids(prependRows(current, rowsOf(5, 5, 4)))).toEqual([5, 4, 3, 2, 1]);
    expect(ids(prependRows(current, rowsOf(4, 6)))).toEqual([4, 6, 3, 2, 1]);
    expect(ids(prependRows([], rowsOf(2, 1)))).toEqual([2, 1]);
    // The usual batch leaves what was shown untouched.
    prependRows(current, rowsOf(5, 4));
    expect(ids(current)).toEqual([3, 2, 1]);
  });

  it("merges the stored messages with what streamed meanwhile, each once", () => {
    expect(ids(mergePrefill(rowsOf(10, 9), rowsOf(10, 11, 12)))).toEqual([12, 11, 10, 9]);
    expect(ids(mergePrefill([], rowsOf(1, 2)))).toEqual([2, 1]);
    expect(ids(mergePrefill(rowsOf(3, 2), []))).toEqual([3, 2]);
    // Streamed but older than the newest stored one: in its place by time.
    const late = messageRow({ id: 20, at_ms: messageRow({ id: 5 }).at_ms - 1 });
    expect(ids(mergePrefill(rowsOf(6, 4), [late, messageRow({ id: 7 })]))).toEqual([7, 6, 20, 4]);
  });
});

describe("holdPosition", () => {
  const key = (r: MessageRow) => String(r.id);
  const H = 36;
  const window = (newest: number, count: number) => rowsOf(...Array.from({ length: count }, (_, i) => newest - i));

  it("moves the view down by the rows added above, keeping the offset within the row", () => {
    const before = window(100, 100);
    const after = window(103, 103);
    expect(holdPosition(before, after, key, 10 * H + 5, H)).toEqual({ scrollTop: 13 * H + 5, added: 3 });
  });

  it("does the same when the window trims as many off the end", () => {
    const before = window(100, 100);
    const after = window(110, 100);
    expect(holdPosition(before, after, key, 40 * H, H)).toEqual({ scrollTop: 50 * H, added: 10 });
  });

  it("does not move for rows added below (History's Load more) or nothing new", () => {
    const before = window(100, 50);
    expect(holdPosition(before, window(100, 80), key, 7 * H, H)).toEqual({ scrollTop: 7 * H, added: 0 });
    expect(holdPosition(before, before, key, 7 * H, H)).toEqual({ scrollTop: 7 * H, added: 0 });
  });

  it("moves by the rows added when the row in view itself fell off the end", () => {
    const before = window(100, 10);
    const after = window(105, 10);
    expect(holdPosition(before, after, key, 8 * H, H)).toEqual({ scrollTop: 13 * H, added: 5 });
  });

  it("counts every row as new when none of the old ones is left", () => {
    expect(holdPosition(window(10, 5), window(30, 5), key, 2 * H, H)).toEqual({ scrollTop: 7 * H, added: 5 });
    expect(holdPosition([], window(3, 3), key, 0, H)).toEqual({ scrollTop: 0, added: 0 });
  });
});

describe("filters", () => {
  it("maps the choices to the core's filter", () => {
    expect(toMessageFilter(NO_FILTERS)).toEqual(NO_FILTER);
    expect(
      toMessageFilter({ kind: "downlink", level: "error", device: " Sensor 1 ", integration: "int-2", topic: "down", text: "x" }),
    ).toMatchObject({ kinds: ["downlink"], levels: ["error"], device: "Sensor 1", integration_id: "int-2", topic: "down", text: "x" });
    expect(toMessageFilter({ ...NO_FILTERS, kind: "problems" })).toMatchObject({ kinds: [], levels: ["warn", "error"] });
    expect(toMessageFilter({ ...NO_FILTERS, kind: "problems", level: "error" })).toMatchObject({ levels: ["error"] });
    expect(toMessageFilter({ ...NO_FILTERS, kind: "problems", level: "info" })).toMatchObject({ levels: ["warn", "error"] });
  });

  it("reads the range as local time and says what is wrong with it", () => {
    expect(localToMs("2024-03-05T14:30")).toBe(new Date(2024, 2, 5, 14, 30).getTime());
    expect(localToMs("")).toBeNull();
    expect(toMessageFilter(NO_FILTERS, { from: "2024-03-05T14:30", to: "" })).toMatchObject({
      from_ms: new Date(2024, 2, 5, 14, 30).getTime(),
      to_ms: null,
    });
    expect(rangeError({ from: "2024-03-05T14:30", to: "2024-03-05T14:00" })).toBe("From must be before To.");
    expect(rangeError({ from: "2024-03-05T14:00", to: "2024-03-05T14:30" })).toBeNull();
    expect(rangeError({ from: "yesterday", to: "" })).toBe("From is not a date and time.");
  });
});

describe("seen on AWS", () => {
  const seen = (uuid: string, at_ms: number, integration_id = "int-1") => ({ integration_id, uuid, at_ms });

  it("marks the uplink AWS echoed on that integration only, and leaves the rest as they were", () => {
    const marks: SeenMarks = new Map();
    rememberSeen(marks, [seen("u-1", 5000)]);
    const rows = [
      messageRow({ id: 1, uuid: "u-1" }),
      messageRow({ id: 2, uuid: "u-1", integration_id: "int-2" }),
      messageRow({ id: 3, uuid: "u-1", kind: "uplink_rejected" }),
      messageRow({ id: 4, uuid: "u-2" }),
    ];
    const marked = markSeen(rows, marks);
    expect(marked.map((r) => r.seen_ms)).toEqual([5000, null, null, null]);
    // Unchanged rows are the same objects (the list does not redraw them).
    expect(marked[3]).toBe(rows[3]);
    expect(rows[0]?.seen_ms).toBeNull();
    // Nothing to mark: the same array.
    expect(markSeen(marked, marks)).toBe(marked);
    expect(markSeen(rows, new Map())).toBe(rows);
  });

  it("keeps the newest marks only", () => {
    const marks: SeenMarks = new Map();
    rememberSeen(marks, [seen("a", 1), seen("b", 2), seen("c", 3)], 2);
    expect([...marks.keys()]).toEqual(["int-1|b", "int-1|c"]);
  });
});
