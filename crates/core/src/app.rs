//! `Core`: an opened data directory and its store, as the desktop app and the CLI use it.

use crate::sync::LockExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::datadir::{DataDir, DataDirError};
use crate::monitor::Monitor;
use crate::store::{Store, StoreError, Writer, WriterThreads};

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("cannot open the database in {dir}: {source}")]
    Store {
        dir: String,
        #[source]
        source: StoreError,
    },
}

pub struct Core {
    // Field order matters on drop: the writer's handle goes before its thread is joined, and
    // both before the data directory's lock is released.
    store: Mutex<Store>,
    /// Bumped each time the shared store is released: what was read before may have changed.
    generation: AtomicU64,
    writer: Writer,
    writer_threads: Option<WriterThreads>,
    /// Message history and the live view's stream.
    monitor: Monitor,
    data_dir: DataDir,
}

impl Core {
    /// Locks the data directory, then opens (and migrates) its database.
    pub fn open(dir: &Path) -> Result<Core, CoreError> {
        let data_dir = DataDir::acquire(dir)?;
        let open = || {
            Store::open(&data_dir.db_path()).map_err(|source| CoreError::Store {
                dir: dir.display().to_string(),
                source,
            })
        };
        let store = open()?;
        let retention = store.settings().map(|s| s.retention()).unwrap_or_default();
        let monitor = Monitor::open(data_dir.path(), retention).map_err(|source| CoreError::Store {
            dir: dir.display().to_string(),
            source,
        })?;
        let (writer, writer_threads) = Writer::start(open()?, open()?);
        Ok(Core {
            monitor,
            store: Mutex::new(store),
            generation: AtomicU64::new(0),
            writer,
            writer_threads: Some(writer_threads),
            data_dir,
        })
    }

    /// The hot path's writer: uplinks, AWS acknowledgements and events, in group commits.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// A connection of the caller's own, for a task that reads on every uplink (a source):
    /// it never waits for the shared store's lock.
    pub fn reader(&self) -> Result<Store, StoreError> {
        Store::open(&self.data_dir.db_path())
    }

    /// Every message, live and in the history.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The store, for one short unit of work. A panic while it was held does not poison it
    /// for good: SQLite's own transactions keep the data consistent.
    pub fn store(&self) -> StoreGuard<'_> {
        let store = self.store.locked();
        StoreGuard {
            changes: store.total_changes(),
            store,
            generation: &self.generation,
        }
    }

    /// Changes each time the shared store changed a row (every configuration change goes
    /// through it); a reader that keeps what it read checks this to know when to read again.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A change committed on a connection of the caller's own, not through [`Core::store`]:
    /// caches of configuration read again, as after a change through the shared store.
    pub(crate) fn note_change(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }
}

/// The locked shared store. Releasing it after a change bumps [`Core::generation`] (once the
/// change is committed), so caches of configuration never outlive a change. A read leaves it
/// as it is: bumped by reads too, it emptied every source's routing cache at each of the UI's
/// polls (every 2 s), and each device's next uplink read its routes from SQLite again.
pub struct StoreGuard<'a> {
    store: MutexGuard<'a, Store>,
    generation: &'a AtomicU64,
    /// The store's count of changed rows when it was taken.
    changes: u64,
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.store
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        if self.store.total_changes() != self.changes {
            self.generation.fetch_add(1, Ordering::Release);
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        // Everything handed to the writer is committed before the directory is unlocked.
        self.writer = Writer::closed();
        if let Some(t) = self.writer_threads.take() {
            t.join();
        }
        self.monitor.close();
    }
}
