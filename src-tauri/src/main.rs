// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    ui_process_allocator();
    web_process_malloc();
    web_process_javascript();
    helium_aws_bridge_desktop::run();
}

/// JavaScriptCore (in WebKit's web process, which inherits this environment) sizes its heap by
/// the machine's memory: with 16 GB or more it lets the heap grow up to threefold between
/// collections, so a minute of the live viewer left the web process at 234 MB (130 idle) and
/// it stayed there after leaving. Its "mini VM" mode grows the heap by a fifth instead: 196 MB
/// under the same load, and 69 MB of anonymous memory 30 s after leaving instead of 125, for
/// the same CPU (the viewer bench).
///
/// Its optimising compilers (DFG, and FTL above it) are off too: the page's scripts are small
/// and mostly waiting, and the baseline compiler runs them as fast here (the web process took
/// 9 % of a core under the viewer's load, against 10 % with them), while the memory they took
/// stayed after the viewer: with them off, the app (all its processes) peaked 17-20 MB lower
/// under a minute of the viewer's load and held 15-30 MB less 30 s after leaving (the viewer
/// bench, two runs against one).
///
/// Whatever the growth, JavaScriptCore lets its heap reach 32 MB (`largeHeapSize`) before it
/// collects it whole: after the viewer the page's live heap is a few MB, so what the viewer left
/// behind stayed, and the web process held 36 MB more anonymous memory 30 s after leaving
/// than idle (the app +15 %). With 8 MB it held 10-12 MB more (the app +5 %) and peaked 30 MB
/// lower under the viewer's load, for 10-12 % of a core instead of 10 % and no frame over 50 ms
/// (the viewer bench, two runs). A user's own settings win.
fn web_process_javascript() {
    #[cfg(target_os = "linux")]
    for (name, value) in [
        ("JSC_forceMiniVMMode", "true"),
        ("JSC_useDFGJIT", "false"),
        ("JSC_largeHeapSize", "8388608"),
    ] {
        if std::env::var_os(name).is_none() {
            // Set before any thread starts, so nothing reads the environment meanwhile.
            std::env::set_var(name, value);
        }
    }
}

/// WebKit's allocator (libpas) guards its heaps with locks that spin, yielding, until free. In
/// this process only WebKit's IPC and GTK glue allocate with it, but under the live viewer's load
/// (the bridge keeping both cores of a small machine busy) its IPC thread spun 80-115 ms at a
/// time on a lock whose holder was not running, and the page missed every frame meanwhile: 1 to
/// 5 frames of 52-147 ms in each 30 s run (the viewer bench, four runs). With the system's malloc
/// in this process, none over 50 ms (longest 32-47 ms, four runs), for the same CPU and memory.
///
/// WebKit reads `Malloc` once, at its first allocation: set it, allocate, and take it out again
/// before any web process starts, so the web process keeps libpas (with the system's malloc
/// there, it held 115 MB more after the viewer). A user's own `Malloc` setting applies to both.
///
/// Some of WebKit's heaps stay in libpas all the same, and its scavenger, returning their free
/// pages to the system (madvise) with a lock held, still stalled the IPC thread now and then in a
/// minute of load (frames of 88-161 ms). Those heaps are small in this process, so the scavenger
/// is stopped here: the longest frames in a minute of load were then 55 and 46 ms (two runs),
/// for the same memory.
fn ui_process_allocator() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("Malloc").is_none() {
        // Looked up, not linked: without the symbol (another WebKit), nothing changes.
        let symbol = |name: &std::ffi::CStr| unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        let (malloc, free) = (symbol(c"_ZN3WTF10fastMallocEm"), symbol(c"_ZN3WTF8fastFreeEPv"));
        if malloc.is_null() || free.is_null() {
            return;
        }
        // Before any thread starts, as below.
        std::env::set_var("Malloc", "1");
        // SAFETY: `WTF::fastMalloc(size_t) -> void*` and `WTF::fastFree(void*)`, WebKit's
        // exported allocator entry points; the block is freed at once.
        unsafe {
            let malloc: extern "C" fn(usize) -> *mut libc::c_void = std::mem::transmute(malloc);
            let free: extern "C" fn(*mut libc::c_void) = std::mem::transmute(free);
            free(malloc(16));
        }
        std::env::remove_var("Malloc");
        let stop_scavenger = symbol(c"_ZN3WTF20fastDisableScavengerEv");
        if !stop_scavenger.is_null() {
            // SAFETY: `void WTF::fastDisableScavenger()`.
            unsafe { std::mem::transmute::<*mut libc::c_void, extern "C" fn()>(stop_scavenger)() };
        }
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// Memory the web process keeps is invisible in its behaviour, so a setting lost shows here.
    #[test]
    fn the_web_process_gets_javascriptcores_settings_and_a_users_own_win() {
        std::env::remove_var("JSC_forceMiniVMMode");
        std::env::remove_var("JSC_largeHeapSize");
        std::env::set_var("JSC_useDFGJIT", "true");
        super::web_process_javascript();
        assert_eq!(std::env::var("JSC_forceMiniVMMode").as_deref(), Ok("true"));
        assert_eq!(std::env::var("JSC_largeHeapSize").as_deref(), Ok("8388608"));
        assert_eq!(
            std::env::var("JSC_useDFGJIT").as_deref(),
            Ok("true"),
            "the user's own setting"
        );
        std::env::remove_var("JSC_useDFGJIT");
        super::web_process_javascript();
        assert_eq!(std::env::var("JSC_useDFGJIT").as_deref(), Ok("false"));
    }

    /// The benefit is invisible (frames kept), so a WebKit that stops honouring `Malloc` shows here.
    #[test]
    fn webkit_allocates_with_the_system_malloc_in_this_process_and_the_environment_is_as_before() {
        // The app has WebKit loaded from its start (it links it); this test binary does not.
        let webkit = unsafe {
            libc::dlopen(
                c"libjavascriptcoregtk-4.1.so.0".as_ptr(),
                libc::RTLD_NOW | libc::RTLD_GLOBAL,
            )
        };
        assert!(!webkit.is_null(), "WebKit's JavaScriptCore is not installed");
        super::ui_process_allocator();
        assert_eq!(std::env::var_os("Malloc"), None, "a web process would inherit it");
        // `bool bmalloc::api::isEnabled(HeapKind)`; `HeapKind::Primary` is 0.
        let is_enabled =
            unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"_ZN7bmalloc3api9isEnabledENS_8HeapKindE".as_ptr()) };
        assert!(!is_enabled.is_null(), "WebKit's allocator is not loaded");
        let is_enabled: extern "C" fn(i32) -> bool = unsafe { std::mem::transmute(is_enabled) };
        assert!(!is_enabled(0), "WebKit still allocates with libpas in this process");
    }
}
