//! The SQLite store: WAL, foreign keys on, migrations applied on open. One module per entity;
//! the bridge's hot-path writes go through the single writer (`writer.rs`).

mod decoders;
mod devices;
mod events;
mod identities;
mod integrations;
mod labels;
mod migrations;
mod outbox;
mod settings;
mod sources;
#[cfg(test)]
pub(crate) mod tests;
pub(crate) mod wal;
mod writer;

pub use decoders::MAX_SCRIPT;
pub use devices::DeviceCounter;
pub use events::RECENT_EVENTS_MAX;
pub use identities::{RetiredIdentity, StoredIdentity};
pub use migrations::{LATEST as SCHEMA_VERSION, MIGRATIONS};
pub use outbox::{Enqueue, OutboxEntry};
pub use settings::{Settings, HISTORY_DAYS, HISTORY_MAX_MB};
pub use writer::{Committed, OnCommit, OnPersist, RowEntry, UplinkRows, WriteError, Writer, WriterThreads};

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::validate::Invalid;

/// How long a connection waits for a lock another holds.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

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
    /// Rows inserted, updated or deleted through this connection since it was opened.
    pub(crate) fn total_changes(&self) -> u64 {
        self.conn.total_changes()
    }

    pub fn open(path: &Path) -> Result<Store> {
        Self::init(Connection::open(path)?)
    }

    pub fn open_in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL keeps readers (UI) and the writer (bridge) out of each other's way; NORMAL sync
        // is durable across process crashes, which is what the outbox needs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // A transaction that reads, then writes, takes the write lock first: a deferred one
        // fails at once ("database is locked", a stale snapshot) when the bridge's writer
        // committed between its read and its write; an immediate one waits its turn.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        migrate(&mut conn, migrations::LATEST)?;
        Ok(Store { conn })
    }

    /// Runs `f` atomically: all of its changes are kept, or none. Nests (a savepoint inside).
    /// The outermost takes the write lock first (`BEGIN IMMEDIATE`, see `init`).
    pub fn atomically<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let (begin, keep, undo) = if self.conn.is_autocommit() {
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        } else {
            (
                "SAVEPOINT atomically",
                "RELEASE atomically",
                "ROLLBACK TO atomically; RELEASE atomically",
            )
        };
        self.conn.execute_batch(begin).map_err(StoreError::from)?;
        match f(self) {
            Ok(v) => match self.conn.execute_batch(keep) {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = self.conn.execute_batch(undo);
                    Err(StoreError::from(e).into())
                }
            },
            Err(e) => {
                let _ = self.conn.execute_batch(undo);
                Err(e)
            }
        }
    }

    /// Why `name` cannot be used for a new or renamed `what` ("label", …) in `table`: another one
    /// has it, spelled as it is stored; names ignore case, so "FLEET" clashes with "fleet".
    pub(crate) fn name_taken(&self, table: &str, what: &str, name: &str) -> StoreError {
        let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let theirs: Option<String> = self
            .conn
            .query_row(
                &format!("SELECT name FROM {table} WHERE name = ?1 COLLATE NOCASE"),
                [name.trim()],
                |r| r.get(0),
            )
            .ok();
        StoreError::Conflict(match theirs {
            Some(theirs) if theirs != name.trim() => {
                format!("{article} {what} named {theirs:?} already exists (names ignore case)")
            }
            _ => format!("{article} {what} named {:?} already exists", name.trim()),
        })
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Opens an existing database read-only, without migrations and without the data-directory
    /// lock, so it can watch a database another process (the running bridge) is writing.
    pub fn open_reader(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!("database {}", path.display())));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let store = Store { conn };
        let version = store.schema_version()?;
        if version > migrations::LATEST {
            return Err(StoreError::TooNew {
                found: version,
                known: migrations::LATEST,
            });
        }
        Ok(store)
    }
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
