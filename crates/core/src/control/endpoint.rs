//! Where the control plane is reached, per platform: a Unix socket in the data directory
//! (mode 0600), or on Windows a named pipe whose name the data directory holds. The protocol
//! over either is `socket.rs`'s.

use std::io;
use std::path::{Path, PathBuf};

#[cfg(unix)]
pub use self::unix::*;
#[cfg(windows)]
pub use self::windows::*;

#[cfg(unix)]
mod unix {
    use super::*;

    /// The socket itself.
    pub const ENDPOINT_FILE: &str = "control.sock";

    pub type Connection = tokio::net::UnixStream;
    pub type ClientStream = std::os::unix::net::UnixStream;

    /// The listening socket; its file goes with it.
    pub struct Listener {
        inner: tokio::net::UnixListener,
        path: PathBuf,
    }

    /// Listens on the data directory's socket. The caller holds the data directory's lock, so
    /// a socket file already there is a dead process's and goes.
    pub fn listen(data_dir: &Path) -> io::Result<Listener> {
        use std::os::unix::fs::PermissionsExt;
        let path = endpoint_file(data_dir);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let inner = tokio::net::UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Listener { inner, path })
    }

    impl Listener {
        pub async fn accept(&mut self) -> io::Result<Connection> {
            Ok(self.inner.accept().await?.0)
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// Connects to the data directory's socket; answers wait at most `answer_within`.
    pub fn connect(data_dir: &Path, answer_within: std::time::Duration) -> io::Result<ClientStream> {
        let stream = ClientStream::connect(endpoint_file(data_dir))?;
        stream.set_read_timeout(Some(answer_within))?;
        Ok(stream)
    }
}

#[cfg(windows)]
mod windows {
    use super::*;
    use tokio::net::windows::named_pipe::{NamedPipeServer, ServerOptions};

    /// The file that names the pipe. The name is random, and the first instance is created
    /// with `first_pipe_instance`, so no other process can have made a pipe of that name to
    /// wait for our CLI (and the secrets it sends) on it; only the data directory's user reads
    /// the name.
    pub const ENDPOINT_FILE: &str = "control.pipe";

    pub type Connection = NamedPipeServer;
    pub type ClientStream = std::fs::File;

    /// The pipe's next instance, waiting for a client; the name file goes with it.
    pub struct Listener {
        name: String,
        next: NamedPipeServer,
        file: PathBuf,
    }

    fn instance(name: &str, first: bool) -> io::Result<NamedPipeServer> {
        ServerOptions::new()
            .first_pipe_instance(first)
            .reject_remote_clients(true)
            .create(name)
    }

    /// Creates the pipe, then writes its name into the data directory (so a client that finds
    /// the name finds the pipe).
    pub fn listen(data_dir: &Path) -> io::Result<Listener> {
        let name = format!(r"\\.\pipe\helium-aws-bridge-{}", uuid::Uuid::new_v4().simple());
        let next = instance(&name, true)?;
        let file = endpoint_file(data_dir);
        std::fs::write(&file, &name)?;
        Ok(Listener { name, next, file })
    }

    impl Listener {
        /// Waits for a client on the waiting instance, and puts a new one in its place, as a
        /// pipe serves one client per instance.
        pub async fn accept(&mut self) -> io::Result<Connection> {
            let connected = self.next.connect().await;
            let fresh = instance(&self.name, false)?;
            let used = std::mem::replace(&mut self.next, fresh);
            connected.map(|()| used)
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.file);
        }
    }

    /// ERROR_PIPE_BUSY: every instance has a client; the server is making the next one.
    const PIPE_BUSY: i32 = 231;

    /// Opens the pipe the data directory names. A pipe handle has no read timeout; if the
    /// server goes, the read fails.
    pub fn connect(data_dir: &Path, _answer_within: std::time::Duration) -> io::Result<ClientStream> {
        let name = std::fs::read_to_string(endpoint_file(data_dir))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match std::fs::OpenOptions::new().read(true).write(true).open(name.trim()) {
                Err(e) if e.raw_os_error() == Some(PIPE_BUSY) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }
}

/// The file in the data directory through which clients find the control plane.
pub fn endpoint_file(data_dir: &Path) -> PathBuf {
    data_dir.join(ENDPOINT_FILE)
}
