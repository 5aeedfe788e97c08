//! The SQLite store: WAL, foreign keys on, migrations applied on open.

mod admin;
mod bridge;
mod identities;
mod migrations;
#[cfg(test)]
mod tests;
mod writer;

pub use bridge::{DeviceCounter, Enqueue, OutboxEntry, RECENT_EVENTS_MAX};
pub use identities::{RetiredIdentity, StoredIdentity};
pub use migrations::{LATEST as SCHEMA_VERSION, MIGRATIONS};
pub use writer::{Committed, OnCommit, UplinkRows, WriteError, Writer, WriterThreads};

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::{
    AwsAccount, Device, DeviceSeen, EndpointOverride, Integration, IntegrationKind, IntegrationUpdate, Label,
    LabelSummary, NewIntegration,
};
use crate::now_ms;
use crate::validate::{self, Invalid};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(
        "the database was written by a newer Helium AWS Bridge (schema version {found}, this \
         build knows up to {known}); install the newer version or use another --data-dir"
    )]
    TooNew { found: u32, known: u32 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Store {
    conn: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        Self::init(Connection::open(path)?)
    }

    pub fn open_in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL keeps readers (UI) and the writer (bridge) out of each other's way; NORMAL sync
        // is durable across process crashes, which is what the outbox needs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn, migrations::LATEST)?;
        Ok(Store { conn })
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    // ---- integrations ----

    pub fn create_integration(&self, new: &NewIntegration) -> Result<Integration> {
        self.create_integration_with(new, None)
    }

    /// Creates an integration that provisions with `aws` (keys already checked with AWS).
    pub fn create_integration_with(&self, new: &NewIntegration, aws: Option<&AwsAccount>) -> Result<Integration> {
        self.create_integration_as(&uuid::Uuid::new_v4().to_string(), new, aws)
    }

    /// Like `create_integration_with`, under an id chosen first (its keychain entry is written
    /// before the row, so no row ever lacks its secret).
    pub fn create_integration_as(
        &self,
        id: &str,
        new: &NewIntegration,
        aws: Option<&AwsAccount>,
    ) -> Result<Integration> {
        validate::name("name", &new.name)?;
        validate::region(&new.region)?;
        validate::publish_topic(&new.topic)?;
        let now = now_ms();
        validate::endpoint(&new.endpoint)?;
        let integration = Integration {
            id: id.to_string(),
            kind: new.kind,
            name: new.name.trim().to_string(),
            active: true,
            region: new.region.clone(),
            topic: new.topic.clone(),
            endpoint: new.endpoint.clone(),
            forward_joins: new.forward_joins,
            aws: aws.cloned(),
            created_at_ms: now,
            updated_at_ms: now,
        };
        if let Some(a) = aws {
            validate::access_key_id(&a.access_key_id)?;
        }
        let e = &new.endpoint;
        let inserted = self.conn.execute(
            "INSERT INTO integrations (id, kind, name, active, region, topic, endpoint_host,
                 endpoint_port, ca_file, forward_joins, created_at_ms, updated_at_ms, cert_dir, api_url,
                 aws_access_key_id, aws_account, aws_user_arn)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT(name) DO NOTHING",
            params![
                integration.id,
                new.kind.as_str(),
                integration.name,
                new.region,
                new.topic,
                e.host,
                e.port,
                e.ca_file,
                new.forward_joins,
                now,
                e.cert_dir,
                e.api_url,
                aws.map(|a| &a.access_key_id),
                aws.map(|a| &a.account),
                aws.map(|a| &a.user_arn)
            ],
        )?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "an integration named {:?} already exists",
                integration.name
            )));
        }
        Ok(integration)
    }

    pub fn list_integrations(&self) -> Result<Vec<Integration>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations i ORDER BY i.name COLLATE NOCASE, i.id"
        ))?;
        let rows = stmt.query_map([], integration_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn get_integration(&self, id: &str) -> Result<Integration> {
        self.conn
            .query_row(
                &format!("SELECT {INTEGRATION_COLS} FROM integrations i WHERE i.id = ?1"),
                [id],
                integration_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("integration {id}")))
    }

    /// Applies `u` in one statement (all of it or nothing) and returns the integration as it is now.
    pub fn update_integration(&self, id: &str, u: &IntegrationUpdate) -> Result<Integration> {
        let mut i = self.get_integration(id)?;
        if let Some(name) = &u.name {
            validate::name("name", name)?;
            i.name = name.trim().to_string();
        }
        if let Some(region) = &u.region {
            validate::region(region)?;
            i.region = region.clone();
        }
        if let Some(topic) = &u.topic {
            validate::publish_topic(topic)?;
            i.topic = topic.clone();
        }
        if let Some(e) = &u.endpoint {
            validate::endpoint(e)?;
            i.endpoint = e.clone();
        }
        if let Some(f) = u.forward_joins {
            i.forward_joins = f;
        }
        if let Some(a) = &u.aws {
            validate::access_key_id(&a.access_key_id)?;
            i.aws = Some(a.clone());
        }
        i.updated_at_ms = now_ms();
        let e = &i.endpoint;
        let a = i.aws.as_ref();
        let updated = self.conn.execute(
            "UPDATE integrations SET name = ?2, region = ?3, topic = ?4, endpoint_host = ?5,
                 endpoint_port = ?6, ca_file = ?7, cert_dir = ?8, api_url = ?9, forward_joins = ?10,
                 aws_access_key_id = ?11, aws_account = ?12, aws_user_arn = ?13, updated_at_ms = ?14
             WHERE id = ?1",
            params![
                i.id,
                i.name,
                i.region,
                i.topic,
                e.host,
                e.port,
                e.ca_file,
                e.cert_dir,
                e.api_url,
                i.forward_joins,
                a.map(|a| &a.access_key_id),
                a.map(|a| &a.account),
                a.map(|a| &a.user_arn),
                i.updated_at_ms
            ],
        );
        match updated {
            Ok(0) => Err(StoreError::NotFound(format!("integration {id}"))),
            Ok(_) => Ok(i),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => Err(
                StoreError::Conflict(format!("an integration named {:?} already exists", i.name)),
            ),
            Err(e) => Err(e.into()),
        }
    }

    pub fn set_integration_active(&self, id: &str, active: bool) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE integrations SET active = ?2, updated_at_ms = ?3 WHERE id = ?1",
            params![id, active, now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("integration {id}")));
        }
        Ok(())
    }

    /// The active integrations a device's uplinks go to: the union over the device's labels,
    /// each integration once.
    pub fn routes_for_device(&self, device_id: &str) -> Result<Vec<Integration>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations i
             WHERE i.active = 1 AND EXISTS (
                 SELECT 1 FROM device_labels dl
                 JOIN label_integrations li ON li.label_id = dl.label_id
                 WHERE dl.device_id = ?1 AND li.integration_id = i.id)
             ORDER BY i.name COLLATE NOCASE, i.id"
        ))?;
        let rows = stmt.query_map([device_id], integration_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The active integrations a device's uplinks go to now (a shared label) or still wait
    /// for (outbox entries), oldest first: the integrations a device's AWS sessions serve.
    pub fn integrations_serving_device(&self, device_id: &str) -> Result<Vec<Integration>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations i
             WHERE i.active = 1 AND (
                 EXISTS (SELECT 1 FROM device_labels dl
                         JOIN label_integrations li ON li.label_id = dl.label_id
                         WHERE dl.device_id = ?1 AND li.integration_id = i.id)
                 OR EXISTS (SELECT 1 FROM outbox o WHERE o.integration_id = i.id AND o.device_id = ?1))
             ORDER BY i.created_at_ms, i.id"
        ))?;
        let rows = stmt.query_map([device_id], integration_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- labels ----

    pub fn create_label(&self, name: &str) -> Result<Label> {
        validate::name("label name", name)?;
        let label = Label {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.trim().to_string(),
        };
        let inserted = self.conn.execute(
            "INSERT INTO labels (id, name, created_at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO NOTHING",
            params![label.id, label.name, now_ms()],
        )?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "a label named {:?} already exists",
                label.name
            )));
        }
        Ok(label)
    }

    pub fn list_labels(&self) -> Result<Vec<LabelSummary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.id, l.name,
                    (SELECT COUNT(*) FROM device_labels dl WHERE dl.label_id = l.id),
                    (SELECT COUNT(*) FROM label_integrations li WHERE li.label_id = l.id)
             FROM labels l ORDER BY l.name COLLATE NOCASE, l.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LabelSummary {
                id: r.get(0)?,
                name: r.get(1)?,
                device_count: r.get(2)?,
                integration_count: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn attach_label_to_integration(&self, label_id: &str, integration_id: &str) -> Result<()> {
        self.link(
            "label_integrations",
            "integration_id",
            label_id,
            integration_id,
            "integration",
        )
    }

    pub fn attach_label_to_device(&self, label_id: &str, device_id: &str) -> Result<()> {
        self.link("device_labels", "device_id", label_id, device_id, "device")
    }

    fn link(&self, table: &str, col: &str, label_id: &str, other_id: &str, what: &str) -> Result<()> {
        let res = self.conn.execute(
            &format!("INSERT OR IGNORE INTO {table} (label_id, {col}) VALUES (?1, ?2)"),
            params![label_id, other_id],
        );
        match res {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Err(StoreError::NotFound(format!("label {label_id} or {what} {other_id}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    // ---- devices ----

    /// Registers a device on first sight, or refreshes what the source says about it.
    pub fn record_device_seen(&self, seen: &DeviceSeen) -> Result<()> {
        upsert_device(&self.conn, seen, 0)
    }

    pub fn list_devices(&self) -> Result<Vec<Device>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM devices ORDER BY name COLLATE NOCASE, id",
            admin::DEVICE_COLS
        ))?;
        let rows = stmt.query_map([], admin::device_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

const INTEGRATION_COLS: &str = "i.id, i.kind, i.name, i.active, i.region, i.topic, \
    i.created_at_ms, i.updated_at_ms, i.endpoint_host, i.endpoint_port, i.ca_file, i.forward_joins, i.cert_dir, \
    i.api_url, i.aws_access_key_id, i.aws_account, i.aws_user_arn";

fn integration_from_row(r: &Row<'_>) -> rusqlite::Result<Integration> {
    let kind: String = r.get(1)?;
    Ok(Integration {
        id: r.get(0)?,
        kind: IntegrationKind::parse(&kind)
            .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, kind.into()))?,
        name: r.get(2)?,
        active: r.get(3)?,
        region: r.get(4)?,
        topic: r.get(5)?,
        created_at_ms: r.get(6)?,
        updated_at_ms: r.get(7)?,
        endpoint: EndpointOverride {
            host: r.get(8)?,
            port: r.get(9)?,
            ca_file: r.get(10)?,
            cert_dir: r.get(12)?,
            api_url: r.get(13)?,
        },
        forward_joins: r.get(11)?,
        aws: match r.get::<_, Option<String>>(14)? {
            Some(access_key_id) => Some(AwsAccount {
                access_key_id,
                account: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
                user_arn: r.get::<_, Option<String>>(16)?.unwrap_or_default(),
            }),
            None => None,
        },
    })
}

/// Applies migrations up to `target`, each in its own transaction with its version bump.
pub(crate) fn migrate(conn: &mut Connection, target: u32) -> Result<()> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > migrations::LATEST {
        return Err(StoreError::TooNew {
            found: current,
            known: migrations::LATEST,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(current as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
    }
    Ok(())
}

/// Records a sighting; `uplinks` is added to the device's uplink count in the same statement.
fn upsert_device(conn: &Connection, seen: &DeviceSeen, uplinks: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO devices (id, name, dev_eui, app_eui, devaddr, source, last_seen_ms, created_at_ms,
                 application_id, uplinks)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)
             ON CONFLICT(id) DO UPDATE SET
                 name = excluded.name, dev_eui = excluded.dev_eui,
                 app_eui = COALESCE(excluded.app_eui, devices.app_eui),
                 devaddr = COALESCE(excluded.devaddr, devices.devaddr),
                 source = excluded.source,
                 application_id = COALESCE(excluded.application_id, devices.application_id),
                 last_seen_ms = MAX(COALESCE(devices.last_seen_ms, 0), excluded.last_seen_ms),
                 uplinks = devices.uplinks + excluded.uplinks",
    )?
    .execute(params![
        seen.id,
        seen.name,
        seen.dev_eui,
        seen.app_eui,
        seen.devaddr,
        seen.source,
        seen.seen_at_ms,
        seen.application_id,
        uplinks
    ])?;
    Ok(())
}
