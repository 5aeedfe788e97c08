//! When the history's writer waits: while the rest of the process (the bridge) is busy, messages
//! are kept queued and written once it calms down, or once the oldest has waited `MAX_DEFER`.
//!
//! The writer used to run in Linux's idle scheduling class for this. But a thread cannot leave
//! that class without a privilege desktop users don't have, so whoever waited on a flush (the
//! viewer opening, a search, a message's detail) waited for a thread that got no CPU while the
//! machine was busy: 130 s for a flush of 20,000 messages with both cores taken. Now the writer
//! runs at normal priority and defers by itself; a flush ends the deferral at once.

use std::time::{Duration, Instant};

/// How long a message may wait while the bridge is busy: a burst of uplinks is written after
/// it (bursts of a second are what a fleet sends at once); a load that never lets up is written
/// in batches at least this often.
pub(super) const MAX_DEFER: Duration = Duration::from_secs(2);
/// The rest of the process counts as busy from this many cores' worth of CPU: the bridge at
/// 1,000 uplinks/s takes about a tenth of one, at full speed all of them.
const BUSY_CORES: f64 = 0.5;

/// Whether messages that have waited `waited` keep waiting while the rest of the process uses
/// `others_cores` cores.
pub(super) fn keep_deferring(waited: Duration, others_cores: f64) -> bool {
    waited < MAX_DEFER && others_cores >= BUSY_CORES
}

/// How busy the rest of the process has been since the last look (the writer's own CPU aside).
pub(super) struct BusyMeter {
    at: Instant,
    process: Duration,
    thread: Duration,
}

impl BusyMeter {
    /// Starts measuring; must live on the writer's thread.
    pub(super) fn new() -> BusyMeter {
        BusyMeter {
            at: Instant::now(),
            process: cpu_time(CpuOf::Process),
            thread: cpu_time(CpuOf::Thread),
        }
    }

    /// Cores' worth of CPU the process's other threads used since the last call.
    pub(super) fn others_cores(&mut self) -> f64 {
        let (at, process, thread) = (Instant::now(), cpu_time(CpuOf::Process), cpu_time(CpuOf::Thread));
        let others = process
            .saturating_sub(self.process)
            .saturating_sub(thread.saturating_sub(self.thread));
        let wall = at.duration_since(self.at).as_secs_f64();
        *self = BusyMeter { at, process, thread };
        if wall > 0.0 {
            others.as_secs_f64() / wall
        } else {
            0.0
        }
    }
}

/// Whose CPU time [`cpu_time`] reads.
#[derive(Debug, Clone, Copy)]
pub enum CpuOf {
    /// Every thread of this process.
    Process,
    /// The calling thread.
    Thread,
}

/// CPU time (user + system) of this process or the calling thread (the benches' too).
#[cfg(target_os = "linux")]
pub fn cpu_time(of: CpuOf) -> Duration {
    let who = match of {
        CpuOf::Process => libc::RUSAGE_SELF,
        CpuOf::Thread => libc::RUSAGE_THREAD,
    };
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Elsewhere the process never counts as busy: messages are written as they come.
#[cfg(not(target_os = "linux"))]
pub fn cpu_time(_: CpuOf) -> Duration {
    Duration::ZERO
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_wait_while_the_bridge_is_busy_but_never_longer_than_max_defer() {
        let short = Duration::from_millis(100);
        assert!(keep_deferring(short, 1.8), "a busy bridge: wait");
        assert!(keep_deferring(short, BUSY_CORES));
        assert!(!keep_deferring(short, 0.1), "a calm bridge: write now");
        assert!(
            !keep_deferring(MAX_DEFER, 2.0),
            "waited long enough: write, however busy"
        );
    }

    /// Keeps this thread busy for `cpu` of CPU time; returns what it took.
    #[cfg(target_os = "linux")]
    fn spin(cpu: Duration) -> Duration {
        let start = cpu_time(CpuOf::Thread);
        let began = Instant::now();
        let mut x = 0u64;
        loop {
            assert!(
                began.elapsed() < Duration::from_secs(60),
                "the thread's CPU time does not grow"
            );
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            let used = cpu_time(CpuOf::Thread).saturating_sub(start);
            if used >= cpu {
                return used;
            }
        }
    }

    /// Linux only: elsewhere the meter reads nothing (see `cpu_time`).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_meter_counts_the_other_threads_cpu_not_its_own() {
        let mut meter = BusyMeter::new();
        // Its own thread busy: what the other threads used meanwhile is all the meter reads,
        // however busy other tests keep them (`cargo test` runs them as threads of this process).
        let (cpu, wall) = (cpu_time(CpuOf::Process), Instant::now());
        let own = spin(Duration::from_millis(200));
        let others_cpu = cpu_time(CpuOf::Process).saturating_sub(cpu).saturating_sub(own);
        let wall = wall.elapsed();
        // (The meter's wall time holds this one; with its own thread's time it would read `own` more.)
        let read = wall.mul_f64(meter.others_cores());
        assert!(
            read < others_cpu + own / 2,
            "read {read:?}; others used {others_cpu:?}, itself {own:?}"
        );
        // Another thread busy: all of its time counts (the wall time measured here holds the
        // meter's).
        let wall = Instant::now();
        meter.others_cores();
        let spun = std::thread::spawn(|| spin(Duration::from_millis(200))).join().unwrap();
        let others = meter.others_cores();
        let at_least = spun.as_secs_f64() / wall.elapsed().as_secs_f64();
        assert!(others >= at_least * 0.99, "{others} cores, at least {at_least}");
        assert!(others > 0.0);
    }
}
