//! Keeping the store's write-ahead log small. A checkpointer thread copies the WAL into the
//! database file in the background (PASSIVE: it never waits for, or blocks, the writer). That
//! alone does not keep the WAL's size in check: SQLite writes a WAL from its beginning again
//! only when a commit finds every frame copied and no reader in it, and under commits that
//! never pause (a backlog filling the outbox) a new frame or a reader is always there. The WAL
//! grew by ~17 MB a second at 1,000 uplinks/s into one device (1.5 GB in 90 s; its index,
//! mapped in memory, 3 MB). So when a commit leaves it over a bound, the writer, before its
//! next transaction, copies what is left, waits a moment for readers to leave, and cuts the
//! file to nothing (TRUNCATE): the next commit writes from the start.

use std::cell::Cell;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::Store;

/// When the WAL is copied, and how big it may grow.
#[derive(Debug, Clone, Copy)]
pub(super) struct WalLimits {
    /// How often the checkpointer copies the WAL into the database, off the commit path.
    pub every: Duration,
    /// Frames (pages) in the WAL beyond which the writer starts it over.
    pub restart_frames: i64,
}

impl Default for WalLimits {
    fn default() -> Self {
        WalLimits {
            every: Duration::from_millis(500),
            // 32 MB of 4 KB pages. Most of it is copied in the background by then; the writer
            // copies the rest (at most what came since the last background copy).
            restart_frames: 8192,
        }
    }
}

/// How long the writer waits for readers to leave the WAL before it gives up on starting it
/// over this time (a reader's query takes milliseconds).
const READERS_WAIT: Duration = Duration::from_millis(200);

/// Starts the checkpointer on its own connection; it ends when `stop`'s sender is dropped.
pub(super) fn start_checkpoints(checkpointer: Store, every: Duration) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("store-checkpoint".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                let r = checkpointer
                    .conn
                    .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if let Err(e) = r {
                    crate::warn(format_args!("warning: a WAL checkpoint failed: {e}"));
                }
            }
        })
        .expect("the checkpoint thread starts");
    (stop, thread)
}

thread_local! {
    /// Frames in the WAL after the last commit on this thread (the writer's).
    static WAL_FRAMES: Cell<i64> = const { Cell::new(0) };
}

fn note_frames(_: &rusqlite::hooks::Wal, frames: std::os::raw::c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.with(|f| f.set(i64::from(frames)));
    Ok(())
}

/// A writer's side: how big each commit left the WAL, and starting it over. The store's writer
/// uses it, and the history's (whose WAL would otherwise be copied at SQLite's own checkpoints,
/// in the middle of a burst).
pub(crate) struct WalSize {
    limit: i64,
    /// Past this many frames the WAL is started over (further after an attempt readers foiled).
    next: i64,
}

impl WalSize {
    /// Follows the WAL of `conn`, whose commits happen on the calling thread from now on; past
    /// `restart_frames` frames it is started over.
    pub fn follow(conn: &rusqlite::Connection, restart_frames: i64) -> WalSize {
        // (SQLite's own checkpoints are off: `wal_autocheckpoint` would replace this hook.)
        conn.wal_hook(Some(note_frames));
        WAL_FRAMES.with(|f| f.set(0));
        WalSize {
            limit: restart_frames,
            next: restart_frames,
        }
    }

    /// Between transactions: starts the WAL over if the last commit left it over its bound.
    pub fn check(&mut self, conn: &rusqlite::Connection) {
        let frames = WAL_FRAMES.with(Cell::get);
        if frames > self.next {
            self.start_over(conn, frames);
        }
    }

    /// Copies the WAL into the database and starts it over now, if it holds anything (the
    /// history's, once it has caught up).
    pub fn settle(&mut self, conn: &rusqlite::Connection) {
        let frames = WAL_FRAMES.with(Cell::get);
        if frames > 0 {
            self.start_over(conn, frames);
        }
    }

