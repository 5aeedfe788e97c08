//! Watching the bridge: every message (uplinks as published, downlinks as received, the
//! bridge's events) goes live to whoever watches, in bounded batches, and into the history,
//! written by a thread of its own so the bridge never waits for it.

#[cfg(all(test, target_os = "linux"))]
mod busy_tests;
mod defer;
mod export;
mod history;
mod live;
mod message;
mod series;
#[cfg(test)]
mod series_tests;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use ts_rs::TS;

pub use defer::{cpu_time, CpuOf};
pub use export::{export, parse_time, ExportFormat};
pub use history::{Cursor, History, HistoryPage, MessageFilter};
pub use live::{forward_live, LiveBatch};
pub use message::{Direction, Live, Message, MessageRow, Seen};
pub use series::{Rate, Series, SeriesColumn, SeriesField, MAX_PATHS, MAX_POINTS};

use crate::store::StoreError;

/// The history file's name in the data directory.
pub const HISTORY_FILE: &str = "history.sqlite";
/// Messages waiting for the history thread; beyond this, new ones are counted, not kept.
const QUEUE: usize = 100_000;
/// The most messages one history transaction takes.
const MAX_BATCH: usize = 4096;
/// Messages the live stream holds for slow watchers; beyond it they count as skipped.
const LIVE_RING: usize = 1024;
/// How long messages may wait for more before they are written (unless flushed).
const LINGER: Duration = Duration::from_millis(100);
/// How long without messages before the memory they took is given back.
const QUIET: Duration = Duration::from_secs(5);
/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Frames (16 KB pages) the history's WAL may hold before it is copied into the file while
/// messages keep coming (64 MB); otherwise it is copied once the history is quiet. SQLite's own
/// checkpoints (every 1,000 frames) copied it in the middle of bursts: a fifth of the history's
/// work there, and the same index pages again at each.
const WAL_FRAMES: i64 = 4096;
/// How long an echo from AWS waits for its uplink's message (see `history::LATE_RECORD_MS`).
const LATE_ECHO: Duration = Duration::from_millis(history::LATE_RECORD_MS as u64);

/// How long and how much history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Retention {
    pub days: u32,
    pub max_mb: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { days: 7, max_mb: 1024 }
    }
}

/// A message the history thread makes itself (see [`Monitor::record_with`]).
type Build = Box<dyn FnOnce() -> Message + Send>;

enum Job {
    Write(Arc<Message>),
    /// The message's id, and how to make it.
    Build(i64, Build),
    Seen(Seen),
    Backlog(i64, Vec<(String, i64)>),
    Retention(Retention),
    Flush(mpsc::SyncSender<()>),
}

/// The monitor of one data directory (owned by `Core`).
pub struct Monitor {
    tx: Mutex<Option<mpsc::SyncSender<Job>>>,
    live: broadcast::Sender<Live>,
    next_id: AtomicI64,
    lost: AtomicU64,
    path: PathBuf,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// How many wait for the history thread (flushes it has not done yet, or the close): while
    /// any does, it writes at once rather than lingering.
    hurry: Arc<AtomicUsize>,
}

