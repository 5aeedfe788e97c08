// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    web_process_malloc();
    web_process_gc();
    helium_aws_bridge_desktop::run();
}

/// JavaScriptCore (in WebKit's web process, which inherits this environment) sizes its heap by
/// the machine's memory: with 16 GB or more it lets the heap grow up to threefold between
/// collections, so a minute of the live viewer left the web process at 234 MB (130 idle) and
/// it stayed there after leaving. Its "mini VM" mode grows the heap by a fifth instead: 196 MB
/// under the same load, and 69 MB of anonymous memory 30 s after leaving instead of 125, for
/// the same CPU (the viewer bench). A user's own setting wins.
fn web_process_gc() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("JSC_forceMiniVMMode").is_none() {
        // Set before any thread starts, as above.
        std::env::set_var("JSC_forceMiniVMMode", "true");
    }
}

/// WebKit's web process (a child: it inherits this environment) allocates with glibc's malloc on
/// several threads. By default glibc raises its trim and mmap thresholds after each large free
/// and keeps what threads free in their own arenas: 30 s after a minute of the live viewer, the
/// web process's malloc heap stayed at 31 MB (5 MB idle). With two arenas and fixed thresholds
/// it came back to 12 MB (the viewer bench). A user's own malloc tunables win.
fn web_process_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MALLOC: &str =
            "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072";
        let theirs = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        if !theirs.contains("glibc.malloc.") {
            let tunables = if theirs.is_empty() {
                MALLOC.to_string()
            } else {
                format!("{theirs}:{MALLOC}")
            };
            // Set before any thread starts, so nothing reads the environment meanwhile.
            std::env::set_var("GLIBC_TUNABLES", tunables);
        }
    }
}
