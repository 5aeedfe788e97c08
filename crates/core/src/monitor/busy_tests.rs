//! The history's writer on a busy machine (Linux only, where it defers its writing while the
//! bridge is busy: see `defer`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::tests::{monitor, uplink};
use super::Monitor;

#[test]
fn a_flush_is_not_kept_waiting_while_the_machine_is_busy() {
    let (_dir, monitor) = monitor();
    // Every core taken: the history defers its writing, and the flush must end that at once
    // and get the CPU to write. (In the idle scheduling class this flush took over two minutes.)
    let busy = Busy::every_core();
    record_many(&monitor, 20_000);
    let started = std::time::Instant::now();
    let found = monitor.reader_up_to_now().unwrap().count().unwrap();
    let took = started.elapsed();
    drop(busy);
    assert_eq!(found, 20_000);
    // Half a second of writing with a fair share of a core (ten times that on a shared machine
    // is still a pass; lingering per batch took 8 s).
    assert!(took < Duration::from_secs(5), "the flush took {took:?}");
}

/// A backlog is written batch after batch, without a flush, however busy the machine.
/// (Deferred before each batch, 20,000 messages took five deferrals: 10 s.)
#[test]
fn a_backlog_is_not_deferred_batch_by_batch_while_the_machine_is_busy() {
    let (_dir, monitor) = monitor();
    let busy = Busy::every_core();
    record_many(&monitor, 20_000);
    let started = std::time::Instant::now();
    let reader = monitor.reader().unwrap();
    while reader.count().unwrap() < 20_000 {
        // One deferral (2 s) and half a second of writing; a second deferral would be 4 s.
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(7),
            "{} written in {took:?}",
            reader.count().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(busy);
}

/// Held while a test keeps every core busy: under `cargo test` (nextest runs each test in a
/// process of its own) two of them would take the CPU each one's writer needs.
static CPU_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Threads of this process spinning on every core, as a bridge at full speed does, until
/// dropped: the history defers its writing.
struct Busy {
    stop: Arc<AtomicBool>,
    spinners: Vec<std::thread::JoinHandle<()>>,
    _alone: std::sync::MutexGuard<'static, ()>,
}

impl Busy {
    fn every_core() -> Busy {
        let alone = CPU_TESTS.lock().unwrap_or_else(|p| p.into_inner());
        let stop = Arc::new(AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let spinners = (0..cores)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                    }
                })
            })
            .collect();
        Busy {
            stop,
            spinners,
            _alone: alone,
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for s in self.spinners.drain(..) {
            let _ = s.join();
        }
    }
}

/// Queues `n` uplinks of 800 bytes each.
fn record_many(monitor: &Monitor, n: i64) {
    let body = format!(r#"{{"payload":"{}"}}"#, "A".repeat(800));
    let now = crate::now_ms();
    for i in 0..n {
        monitor.record(uplink("alpha", now + i, &body));
    }
}
