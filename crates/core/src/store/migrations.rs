//! Versioned schema migrations, embedded in the binary. `PRAGMA user_version` records how
//! many have been applied. Never edit a released migration: append a new one.

pub const MIGRATIONS: &[&str] = &[
    // 1: integrations and labels.
    r#"
    CREATE TABLE integrations (
        id            TEXT PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('aws_iot_core')),
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        region        TEXT NOT NULL,
        topic         TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE TABLE labels (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at_ms INTEGER NOT NULL
    );
    CREATE TABLE label_integrations (
        label_id       TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
        PRIMARY KEY (label_id, integration_id)
    ) WITHOUT ROWID;
    CREATE INDEX label_integrations_by_integration ON label_integrations(integration_id);
    "#,
    // 2: devices and their labels.
    r#"
    CREATE TABLE devices (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        dev_eui       TEXT NOT NULL,
        app_eui       TEXT,
        devaddr       TEXT,
        source        TEXT NOT NULL,
        last_seen_ms  INTEGER,
        uplinks       INTEGER NOT NULL DEFAULT 0,
        downlinks     INTEGER NOT NULL DEFAULT 0,
        errors        INTEGER NOT NULL DEFAULT 0,
        created_at_ms INTEGER NOT NULL
    );
    CREATE INDEX devices_by_dev_eui ON devices(dev_eui);
    CREATE TABLE device_labels (
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        label_id  TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        PRIMARY KEY (device_id, label_id)
    ) WITHOUT ROWID;
    CREATE INDEX device_labels_by_label ON device_labels(label_id);
    "#,
    // 3: the bridge: Helium-side sources, per-integration AWS endpoint overrides, the durable
    // outbox, the event log, and what a device's downlinks need.
    r#"
    CREATE TABLE sources (
        id            TEXT PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('chirpstack_mqtt', 'legacy_mqtt', 'http_webhook')),
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        config        TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    );
    ALTER TABLE integrations ADD COLUMN endpoint_host TEXT;
    ALTER TABLE integrations ADD COLUMN endpoint_port INTEGER;
    ALTER TABLE integrations ADD COLUMN ca_file TEXT;
    ALTER TABLE integrations ADD COLUMN cert_dir TEXT;
    ALTER TABLE integrations ADD COLUMN forward_joins INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE devices ADD COLUMN application_id TEXT;
    CREATE TABLE outbox (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
        device_id      TEXT NOT NULL,
        uuid           TEXT NOT NULL,
        payload        TEXT NOT NULL,
        created_at_ms  INTEGER NOT NULL,
        UNIQUE (integration_id, uuid)
    );
    CREATE INDEX outbox_by_route ON outbox(integration_id, device_id, seq);
    CREATE TABLE events (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms          INTEGER NOT NULL,
        kind           TEXT NOT NULL,
        level          TEXT NOT NULL,
        source_id      TEXT,
        integration_id TEXT,
        device_id      TEXT,
        message        TEXT NOT NULL,
        detail         TEXT
    );
    CREATE INDEX events_by_device ON events(device_id, id);
    "#,
    // 4: AWS IoT identities the bridge provisioned per (integration, device). The private key
    // is stored only sealed with the keychain's master key. `ready` = every AWS step is done.
    r#"
    CREATE TABLE device_identities (
        integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
        device_id      TEXT NOT NULL,
        thing_name     TEXT NOT NULL,
        region         TEXT NOT NULL,
        cert_id        TEXT,
        cert_arn       TEXT,
        cert_pem       TEXT,
        key_enc        BLOB NOT NULL,
        endpoint       TEXT,
        ready          INTEGER NOT NULL DEFAULT 0 CHECK (ready IN (0, 1)),
        created_at_ms  INTEGER NOT NULL,
        PRIMARY KEY (integration_id, device_id)
    ) WITHOUT ROWID;
    "#,
    // 5: the IAM user an integration provisions with (its secret is in the keychain only), and
    // an optional AWS API endpoint override.
    r#"
    ALTER TABLE integrations ADD COLUMN aws_access_key_id TEXT;
    ALTER TABLE integrations ADD COLUMN aws_account TEXT;
    ALTER TABLE integrations ADD COLUMN aws_user_arn TEXT;
    ALTER TABLE integrations ADD COLUMN api_url TEXT;
    "#,
    // 6: certificates the bridge made and then stopped using (the integration moved region, or
    // the device key could not be opened any more). They stay in AWS until the integration is
    // removed with cleanup, which removes them too.
    r#"
    CREATE TABLE retired_identities (
        integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
        device_id      TEXT NOT NULL,
        thing_name     TEXT NOT NULL,
        region         TEXT NOT NULL,
        cert_id        TEXT NOT NULL,
        cert_arn       TEXT NOT NULL,
        retired_at_ms  INTEGER NOT NULL,
        PRIMARY KEY (integration_id, cert_id)
    ) WITHOUT ROWID;
    "#,
    // 7: a source the user paused stays configured but does not run.
    r#"
    ALTER TABLE sources ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
    "#,
    // 8: the app's settings (JSON values by key).
    r#"
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 9: decoders (built-in Cayenne LPP or the user's JavaScript), attached to labels.
    r#"
    CREATE TABLE decoders (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        kind          TEXT NOT NULL CHECK (kind IN ('cayenne', 'helium', 'decode_uplink')),
        script        TEXT NOT NULL DEFAULT '',
        updated_at_ms INTEGER NOT NULL
    );
    CREATE TABLE decoder_labels (
        decoder_id TEXT NOT NULL REFERENCES decoders(id) ON DELETE CASCADE,
        label_id   TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        PRIMARY KEY (decoder_id, label_id)
    ) WITHOUT ROWID;
    CREATE INDEX decoder_labels_by_label ON decoder_labels(label_id);
    "#,
    // 10: what an integration's messages carry: `decoded`, ChirpStack's `object`, shadow updates.
    r#"
    ALTER TABLE integrations ADD COLUMN include_decoded INTEGER NOT NULL DEFAULT 1 CHECK (include_decoded IN (0, 1));
    ALTER TABLE integrations ADD COLUMN source_object INTEGER NOT NULL DEFAULT 1 CHECK (source_object IN (0, 1));
    ALTER TABLE integrations ADD COLUMN shadow INTEGER NOT NULL DEFAULT 0 CHECK (shadow IN (0, 1));
    "#,
];

pub const LATEST: u32 = MIGRATIONS.len() as u32;
