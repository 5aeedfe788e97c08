// Payloads typed as hex, base64 or text in the format the user chose (never guessed: "AAAA" is
// both), turned into the base64 a downlink takes or the hex a trial or a simulated uplink takes.
import { plural } from "./format";

export type PayloadFormat = "hex" | "base64" | "text";

/** The formats a payload field offers, in the order they show; with what each takes. */
export const PAYLOAD_FORMATS: readonly { value: PayloadFormat; label: string; placeholder: string; hint: string }[] = [
  { value: "hex", label: "Hex", placeholder: "01 02 ff", hint: "Hex digits; spaces are ignored." },
  { value: "base64", label: "Base64", placeholder: "AQL/", hint: "Standard base64, as Helium's JSON carries a payload." },
  { value: "text", label: "Text", placeholder: "hello", hint: "Sent as UTF-8." },
];

export type Parsed = { ok: true; base64: string; bytes: number } | { ok: false; error: string };

const HEX = /^[0-9a-f]*$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The bytes of base64 spelt in hex, one string a byte ("AQL/" is ["01", "02", "ff"]); throws when it is not base64. */
function hexBytes(base64: string): string[] {
  return Array.from(atob(base64), (c) => c.charCodeAt(0).toString(16).padStart(2, "0"));
}

/** Base64 as spaced hex ("AWcA8A==" is "01 67 00 f0"); null when it is not base64. */
export function base64ToHex(base64: string): string | null {
  try {
    return hexBytes(base64).join(" ");
  } catch {
    return null;
  }
}

/** The formats' entry for `format`: its label, placeholder and hint. */
export function payloadFormat(format: PayloadFormat): (typeof PAYLOAD_FORMATS)[number] | undefined {
  return PAYLOAD_FORMATS.find((f) => f.value === format);
}

const isBase64 = (compact: string) => BASE64.test(compact) && compact.length % 4 === 0;

/** Said after a payload's error when it is the other format: the user chose the wrong one. */
const OTHER = { hex: " It is hex: choose Hex.", base64: " It is base64: choose Base64." };

/** The payload as base64, or what is wrong with it (named by its format), in words for the user. */
export function parsePayload(input: string, format: PayloadFormat): Parsed {
  if (format === "text") {
    if (input === "") return { ok: false, error: "Enter a payload." };
    const bytes = new TextEncoder().encode(input);
    return { ok: true, base64: bytesToBase64(bytes), bytes: bytes.length };
  }
  // Spaces (and line breaks) are only for reading: "01 02 ff" is three bytes.
  const compact = input.replace(/\s+/g, "");
  if (compact === "") return { ok: false, error: "Enter a payload." };
  if (format === "hex") {
    const digits = compact.replace(/^0x/i, "");
    const other = isBase64(compact) ? OTHER.base64 : "";
    if (!HEX.test(digits)) return { ok: false, error: `Not hex: use only 0-9 and a-f, e.g. 01 02 ff.${other}` };
    if (digits.length % 2 !== 0) {
      return { ok: false, error: `Hex needs two digits per byte; ${digits.length} digits is an odd number.${other}` };
    }
    const bytes = new Uint8Array(digits.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
    return { ok: true, base64: bytesToBase64(bytes), bytes: bytes.length };
  }
  if (!isBase64(compact)) {
    const hex = compact.replace(/^0x/i, "");
    const other = HEX.test(hex) && hex.length % 2 === 0 ? OTHER.hex : "";
    const error = `Not base64: use A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4, e.g. AQL/.${other}`;
    return { ok: false, error };
  }
  return { ok: true, base64: compact, bytes: atob(compact).length };
}

/**
 * A parsed payload as the core's trial and simulated uplink read it: hex marked `0x`. The core
 * reads a payload as hex first, then base64, so base64 that is also hex ("AAAA") would be read as
 * hex; said `0x…` it is the bytes chosen, whatever they look like.
 */
export function forCore(parsed: { base64: string }): string {
  return `0x${hexBytes(parsed.base64).join("")}`;
}

/** At most this many bytes are spelt out under a payload field. */
const SHOWN_BYTES = 16;

/** Spaced hex that is not meant as base64: "01 67 00 f0" (which is base64 too, without its spaces). */
const SPACED_HEX = /^\s*(0x)?[0-9a-f]{2}(\s+[0-9a-f]{2})+\s*$/i;

/**
 * What a payload field says under itself: the bytes the input is in `format` ("3 bytes: 00 00 00"),
 * or what the format takes while it is not one. Spaced hex chosen as base64 is pointed out.
 */
export function payloadHint(input: string, format: PayloadFormat): string {
  const parsed = parsePayload(input, format);
  const what = payloadFormat(format)?.hint ?? "";
  if (!parsed.ok) return what;
  const hex = hexBytes(parsed.base64);
  const spelt = hex.slice(0, SHOWN_BYTES).join(" ") + (hex.length > SHOWN_BYTES ? " …" : "");
  const bytes = `${plural(parsed.bytes, "byte", "bytes")}: ${spelt}`;
  return format === "base64" && SPACED_HEX.test(input) ? `${bytes}. This looks like hex: choose Hex to read it so.` : bytes;
}

/** LoRaWAN application ports; 0 is MAC commands and 224+ are reserved. */
export const PORT_MIN = 1;
export const PORT_MAX = 223;

/** The port as a number, or why it is not one the core accepts. */
export function parsePort(input: string): { ok: true; port: number } | { ok: false; error: string } {
  const value = input.trim();
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < PORT_MIN || port > PORT_MAX) {
    return { ok: false, error: `Port must be a whole number from ${PORT_MIN} to ${PORT_MAX}.` };
  }
  return { ok: true, port };
}
