// What a new decoder starts from (the built-in Cayenne LPP, a blank Helium Console `Decoder`, a
// blank ChirpStack/TTN `decodeUplink`), the kinds' names, and reading a line number out of an error.
import type { DecoderKind } from "../bindings";

/** A kind as the user knows it. */
export const KIND_LABELS: Record<DecoderKind, string> = {
  cayenne: "Cayenne LPP (built in)",
  helium: "Helium Console Decoder",
  decode_uplink: "decodeUplink (ChirpStack/TTN)",
};

export type DecoderTemplate = {
  kind: DecoderKind;
  /** The choice's title in "New decoder". */
  title: string;
  description: string;
  /** The script it starts with; empty for Cayenne LPP (built in, no script). */
  script: string;
};

const HELIUM = `// Helium Console decoder. bytes: the payload as an array of numbers (0-255);
// port: the LoRaWAN port; uplink_info: the uplink (id, name, fcnt, reported_at…).
// What it returns goes to AWS as decoded.payload.
function Decoder(bytes, port, uplink_info) {
  var decoded = {};
  // Example: a signed temperature in tenths of a degree in bytes 0-1 (00 eb is 23.5).
  if (bytes.length >= 2) decoded.temperature = (((bytes[0] << 8) | bytes[1]) << 16 >> 16) / 10;
  return decoded;
}
`;

const DECODE_UPLINK = `// ChirpStack v4 / The Things Stack v3 codec. input.bytes: the payload as an array of
// numbers (0-255); input.fPort: the LoRaWAN port; input.recvTime: when it was received (a Date).
// data goes to AWS as decoded.payload; anything in errors makes the decode fail.
function decodeUplink(input) {
  var data = {};
  var warnings = [];
  // Example: a signed temperature in tenths of a degree in bytes 0-1 (00 eb is 23.5).
  if (input.bytes.length >= 2) data.temperature = (((input.bytes[0] << 8) | input.bytes[1]) << 16 >> 16) / 10;
  else warnings.push("expected at least 2 bytes");
  return { data: data, warnings: warnings, errors: [] };
}
`;

export const TEMPLATES: readonly DecoderTemplate[] = [
  {
    kind: "cayenne",
    title: KIND_LABELS.cayenne,
    description: "The bridge's own Cayenne LPP decoder: no script to write.",
    script: "",
  },
  {
    kind: "helium",
    title: "Blank Helium Console Decoder",
    description: "function Decoder(bytes, port, uplink_info), as in Helium Console.",
    script: HELIUM,
  },
  {
    kind: "decode_uplink",
    title: "Blank decodeUplink (ChirpStack/TTN)",
    description: "function decodeUplink(input) returning {data, warnings, errors}.",
    script: DECODE_UPLINK,
  },
];

export function templateOf(kind: DecoderKind): DecoderTemplate {
  return TEMPLATES.find((t) => t.kind === kind) ?? (TEMPLATES[0] as DecoderTemplate);
}

/** What the built-in Cayenne LPP decoder makes of 01 67 00 f0, in the Helium router's shape. */
export const CAYENNE_OUTPUT = `[{ "channel": 1, "type": 103, "name": "temperature", "value": 24, "unit": "celsius" }]`;

/** The script line an error names (`… line 3: TypeError: …`), or null. */
export function errorLine(message: string | null | undefined): number | null {
  const m = message ? /\bline (\d+)\b/.exec(message) : null;
  const line = m?.[1] ? Number(m[1]) : NaN;
  return Number.isInteger(line) && line > 0 ? line : null;
}
