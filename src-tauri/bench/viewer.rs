//! P4/P5: the Messages page under load, measured against a hello-world Tauri app in the same run
//! (release build, Xvfb). Memory is the PSS of the app and every process under it (WebKit's web
//! and network processes); frames come from the page's own requestAnimationFrame probe; IPC
//! batches from the page's counter; CPU from /proc.
//!
//! `npm --prefix ui run build && cargo bench -p helium-aws-bridge-desktop --features bench-baseline --bench viewer`
//! (`BENCH_RATE` uplinks/s, default 1000; `BENCH_SECONDS`, default 60; `BENCH_DEVICES`, default 20; `BENCH_LINGER`, seconds after leaving the viewer to follow the memory, default 30;
//! `BENCH_SCHED=1` says, for each phase's five longest frames, what the app's and WebKit's threads
//! did meanwhile: time on a core, time waiting for one).
//!
//! The uplinks come from a fleet, each device at most 100/s: AWS takes no more per connection,
//! and one device at 1,000/s filled the outbox with 900 uplinks a second (200 MB in a minute),
//! so the figures were the backlog's as much as the viewer's.

#[path = "../../tests/gui/mod.rs"]
mod gui;
mod sched;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use gui::lab::{fleet, open_seeded_fleet, send_uplink_of, Lab, Seeded};
use gui::{nav, WAIT};
use serde_json::json;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Every process's parent.
fn parents() -> HashMap<u32, u32> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces: fields follow the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            out.insert(pid, ppid);
        }
    }
    out
}

