//! The store's single writer for the bridge's hot path: one thread with its own connection
//! applies uplinks (into the outbox), AWS acknowledgements (out of it) and events in group
//! commits — one transaction for everything that arrived while the previous one ran. Under
//! load a transaction carries hundreds of rows, so per-uplink cost is a few row writes, and
//! sources, sessions and the UI never queue on one lock for it.

use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::broadcast;

use super::devices::upsert_device;
use super::events::insert_event;
use super::outbox::{enqueue, enqueue_entries, oldest_age_ms, Enqueue, OutboxEntry};
use super::wal::{self, WalLimits, WalSize};
use super::{Store, StoreError};
use crate::domain::DeviceSeen;
use crate::events::{Event, KEEP_EVENTS};

/// The most jobs one transaction takes; what is left goes in the next one.
const MAX_BATCH: usize = 2048;

/// One uplink's rows: the device sighting and its outbox entries (one per integration, and a
/// shadow update where one is asked for).
#[derive(Debug, Clone)]
pub struct UplinkRows {
    pub seen: DeviceSeen,
    pub entries: Vec<RowEntry>,
    /// Whether the uplink counts on its device (last seen, uplinks): a test uplink the user
    /// simulated does not, so they stay what the radio delivered.
    pub counts: bool,
}

/// One outbox entry of an uplink.
#[derive(Debug, Clone)]
pub struct RowEntry {
    pub integration_id: String,
    pub uuid: String,
    /// Shared with whoever delivers the entry once it is committed.
    pub payload: std::sync::Arc<String>,
}

/// What a committed uplink left in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// Each entry's sequence number, in `UplinkRows::entries` order; `None` where the entry was
    /// there already (a source redelivered the uplink).
    pub seqs: Vec<Option<i64>>,
    /// Age of the oldest waiting entry when the transaction committed.
    pub oldest_age_ms: i64,
}

/// The uplink was not stored; the source must keep it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not store the uplink: {0}")]
pub struct WriteError(String);

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        WriteError(e.to_string())
    }
}

/// Called on the writer thread once the uplink is durable (or could not be stored). Keep it
/// short: hand the result to a channel.
pub type OnCommit = Box<dyn FnOnce(Result<Committed, WriteError>) + Send>;

/// Called on the writer thread once entries handed over by a session are in the outbox: those
/// stored now, with their sequence numbers (one that was there already is left out), or why
/// they are not.
pub type OnPersist = Box<dyn FnOnce(Result<Vec<OutboxEntry>, WriteError>) + Send>;

enum Job {
    Uplink(UplinkRows, OnCommit),
    Persist(Vec<OutboxEntry>, OnPersist),
    /// Sightings wait in `Writer::sightings` (this says there are some).
    Seen,
    Sightings(Sightings),
    Ack(i64),
    Event(Event, broadcast::Sender<Event>),
    Barrier(std::sync::mpsc::SyncSender<()>),
}

/// The handle to the writer thread (one, owned by `Core`); the thread ends when it is dropped.
pub struct Writer {
    tx: mpsc::Sender<Job>,
    /// Sightings of uplinks that skipped the outbox, gathered here without waking the thread.
    sightings: std::sync::Arc<std::sync::Mutex<Sightings>>,
    /// Dropped with the writer: the checkpoint thread ends too.
    _checkpoints: Option<mpsc::Sender<()>>,
}

/// The writer's threads, to join once its handle is gone.
pub struct WriterThreads(Vec<JoinHandle<()>>);

impl WriterThreads {
    pub fn join(self) {
        for t in self.0 {
            let _ = t.join();
        }
    }
}

impl Writer {
    /// Starts the writer on its own connection to the database, and a checkpointer on another:
    /// a checkpoint (which syncs files) never stalls a commit, so sources wait for none — but
    /// for the rare one that starts the WAL over (`wal.rs`).
    pub fn start(store: Store, checkpointer: Store) -> (Writer, WriterThreads) {
        Self::start_with(store, checkpointer, WalLimits::default())
    }

