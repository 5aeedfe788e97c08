//! `integration watch`: "Watch AWS" of the desktop app's Messages page, from the command line.
//! The running bridge subscribes as the integration's monitor identity to its uplink topic and
//! the down topics: each uplink AWS echoes back is marked seen in the history (`history search`,
//! `history show`), and downlinks published by anyone are kept there.

use std::time::{Duration, Instant};

use helium_bridge_core::bridge::{WatchPhase, WatchState, DOWN_FILTER};
use helium_bridge_core::control::{Reply, Request};
use helium_bridge_core::domain::Integration;

use crate::access::{unexpected, Access};
use crate::Result;

/// How long the command waits for the monitor to connect (provisioning its identity included,
/// and a failed first attempt tried again) before it says how it is doing.
const CONNECT_WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);

pub fn watch(access: &Access, id_or_name: &str, off: bool) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    if off {
        return stop(access, &i);
    }
    let mut state = mine(change(access, &i.id, true)?, &i.id)
        .ok_or("the bridge did not start watching AWS (it may be stopping)")?;
    // A first attempt that fails is tried again after a pause: wait for the outcome, reading
    // (asking to start again would restart a watch someone stopped meanwhile).
    let deadline = Instant::now() + CONNECT_WAIT;
    while state.phase != WatchPhase::Watching && Instant::now() < deadline {
        std::thread::sleep(POLL);
        state = mine(states(access)?, &i.id).ok_or_else(|| {
            format!(
                "the watch of integration {:?} was stopped meanwhile (by the desktop app or `integration watch \
                 --off`)",
                i.name
            )
        })?;
    }
    let stop = format!("stop it with `helium-aws-bridge integration watch {:?} --off`", i.name);
    match state.phase {
        WatchPhase::Watching => {
            out!(
                "watching AWS for integration {:?} as {}: {}",
                i.name,
                state.thing,
                counts(&state, &i.topic)
            );
            note!(
                "uplinks AWS received are marked in the history (`history search`, `history show`); it watches \
                 until the bridge stops or you {stop}"
            );
            Ok(())
        }
        WatchPhase::Connecting => {
            out!("still connecting to AWS for integration {:?}: {}", i.name, state.detail);
            note!("run this command again to see how it is doing; {stop}");
            Ok(())
        }
        WatchPhase::Failing => Err(format!(
            "watching AWS for integration {:?} fails: {} (it keeps trying; {stop})",
            i.name, state.detail
        )
        .into()),
    }
}

/// What the watch saw since it started. (Other integrations' copies on the same topic count
/// too, as AWS carried them.)
fn counts(state: &WatchState, topic: &str) -> String {
    format!(
        "{} uplink(s) arrived on {topic} and {} downlink(s) on {DOWN_FILTER} since the watch started",
        state.seen, state.downlinks
    )
}

/// The integration's watch, for `integration show`: `Some(None)` when there is none, `None`
/// when the running bridge cannot say (an older version).
pub(super) fn read(access: &Access, integration_id: &str) -> Option<Option<WatchState>> {
    states(access).ok().map(|all| mine(all, integration_id))
}

pub(super) fn text(watch: Option<&Option<WatchState>>, topic: &str) -> String {
    match watch {
        None => "-".into(),
        Some(None) => "off".into(),
        Some(Some(s)) => match s.phase {
            WatchPhase::Watching => format!("watching as {}: {}", s.thing, counts(s, topic)),
            WatchPhase::Connecting => format!("connecting: {}", s.detail),
            WatchPhase::Failing => format!("failing: {} (it keeps trying)", s.detail),
        },
    }
}

fn stop(access: &Access, i: &Integration) -> Result {
    // Read first: with no bridge running (or no watch) there is nothing to stop.
    if mine(states(access)?, &i.id).is_none() {
        out!("AWS is not watched for integration {:?}", i.name);
        return Ok(());
    }
    change(access, &i.id, false)?;
    out!("stopped watching AWS for integration {:?}", i.name);
    Ok(())
}

fn change(access: &Access, integration: &str, on: bool) -> Result<Vec<WatchState>> {
    watching(access.call(Request::IntegrationWatch {
        integration: integration.to_string(),
        on,
    })?)
}

fn states(access: &Access) -> Result<Vec<WatchState>> {
    watching(access.call(Request::WatchStates)?)
}

fn watching(reply: Reply) -> Result<Vec<WatchState>> {
    match reply {
        Reply::Watching { states } => Ok(states),
        other => Err(unexpected(other)),
    }
}

fn mine(states: Vec<WatchState>, integration_id: &str) -> Option<WatchState> {
    states.into_iter().find(|s| s.integration_id == integration_id)
}
