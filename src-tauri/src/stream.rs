//! Live event streams for the Monitor page: batched by the core
//! (`events::forward_batches`), so a busy bridge costs a few IPC messages a second rather
//! than one per event.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tauri::async_runtime::JoinHandle;

/// A batch is sent at most this long after its first event…
pub const BATCH_INTERVAL: Duration = Duration::from_millis(100);
/// …or as soon as it holds this many.
pub const BATCH_MAX: usize = 500;
/// The viewer's live batches come at most this often: four times a second is as fast as anyone
/// reads a busy list, and each batch makes WebKit lay out and paint every row in view again
/// (at ten a second, a quarter of a core and frames over 50 ms under 1,000 messages/s).
pub const LIVE_INTERVAL: Duration = Duration::from_millis(250);
/// The most messages one live batch of the viewer carries (the newest; the rest are counted):
/// 2,000 a second at most, as before.
pub const LIVE_MAX: usize = 500;

/// The live streams, by the id of the UI's channel, so the UI can end its own.
#[derive(Default)]
pub struct Subscriptions(Mutex<HashMap<u32, JoinHandle<()>>>);

impl Subscriptions {
    pub fn insert(&self, id: u32, task: JoinHandle<()>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = map.insert(id, task) {
            old.abort();
        }
    }

    /// Stops the stream of channel `id`; false if there was none.
    pub fn remove(&self, id: u32) -> bool {
        let task = self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        task.map(|t| t.abort()).is_some()
    }
}
