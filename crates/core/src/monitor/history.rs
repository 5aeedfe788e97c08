//! Message history: its own SQLite file beside the store (`history.sqlite`), written by the
//! monitor's thread in batches, never on the bridge's commit path. Searches read it with their
//! own connection; rows come newest first, by `(at_ms, id)`, so every filter walks an index in
//! order and a page costs its rows, not the table.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::message::{Direction, Message, MessageRow};
use crate::store::StoreError;

type Result<T> = std::result::Result<T, StoreError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    direction TEXT NOT NULL,
    level TEXT NOT NULL,
    device_id TEXT,
    device_name TEXT,
    dev_eui TEXT,
    integration_id TEXT,
    source_id TEXT,
    topic TEXT,
    qos INTEGER,
    uuid TEXT,
    size INTEGER NOT NULL,
    text TEXT NOT NULL,
    json TEXT,
    source_event TEXT,
    detail TEXT,
    seen_ms INTEGER
);
CREATE INDEX IF NOT EXISTS messages_at ON messages(at_ms);
CREATE INDEX IF NOT EXISTS messages_device_at ON messages(device_id, at_ms);
-- No index by uuid: uuids are random, so such an index took each new message on a page of its
-- own, and past a million messages writing the history went at less than half its speed. An
-- uplink's messages are found by device and time instead (`related`, `mark_seen`).
DROP INDEX IF EXISTS messages_uuid;
-- Each integration's outbox backlog, sampled while the bridge runs (the integration's chart).
CREATE TABLE IF NOT EXISTS backlog (
    at_ms INTEGER NOT NULL,
    integration_id TEXT NOT NULL,
    entries INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS backlog_integration_at ON backlog(integration_id, at_ms);
-- Each device's names, so a search by DevEUI or name finds its id (and the id's index).
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    dev_eui TEXT,
    name TEXT
);
";

/// How far from an uplink's `reported_at` (the gateway's or LNS's clock) its message was
/// recorded (on ours), as a rule: the first place an echo looks.
const NEAR_REPORT_MS: i64 = 300_000;
/// How far before its `reported_at` an uplink's message may have been recorded (a clock ahead
/// of ours), where an echo looks when it is not near.
const CLOCK_SKEW_MS: i64 = 3_600_000;
/// How long after AWS echoed an uplink its message may still be recorded: a session that
/// connects just as the uplink is committed publishes it from the outbox at once.
pub(super) const LATE_RECORD_MS: i64 = 10_000;
/// How far apart in time the messages about one uplink can be (it may wait in the outbox for
/// days, and a rejection is recorded when it is sent).
const RELATED_WITHIN_MS: i64 = 7 * 86_400_000;

/// An uplink's messages: its device's, around a time, with its uuid (index `messages_device_at`).
pub(super) const RELATED_WHERE: &str = "device_id = ?1 AND at_ms BETWEEN ?2 AND ?3 AND uuid = ?4";
pub(super) const RELATED_ORDER: &str = "ORDER BY at_ms, id LIMIT 100";

/// Marks the uplink's message (its integration's copy) by walking the device's messages (index
/// `messages_device_at`) back from `?6` to `?3`, stopping at the first that is it. The newest
/// unseen copy is the one marked.
pub(super) const MARK_SEEN: &str = "UPDATE messages SET seen_ms = ?1 WHERE id = (
     SELECT id FROM messages
     WHERE device_id = ?2 AND at_ms BETWEEN ?3 AND ?6 AND uuid = ?4 AND integration_id = ?5
       AND kind IN ('uplink', 'join') AND seen_ms IS NULL
     ORDER BY at_ms DESC LIMIT 1)";

const ROW_COLUMNS: &str =
    "id, at_ms, kind, direction, level, device_id, device_name, dev_eui, integration_id, source_id, topic, qos, uuid, size, text, \
     seen_ms";

