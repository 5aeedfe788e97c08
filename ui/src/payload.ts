// Downlink payloads typed as hex, base64 or text, turned into the base64 the core takes.

export type PayloadFormat = "hex" | "base64" | "text";

export type Parsed = { ok: true; base64: string; bytes: number } | { ok: false; error: string };

const HEX = /^[0-9a-f]*$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Base64 as spaced hex ("AWcA8A==" is "01 67 00 f0"); null when it is not base64. */
export function base64ToHex(base64: string): string | null {
  try {
    return Array.from(atob(base64), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join(" ");
  } catch {
    return null;
  }
}

/** The payload as base64, or what is wrong with it, in words for the user. */
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
    if (!HEX.test(digits)) return { ok: false, error: "Not hex: use only 0-9 and a-f, e.g. 01 02 ff." };
    if (digits.length % 2 !== 0) {
      return { ok: false, error: `Hex needs two digits per byte; ${digits.length} digits is an odd number.` };
    }
    const bytes = new Uint8Array(digits.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
    return { ok: true, base64: bytesToBase64(bytes), bytes: bytes.length };
  }
  if (!BASE64.test(compact) || compact.length % 4 !== 0) {
    return { ok: false, error: "Not base64: use A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4, e.g. AQL/." };
  }
  return { ok: true, base64: compact, bytes: atob(compact).length };
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
