//! What the threads of a few processes did while the page missed a frame (`BENCH_SCHED=1`):
//! each thread's time on a core and its time waiting for one (`/proc/…/task/…/schedstat`),
//! sampled every 10 ms, so a long frame reads as the page's thread busy (script, layout, a
//! collection) or as a thread that was ready but had no core. Sampling costs a few % of a core.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Sample {
    /// Wall-clock ms since the Unix epoch (the page's `performance.timeOrigin` clock).
    at_ms: f64,
    /// The machine's busy and total jiffies (`/proc/stat`).
    cpu: (u64, u64),
    /// (process, thread) → (ns on a core, ns waiting for one).
    tasks: HashMap<(u32, u32), (u64, u64)>,
}

type Names = HashMap<(u32, u32), String>;

pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<(Vec<Sample>, Names)>,
}

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

fn machine_cpu() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    // idle and iowait are not busy.
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

fn sample(pids: &[u32], names: &mut Names) -> Sample {
    let mut tasks = HashMap::new();
    for &pid in pids {
        for entry in std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(tid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")) else {
                continue;
            };
            let mut f = s.split_whitespace().filter_map(|v| v.parse::<u64>().ok());
            if let (Some(run), Some(wait)) = (f.next(), f.next()) {
                tasks.insert((pid, tid), (run, wait));
                names.entry((pid, tid)).or_insert_with(|| {
                    let thread = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).unwrap_or_default();
                    format!("{}/{}", super::name(pid), thread.trim())
                });
            }
        }
    }
    Sample {
        at_ms: now_ms(),
        cpu: machine_cpu(),
        tasks,
    }
}

impl Sampler {
    /// Samples every thread of `pids` until [`Sampler::report`].
    pub fn start(pids: Vec<u32>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut names = HashMap::new();
            while !flag.load(Ordering::Relaxed) {
                samples.push(sample(&pids, &mut names));
                std::thread::sleep(Duration::from_millis(10));
            }
            (samples, names)
        });
        Sampler { stop, handle }
    }

    /// Stops sampling; says what the busiest threads did over the whole time, and during each of
    /// `frames` (its end as the page's clock gives it, ms after `origin_ms`, and its length).
    pub fn report(self, origin_ms: f64, frames: &[(f64, f64)]) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        let (samples, names) = self.handle.join().unwrap();
        let mut out = Vec::new();
        if let (Some(a), Some(b)) = (samples.first(), samples.last()) {
            out.push(format!(
                "threads over the whole phase: {}",
                summary(a, b, &names, 6, "%")
            ));
        }
        for &(end, gap) in frames {
            let (to, from) = (origin_ms + end, origin_ms + end - gap);
            let Some(a) = samples.iter().rev().find(|s| s.at_ms <= from) else {
                continue;
            };
            let Some(b) = samples.iter().find(|s| s.at_ms >= to) else {
                continue;
            };
            let span = b.at_ms - a.at_ms;
            let busy = (b.cpu.0 - a.cpu.0) as f64 / (b.cpu.1 - a.cpu.1).max(1) as f64 * 100.0;
            out.push(format!(
                "{gap:.0} ms frame: over the {span:.0} ms around it the machine was {busy:.0} % busy; {} (ms)",
                summary(a, b, &names, 8, "")
            ));
        }
        out
    }
}

/// The threads that ran or waited most between `a` and `b`: their time on a core and waiting for
/// one, in ms (`unit` ""), or as a share of the span (`unit` "%").
fn summary(a: &Sample, b: &Sample, names: &Names, top: usize, unit: &str) -> String {
    let span = (b.at_ms - a.at_ms).max(1.0);
    let scale = if unit == "%" { 100.0 / span } else { 1.0 };
    let mut threads: Vec<(String, f64, f64)> = b
        .tasks
        .iter()
        .map(|(k, (run, wait))| {
            let (run0, wait0) = a.tasks.get(k).copied().unwrap_or((0, 0));
            let name = names.get(k).cloned().unwrap_or_default();
            (name, (run - run0) as f64 / 1e6, (wait - wait0) as f64 / 1e6)
        })
        .filter(|(_, run, wait)| (run + wait) * scale >= 3.0)
        .collect();
    threads.sort_by(|x, y| (y.1 + y.2).total_cmp(&(x.1 + x.2)));
    threads
        .iter()
        .take(top)
        .map(|(n, run, wait)| format!("{n} ran {:.0}{unit} waited {:.0}{unit}", run * scale, wait * scale))
        .collect::<Vec<_>>()
        .join(", ")
}