/// What to find. Empty lists and `None`s match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct MessageFilter {
    pub kinds: Vec<String>,
    pub levels: Vec<String>,
    pub directions: Vec<Direction>,
    /// A device's id, DevEUI or name (exactly, any case).
    pub device: Option<String>,
    pub integration_id: Option<String>,
    /// Part of the topic.
    pub topic: Option<String>,
    /// Part of the text or the JSON (any case).
    pub text: Option<String>,
    #[ts(type = "number | null")]
    pub from_ms: Option<i64>,
    /// Up to, not including.
    #[ts(type = "number | null")]
    pub to_ms: Option<i64>,
}

/// Where a page ends: the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Cursor {
    #[ts(type = "number")]
    pub at_ms: i64,
    #[ts(type = "number")]
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HistoryPage {
    /// Newest first.
    pub rows: Vec<MessageRow>,
    /// Set when there may be more.
    pub next: Option<Cursor>,
}

/// A connection to the history file.
pub struct History {
    pub(super) conn: Connection,
    /// The page cache's size now, KiB (see [`History::fit_cache`]).
    cache_kib: i64,
}

/// The writer's page cache, KiB: never less than SQLite's default, never more than this.
const CACHE_MIN_KIB: i64 = 2048;
const CACHE_MAX_KIB: i64 = 16384;

