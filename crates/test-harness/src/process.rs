//! Spawning test servers and stopping them by PID.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (the OS picks it; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// CPU time (user + system) a process has used so far, from `/proc/{pid}/stat`; `None` once it
/// is gone.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields follow the last ')'.
    // After it: state(0) ppid(1) … utime(11) stime(12), in clock ticks.
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf reads a constant of the system.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_millis(ticks * 1000 / per_sec))
}

/// A running child process; dropped = SIGTERM, then SIGKILL after 5 s.
pub struct Server {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `cmd` with stdout+stderr going to `log`.
    pub fn spawn(name: &str, cmd: Command, log: &Path) -> Server {
        Self::spawn_inner(name, cmd, log, None)
    }

    /// Like `spawn`, writing `input` to the child's stdin and then closing it.
    pub fn spawn_with_stdin(name: &str, cmd: Command, log: &Path, input: &[u8]) -> Server {
        Self::spawn_inner(name, cmd, log, Some(input))
    }

    fn spawn_inner(name: &str, mut cmd: Command, log: &Path, input: Option<&[u8]>) -> Server {
        let out = File::create(log).expect("create log");
        cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({:?}): {e}", cmd.get_program()));
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            use std::io::Write;
            stdin.write_all(input).expect("write to child stdin");
        }
        Server {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Panics with the server's log if it has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early ({status}); its log:\n{}", self.name, self.log());
        }
    }

    /// Waits until the server itself listens on `port` (a connection could reach another
    /// process that took the port after `free_port` let it go). `Err` with its log if it exited
    /// first, e.g. because the port was taken.
    pub fn wait_until_listening(&mut self, port: u16, timeout: Duration) -> Result<(), String> {
        let pid = self.pid();
        self.wait_until(port, timeout, || listens_on(pid, port))
    }

    /// Waits until `port` on 127.0.0.1 accepts connections (from this server or a process it
    /// started).
    pub fn wait_for_port(&mut self, port: u16, timeout: Duration) {
        let answers = || TcpStream::connect(("127.0.0.1", port)).is_ok();
        if let Err(e) = self.wait_until(port, timeout, answers) {
            panic!("{e}");
        }
    }

    /// Polls `ready` until it holds; `Err` with the log if the server exits first, a panic if
    /// `port` is not ready within `timeout`.
    fn wait_until(&mut self, port: u16, timeout: Duration, ready: impl Fn() -> bool) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited early ({status}); its log:\n{}",
                    self.name,
                    self.log()
                ));
            }
            if ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not listen on port {port} in {timeout:?}; its log:\n{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            self.assert_running();
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            if Instant::now() > deadline {
                panic!("{} did not print {needle:?} in {timeout:?}; its log:\n{log}", self.name);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the process by PID: SIGTERM, then SIGKILL if it is still there after 5 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether process `pid` has a TCP socket listening on `port`: one of its file descriptors is
/// a socket whose inode `/proc/net/tcp` (or `tcp6`) lists in state LISTEN on that port.
fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    let sockets: std::collections::HashSet<String> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy();
            Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .any(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                // local_address is IP:PORT in hex; st 0A is LISTEN; the inode is the tenth field.
                f.len() > 9
                    && f[3] == "0A"
                    && f[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok()) == Some(port)
                    && sockets.contains(f[9])
            })
    })
}

/// Finds a program on PATH or panics with what to install.
pub fn require_program(name: &str, install_hint: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")]) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("{name} is not installed: {install_hint} (scripts/setup.sh --test installs everything tests need)");
}
