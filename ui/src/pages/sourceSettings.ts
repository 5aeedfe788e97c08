// The Sources page's model: the form's fields, the SourceConfig they make, the checks made before
// anything is sent, and a source's status. The checks mirror the core's (crates/core/src/validate.rs
// and control/sources.rs), so a mistake is named next to its field instead of coming back later.
import type { ConnectionState, Source, SourceConfig } from "../bindings";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SourceKind = SourceConfig["kind"];

export const KIND_LABELS: Record<SourceKind, string> = {
  chirpstack_mqtt: "ChirpStack MQTT",
  http_webhook: "HTTP webhook",
  legacy_mqtt: "Legacy Helium MQTT",
};

export const DEFAULT_URL = "mqtt://localhost:1883";
export const DEFAULT_UPLINK_TOPIC = "helium/+/rx";
export const DEFAULT_DOWNLINK_TOPIC = "helium/{{device_id}}/tx";
export const DEFAULT_BIND = "127.0.0.1:8090";

/** How long a test waits for a first uplink, in seconds (the core allows up to 60). */
export const TEST_WAIT_SECS = 10;

/** Every kind's fields at once, so switching kinds back and forth loses nothing typed. */
export type SourceFields = {
  kind: SourceKind;
  name: string;
  url: string;
  username: string;
  applicationId: string;
  uplinkTopic: string;
  downlinkTopic: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  bind: string;
  requireSecret: boolean;
};

export function initialFields(source?: Source): SourceFields {
  const f: SourceFields = {
    kind: source?.config.kind ?? "chirpstack_mqtt",
    name: source?.name ?? "",
    url: DEFAULT_URL,
    username: "",
    applicationId: "",
    uplinkTopic: DEFAULT_UPLINK_TOPIC,
    downlinkTopic: DEFAULT_DOWNLINK_TOPIC,
    caFile: "",
    certFile: "",
    keyFile: "",
    bind: DEFAULT_BIND,
    requireSecret: true,
  };
  const c = source?.config;
  if (c === undefined) return f;
  if (c.kind === "http_webhook") return { ...f, bind: c.bind, requireSecret: c.require_secret };
  const mqtt = {
    ...f,
    url: c.url,
    username: c.username ?? "",
    caFile: c.tls.ca_file ?? "",
    certFile: c.tls.cert_file ?? "",
    keyFile: c.tls.key_file ?? "",
  };
  if (c.kind === "chirpstack_mqtt") return { ...mqtt, applicationId: c.application_id };
  return { ...mqtt, uplinkTopic: c.uplink_topic, downlinkTopic: c.downlink_topic };
}

const orNull = (s: string): string | null => (s.trim() === "" ? null : s.trim());

export function toConfig(f: SourceFields): SourceConfig {
  if (f.kind === "http_webhook") return { kind: "http_webhook", bind: f.bind.trim(), require_secret: f.requireSecret };
  const common = {
    url: f.url.trim(),
    username: orNull(f.username),
    tls: { ca_file: orNull(f.caFile), cert_file: orNull(f.certFile), key_file: orNull(f.keyFile) },
  };
  if (f.kind === "chirpstack_mqtt") {
    return { kind: "chirpstack_mqtt", ...common, application_id: f.applicationId.trim() };
  }
  return { kind: "legacy_mqtt", ...common, uplink_topic: f.uplinkTopic.trim(), downlink_topic: f.downlinkTopic.trim() };
}

/** What settings use a secret for, as the core decides: nothing, a broker password, or the webhook's shared secret. */
export type SecretUse = "password" | "shared secret" | null;

export function secretUse(config: SourceConfig): SecretUse {
  if (config.kind === "http_webhook") return config.require_secret ? "shared secret" : null;
  return config.username === null ? null : "password";
}

/** `mqtt(s)://host[:port]` as the core reads it; a string is what is wrong. */
export function checkMqttUrl(url: string): { tls: boolean } | string {
  const scheme = /^(mqtts?):\/\//.exec(url);
  if (!scheme) return "The URL must start with mqtt:// or mqtts://, e.g. mqtt://localhost:1883.";
  const rest = url.slice(scheme[0].length).replace(/\/+$/, "");
  const colon = rest.lastIndexOf(":");
  const host = colon < 0 ? rest : rest.slice(0, colon);
  if (colon >= 0) {
    const port = rest.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return "The port must be 1–65535.";
  }
  if (host === "" || /[/ @]/.test(host)) return "The URL needs a host name after the scheme, e.g. mqtt://localhost:1883.";
  return { tls: scheme[1] === "mqtts" };
}

/** An IP address and port, as the core's listen address must be (a host name is refused). */
export function checkBind(bind: string): string | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(bind);
  const v6 = /^\[[0-9a-fA-F:.]+\]:(\d{1,5})$/.exec(bind);
  const octetsOk = v4 ? v4.slice(1, 5).every((o) => Number(o) <= 255) : false;
  const port = v4?.[5] ?? v6?.[1];
  if (!(v6 || (v4 && octetsOk)) || port === undefined) {
    return "Enter an IP address and port, e.g. 127.0.0.1:8090 (or 0.0.0.0:8090 to accept other computers).";
  }
  if (Number(port) < 1 || Number(port) > 65535) return "The port must be 1–65535.";
  return null;
}

