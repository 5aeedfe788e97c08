// The wizard's "data endpoint" field: `host`, `host:port` or `[ipv6]:port`.

export type HostPort = { host: string | null; port: number | null };

/** Splits `host[:port]`; an empty field is "AWS's endpoint for the region". A string is the problem. */
export function parseHostPort(value: string): HostPort | string {
  const text = value.trim();
  if (text === "") return { host: null, port: null };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:\s]+)(?::(\d+))?$/.exec(text);
  const match = bracketed ?? plain;
  if (!match?.[1]) return "the data endpoint is a host name, optionally followed by :port";
  if (match[2] === undefined) return { host: match[1], port: null };
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return "the data endpoint's port must be 1–65535";
  return { host: match[1], port };
}

/** The field's text for a stored endpoint. */
export function formatHostPort(host: string | null, port: number | null): string {
  if (host === null) return "";
  const h = host.includes(":") ? `[${host}]` : host;
  return port === null ? h : `${h}:${port}`;
}