    fn start_over(&mut self, conn: &rusqlite::Connection, frames: i64) {
        let started = std::time::Instant::now();
        let _ = conn.busy_timeout(READERS_WAIT);
        // (busy, frames in the WAL, frames copied)
        let r = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0));
        let _ = conn.busy_timeout(super::BUSY_TIMEOUT);
        match r {
            Ok(0) => {
                WAL_FRAMES.with(|f| f.set(0));
                self.next = self.limit;
            }
            // The background checkpoint was running (SQLite says so at once): next time.
            Ok(_) if started.elapsed() < READERS_WAIT / 2 => {}
            // A reader stayed: try again once the WAL has grown by as much again, rather than
            // wait for it after every commit.
            Ok(_) => self.next = frames + self.limit,
            Err(e) => {
                self.next = frames + self.limit;
                crate::warn(format_args!("warning: the WAL could not be started over: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DeviceSeen;
    use crate::store::{RowEntry, UplinkRows, Writer};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn rows(n: usize, integration_id: &str) -> UplinkRows {
        UplinkRows {
            counts: true,
            seen: DeviceSeen {
                id: format!("dev-{}", n % 50),
                name: format!("device {}", n % 50),
                dev_eui: format!("{:016X}", n % 50),
                app_eui: None,
                devaddr: None,
                source: "chirpstack".into(),
                application_id: None,
                seen_at_ms: n as i64,
            },
            entries: vec![RowEntry {
                integration_id: integration_id.into(),
                uuid: format!("uuid-{n}"),
                payload: format!("{{\"n\":{n},\"pad\":\"{}\"}}", "x".repeat(600)).into(),
            }],
        }
    }

    #[test]
    fn under_commits_that_never_pause_the_wal_is_started_over_and_stays_small() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bridge.sqlite3");
        let integration = Store::open(&path)
            .unwrap()
            .create_integration(&crate::store::tests::new_integration("aws"))
            .unwrap()
            .id;
        let limits = WalLimits {
            every: Duration::from_millis(10),
            restart_frames: 200,
        };
        let (writer, threads) = Writer::start_with(Store::open(&path).unwrap(), Store::open(&path).unwrap(), limits);
        // Readers come and go all the time, as the sessions and the UI do.
        let reading = Arc::new(AtomicBool::new(true));
        let reader = {
            let (reading, reader) = (reading.clone(), Store::open(&path).unwrap());
            std::thread::spawn(move || {
                while reading.load(Ordering::Relaxed) {
                    reader.list_devices().unwrap();
                }
            })
        };
        // Uplinks in commits of ten, one after another, each waited for (a source's window).
        let uplinks = 4000;
        let mut sizes = Vec::new();
        for n in 0..uplinks {
            writer.uplink(rows(n, &integration), Box::new(|r| assert!(r.is_ok(), "{r:?}")));
            if n % 10 == 9 {
                writer.flush();
                sizes.push(std::fs::metadata(dir.path().join("bridge.sqlite3-wal")).map_or(0, |m| m.len()));
            }
        }
        reading.store(false, Ordering::Relaxed);
        reader.join().unwrap();
        drop(writer);
        threads.join();
        // Unbounded, these commits leave a WAL of about 30 MB that only grows. Started over, it
        // holds its bound (200 frames of 4 KB) and a commit, or twice that when a reader foiled
        // an attempt. A reader the machine stops in its read foils attempts for as long (one
        // CI run saw 5.5 MB), so the bound is checked on the typical size, and the largest only
        // against growth without end.
        let restarts = sizes.windows(2).filter(|w| w[1] < w[0]).count();
        assert!(restarts >= 5, "the WAL was started over {restarts} times: {sizes:?}");
        let mut sorted = sizes.clone();
        sorted.sort_unstable();
        let (median, largest) = (sorted[sorted.len() / 2], sorted[sorted.len() - 1]);
        let bound = 2 * 200 * 4096;
        assert!(
            median < bound,
            "the WAL's median size is {median} bytes (bound {bound})"
        );
        assert!(largest < 10 << 20, "the WAL grew to {largest} bytes");
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.outbox_pending(&[integration], "dev-0", 0, 10_000).unwrap().len(),
            uplinks / 50,
            "every uplink is in the outbox"
        );
    }
}