impl Monitor {
    /// Opens the history in `dir` and starts its writer.
    pub fn open(dir: &Path, retention: Retention) -> Result<Monitor, StoreError> {
        let path = dir.join(HISTORY_FILE);
        let mut history = History::open(&path)?;
        let last = history.last_id()?;
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let hurry = Arc::new(AtomicUsize::new(0));
        let hurried = hurry.clone();
        let thread = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || write_history(&mut history, rx, retention, &hurried))
            .map_err(|e| StoreError::Conflict(format!("cannot start the history writer: {e}")))?;
        Ok(Monitor {
            tx: Mutex::new(Some(tx)),
            // The ring keeps its last messages (bodies included) alive after a burst: 1,024 is a
            // second at 1,000/s, ten times what a viewer's forwarder reads per batch.
            live: broadcast::channel(LIVE_RING).0,
            next_id: AtomicI64::new(last + 1),
            lost: AtomicU64::new(0),
            path,
            thread: Mutex::new(Some(thread)),
            hurry,
        })
    }

    fn send(&self, job: Job) -> Result<(), mpsc::TrySendError<Job>> {
        let tx = crate::sync::LockExt::locked(&self.tx);
        match tx.as_ref() {
            Some(tx) => tx.try_send(job),
            None => Err(mpsc::TrySendError::Disconnected(job)),
        }
    }

    /// Numbers the message, shows it live and queues it for the history. Never blocks: when the
    /// history falls a whole queue behind, the overflow is counted and said in the history.
    pub fn record(&self, mut m: Message) {
        m.row.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let m = Arc::new(m);
        // Queued for the history before it is shown: whoever sees it live and then asks the
        // history (`get` flushes) finds it there.
        let queued = self.send(Job::Write(m.clone())).is_ok();
        let _ = self.live.send(Live::Message(m));
        self.count_lost(queued);
    }

    /// Like [`Monitor::record`] with the message `build` makes, made by the history's thread
    /// when nobody watches live, which runs on what the bridge leaves free: making an uplink's
    /// message (a dozen strings, its one-line text) cost ingest about half a microsecond of its
    /// 13 an uplink. It is numbered and queued now, in order with the others.
    pub fn record_with(&self, build: impl FnOnce() -> Message + Send + 'static) {
        if self.live.receiver_count() > 0 {
            return self.record(build());
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let queued = self.send(Job::Build(id, Box::new(build))).is_ok();
        self.count_lost(queued);
    }

    /// Counts a message the history had no room for; once there is room again, says how many.
    fn count_lost(&self, queued: bool) {
        if !queued {
            self.lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let lost = self.lost.swap(0, Ordering::Relaxed);
        if lost > 0 {
            self.record(Message::new(
                "monitor",
                Direction::None,
                "warn",
                format!("{lost} message(s) came faster than the history could keep them; they are not in it"),
            ));
        }
    }

    /// AWS echoed an uplink to the integration's monitor: its message is marked, live and in
    /// the history. Never blocks (a mark the queue has no room for is dropped).
    pub fn seen_on_aws(&self, seen: Seen) {
        // The history first, as for messages.
        let _ = self.send(Job::Seen(seen.clone()));
        let _ = self.live.send(Live::Seen(seen));
    }

    /// Records each integration's outbox backlog now (for its chart).
    pub fn backlog(&self, counts: Vec<(String, i64)>) {
        let _ = self.send(Job::Backlog(crate::now_ms(), counts));
    }

    /// Records the event as a message (see [`Message::from_event`]).
    pub fn event(&self, e: &crate::events::Event) {
        if let Some(m) = Message::from_event(e) {
            self.record(m);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.live.subscribe()
    }

    pub fn set_retention(&self, r: Retention) {
        let _ = self.send(Job::Retention(r));
    }

    /// Returns once everything recorded before is in the history file.
    pub fn flush(&self) {
        let (done, wait) = mpsc::sync_channel(1);
        let tx = crate::sync::LockExt::locked(&self.tx).clone();
        if let Some(tx) = tx {
            // Counted before it is queued: the thread never lingers with this flush in its queue.
            self.hurry.fetch_add(1, Ordering::Relaxed);
            if tx.send(Job::Flush(done)).is_ok() {
                self.wake_writer();
                let _ = wait.recv();
            } else {
                self.hurry.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    fn wake_writer(&self) {
        if let Some(t) = crate::sync::LockExt::locked(&self.thread).as_ref() {
            t.thread().unpark();
        }
    }

    /// A reader of the history (its own connection).
    pub fn reader(&self) -> Result<History, StoreError> {
        History::open_read_only(&self.path)
    }

    /// A reader that finds every message recorded before the call (what was shown live too:
    /// messages wait a moment before they are written).
    pub fn reader_up_to_now(&self) -> Result<History, StoreError> {
        self.flush();
        self.reader()
    }

    /// One message with its bodies; one recorded a moment ago is waited for.
    pub fn get(&self, id: i64) -> Result<Option<Message>, StoreError> {
        let reader = self.reader()?;
        match reader.get(id)? {
            Some(m) => Ok(Some(m)),
            None if id < self.next_id.load(Ordering::Relaxed) => {
                self.flush();
                reader.get(id)
            }
            None => Ok(None),
        }
    }

    /// Writes what is queued and stops the writer.
    pub fn close(&self) {
        crate::sync::LockExt::locked(&self.tx).take();
        // For good: what is left is written at once.
        self.hurry.fetch_add(1, Ordering::Relaxed);
        self.wake_writer();
        if let Some(t) = crate::sync::LockExt::locked(&self.thread).take() {
            let _ = t.join();
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_history(history: &mut History, rx: mpsc::Receiver<Job>, mut retention: Retention, hurry: &AtomicUsize) {
    let mut meter = defer::BusyMeter::new();
    let mut wal = crate::store::wal::WalSize::follow(&history.conn, WAL_FRAMES);
    let mut known = HashSet::new();
    let mut batch: Vec<Arc<Message>> = Vec::with_capacity(MAX_BATCH);
    let mut seen: Vec<Seen> = Vec::new();
    // Echoes not marked yet (their uplink's message may not be there yet), since when.
    let mut unmatched: Vec<(Seen, std::time::Instant)> = Vec::new();
    let mut flushes = Vec::new();
    let mut last_prune = std::time::Instant::now() - PRUNE_EVERY;
    // Messages were written since memory was last given back.
    let mut busy = false;
    // The last batch was full: more messages were waiting, and they have waited already.
    let mut backed_up = false;
    loop {
        if last_prune.elapsed() >= PRUNE_EVERY {
            prune(history, retention);
            last_prune = std::time::Instant::now();
        }
        let first = match rx.recv_timeout(if busy { QUIET } else { PRUNE_EVERY }) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if std::mem::take(&mut busy) {
                    wal.settle(&history.conn);
                    history.release_cache();
                    release_free_memory();
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        busy = true;
        // Messages gather for a moment before they are written: one transaction rewrites the
        // table's and indexes' last pages once, so bigger batches cost less per message. The
        // thread sleeps meanwhile rather than waiting on the queue, so that a message queued
        // wakes nobody (a wake per message cost the bridge more than the writing). While the
        // bridge is busy they wait longer (see `defer`): a burst is written after it, not at
        // its expense. A flush cuts the wait short, and so does a backlog: deferred batch by
        // batch, a load that never let up was written at one batch per deferral (2,000
        // messages a second) and the rest overflowed the queue.
        if !matches!(first, Job::Flush(_)) && !backed_up {
            let since = std::time::Instant::now();
            meter.others_cores();
            let mut until = since + LINGER;
            while hurry.load(Ordering::Relaxed) == 0 {
                let left = until.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    if !defer::keep_deferring(since.elapsed(), meter.others_cores()) {
                        break;
                    }
                    until += LINGER;
                    continue;
                }
                std::thread::park_timeout(left);
            }
        }
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(m) => batch.push(m),
                Job::Build(id, build) => {
                    let mut m = build();
                    m.row.id = id;
                    batch.push(Arc::new(m));
                }
                Job::Seen(m) => seen.push(m),
                Job::Backlog(at_ms, counts) => {
                    if let Err(e) = history.insert_backlog(at_ms, &counts) {
                        log_error(&format!("history: cannot record the backlog: {e}"));
                    }
                }
                Job::Retention(r) => {
                    retention = r;
                    prune(history, retention);
                }
                Job::Flush(done) => {
                    hurry.fetch_sub(1, Ordering::Relaxed);
                    flushes.push(done);
                }
            }
            if batch.len() + seen.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        backed_up = batch.len() + seen.len() >= MAX_BATCH;
        if let Err(e) = history.insert(&batch, &mut known) {
            log_error(&format!("history: cannot write {} message(s): {e}", batch.len()));
        }
        batch.clear();
        // After the inserts. An echo not matched yet is tried again with the next messages
        // for a while (LATE_ECHO): its uplink's message may come a moment after it.
        if !seen.is_empty() || !unmatched.is_empty() {
            let now = std::time::Instant::now();
            unmatched.retain(|(_, since)| now.duration_since(*since) < LATE_ECHO);
            unmatched.extend(seen.drain(..).map(|s| (s, now)));
            match history.mark_seen(unmatched.iter().map(|(s, _)| s)) {
                Ok(done) => {
                    let mut done = done.into_iter();
                    unmatched.retain(|_| !done.next().unwrap_or(true));
                }
                // Kept, and tried again until they are too old.
                Err(e) => log_error(&format!(
                    "history: cannot mark {} uplink(s) seen on AWS: {e}",
                    unmatched.len()
                )),
            }
        }
        wal.check(&history.conn);
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Gives the memory a burst of messages left free back to the system: jemalloc's (the Rust
/// side's) at once rather than after its decay, which needs later allocations to run, and
/// glibc's (SQLite's), which it keeps in its arenas otherwise. After a minute at 1,000
/// messages/s the app stayed tens of MB above its idle size for good without it.
fn release_free_memory() {
    #[cfg(unix)]
    purge_jemalloc();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the system; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Hands jemalloc's unused dirty pages, in every arena, back to the system; 0 when it did.
#[cfg(unix)]
fn purge_jemalloc() -> i32 {
    // SAFETY: "arena.<MALLCTL_ARENAS_ALL>.purge" reads and writes no value.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    }
}

fn prune(history: &mut History, r: Retention) {
    let age = i64::from(r.days) * 86_400_000;
    let bytes = i64::from(r.max_mb) * 1024 * 1024;
    if let Err(e) = history.prune(crate::now_ms(), age, bytes) {
        log_error(&format!("history: retention failed: {e}"));
    }
}

fn log_error(msg: &str) {
    crate::warn(format_args!("{msg}"));
}
