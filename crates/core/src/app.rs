//! `Core`: an opened data directory and its store, as the desktop app and the CLI use it.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use crate::datadir::{DataDir, DataDirError};
use crate::store::{Store, StoreError};

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
    data_dir: DataDir,
    store: Mutex<Store>,
}

impl Core {
    /// Locks the data directory, then opens (and migrates) its database.
    pub fn open(dir: &Path) -> Result<Core, CoreError> {
        let data_dir = DataDir::acquire(dir)?;
        let store = Store::open(&data_dir.db_path()).map_err(|source| CoreError::Store {
            dir: dir.display().to_string(),
            source,
        })?;
        Ok(Core {
            data_dir,
            store: Mutex::new(store),
        })
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The store, for one short unit of work. A panic while it was held does not poison it
    /// for good: SQLite's own transactions keep the data consistent.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}