/** An MQTT topic filter: `+` and `#` fill whole levels, `#` only the last. */
function checkTopicFilter(topic: string): string | null {
  if (topic === "") return "Enter the topic uplinks arrive on, e.g. helium/+/rx.";
  const levels = topic.split("/");
  const bad = levels.some(
    (l, i) => (l.includes("#") && (l !== "#" || i !== levels.length - 1)) || (l.includes("+") && l !== "+"),
  );
  return bad ? "+ and # must fill a whole level, and # may only be the last one." : null;
}

export type FieldKey = keyof SourceFields | "password" | "secret";
export type FieldErrors = Partial<Record<FieldKey, string>>;

export type SecretState = {
  /** A password is typed in the form. */
  hasPassword: boolean;
  /** A new shared secret is in the form. */
  hasNewSecret: boolean;
  /** What the saved source's stored secret is for (`null` for a new source). */
  stored: SecretUse;
};

export function validate(f: SourceFields, s: SecretState): FieldErrors {
  const e: FieldErrors = {};
  const name = f.name.trim();
  if (name === "") e.name = "Enter a name for this source.";
  else if ([...name].length > 100) e.name = "A name has at most 100 characters.";

  if (f.kind === "http_webhook") {
    const bind = checkBind(f.bind.trim());
    if (bind) e.bind = bind;
    if (f.requireSecret && !s.hasNewSecret && s.stored !== "shared secret") {
      e.secret = "Generate a shared secret, or stop requiring one.";
    }
    return e;
  }

  const url = f.url.trim();
  const checked = url === "" ? "Enter the broker's URL, e.g. mqtt://localhost:1883." : checkMqttUrl(url);
  if (typeof checked === "string") e.url = checked;
  else if (checked.tls && f.caFile.trim() === "") {
    e.caFile = "An mqtts:// broker needs a CA file: the PEM of the CA that signed the broker's certificate.";
  }
  const cert = f.certFile.trim() !== "";
  const key = f.keyFile.trim() !== "";
  if (cert && !key) e.keyFile = "A client certificate needs its key file too.";
  if (key && !cert) e.certFile = "A client key needs its certificate file too.";

  const hasUser = f.username.trim() !== "";
  if (s.hasPassword && !hasUser) e.password = "A password needs a username: without one the broker gets no credentials.";
  // The core would keep the stored secret, which is the webhook's, as the broker password.
  if (hasUser && !s.hasPassword && s.stored === "shared secret") {
    e.password = "Enter the broker's password: the webhook's shared secret is not kept as one.";
  }

  if (f.kind === "chirpstack_mqtt") {
    const app = f.applicationId.trim();
    if (app === "") e.applicationId = "Enter the application's UUID in ChirpStack, or + for all applications.";
    // ChirpStack's application ids are UUIDs (any case: the core keeps them in lowercase).
    else if (app !== "+" && !UUID.test(app)) {
      e.applicationId = "Not an application id: ChirpStack's are UUIDs, such as 17c82e96-be03-4f38-aef3-f83d48582d97 (or + for all).";
    }
  } else {
    const up = checkTopicFilter(f.uplinkTopic.trim());
    if (up) e.uplinkTopic = up;
    const down = f.downlinkTopic.trim();
    if (!down.includes("{{device_id}}") || /[+#]/.test(down)) {
      e.downlinkTopic = "The downlink topic must contain {{device_id}} and no + or #.";
    }
  }
  return e;
}

/** A new shared secret: 32 random bytes, base64url (43 characters, safe in an HTTP header). */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The URL ChirpStack posts to. An any-address bind is reachable under this computer's own address. */
export function webhookUrl(bind: string): { url: string; anyAddress: boolean } {
  const any = /^(0\.0\.0\.0|\[::\]):(\d+)$/.exec(bind);
  if (any) return { url: `http://<this computer's address>:${any[2]}/`, anyAddress: true };
  return { url: `http://${bind}/`, anyAddress: false };
}

/** The ChirpStack topics the bridge reads and writes for this application id. */
export function chirpstackTopics(applicationId: string): { up: string; join: string; down: string } {
  const app = applicationId.trim() === "" ? "{application id}" : applicationId.trim();
  const downApp = app === "+" ? "{the device's application id}" : app;
  return {
    up: `application/${app}/device/+/event/up`,
    join: `application/${app}/device/+/event/join`,
    down: `application/${downApp}/device/{devEui}/command/down`,
  };
}

export type SourceStatus = {
  tone: "connected" | "connecting" | "failing" | "paused" | "unknown";
  label: string;
  /** The bridge's own words (e.g. "listening on 127.0.0.1:8090"), for a tooltip. */
  detail: string | null;
};

/** A source's badge, from the bridge's connection states (or why they are not known yet). */
export function sourceStatus(source: Source, states: ConnectionState[] | "loading" | Error): SourceStatus {
  if (source.paused) return { tone: "paused", label: "Paused", detail: null };
  if (states === "loading") return { tone: "unknown", label: "Checking…", detail: null };
  if (states instanceof Error) return { tone: "unknown", label: "Status unknown", detail: states.message };
  const state = states.find((c) => c.side === "source" && c.id === source.id);
  // Not reported yet: the bridge is still starting it.
  if (!state) return { tone: "connecting", label: "Connecting…", detail: null };
  if (state.connected) return { tone: "connected", label: "Connected", detail: state.detail };
  if (state.detail === "paused") return { tone: "paused", label: "Paused", detail: null };
  if (state.detail === "") return { tone: "connecting", label: "Connecting…", detail: null };
  return { tone: "failing", label: `Failing: ${state.detail}`, detail: state.detail };
}
