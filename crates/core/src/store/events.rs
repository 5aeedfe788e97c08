//! The bounded event log.

use rusqlite::params;

use super::{Result, Store};
use crate::events::Event;

/// The most [`Store::recent_events`] returns.
pub const RECENT_EVENTS_MAX: usize = 10_000;

impl Store {
    /// The id of the newest event, 0 when there is none.
    pub fn last_event_id(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?)
    }

    /// A device's newest `limit` events, oldest first.
    pub fn device_events(&self, device_id: &str, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at_ms, kind, level, source_id, integration_id, device_id, message, detail
             FROM (SELECT * FROM events WHERE device_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![device_id, limit as i64], super::events::event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

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