fn like(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl History {
    /// Opens (and creates) the history for writing.
    pub fn open(path: &Path) -> Result<History> {
        let conn = Connection::open(path)?;
        // 16 KB pages (new files; an existing file keeps its size): a message with its JSON and
        // source event (~2.5 KB) took a 4 KB page of its own, and writing the history cost
        // nearly twice what it does now (`cargo bench --bench history`).
        // The page cache grows with the batches (`fit_cache`), up to 16 MB.
        conn.execute_batch(
            "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA busy_timeout = 5000; PRAGMA cache_size = -2048;",
        )?;
        conn.execute_batch(SCHEMA)?;
        // Histories kept before uplinks could be seen on AWS.
        let has_seen: bool = conn.query_row(
            "SELECT count(*) > 0 FROM pragma_table_info('messages') WHERE name = 'seen_ms'",
            [],
            |r| r.get(0),
        )?;
        if !has_seen {
            conn.execute_batch("ALTER TABLE messages ADD COLUMN seen_ms INTEGER")?;
        }
        // The uplinks AWS echoed, by when (`integration watch --follow`); only those are in it.
        conn.execute_batch(
            "CREATE INDEX IF NOT EXISTS messages_seen ON messages(seen_ms, id) WHERE seen_ms IS NOT NULL",
        )?;
        Ok(History {
            conn,
            cache_kib: CACHE_MIN_KIB,
        })
    }

    /// Sizes the page cache for `batch`: twice its bytes, in steps of 2, 4, 8 and 16 MB. A batch
    /// bigger than the cache (thousands of messages a second) made SQLite write pages to the
    /// WAL while the transaction ran and again at its commit, nearly twice the work; a cache
    /// always at 16 MB held 16 MB even at a few hundred messages a second, where a batch is a
    /// few hundred KB (the viewer bench's peak). Grows at once, shrinks a step per batch.
    fn fit_cache(&mut self, batch: &[Arc<Message>]) -> Result<()> {
        let bytes: usize = batch
            .iter()
            .map(|m| {
                m.row.text.len()
                    + m.json.as_deref().map_or(0, String::len)
                    + m.source_event.as_deref().map_or(0, str::len)
            })
            .sum();
        let wanted = ((bytes as u64) * 2 / 1024)
            .next_power_of_two()
            .clamp(CACHE_MIN_KIB as u64, CACHE_MAX_KIB as u64) as i64;
        let size = if wanted > self.cache_kib {
            wanted
        } else if wanted < self.cache_kib {
            self.cache_kib / 2
        } else {
            return Ok(());
        };
        self.conn.execute_batch(&format!("PRAGMA cache_size = -{size}"))?;
        self.cache_kib = size;
        Ok(())
    }

    /// Gives the memory of the page cache back (it fills again as the next writes need it).
    pub fn release_cache(&self) {
        let _ = self.conn.execute_batch("PRAGMA shrink_memory");
    }

    /// Records each integration's backlog at `at_ms`.
    pub fn insert_backlog(&mut self, at_ms: i64, counts: &[(String, i64)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO backlog (at_ms, integration_id, entries) VALUES (?1, ?2, ?3)")?;
            for (integration_id, entries) in counts {
                insert.execute(params![at_ms, integration_id, entries])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks the uplinks AWS echoed (each integration's copy of it), in one transaction. An
    /// uplink's message is recorded as it arrives, so it is looked for first among its device's
    /// messages near its report (a few, even while a backlog drains), then among all since an
    /// hour before it (the LNS's clock may run ahead) up to the echo. An echo that names no
    /// device marks nothing here (the live view still marks it).
    /// Says of each echo whether it is done: its message marked, or no device to look in. One
    /// not found may be recorded a moment later.
    pub fn mark_seen<'a>(&mut self, seen: impl IntoIterator<Item = &'a super::Seen>) -> Result<Vec<bool>> {
        let tx = self.conn.transaction()?;
        let mut done = Vec::new();
        {
            let mut update = tx.prepare_cached(MARK_SEEN)?;
            for s in seen {
                let Some(device) = &s.device_id else {
                    done.push(true);
                    continue;
                };
                // Never after the echo: a report from a clock ahead of ours counts as now.
                let reported = s.reported_at_ms.min(s.at_ms);
                let near = (reported - NEAR_REPORT_MS, reported + NEAR_REPORT_MS);
                let mut marked = update.execute(params![s.at_ms, device, near.0, s.uuid, s.integration_id, near.1])?;
                if marked == 0 {
                    let since = reported - CLOCK_SKEW_MS;
                    let until = s.at_ms + LATE_RECORD_MS;
                    marked = update.execute(params![s.at_ms, device, since, s.uuid, s.integration_id, until])?;
                }
                done.push(marked > 0);
            }
        }
        tx.commit()?;
        Ok(done)
    }

    /// Opens an existing history only to read it (beside a running bridge: SQLite's WAL lets
    /// readers and the writer work at once).
    pub fn open_read_only(path: &Path) -> Result<History> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16384;")?;
        Ok(History {
            conn,
            cache_kib: CACHE_MAX_KIB,
        })
    }

    pub fn last_id(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM messages", [], |r| r.get(0))?)
    }

    /// Writes `batch` in one transaction; `known` remembers the devices already named.
    pub fn insert(&mut self, batch: &[Arc<Message>], known: &mut std::collections::HashSet<String>) -> Result<()> {
        self.fit_cache(batch)?;
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO messages (id, at_ms, kind, direction, level, device_id, device_name, dev_eui,
                   integration_id, source_id, topic, qos, uuid, size, text, json, source_event, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?;
            let mut device = tx.prepare_cached(
                "INSERT INTO devices (device_id, dev_eui, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT(device_id) DO UPDATE SET dev_eui = coalesce(excluded.dev_eui, dev_eui),
                   name = coalesce(excluded.name, name)",
            )?;
            for m in batch {
                let r = &m.row;
                insert.execute(params![
                    r.id,
                    r.at_ms,
                    r.kind,
                    r.direction.as_str(),
                    r.level,
                    r.device_id,
                    r.device_name,
                    r.dev_eui,
                    r.integration_id,
                    r.source_id,
                    r.topic,
                    r.qos,
                    r.uuid,
                    r.size,
                    r.text,
                    m.json.as_deref(),
                    m.source_event.as_deref(),
                    m.detail.as_ref().map(|d| d.to_string()),
                ])?;
                if let (Some(id), true) = (&r.device_id, r.device_name.is_some()) {
                    if !known.contains(id) {
                        device.execute(params![id, r.dev_eui, r.device_name])?;
                        known.insert(id.clone());
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The `WHERE` clause and its values for `f` (and a cursor).
    fn clause(f: &MessageFilter, after: Option<Cursor>) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value as V;
        let mut sql = vec!["1".to_string()];
        let mut args: Vec<V> = Vec::new();
        let list = |sql: &mut Vec<String>, args: &mut Vec<V>, column: &str, values: &[String]| {
            if !values.is_empty() {
                sql.push(format!("{column} IN ({})", vec!["?"; values.len()].join(", ")));
                args.extend(values.iter().map(|v| V::Text(v.clone())));
            }
        };
        list(&mut sql, &mut args, "kind", &f.kinds);
        list(&mut sql, &mut args, "level", &f.levels);
        let directions: Vec<String> = f.directions.iter().map(|d| d.as_str().to_string()).collect();
        list(&mut sql, &mut args, "direction", &directions);
        if let Some(d) = f.device.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            sql.push(
                "device_id IN (SELECT ? UNION SELECT device_id FROM devices WHERE upper(dev_eui) = upper(?) \
                 OR lower(name) = lower(?))"
                    .into(),
            );
            args.extend([V::Text(d.into()), V::Text(d.into()), V::Text(d.into())]);
        }
        if let Some(i) = &f.integration_id {
            sql.push("integration_id = ?".into());
            args.push(V::Text(i.clone()));
        }
        if let Some(t) = f.topic.as_deref().filter(|t| !t.is_empty()) {
            sql.push("topic LIKE ? ESCAPE '\\'".into());
            args.push(V::Text(like(t)));
        }
        if let Some(t) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            sql.push("(text LIKE ? ESCAPE '\\' OR json LIKE ? ESCAPE '\\')".into());
            args.extend([V::Text(like(t)), V::Text(like(t))]);
        }
        if let Some(from) = f.from_ms {
            sql.push("at_ms >= ?".into());
            args.push(V::Integer(from));
        }
        if let Some(to) = f.to_ms {
            sql.push("at_ms < ?".into());
            args.push(V::Integer(to));
        }
        if let Some(c) = after {
            sql.push("(at_ms < ? OR (at_ms = ? AND id < ?))".into());
            args.extend([V::Integer(c.at_ms), V::Integer(c.at_ms), V::Integer(c.id)]);
        }
        (sql.join(" AND "), args)
    }

    /// One page of what `f` finds, newest first, after `after`.
    pub fn search(&self, f: &MessageFilter, after: Option<Cursor>, limit: usize) -> Result<HistoryPage> {
        let limit = limit.clamp(1, 1000);
        let (clause, args) = Self::clause(f, after);
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM messages WHERE {clause} ORDER BY at_ms DESC, id DESC LIMIT {}",
            limit + 1
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows: Vec<MessageRow> = stmt
            .query_map(params_from_iter(args), row)?
            .collect::<std::result::Result<_, _>>()?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = more
            .then(|| {
                rows.last().map(|r| Cursor {
                    at_ms: r.at_ms,
                    id: r.id,
                })
            })
            .flatten();
        Ok(HistoryPage { rows, next })
    }

    /// Every message `f` finds, newest first, handed to `each` one at a time (nothing is held).
    pub fn each(&self, f: &MessageFilter, mut each: impl FnMut(Message) -> std::io::Result<()>) -> Result<u64> {
        let (clause, args) = Self::clause(f, None);
        let sql = format!(
            "SELECT {ROW_COLUMNS}, json, source_event, detail FROM messages WHERE {clause} ORDER BY at_ms DESC, id DESC"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            each(full(r)?).map_err(|e| StoreError::Conflict(format!("cannot write the export: {e}")))?;
            n += 1;
        }
        Ok(n)
    }

    pub fn get(&self, id: i64) -> Result<Option<Message>> {
        let sql = format!("SELECT {ROW_COLUMNS}, json, source_event, detail FROM messages WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id], full).optional()?)
    }

    /// The messages about the same uplink as message `id` (its copies per integration, its
    /// errors, itself), oldest first: its device's messages with its uuid within 7 days of it.
    pub fn related(&self, id: i64) -> Result<Vec<MessageRow>> {
        let found = self
            .conn
            .query_row("SELECT uuid, device_id, at_ms FROM messages WHERE id = ?1", [id], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()?;
        let Some((Some(uuid), device, at_ms)) = found else {
            return Ok(Vec::new());
        };
        // Messages about an uplink name its device; one that does not is alone.
        let Some(device) = device else {
            let sql = format!("SELECT {ROW_COLUMNS} FROM messages WHERE id = ?1");
            return Ok(vec![self.conn.query_row(&sql, [id], row)?]);
        };
        let sql = format!("SELECT {ROW_COLUMNS} FROM messages WHERE {RELATED_WHERE} {RELATED_ORDER}");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(
                params![device, at_ms - RELATED_WITHIN_MS, at_ms + RELATED_WITHIN_MS, uuid],
                row,
            )?
            .collect::<std::result::Result<_, _>>()?;
        Ok(rows)
    }

    /// Drops messages older than `max_age_ms` and, oldest first, what keeps the history over
    /// `max_bytes`. Works in chunks, so the writer is never held long. Returns how many went.
    pub fn prune(&mut self, now_ms: i64, max_age_ms: i64, max_bytes: i64) -> Result<u64> {
        const CHUNK: i64 = 10_000;
        let mut removed = 0u64;
        loop {
            let n = self.conn.execute(
                "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)",
                params![now_ms - max_age_ms, CHUNK],
            )?;
            removed += n as u64;
            if (n as i64) < CHUNK {
                break;
            }
        }
        // Backlog samples are small: only their age limits them.
        self.conn
            .execute("DELETE FROM backlog WHERE at_ms < ?1", [now_ms - max_age_ms])?;
        // Bounded: each round removes a share of the rows in proportion to the excess.
        for _ in 0..100 {
            let used = self.used_bytes()?;
            if used <= max_bytes {
                break;
            }
            let count: i64 = self.conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?;
            if count == 0 {
                break;
            }
            // A tenth more than the excess, so the next rounds have room.
            let share = ((used - max_bytes) as f64 / used as f64 + 0.1).min(1.0);
            let n = ((count as f64 * share).ceil() as i64).clamp(1, CHUNK);
            let gone = self.conn.execute(
                "DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY at_ms, id LIMIT ?1)",
                [n],
            )?;
            removed += gone as u64;
        }
        Ok(removed)
    }

    /// Bytes the history's pages hold (free pages are reused before the file grows).
    pub fn used_bytes(&self) -> Result<i64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let free: i64 = self.conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages - free) * size)
    }

    pub fn count(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?)
    }

    /// The kinds among `kinds` that no kept message has (a misspelt filter, most likely).
    /// Whether any kept message is about the device given as a search gives it (id, DevEUI or
    /// name): a misspelt device matches nothing, silently, otherwise.
    pub fn device_kept(&self, device: &str) -> Result<bool> {
        let d = device.trim();
        Ok(self.conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE device_id = ?1) \
             OR EXISTS (SELECT 1 FROM devices WHERE device_id = ?1 OR upper(dev_eui) = upper(?1) OR lower(name) = lower(?1))",
        )?
        .query_row([d], |r| r.get(0))?)
    }

    pub fn kinds_never_kept<'a>(&self, kinds: &'a [String]) -> Result<Vec<&'a str>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM messages WHERE kind = ?1)")?;
        let mut missing = Vec::new();
        for k in kinds {
            if !stmt.query_row([k], |r| r.get::<_, bool>(0))? {
                missing.push(k.as_str());
            }
        }
        Ok(missing)
    }
}

fn row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    let direction: String = r.get(3)?;
    Ok(MessageRow {
        id: r.get(0)?,
        at_ms: r.get(1)?,
        kind: r.get(2)?,
        direction: Direction::parse(&direction),
        level: r.get(4)?,
        device_id: r.get(5)?,
        device_name: r.get(6)?,
        dev_eui: r.get(7)?,
        integration_id: r.get(8)?,
        source_id: r.get(9)?,
        topic: r.get(10)?,
        qos: r.get(11)?,
        uuid: r.get(12)?,
        size: r.get(13)?,
        text: r.get(14)?,
        seen_ms: r.get(15)?,
    })
}

fn full(r: &Row<'_>) -> rusqlite::Result<Message> {
    let json: Option<String> = r.get(16)?;
    let source_event: Option<String> = r.get(17)?;
    let detail: Option<String> = r.get(18)?;
    Ok(Message {
        row: row(r)?,
        json: json.map(Into::into),
        source_event: source_event.map(Into::into),
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
    })
}

#[path = "history_follow.rs"]
mod follow;
