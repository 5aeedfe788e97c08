// A message's payload bytes as the detail pane shows them: a hex dump, text, and the JSON it came in
// (pretty-printed without re-encoding a single value).

/** The bytes of base64 text (whitespace ignored); null when it is not base64. */
export function decodeBase64(base64: string): Uint8Array | null {
  const compact = base64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  try {
    const binary = atob(compact);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

/** The JSON's value, or undefined when it is not JSON. */
export function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/**
 * The payload a message's JSON carries, as bytes: an uplink's `payload`, a downlink's
 * `payload_raw` (base64). Null when it has none (or it is not base64).
 */
export function payloadBytes(json: string | null): Uint8Array | null {
  const value = parseJson(json);
  const base64 = [field(value, "payload"), field(value, "payload_raw")].find((v) => typeof v === "string");
  return typeof base64 === "string" ? decodeBase64(base64) : null;
}

/** The uplink JSON's `decoded` value; undefined when it has none. */
export function decodedOf(json: string | null): unknown {
  const decoded = field(parseJson(json), "decoded");
  return decoded === null ? undefined : decoded;
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");
const printable = (b: number) => b >= 0x20 && b <= 0x7e;

/** Bytes shown per hex dump line, where the pane has room. */
export const DUMP_WIDTH = 16;
/** Bytes per line in a narrow pane: offset, hex and text still on one line without scrolling. */
export const NARROW_DUMP_WIDTH = 8;

/** The characters of a dump line of `perLine` bytes: offset, two spaces, hex pairs, two spaces, text. */
export const dumpLineChars = (perLine: number) => 4 + 2 + perLine * 3 - 1 + 2 + perLine;

/**
 * A hex dump, one line per `perLine` (16) bytes: the offset (4 hex digits, more past 64 KiB), the
 * bytes as hex pairs, and the printable ASCII characters ("." for the others), e.g.
 * `0000  48 69 00 ff                                      Hi..`. Empty for no bytes.
 */
export function hexDump(bytes: Uint8Array, perLine = DUMP_WIDTH): string {
  const lines: string[] = [];
  const pairsWidth = perLine * 3 - 1;
  for (let at = 0; at < bytes.length; at += perLine) {
    const chunk = Array.from(bytes.subarray(at, at + perLine));
    const pairs = chunk.map(hex2).join(" ").padEnd(pairsWidth, " ");
    const ascii = chunk.map((b) => (printable(b) ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${at.toString(16).padStart(4, "0")}  ${pairs}  ${ascii}`);
  }
  return lines.join("\n");
}

/**
 * The bytes read as UTF-8, with what cannot be shown as a character (control characters, line
 * breaks included, and bytes that are not UTF-8) as ".".
 */
export function bytesAsText(bytes: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  // C0 and C1 controls, DEL, and the replacement character of invalid UTF-8.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, ".");
}

/**
 * JSON text indented by two spaces, every value kept exactly as written (a number too long for a
 * double, `1.50`, escapes in strings); the text unchanged when it is not JSON.
 */
export function prettyJson(text: string): string {
  if (parseJson(text) === undefined) return text;
  let out = "";
  let depth = 0;
  let inString = false;
  let escaped = false;
  const newline = () => "\n" + "  ".repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\n" || c === "\r" || c === "\t") continue;
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "{" || c === "[") {
      // An empty object or array stays on one line.
      let j = i + 1;
      while (j < text.length && /\s/.test(text.charAt(j))) j++;
      const close = c === "{" ? "}" : "]";
      if (text.charAt(j) === close) {
        out += c + close;
        i = j;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += newline() + c;
    } else if (c === ",") {
      out += "," + newline();
    } else if (c === ":") {
      out += ": ";
    } else {
      out += c;
    }
  }
  return out;
}

/** A value (the decoded payload, an event's detail) as indented JSON. */
export function showValue(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}
