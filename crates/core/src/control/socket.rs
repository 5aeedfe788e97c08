//! The control socket: the process that owns a data directory (the desktop app or `run`)
//! serves its [`Control`] on `control.sock` in that directory, readable and writable by its
//! user only, so the CLI can change a running bridge instead of being refused.
//!
//! One JSON request per line; one JSON answer per line: `{"ok": <Reply>}` or
//! `{"err": <ControlError>}`. Secrets travel only towards the server and are never answered.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::{Control, ControlError, Reply, Request};

pub const SOCKET_FILE: &str = "control.sock";

/// The largest request accepted (a source's or integration's settings are a few KB).
const MAX_REQUEST: u64 = 1 << 20;

/// How long the CLI waits for an answer: adding an integration checks its keys with AWS.
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Ok(Reply),
    Err(ControlError),
}

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// Serves `control` on the data directory's socket until `stop` turns true. The caller holds
/// the data directory's lock, so a socket file already there is a dead process's and goes.
#[cfg(unix)]
pub fn serve(control: Arc<Control>, data_dir: &Path, mut stop: watch::Receiver<bool>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(data_dir);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = tokio::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                _ = stop.changed() => break,
                conn = listener.accept() => conn,
            };
            match conn {
                Ok((stream, _)) => {
                    tokio::spawn(serve_one(control.clone(), stream));
                }
                Err(e) => {
                    crate::warn(format_args!(
                        "warning: the control socket could not accept a connection: {e}"
                    ));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    });
    Ok(())
}

#[cfg(unix)]
async fn serve_one(control: Arc<Control>, stream: tokio::net::UnixStream) {
    use tokio::io::AsyncReadExt;
    let (read, mut write) = stream.into_split();
    let mut read = tokio::io::BufReader::new(read.take(MAX_REQUEST + 1));
    let mut line = Vec::new();
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let answer = if line.len() as u64 > MAX_REQUEST {
            Answer::Err(ControlError::new(
                "bad_request",
                format!("a control request may be at most {MAX_REQUEST} bytes"),
            ))
        } else {
            match serde_json::from_slice::<Request>(&line) {
                Ok(req) => match control.handle(req).await {
                    Ok(reply) => Answer::Ok(reply),
                    Err(e) => Answer::Err(e),
                },
                Err(e) => Answer::Err(ControlError {
                    code: "bad_request".into(),
                    message: "the bridge did not understand the request (is the CLI the same version as the \
                              running app?)"
                        .into(),
                    detail: Some(e.to_string()),
                }),
            }
        };
        let mut out = serde_json::to_vec(&answer).expect("answers serialise");
        out.push(b'\n');
        if write.write_all(&out).await.is_err() || line.len() as u64 > MAX_REQUEST {
            return;
        }
    }
}

/// A connection to the control socket of the process that owns a data directory.
pub struct Client {
    stream: BufReader<std::os::unix::net::UnixStream>,
}

impl Client {
    /// Connects to the data directory's socket; an error says why in the user's words.
    pub fn connect(data_dir: &Path) -> Result<Client, ControlError> {
        let path = socket_path(data_dir);
        let stream = std::os::unix::net::UnixStream::connect(&path).map_err(|e| ControlError {
            code: "unavailable".into(),
            message: format!(
                "another Helium AWS Bridge process (the desktop app or `run`) holds {}, and its control \
                 socket does not answer; wait until it has started, or quit it",
                data_dir.display()
            ),
            detail: Some(format!("{}: {e}", path.display())),
        })?;
        stream
            .set_read_timeout(Some(ANSWER_WITHIN))
            .map_err(|e| ControlError::new("unavailable", e.to_string()))?;
        Ok(Client {
            stream: BufReader::new(stream),
        })
    }

    pub fn call(&mut self, req: &Request) -> Result<Reply, ControlError> {
        let lost = |e: std::io::Error| ControlError {
            code: "unavailable".into(),
            message: "the connection to the running bridge was lost before it answered; check with `status` \
                      whether the change was made"
                .into(),
            detail: Some(e.to_string()),
        };
        let mut out = serde_json::to_vec(req).expect("requests serialise");
        out.push(b'\n');
        self.stream.get_mut().write_all(&out).map_err(lost)?;
        let mut line = String::new();
        let n = self.stream.read_line(&mut line).map_err(lost)?;
        if n == 0 {
            return Err(lost(std::io::ErrorKind::UnexpectedEof.into()));
        }
        match serde_json::from_str::<Answer>(&line) {
            Ok(Answer::Ok(reply)) => Ok(reply),
            Ok(Answer::Err(e)) => Err(e),
            Err(e) => Err(ControlError {
                code: "bad_request".into(),
                message: "the running bridge answered in a way this CLI does not understand (is it the same \
                          version?)"
                    .into(),
                detail: Some(e.to_string()),
            }),
        }
    }
}