    pub(super) fn start_with(store: Store, checkpointer: Store, limits: WalLimits) -> (Writer, WriterThreads) {
        let (tx, rx) = mpsc::channel();
        // The writer never checkpoints itself.
        let _ = store.conn.pragma_update(None, "wal_autocheckpoint", 0);
        let sightings = std::sync::Arc::new(std::sync::Mutex::new(Sightings::default()));
        let gathered = sightings.clone();
        let (stop, checkpoints) = wal::start_checkpoints(checkpointer, limits.every);
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let wal = WalSize::follow(&store.conn, limits.restart_frames);
                run(store, rx, &gathered, wal)
            })
            .expect("the store writer thread starts");
        (
            Writer {
                tx,
                sightings,
                _checkpoints: Some(stop),
            },
            WriterThreads(vec![writer, checkpoints]),
        )
    }

    /// A handle whose thread is gone: every job fails (uplinks) or skips the store (events).
    pub fn closed() -> Writer {
        Writer {
            tx: mpsc::channel().0,
            sightings: Default::default(),
            _checkpoints: None,
        }
    }

    /// Commits the uplink in the next transaction, then calls `done`.
    pub fn uplink(&self, rows: UplinkRows, done: OnCommit) {
        if let Err(mpsc::SendError(Job::Uplink(_, done))) = self.tx.send(Job::Uplink(rows, done)) {
            done(Err(WriteError("the store is closed".into())));
        }
    }

    /// Writes entries a session held in memory (their `seq` unset) into the outbox, in this
    /// order and after everything handed to the writer before, then calls `done`.
    pub fn persist(&self, entries: Vec<OutboxEntry>, done: OnPersist) {
        if let Err(mpsc::SendError(Job::Persist(_, done))) = self.tx.send(Job::Persist(entries, done)) {
            done(Err(WriteError("the store is closed".into())));
        }
    }

    /// The device sent an uplink that went to AWS without an outbox row: its sighting and
    /// uplink counter are written in the next transaction.
    pub fn seen(&self, seen: &DeviceSeen) {
        let mut s = crate::sync::LockExt::locked(&*self.sightings);
        let first = s.0.is_empty();
        s.add(seen);
        drop(s);
        if first {
            let _ = self.tx.send(Job::Seen);
        }
    }

    /// AWS acknowledged this outbox entry: it leaves the outbox in the next transaction. (Lost
    /// only by a crash in the meantime, and then sent once more: QoS 1's at-least-once.)
    pub fn ack(&self, seq: i64) {
        let _ = self.tx.send(Job::Ack(seq));
    }

    /// Persists the event, then hands it (with its id) to `live`.
    pub fn event(&self, e: Event, live: broadcast::Sender<Event>) {
        if let Err(mpsc::SendError(Job::Event(e, live))) = self.tx.send(Job::Event(e, live)) {
            let _ = live.send(e);
        }
    }

    /// Returns once everything handed to the writer before this call is committed.
    pub fn flush(&self) {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        if self.tx.send(Job::Barrier(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

/// How long sightings of uplinks that skipped the outbox may wait, to be written together: a
/// device's last-seen time and uplink counter are that late at most (and lost for that long
/// by a crash; the uplinks themselves are not).
const SIGHTINGS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

fn run(mut store: Store, rx: mpsc::Receiver<Job>, sightings: &std::sync::Mutex<Sightings>, mut wal: WalSize) {
    let gathered = || std::mem::take(&mut *crate::sync::LockExt::locked(sightings));
    let mut since: Option<std::time::Instant> = None;
    loop {
        let first = match since {
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(t) => rx.recv_timeout(SIGHTINGS_EVERY.saturating_sub(t.elapsed())),
        };
        let mut jobs = match first {
            Ok(j) => vec![j],
            Err(mpsc::RecvTimeoutError::Timeout) => Vec::new(),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let last = gathered();
                if !last.0.is_empty() {
                    apply(&mut store, vec![Job::Sightings(last)]);
                }
                return;
            }
        };
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        // Sightings wait for the next due write; a barrier (someone reads the store next)
        // writes them at once.
        let mut barrier = false;
        jobs.retain(|j| match j {
            Job::Seen => {
                since.get_or_insert_with(std::time::Instant::now);
                false
            }
            Job::Barrier(_) => {
                barrier = true;
                true
            }
            _ => true,
        });
        if since.is_some_and(|t| barrier || t.elapsed() >= SIGHTINGS_EVERY) {
            jobs.insert(0, Job::Sightings(gathered()));
            since = None;
        }
        // Uplinks first, in a transaction of their own: their sources wait for it (and have
        // only a few messages in flight), while acknowledgements and events can follow a moment
        // later in the next one. Entries handed over by sessions go with the uplinks, in the
        // order they came: sequence numbers keep each device's uplinks in order.
        let (uplinks, rest): (Vec<Job>, Vec<Job>) = jobs
            .into_iter()
            .partition(|j| matches!(j, Job::Uplink(..) | Job::Persist(..)));
        if !uplinks.is_empty() {
            apply(&mut store, uplinks);
        }
        if !rest.is_empty() {
            apply(&mut store, rest);
        }
        wal.check(&store.conn);
    }
}

/// What each job came to, to report after the commit.
enum Applied {
    Uplink(OnCommit, Result<Vec<Option<i64>>, WriteError>),
    Persist(OnPersist, Result<Vec<OutboxEntry>, WriteError>),
    Event(Event, broadcast::Sender<Event>),
    Barrier(std::sync::mpsc::SyncSender<()>),
    Nothing,
}

fn apply(store: &mut Store, jobs: Vec<Job>) {
    // Uplinks go in without a savepoint each, and each device's sighting is written once for
    // the batch; should any uplink fail, the batch is written again one savepoint per uplink,
    // so only the bad one fails.
    let jobs = match uplinks_at_once(store, jobs) {
        Ok(()) => return,
        Err(jobs) => jobs,
    };
    let mut applied = Vec::with_capacity(jobs.len());
    let committed = (|| -> Result<i64, StoreError> {
        let tx = store.conn.transaction()?;
        for job in jobs {
            applied.push(match job {
                Job::Uplink(rows, done) => {
                    let r = uplink(&tx, &rows).map_err(WriteError::from);
                    Applied::Uplink(done, r)
                }
                Job::Persist(entries, done) => {
                    let r = persist(&tx, entries).map_err(WriteError::from);
                    Applied::Persist(done, r)
                }
                // (`run` gathers these into `Sightings`.)
                Job::Seen => Applied::Nothing,
                Job::Sightings(s) => {
                    s.write(&tx)?;
                    Applied::Nothing
                }
                Job::Ack(seq) => {
                    tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?.execute([seq])?;
                    Applied::Nothing
                }
                Job::Event(mut e, live) => {
                    match insert_event(&tx, &e, KEEP_EVENTS) {
                        Ok(id) => e.id = id,
                        Err(err) => crate::warn(format_args!("warning: could not store an event: {err}")),
                    }
                    Applied::Event(e, live)
                }
                Job::Barrier(b) => Applied::Barrier(b),
            });
        }
        // Only uplinks report it (to warn when the outbox holds old entries).
        let any_uplink = applied.iter().any(|a| matches!(a, Applied::Uplink(..)));
        let oldest = if any_uplink { oldest_age_ms(&tx)? } else { 0 };
        tx.commit()?;
        Ok(oldest)
    })();
    let failed = committed.as_ref().err().map(|e| WriteError(e.to_string()));
    let oldest_age_ms = *committed.as_ref().unwrap_or(&0);
    for a in applied {
        match a {
            Applied::Uplink(done, r) => done(match (&failed, r) {
                (Some(e), _) => Err(e.clone()),
                (None, r) => r.map(|seqs| Committed { seqs, oldest_age_ms }),
            }),
            Applied::Persist(done, r) => done(match (&failed, r) {
                (Some(e), _) => Err(e.clone()),
                (None, r) => r,
            }),
            Applied::Event(mut e, live) => {
                if failed.is_some() {
                    e.id = 0;
                }
                let _ = live.send(e);
            }
            Applied::Barrier(b) => {
                let _ = b.send(());
            }
            Applied::Nothing => {}
        }
    }
    if let Some(e) = failed {
        crate::warn(format_args!("warning: a store transaction failed: {e}"));
    }
}

/// A batch of uplinks in one transaction, no savepoints, one sighting per device. Gives the
/// jobs back, untouched, when it is not a batch of uplinks or when any row fails (the
/// transaction is then rolled back).
fn uplinks_at_once(store: &mut Store, jobs: Vec<Job>) -> Result<(), Vec<Job>> {
    if !jobs.iter().all(|j| matches!(j, Job::Uplink(..))) {
        return Err(jobs);
    }
    // Per job, its entries' outbox seqs; and the oldest entry's age.
    type Written = (Vec<Vec<Option<i64>>>, i64);
    let written = (|| -> Result<Written, StoreError> {
        let tx = store.conn.transaction()?;
        let mut seqs = Vec::with_capacity(jobs.len());
        let mut sightings = Sightings::default();
        for job in &jobs {
            let Job::Uplink(rows, _) = job else { unreachable!() };
            seqs.push(enqueue_entries(&tx, &entries(rows))?);
            if rows.counts {
                sightings.add(&rows.seen);
            }
        }
        sightings.write(&tx)?;
        let oldest = oldest_age_ms(&tx)?;
        tx.commit()?;
        Ok((seqs, oldest))
    })();
    let Ok((seqs, oldest_age_ms)) = written else {
        return Err(jobs);
    };
    for (job, seqs) in jobs.into_iter().zip(seqs) {
        let Job::Uplink(_, done) = job else { unreachable!() };
        done(Ok(Committed { seqs, oldest_age_ms }));
    }
    Ok(())
}

/// Per device: its sightings in a transaction merged as one after another would have left the
/// row, and how many uplinks it sent, so each device's row is written once.
#[derive(Default)]
pub(crate) struct Sightings(foldhash::HashMap<String, (DeviceSeen, i64)>);

impl Sightings {
    /// A later sighting over what is gathered, the way `upsert_device` updates the row: what
    /// the later one lacks (AppEUI, DevAddr, application) is kept; the last-seen time only grows.
    /// (Copied only where it differs: a device says the same uplink after uplink.)
    fn add(&mut self, later: &DeviceSeen) {
        match self.0.get_mut(later.id.as_str()) {
            Some((earlier, uplinks)) => {
                let keep = |e: &mut Option<String>, l: &Option<String>| {
                    if l.is_some() && e != l {
                        e.clone_from(l);
                    }
                };
                let take = |e: &mut String, l: &String| {
                    if e != l {
                        e.clone_from(l);
                    }
                };
                keep(&mut earlier.app_eui, &later.app_eui);
                keep(&mut earlier.devaddr, &later.devaddr);
                keep(&mut earlier.application_id, &later.application_id);
                earlier.seen_at_ms = earlier.seen_at_ms.max(later.seen_at_ms);
                take(&mut earlier.name, &later.name);
                take(&mut earlier.dev_eui, &later.dev_eui);
                take(&mut earlier.source, &later.source);
                *uplinks += 1;
            }
            None => {
                self.0.insert(later.id.clone(), (later.clone(), 1));
            }
        }
    }

    fn write(self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        for (seen, uplinks) in self.0.into_values() {
            upsert_device(tx, &seen, uplinks)?;
        }
        Ok(())
    }
}

fn entries(rows: &UplinkRows) -> Vec<Enqueue<'_>> {
    rows.entries
        .iter()
        .map(|e| Enqueue {
            integration_id: &e.integration_id,
            device_id: &rows.seen.id,
            uuid: &e.uuid,
            payload: &e.payload,
        })
        .collect()
}

/// One uplink inside a savepoint, so a bad one (its integration just removed) fails alone.
fn uplink(tx: &rusqlite::Transaction<'_>, rows: &UplinkRows) -> Result<Vec<Option<i64>>, StoreError> {
    in_savepoint(tx, || enqueue(tx, rows.counts.then_some(&rows.seen), &entries(rows)))
}

/// Runs `f` inside a savepoint, rolled back if it fails. (Prepared once: `Transaction::savepoint`
/// would parse its SQL on every uplink.)
fn in_savepoint<T>(tx: &rusqlite::Transaction<'_>, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    tx.prepare_cached("SAVEPOINT uplink")?.execute([])?;
    match f() {
        Ok(v) => {
            tx.prepare_cached("RELEASE uplink")?.execute([])?;
            Ok(v)
        }
        Err(e) => {
            tx.prepare_cached("ROLLBACK TO uplink")?.execute([])?;
            tx.prepare_cached("RELEASE uplink")?.execute([])?;
            Err(e)
        }
    }
}

/// Entries handed over by a session, inside a savepoint so a bad one (its integration just
/// removed) fails alone; those stored now, numbered.
fn persist(tx: &rusqlite::Transaction<'_>, entries: Vec<OutboxEntry>) -> Result<Vec<OutboxEntry>, StoreError> {
    let rows: Vec<Enqueue<'_>> = entries
        .iter()
        .map(|e| Enqueue {
            integration_id: &e.integration_id,
            device_id: &e.device_id,
            uuid: &e.uuid,
            payload: &e.payload,
        })
        .collect();
    let seqs = in_savepoint(tx, || enqueue_entries(tx, &rows))?;
    drop(rows);
    Ok(entries
        .into_iter()
        .zip(seqs)
        .filter_map(|(e, seq)| seq.map(|seq| OutboxEntry { seq, ..e }))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    type Outcomes = Arc<Mutex<Vec<(String, Result<Committed, WriteError>)>>>;

    fn sighting(id: &str, at: i64, app_eui: Option<&str>) -> DeviceSeen {
        DeviceSeen {
            id: id.into(),
            name: format!("dev {id} at {at}"),
            dev_eui: "0102030405060708".into(),
            app_eui: app_eui.map(Into::into),
            devaddr: None,
            source: "chirpstack".into(),
            application_id: None,
            seen_at_ms: at,
        }
    }

    fn job(outcomes: &Outcomes, seen: DeviceSeen, integration_id: &str, uuid: &str) -> Job {
        let rows = UplinkRows {
            seen,
            counts: true,
            entries: vec![RowEntry {
                integration_id: integration_id.into(),
                uuid: uuid.into(),
                payload: format!("{{\"uuid\":\"{uuid}\"}}").into(),
            }],
        };
        let (outcomes, uuid) = (outcomes.clone(), uuid.to_string());
        Job::Uplink(rows, Box::new(move |r| outcomes.lock().unwrap().push((uuid, r))))
    }

    fn store_with_integration() -> (Store, String) {
        let s = Store::open_in_memory().unwrap();
        let i = s
            .create_integration(&crate::store::tests::new_integration("aws"))
            .unwrap();
        (s, i.id)
    }

    #[test]
    fn a_batch_of_uplinks_counts_each_and_merges_each_devices_sightings() {
        let (mut s, i) = store_with_integration();
        let outcomes = Outcomes::default();
        apply(
            &mut s,
            vec![
                job(&outcomes, sighting("a", 10, Some("00000000000000AA")), &i, "u1"),
                job(&outcomes, sighting("b", 11, None), &i, "u2"),
                job(&outcomes, sighting("a", 12, None), &i, "u3"),
                // A redelivery: stored once.
                job(&outcomes, sighting("a", 13, None), &i, "u1"),
            ],
        );
        let outcomes = outcomes.lock().unwrap();
        let seqs: Vec<_> = outcomes.iter().map(|(_, r)| r.as_ref().unwrap().seqs[0]).collect();
        assert!(seqs[..3].iter().all(Option::is_some), "{seqs:?}");
        assert_eq!(seqs[3], None, "the redelivered uuid is kept once");
        let devices = s.list_devices().unwrap();
        let a = devices.iter().find(|d| d.id == "a").unwrap();
        assert_eq!(a.uplinks, 3);
        assert_eq!(a.name, "dev a at 13", "the latest sighting names the device");
        assert_eq!(
            a.app_eui.as_deref(),
            Some("00000000000000AA"),
            "an earlier AppEUI is kept"
        );
        assert_eq!(a.last_seen_ms, Some(13));
        assert_eq!(devices.iter().find(|d| d.id == "b").unwrap().uplinks, 1);
        assert_eq!(s.outbox_pending(&[i], "a", 0, 10).unwrap().len(), 2);
    }

    #[test]
    fn an_uplink_that_cannot_be_stored_fails_alone_and_the_rest_of_its_batch_is_stored() {
        let (mut s, i) = store_with_integration();
        let outcomes = Outcomes::default();
        apply(
            &mut s,
            vec![
                job(&outcomes, sighting("a", 10, None), &i, "u1"),
                // Its integration was removed while the uplink was on its way.
                job(&outcomes, sighting("a", 11, None), "gone", "u2"),
                job(&outcomes, sighting("a", 12, None), &i, "u3"),
            ],
        );
        let outcomes = outcomes.lock().unwrap();
        let by_uuid = |u: &str| &outcomes.iter().find(|(uuid, _)| uuid == u).unwrap().1;
        assert!(by_uuid("u1").is_ok() && by_uuid("u3").is_ok());
        let err = by_uuid("u2").as_ref().unwrap_err().to_string();
        assert!(err.starts_with("could not store the uplink:"), "{err}");
        assert_eq!(outcomes.len(), 3, "each uplink hears once");
        assert_eq!(s.outbox_pending(&[i], "a", 0, 10).unwrap().len(), 2);
        assert_eq!(
            s.list_devices().unwrap()[0].uplinks,
            2,
            "the failed uplink is not counted"
        );
    }
}
