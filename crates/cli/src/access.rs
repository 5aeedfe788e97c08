//! How a CLI command reaches the data: changes always go through the control plane — in this
//! process when no bridge holds the data directory, or over the control socket of the desktop
//! app or `run` that does (so the running bridge applies them at once). Reads go to the
//! database directly either way (SQLite's WAL lets readers beside the writer).

use std::cell::RefCell;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use helium_bridge_core::app::StoreGuard;
use helium_bridge_core::control::socket::Client;
use helium_bridge_core::control::{Control, Reply, Request};
use helium_bridge_core::datadir::{DataDirError, DB_FILE};
use helium_bridge_core::engine::Engine;
use helium_bridge_core::{Core, CoreError, Store};

use crate::Result;

/// How long a command waits for a data directory held by a process that serves no control
/// socket (yet) before it says so.
const WAIT_FOR_HOLDER: Duration = Duration::from_secs(2);

pub enum Access {
    /// This process holds the data directory.
    Local {
        control: Arc<Control>,
        runtime: tokio::runtime::Runtime,
    },
    /// The desktop app or `run` holds it.
    Remote { store: Store, client: RefCell<Client> },
}

/// The store to read from, whichever way it was opened.
pub enum Reader<'a> {
    Local(StoreGuard<'a>),
    Remote(&'a Store),
}

impl Deref for Reader<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        match self {
            Reader::Local(g) => g,
            Reader::Remote(s) => s,
        }
    }
}

impl Access {
    pub fn open(dir: &Path) -> Result<Access> {
        // A holder without a control socket is most often another command, done in a moment,
        // or a bridge still starting: both are waited for a little.
        let deadline = Instant::now() + WAIT_FOR_HOLDER;
        loop {
            match Core::open(dir) {
                Ok(core) => {
                    let runtime = crate::runtime()?;
                    let control = Control::new(Arc::new(core), Engine::new(false));
                    return Ok(Access::Local { control, runtime });
                }
                Err(CoreError::DataDir(DataDirError::InUse { .. })) => match Client::connect(dir) {
                    Ok(client) => {
                        let store = Store::open_reader(&dir.join(DB_FILE))?;
                        return Ok(Access::Remote {
                            store,
                            client: RefCell::new(client),
                        });
                    }
                    Err(e) if Instant::now() >= deadline => return Err(e.into()),
                    Err(_) => std::thread::sleep(Duration::from_millis(25)),
                },
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub fn store(&self) -> Reader<'_> {
        match self {
            Access::Local { control, .. } => Reader::Local(control.core().store()),
            Access::Remote { store, .. } => Reader::Remote(store),
        }
    }

    /// Makes a change through the control plane.
    pub fn call(&self, req: Request) -> Result<Reply> {
        match self {
            Access::Local { control, runtime } => runtime.block_on(control.handle(req)).map_err(|mut e| {
                // No bridge runs on this data directory (this command holds it): say how to start one.
                if e.message.starts_with("the bridge is not running") {
                    e.message
                        .push_str(" (start the desktop app, or `helium-aws-bridge run`, on this data directory)");
                }
                e.into()
            }),
            Access::Remote { client, .. } => client.borrow_mut().call(&req).map_err(|mut e| {
                // The running bridge kept (or looked for) the secret with its own keychain or
                // credentials file: this command's environment had no say.
                if e.code == "vault" {
                    e.message.push_str(
                        ". The bridge already running (the desktop app or `run`) was asked to make this change, \
                         with its keychain: set HELIUM_AWS_BRIDGE_SECRETS_FILE where it starts, and restart it",
                    );
                }
                e.into()
            }),
        }
    }

    /// The opened core and the runtime to run it on, when this process holds the data
    /// directory.
    pub fn local(&self) -> Option<(&Arc<Core>, &tokio::runtime::Runtime)> {
        match self {
            Access::Local { control, runtime } => Some((control.core(), runtime)),
            Access::Remote { .. } => None,
        }
    }
}

/// A reply that is not the one the request asks for: a CLI and app of different versions.
pub fn unexpected(reply: Reply) -> Box<dyn std::error::Error> {
    format!("the bridge answered unexpectedly: {reply:?}").into()
}
