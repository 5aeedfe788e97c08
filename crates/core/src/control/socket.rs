//! The control socket: the process that owns a data directory (the desktop app or `run`)
//! serves its [`Control`] on `control.sock` in that directory, readable and writable by its
//! user only (on Windows, on a named pipe that `control.pipe` names: see `endpoint.rs`), so
//! the CLI can change a running bridge instead of being refused.
//!
//! One JSON request per line; one JSON answer per line: `{"ok": <Reply>}` or
//! `{"err": <ControlError>}`. Secrets travel only towards the server and are never answered.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::endpoint::{self, endpoint_file};
use super::{Control, ControlError, Reply, Request};

/// The largest request accepted (a source's or integration's settings are a few KB).
const MAX_REQUEST: u64 = 1 << 20;

/// How long the CLI waits for an answer: adding an integration checks its keys with AWS.
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    // (Boxed: a reply is several times the size of an error.)
    Ok(Box<Reply>),
    Err(ControlError),
}

/// Serves `control` on the data directory's endpoint until `stop` turns true.
pub fn serve(control: Arc<Control>, data_dir: &Path, mut stop: watch::Receiver<bool>) -> std::io::Result<()> {
    let mut listener = endpoint::listen(data_dir)?;
    tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                _ = stop.changed() => break,
                conn = listener.accept() => conn,
            };
            match conn {
                Ok(stream) => {
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
    });
    Ok(())
}

async fn serve_one(control: Arc<Control>, stream: endpoint::Connection) {
    use tokio::io::AsyncReadExt;
    let (read, mut write) = tokio::io::split(stream);
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
                    Ok(reply) => Answer::Ok(Box::new(reply)),
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
    stream: BufReader<endpoint::ClientStream>,
}

impl Client {
    /// Connects to the data directory's socket; an error says why in the user's words.
    pub fn connect(data_dir: &Path) -> Result<Client, ControlError> {
        let path = endpoint_file(data_dir);
        let stream = endpoint::connect(data_dir, ANSWER_WITHIN).map_err(|e| ControlError {
            code: "unavailable".into(),
            message: format!(
                "another Helium AWS Bridge process (the desktop app, `run`, or a command still at work) holds \
                 {}, and its control socket does not answer; wait until it has started or finished, or quit it",
                data_dir.display()
            ),
            detail: Some(format!("{}: {e}", path.display())),
        })?;
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
            Ok(Answer::Ok(reply)) => Ok(*reply),
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
