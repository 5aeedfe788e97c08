//! An integration's health as the app's badges say it (connected, failing and why, waiting,
//! idle, bridge stopped), for `status` and `integration list|show`.

use std::collections::HashMap;

use helium_bridge_core::bridge::IntegrationHealth;
use helium_bridge_core::control::{Reply, Request};

use crate::access::Access;

/// Every integration's health, by id, from the running bridge (the desktop app's or `run`'s),
/// or as the data says with none running (`stopped`). Empty, with a note, when the bridge
/// cannot say (an older version running): the rest of what a command shows still is.
pub fn read(access: &Access) -> HashMap<String, IntegrationHealth> {
    match access.call(Request::Health) {
        Ok(Reply::Health { integrations }) => integrations.into_iter().map(|h| (h.id.clone(), h)).collect(),
        Ok(other) => {
            note!("the running bridge did not say how its integrations are ({other:?}): shown as -");
            HashMap::new()
        }
        Err(e) => {
            note!("the running bridge did not say how its integrations are ({e}): shown as -");
            HashMap::new()
        }
    }
}

/// An integration's health in words, as its badge in the app says it: the state, its sessions,
/// and why one fails.
pub fn text(h: &IntegrationHealth) -> String {
    // The sessions meant to be up: a stopped one was ended on purpose (as the app counts them).
    let sessions = h
        .sessions
        .iter()
        .filter(|s| s.connected || s.detail != "stopped")
        .count();
    match h.state.as_str() {
        "failing" => format!(
            "failing: {} of {sessions} session(s) cannot connect: {}",
            h.sessions_failing,
            h.last_error.as_deref().unwrap_or("no reason given")
        ),
        "connected" => format!(
            "connected ({} of {sessions} session(s)); {} uplink(s) delivered since the bridge started",
            h.sessions_connected, h.delivered
        ),
        "waiting" => format!(
            "waiting: {} uplink(s) wait, but no AWS IoT session is up yet",
            h.backlog
        ),
        "idle" => "idle: nothing to send yet, so no AWS IoT session is needed".into(),
        "stopped" => "bridge stopped: nothing is forwarded (start the desktop app or `run`)".into(),
        "inactive" => "disabled: nothing is forwarded".into(),
        other => other.into(),
    }
}
