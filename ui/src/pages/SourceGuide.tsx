// The form's "In ChirpStack" note: the exact settings to use on the other side, for the settings
// typed in so far, with copy buttons for what has to be pasted there.
import { CopyButton } from "../components";
import { chirpstackTopics, webhookUrl, type SourceFields } from "./sourceSettings";

function ChirpStackMqttGuide({ applicationId }: { applicationId: string }) {
  const topics = chirpstackTopics(applicationId);
  return (
    <>
      <p>
        The MQTT integration is built into ChirpStack v4: there is nothing to add in its web interface. Use the broker
        set in the <code>[integration.mqtt]</code> section of <code>chirpstack.toml</code> (its <code>server</code>,
        and <code>username</code> and <code>password</code> if it sets them). Keep <code>json=true</code> there, and
        set <code>qos=1</code> so the broker does not drop events.
      </p>
      <dl className="guide-facts">
        <dt>The bridge reads</dt>
        <dd>
          <code data-testid="guide-topic-up">{topics.up}</code>
          <code data-testid="guide-topic-join">{topics.join}</code>
        </dd>
        <dt>It sends downlinks to</dt>
        <dd>
          <code data-testid="guide-topic-down">{topics.down}</code>
        </dd>
      </dl>
    </>
  );
}

function WebhookGuide({
  bind,
  requireSecret,
  secret,
  storedSecret,
}: {
  bind: string;
  requireSecret: boolean;
  secret: string | null;
  storedSecret: boolean;
}) {
  const { url, anyAddress } = webhookUrl(bind.trim());
  const header = `Bearer ${secret ?? "<the shared secret>"}`;
  return (
    <>
      <p>
        Open <strong>Applications → your application → Integrations → HTTP</strong> and set:
      </p>
      <dl className="guide-facts">
        <dt>Payload encoding</dt>
        <dd>JSON</dd>
        <dt>Event endpoint URL</dt>
        <dd className="guide-copy">
          <code data-testid="guide-url">{url}</code>
          <CopyButton text={url} what="the endpoint URL" testId="copy-url" />
        </dd>
        <dt>Headers</dt>
        {requireSecret ? (
          <dd className="guide-copy">
            <span>
              <code>Authorization</code> = <code data-testid="guide-header">{header}</code>
            </span>
            {secret ? <CopyButton text={header} what="the header value" testId="copy-header" /> : null}
          </dd>
        ) : (
          <dd>None. Anyone who can reach {bind.trim() || "this address"} can post uplinks.</dd>
        )}
      </dl>
      {requireSecret && secret === null && storedSecret ? (
        <p>The stored secret is not shown again; generate a new one if ChirpStack no longer has it.</p>
      ) : null}
      <p>
        ChirpStack adds <code>?event=up</code> (or <code>join</code>, …) to the URL itself. A webhook carries uplinks
        only: downlinks cannot reach these devices through it.
      </p>
      {anyAddress ? (
        <p>Use the address ChirpStack reaches this computer at in place of &lt;this computer&apos;s address&gt;.</p>
      ) : /^127\.|^\[::1\]/.test(bind.trim()) ? (
        <p>
          This address only accepts ChirpStack running on this computer (not in a container); listen on{" "}
          <code>0.0.0.0</code> to accept it from elsewhere.
        </p>
      ) : null}
    </>
  );
}

function LegacyGuide({ uplinkTopic, downlinkTopic }: { uplinkTopic: string; downlinkTopic: string }) {
  return (
    <>
      <p>
        Your network server (e.g. a Helium Console-style MQTT integration) publishes each uplink as legacy Helium JSON
        to the broker.
      </p>
      <dl className="guide-facts">
        <dt>The bridge reads</dt>
        <dd>
          <code>{uplinkTopic.trim() || "…"}</code>
        </dd>
        <dt>It sends downlinks to</dt>
        <dd>
          <code>{downlinkTopic.trim() || "…"}</code>, with <code>{"{{device_id}}"}</code> replaced by the device&apos;s
          id
        </dd>
      </dl>
    </>
  );
}

export function SourceGuide({
  fields,
  secret,
  storedSecret,
}: {
  fields: SourceFields;
  /** A new shared secret, shown until the source is saved. */
  secret: string | null;
  /** The saved source has a shared secret in the keychain. */
  storedSecret: boolean;
}) {
  const legacy = fields.kind === "legacy_mqtt";
  return (
    <section className="note guide" aria-labelledby="source-guide-title" data-testid="source-guide">
      <h3 id="source-guide-title">{legacy ? "On the broker" : "In ChirpStack"}</h3>
      {fields.kind === "chirpstack_mqtt" ? <ChirpStackMqttGuide applicationId={fields.applicationId} /> : null}
      {fields.kind === "http_webhook" ? (
        <WebhookGuide
          bind={fields.bind}
          requireSecret={fields.requireSecret}
          secret={secret}
          storedSecret={storedSecret}
        />
      ) : null}
      {legacy ? <LegacyGuide uplinkTopic={fields.uplinkTopic} downlinkTopic={fields.downlinkTopic} /> : null}
    </section>
  );
}
