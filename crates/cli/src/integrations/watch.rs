//! `integration watch`: "Watch AWS" of the desktop app's Messages page, from the command line.
//! The running bridge subscribes as the integration's monitor identity to its uplink topic and
//! the down topics: each uplink AWS echoes back is marked seen in the history (`history search`,
//! `history show`), and downlinks published by anyone are kept there.

use std::time::{Duration, Instant};

use helium_bridge_core::bridge::{WatchPhase, WatchState};
use helium_bridge_core::control::{Reply, Request};

use crate::access::{unexpected, Access};
use crate::Result;

/// How long the command waits for the monitor to connect (provisioning its identity included)
/// before it says it is still connecting.
const CONNECT_WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);

pub fn watch(access: &Access, id_or_name: &str, off: bool) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    let states = call(access, &i.id, !off)?;
    if off {
        out!("AWS is not watched for integration {:?} any more", i.name);
        return Ok(());
    }
    // Asking again is harmless (a running watch stays as it is) and says how it is doing.
    let deadline = Instant::now() + CONNECT_WAIT;
    let mut state = mine(states, &i.id)?;
    while state.phase == WatchPhase::Connecting && Instant::now() < deadline {
        std::thread::sleep(POLL);
        state = mine(call(access, &i.id, true)?, &i.id)?;
    }
    let stop = format!("stop it with `integration watch {:?} --off`", i.name);
    match state.phase {
        WatchPhase::Watching => {
            out!(
                "watching AWS for integration {:?} as {}: {} uplink(s) seen on AWS and {} downlink(s) since the watch \
                 started",
                i.name,
                state.thing,
                state.seen,
                state.downlinks
            );
            note!(
                "uplinks AWS received are marked in the history (`history search`, `history show`); it watches \
                 while the bridge runs: {stop}"
            );
            Ok(())
        }
        WatchPhase::Connecting => {
            out!(
                "still connecting to AWS for integration {:?} as {}: {}",
                i.name,
                state.thing,
                state.detail
            );
            note!("run this command again to see how it is doing; {stop}");
            Ok(())
        }
        WatchPhase::Failing => Err(format!(
            "watching AWS for integration {:?} as {} fails: {} (it keeps trying; {stop})",
            i.name, state.thing, state.detail
        )
        .into()),
    }
}

fn call(access: &Access, integration: &str, on: bool) -> Result<Vec<WatchState>> {
    match access.call(Request::IntegrationWatch {
        integration: integration.to_string(),
        on,
    })? {
        Reply::Watching { states } => Ok(states),
        other => Err(unexpected(other)),
    }
}

fn mine(states: Vec<WatchState>, integration_id: &str) -> Result<WatchState> {
    states
        .into_iter()
        .find(|s| s.integration_id == integration_id)
        .ok_or_else(|| "the bridge did not start watching AWS (it may be stopping)".into())
}