/// The running process of `exe`.
fn find(exe: &Path) -> u32 {
    let want = std::fs::canonicalize(exe).unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        for pid in parents().keys() {
            if std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == want) {
                return *pid;
            }
        }
        assert!(Instant::now() < deadline, "{} is not running", exe.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `root` and every process under it.
fn tree(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn status_kib(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// PSS of the process tree, in MB.
fn pss_mb(root: u32) -> f64 {
    tree(root)
        .iter()
        .map(|p| status_kib(*p, "smaps_rollup", "Pss:"))
        .sum::<u64>() as f64
        / 1024.0
}

/// PSS of the tree's processes by name (the app, WebKitWebProcess, WebKitNetworkProcess), in MB.
fn pss_by_process(root: u32) -> String {
    tree(root)
        .iter()
        .map(|p| {
            format!(
                "{} {:.0}",
                name(*p),
                status_kib(*p, "smaps_rollup", "Pss:") as f64 / 1024.0
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where one process's PSS is: the largest mappings by kind (`[heap]`, anonymous memory,
/// each library or file), in MB.
fn pss_by_mapping(pid: u32) -> String {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by: HashMap<String, u64> = HashMap::new();
    let mut current = String::new();
    for line in smaps.lines() {
        if let Some(kib) = line.strip_prefix("Pss:") {
            let kib: u64 = kib.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0);
            *by.entry(current.clone()).or_default() += kib;
        } else if line
            .split_whitespace()
            .next()
            .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
        {
            // A mapping's header: address range, perms, offset, dev, inode, then the path if any.
            let path = line.split_whitespace().nth(5).unwrap_or("[anon]");
            current = path.rsplit('/').next().unwrap_or(path).to_string();
        }
    }
    let mut v: Vec<(String, u64)> = by.into_iter().collect();
    v.sort_by_key(|m| std::cmp::Reverse(m.1));
    v.iter()
        .take(6)
        .map(|(k, kib)| format!("{k} {:.0}", *kib as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`pss_by_mapping`] of the app's WebKit web process.
fn web_mappings(app_pid: u32) -> String {
    tree(app_pid)
        .into_iter()
        .find(|p| name(*p).starts_with("WebKitWeb"))
        .map(pss_by_mapping)
        .unwrap_or_default()
}

fn name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// CPU time (user + system) of the tree's processes whose name starts with `prefix`.
fn cpu_time(root: u32, prefix: &str) -> Duration {
    tree(root)
        .into_iter()
        .filter(|p| name(*p).starts_with(prefix))
        .filter_map(test_harness::cpu_time)
        .sum()
}

/// Sends `rate` uplinks a second (in 10 ms slices) for `seconds`, from each of `devices` in
/// turn, numbering them from `*sent`; returns the highest PSS seen (sampled every 5 s) and how
/// long it took.
fn load(
    lns: &test_harness::Publisher,
    devices: &[String],
    rate: u64,
    seconds: u64,
    sent: &mut u64,
    app_pid: u32,
) -> (f64, f64) {
    let started = Instant::now();
    let first = *sent;
    let mut peak: f64 = 0.0;
    let mut next_sample = started + Duration::from_secs(5);
    while started.elapsed() < Duration::from_secs(seconds) {
        let due = first + (started.elapsed().as_secs_f64() * rate as f64) as u64;
        while *sent < due {
            let eui = &devices[*sent as usize % devices.len()];
            *sent += 1;
            send_uplink_of(lns, eui, (*sent / devices.len() as u64) as u32 + 1);
        }
        if Instant::now() >= next_sample {
            peak = peak.max(pss_mb(app_pid));
            next_sample += Duration::from_secs(5);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (peak.max(pss_mb(app_pid)), started.elapsed().as_secs_f64())
}

/// Frames and CPU while `work` runs on the page the app shows.
struct Phase {
    seconds: f64,
    frames: serde_json::Value,
    batches: f64,
    web_cpu: f64,
    app_cpu: f64,
    peak: f64,
    /// With `BENCH_SCHED=1`, a line per long frame: what the app's threads did meanwhile.
    sched: Option<Vec<String>>,
}

fn phase(app: &test_harness::gui::WebDriver, app_pid: u32, work: impl FnOnce() -> (f64, f64)) -> Phase {
    app.execute(
        "window.__heliumFrameProbe.start(); window.__heliumLiveBatches = 0;",
        json!([]),
    );
    let sampler = (std::env::var("BENCH_SCHED").is_ok_and(|v| v == "1")).then(|| sched::Sampler::start(tree(app_pid)));
    let (web0, app0) = (cpu_time(app_pid, "WebKitWeb"), cpu_time(app_pid, "helium-aws"));
    let (peak, seconds) = work();
    let (web1, app1) = (cpu_time(app_pid, "WebKitWeb"), cpu_time(app_pid, "helium-aws"));
    let frames = app.execute("return window.__heliumFrameProbe.read()", json!([]));
    // What the machine did in the five longest frames, if asked.
    let sched = sampler.map(|sampler| {
        let origin = app
            .execute("return performance.timeOrigin", json!([]))
            .as_f64()
            .unwrap_or(0.0);
        let longest: Vec<(f64, f64)> = frames["longest"]
            .as_array()
            .into_iter()
            .flatten()
            .take(5)
            .map(|f| (f["endMs"].as_f64().unwrap_or(0.0), f["gapMs"].as_f64().unwrap_or(0.0)))
            .collect();
        sampler.report(origin, &longest)
    });
    let batches = app
        .execute("return window.__heliumLiveBatches", json!([]))
        .as_f64()
        .unwrap_or(0.0);
    app.execute("window.__heliumFrameProbe.stop()", json!([]));
    Phase {
        seconds,
        frames,
        batches: batches / seconds,
        web_cpu: web1.saturating_sub(web0).as_secs_f64() / seconds * 100.0,
        app_cpu: app1.saturating_sub(app0).as_secs_f64() / seconds * 100.0,
        peak,
        sched,
    }
}

fn print_phase(what: &str, p: &Phase) {
    // When each frame over 50 ms ended, into the phase, and how long it was.
    let stutters: Vec<String> = p.frames["longest"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["gapMs"].as_f64().unwrap_or(0.0) > 50.0)
        .map(|s| {
            let at = s["atMs"].as_f64().unwrap_or(0.0) / 1000.0;
            format!("{} ms at {at:.1} s", s["gapMs"].as_f64().unwrap_or(0.0).round())
        })
        .collect();
    let stutters = if stutters.is_empty() {
        String::new()
    } else {
        format!(": {}", stutters.join(", "))
    };
    println!(
        "  {what}: IPC batches {:.1}/s; frames {} in {:.0} s (longest {:.1} ms, {} over 50 ms{stutters}); CPU: WebKit {:.1} %, app {:.1} % of a core; peak PSS {:.1} MB",
        p.batches,
        p.frames["frames"],
        p.seconds,
        p.frames["maxFrameMs"].as_f64().unwrap_or(0.0),
        p.frames["over50ms"],
        p.web_cpu,
        p.app_cpu,
        p.peak
    );
    for line in p.sched.iter().flatten() {
        println!("    {line}");
    }
}

/// The median of three PSS readings a second apart.
fn settled_pss(root: u32) -> f64 {
    let mut v: Vec<f64> = (0..3)
        .map(|_| {
            std::thread::sleep(Duration::from_secs(1));
            pss_mb(root)
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[1]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rate = env_u64("BENCH_RATE", 1000);
    let seconds = env_u64("BENCH_SECONDS", 60);
    let devices = env_u64("BENCH_DEVICES", 20).max(1) as usize;
    let lab = Lab::start();
    let mut gui = lab.gui();

    // The baseline: hello world in the same Tauri and WebKit.
    let hello_exe = Path::new(env!("CARGO_BIN_EXE_hello-tauri"));
    let hello = gui.launch(hello_exe, &[]);
    hello.set_window_size(1280, 800);
    let hello_pid = find(hello_exe);
    std::thread::sleep(Duration::from_secs(8));
    let baseline = settled_pss(hello_pid);
    let hello_processes = pss_by_process(hello_pid);
    let hello_mappings = pss_by_mapping(hello_pid);
    drop(hello);

    let Seeded { app, lns, .. } = open_seeded_fleet(&lab, &mut gui, devices);
    let devices = fleet(devices);
    let app_pid = find(Path::new(env!("CARGO_BIN_EXE_helium-aws-bridge-desktop")));
    nav(&app, "integrations");
    std::thread::sleep(Duration::from_secs(10));
    let idle = settled_pss(app_pid);

    let idle_processes = pss_by_process(app_pid);
    let idle_mappings = pss_by_mapping(app_pid);
    let idle_web_mappings = web_mappings(app_pid);
    let mut sent = 0u64;
    // The same load with another page open: what the bridge costs without the viewer.
    let elsewhere = phase(&app, app_pid, || {
        load(&lns, &devices, rate, seconds, &mut sent, app_pid)
    });

    nav(&app, "monitor");
    app.wait_for("[data-testid=message-row]", WAIT);
    let viewer = phase(&app, app_pid, || {
        load(&lns, &devices, rate, seconds, &mut sent, app_pid)
    });
    let loaded_processes = pss_by_process(app_pid);
    // Paused, the page still receives every batch but shows none: what the stream itself costs.
    gui::click(&app, "[data-testid=messages-pause]");
    let paused = phase(&app, app_pid, || {
        load(&lns, &devices, rate, seconds.min(20), &mut sent, app_pid)
    });
    gui::click(&app, "[data-testid=messages-pause]");
    let peak = viewer.peak;

    nav(&app, "integrations");
    std::thread::sleep(Duration::from_secs(30));
    let after = settled_pss(app_pid);
    let after_mappings = pss_by_mapping(app_pid);
    let after_web_mappings = web_mappings(app_pid);

    println!(
        "P4/P5: the Messages page under {rate} uplinks/s from {} devices for {seconds} s (release, Xvfb 1280×800); PSS of the app and its WebKit processes",
        devices.len()
    );
    println!("  hello-world Tauri app   {baseline:7.1} MB");
    println!(
        "  app idle                {idle:7.1} MB  ratio {:.2}x (target ≤ 1.2x)",
        idle / baseline
    );
    println!(
        "  viewer under load, peak {peak:7.1} MB  ratio {:.2}x (target ≤ 1.5x)",
        peak / baseline
    );
    println!(
        "  30 s after leaving      {after:7.1} MB  {:+.1} % of idle (target within ±10 %)",
        (after / idle - 1.0) * 100.0
    );
    println!("  by process: hello [{hello_processes}]; idle [{idle_processes}]; after the viewer's load [{loaded_processes}] (MB)");
    println!("  the app's own process by mapping: hello [{hello_mappings}]; idle [{idle_mappings}]; 30 s after leaving [{after_mappings}] (MB)");
    println!(
        "  WebKit's web process by mapping: idle [{idle_web_mappings}]; 30 s after leaving [{after_web_mappings}] (MB)"
    );
    // `BENCH_LINGER=90`: how the memory goes on returning after the first 30 s, every 15 s.
    let linger = env_u64("BENCH_LINGER", 30);
    if linger > 30 {
        let mut at = Vec::new();
        let mut waited = 30;
        while waited < linger {
            // Fifteen seconds a step with the three that `settled_pss` takes.
            std::thread::sleep(Duration::from_secs(12));
            waited += 15;
            let pss = settled_pss(app_pid);
            at.push(format!("{waited} s {pss:.1} MB ({:+.1} %)", (pss / idle - 1.0) * 100.0));
        }
        println!("  later after leaving: {}", at.join(", "));
    }
    println!("  sent {sent} uplinks");
    print_phase("Integrations page under load", &elsewhere);
    print_phase("Messages page under load     ", &viewer);
    print_phase("Messages page paused         ", &paused);
    println!("  targets: IPC batches ≤ 10/s, no frame over 50 ms");
}
