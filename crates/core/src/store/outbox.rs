//! The durable outbox: uplinks waiting for AWS to acknowledge them.

use rusqlite::{params, OptionalExtension};

use super::{Result, Store};
use crate::now_ms;

/// One uplink waiting for AWS to acknowledge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: i64,
    pub integration_id: String,
    pub device_id: String,
    pub uuid: String,
    /// Shared with the session that publishes it (and the message the history keeps).
    pub payload: std::sync::Arc<String>,
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
    /// Records the device sighting and its uplinks, one per integration, in one transaction:
    /// once this returns, the uplink survives a crash. Entries already there (a source
    /// redelivering the same uplink) are kept once. Returns how many were new.
    pub fn enqueue_uplinks(&mut self, seen: &crate::domain::DeviceSeen, entries: &[Enqueue<'_>]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let added = enqueue(&tx, Some(seen), entries)?.iter().flatten().count();
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
                payload: r.get::<_, String>(4)?.into(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
        oldest_age_ms(&self.conn)
    }
}

/// Age in ms of the oldest waiting entry (0 when empty), on any connection (the writer's too).
pub(super) fn oldest_age_ms(conn: &rusqlite::Connection) -> Result<i64> {
    let oldest: Option<i64> = conn
        .prepare_cached("SELECT created_at_ms FROM outbox ORDER BY seq LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(oldest.map(|o| now_ms() - o).unwrap_or(0))
}

/// The rows of one uplink, inside the caller's transaction: the device sighting, one outbox
/// entry per integration (a redelivered uuid is kept once), the device's uplink counter.
/// Returns each entry's outbox seq, or `None` where it was there already.
pub(super) fn enqueue(
    conn: &rusqlite::Connection,
    seen: Option<&crate::domain::DeviceSeen>,
    entries: &[Enqueue<'_>],
) -> Result<Vec<Option<i64>>> {
    // (No sighting: an uplink that does not count on its device; its row is there already.)
    if let Some(seen) = seen {
        super::devices::upsert_device(conn, seen, 1)?;
    }
    enqueue_entries(conn, entries)
}

/// The outbox entries of one uplink alone (the caller records the device sighting).
pub(super) fn enqueue_entries(conn: &rusqlite::Connection, entries: &[Enqueue<'_>]) -> Result<Vec<Option<i64>>> {
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
