//! What the bridge keeps: sources, the durable outbox, the event log.

use rusqlite::{params, OptionalExtension};

use super::{Result, Store, StoreError};
use crate::domain::{Source, SourceConfig};
use crate::events::Event;
use crate::now_ms;
use crate::validate;

/// The most [`Store::recent_events`] returns.
pub const RECENT_EVENTS_MAX: usize = 10_000;

/// One uplink waiting for AWS to acknowledge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: i64,
    pub integration_id: String,
    pub device_id: String,
    pub uuid: String,
    pub payload: String,
}

/// An uplink to enqueue for one integration.
#[derive(Debug, Clone)]
pub struct Enqueue<'a> {
    pub integration_id: &'a str,
    pub device_id: &'a str,
    pub uuid: &'a str,
    pub payload: &'a str,
}

impl Store {
    // ---- sources ----

    pub fn create_source(&self, name: &str, config: SourceConfig) -> Result<Source> {
        validate::name("source name", name)?;
        validate::source(&config)?;
        let source = Source {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.trim().into(),
            config,
            created_at_ms: now_ms(),
        };
        let json = serde_json::to_string(&source.config).expect("source config serialises");
        let n = self.conn.execute(
            "INSERT INTO sources (id, kind, name, config, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO NOTHING",
            params![source.id, source.config.kind(), source.name, json, source.created_at_ms],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "a source named {:?} already exists",
                source.name
            )));
        }
        Ok(source)
    }

    pub fn list_sources(&self) -> Result<Vec<Source>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, config, created_at_ms FROM sources ORDER BY name COLLATE NOCASE, id")?;
        let rows = stmt.query_map([], |r| {
            let config: String = r.get(2)?;
            let config = serde_json::from_str(&config)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
            Ok(Source {
                id: r.get(0)?,
                name: r.get(1)?,
                config,
                created_at_ms: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Finds a source by id or (case-insensitive) name.
    pub fn find_source(&self, id_or_name: &str) -> Result<Source> {
        self.list_sources()?
            .into_iter()
            .find(|s| s.id == id_or_name || s.name.eq_ignore_ascii_case(id_or_name))
            .ok_or_else(|| StoreError::NotFound(format!("source {id_or_name:?}")))
    }

    pub fn remove_source(&self, id: &str) -> Result<()> {
        if self.conn.execute("DELETE FROM sources WHERE id = ?1", [id])? == 0 {
            return Err(StoreError::NotFound(format!("source {id:?}")));
        }
        Ok(())
    }

    // ---- outbox ----

    /// Records the device sighting and its uplinks, one per integration, in one transaction:
    /// once this returns, the uplink survives a crash. Entries already there (a source
    /// redelivering the same uplink) are kept once. Returns how many were new.
    pub fn enqueue_uplinks(&mut self, seen: &crate::domain::DeviceSeen, entries: &[Enqueue<'_>]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let added = enqueue(&tx, seen, entries)?.iter().flatten().count();
        tx.commit()?;
        Ok(added)
    }

    /// A device's pending entries for any of `integration_ids` after `after_seq`, oldest
    /// first (one AWS session serves every integration on its endpoint).
    pub fn outbox_pending(
        &self,
        integration_ids: &[String],
        device_id: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>> {
        let ids = serde_json::to_string(integration_ids).expect("ids serialise");
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, integration_id, device_id, uuid, payload FROM outbox
             WHERE integration_id IN (SELECT value FROM json_each(?1)) AND device_id = ?2 AND seq > ?3
             ORDER BY seq LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![ids, device_id, after_seq, limit as i64], |r| {
            Ok(OutboxEntry {
                seq: r.get(0)?,
                integration_id: r.get(1)?,
                device_id: r.get(2)?,
                uuid: r.get(3)?,
                payload: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// AWS acknowledged these entries: they leave the outbox.
    pub fn outbox_ack(&mut self, seqs: &[i64]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?;
            for s in seqs {
                stmt.execute([s])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every route that needs a session: uplinks waiting, or an active integration sharing a
    /// label with a known device (so its downlinks can arrive).
    pub fn known_routes(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT integration_id, device_id FROM outbox o
                 JOIN integrations i ON i.id = o.integration_id WHERE i.active = 1
             UNION
             SELECT li.integration_id, dl.device_id FROM label_integrations li
                 JOIN device_labels dl ON dl.label_id = li.label_id
                 JOIN integrations i ON i.id = li.integration_id
                 JOIN devices d ON d.id = dl.device_id
             WHERE i.active = 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// (entries, age in ms of the oldest) in the outbox. Counting is O(n): call it at start,
    /// not per uplink.
    pub fn outbox_stats(&self) -> Result<(i64, i64)> {
        let n: i64 = self.conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
        Ok((n, self.outbox_oldest_age_ms()?))
    }

    /// Age in ms of the oldest waiting entry (0 when empty); O(1), seq follows arrival.
    pub fn outbox_oldest_age_ms(&self) -> Result<i64> {
        let oldest: Option<i64> = self
            .conn
            .prepare_cached("SELECT created_at_ms FROM outbox ORDER BY seq LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(oldest.map(|o| now_ms() - o).unwrap_or(0))
    }

    // ---- events ----

    /// Appends an event and keeps only the newest `keep`.
    pub fn insert_event(&self, e: &Event, keep: i64) -> Result<i64> {
        insert_event(&self.conn, e, keep)
    }

    /// The newest `limit` events (at most [`RECENT_EVENTS_MAX`]), oldest first.
    pub fn recent_events(&self, limit: usize) -> Result<Vec<Event>> {
        let limit = limit.min(RECENT_EVENTS_MAX);
        let last = self.last_event_id()?;
        self.events_after((last - limit as i64).max(0), limit)
    }

    /// Events with id > `after`, oldest first.
    pub fn events_after(&self, after: i64, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at_ms, kind, level, source_id, integration_id, device_id, message, detail
             FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn bump_device_counter(&self, device_id: &str, counter: DeviceCounter) -> Result<()> {
        let col = match counter {
            DeviceCounter::Downlinks => "downlinks",
            DeviceCounter::Errors => "errors",
        };
        self.conn
            .prepare_cached(&format!("UPDATE devices SET {col} = {col} + 1 WHERE id = ?1"))?
            .execute([device_id])?;
        Ok(())
    }

    /// What the bridge needs to send a downlink: (source id, dev_eui, application id).
    pub fn device_route_back(&self, device_id: &str) -> Result<Option<(String, String, Option<String>)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT source, dev_eui, application_id FROM devices WHERE id = ?1")?
            .query_row([device_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }

    /// The labels on a device, for `metadata.labels`.
    pub fn device_labels(&self, device_id: &str) -> Result<Vec<crate::domain::Label>> {
        self.labels_linked("device_labels", "device_id", device_id)
    }

    /// The labels a link table (`device_labels`, `label_integrations`) ties to `id`, by name.
    pub(super) fn labels_linked(&self, table: &str, col: &str, id: &str) -> Result<Vec<crate::domain::Label>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT l.id, l.name FROM labels l JOIN {table} t ON t.label_id = l.id
             WHERE t.{col} = ?1 ORDER BY l.name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([id], |r| {
            Ok(crate::domain::Label {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn device_app_eui(&self, device_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT app_eui FROM devices WHERE id = ?1")?
            .query_row([device_id], |r| r.get(0))
            .optional()?
            .flatten())
    }
}

/// The rows of one uplink, inside the caller's transaction: the device sighting, one outbox
/// entry per integration (a redelivered uuid is kept once), the device's uplink counter.
/// Returns each entry's outbox seq, or `None` where it was there already.
pub(super) fn enqueue(
    conn: &rusqlite::Connection,
    seen: &crate::domain::DeviceSeen,
    entries: &[Enqueue<'_>],
) -> Result<Vec<Option<i64>>> {
    super::upsert_device(conn, seen, 1)?;
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO outbox (integration_id, device_id, uuid, payload, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let now = now_ms();
    let mut seqs = Vec::with_capacity(entries.len());
    for e in entries {
        let added = stmt.execute(params![e.integration_id, e.device_id, e.uuid, e.payload, now])? == 1;
        seqs.push(added.then(|| conn.last_insert_rowid()));
    }
    Ok(seqs)
}

/// Appends an event; every 256 ids, trims the log to the newest `keep`.
pub(super) fn insert_event(conn: &rusqlite::Connection, e: &Event, keep: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO events (at_ms, kind, level, source_id, integration_id, device_id, message, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.at_ms,
        e.kind,
        e.level,
        e.source_id,
        e.integration_id,
        e.device_id,
        e.message,
        e.detail.as_ref().map(|d| d.to_string())
    ])?;
    let id = conn.last_insert_rowid();
    if id % 256 == 0 {
        conn.prepare_cached("DELETE FROM events WHERE id <= ?1")?
            .execute([id - keep])?;
    }
    Ok(id)
}

#[derive(Debug, Clone, Copy)]
pub enum DeviceCounter {
    Downlinks,
    Errors,
}

/// An `events` row selected as `id, at_ms, kind, level, source_id, integration_id, device_id,
/// message, detail`.
pub(super) fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let detail: Option<String> = r.get(8)?;
    Ok(Event {
        id: r.get(0)?,
        at_ms: r.get(1)?,
        kind: r.get(2)?,
        level: r.get(3)?,
        source_id: r.get(4)?,
        integration_id: r.get(5)?,
        device_id: r.get(6)?,
        message: r.get(7)?,
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
    })
}
