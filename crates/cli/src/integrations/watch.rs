//! `integration watch`: "Watch AWS" of the desktop app's Messages page, from the command line.
//! The running bridge subscribes as the integration's monitor identity to its uplink topic and
//! the down topics: each uplink AWS echoes back is marked seen in the history (`history search`,
//! `history show`), and downlinks published by anyone are kept there.

use std::path::Path;
use std::time::{Duration, Instant};

use helium_bridge_core::bridge::{WatchPhase, WatchState, DOWN_FILTER};
use helium_bridge_core::control::{Reply, Request};
use helium_bridge_core::domain::Integration;
use helium_bridge_core::monitor::{MessageFilter, MessageRow};

use crate::access::{unexpected, Access};
use crate::Result;

/// How long the command waits for the monitor to connect (provisioning its identity included,
/// and a failed first attempt tried again) before it says how it is doing.
const CONNECT_WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);
/// `--follow`: how often the history is read, and the watch's state.
const FOLLOW_POLL: Duration = Duration::from_millis(500);
const STATE_EVERY: Duration = Duration::from_secs(2);
/// `--follow` looks for echoes among the messages of the last ten minutes (an uplink that
/// waited longer for AWS is marked in the history all the same), at most this many.
const FOLLOW_WINDOW_MS: i64 = 600_000;
const FOLLOW_ROWS: usize = 2000;

pub fn watch(access: &Access, id_or_name: &str, off: bool) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    if off {
        return stop(access, &i);
    }
    start(access, &i, false)
}

/// Starts the watch and says how it is doing once it is up (or still is not, after a while).
fn start(access: &Access, i: &Integration, following: bool) -> Result {
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
            match following {
                true => note!("what AWS carries shows here once it is connected; {stop}"),
                false => note!("run this command again to see how it is doing; {stop}"),
            }
            Ok(())
        }
        WatchPhase::Failing => Err(format!(
            "watching AWS for integration {:?} fails: {} (it keeps trying; {stop})",
            i.name, state.detail
        )
        .into()),
    }
}

/// `--follow`: starts the watch, then prints what AWS carries as the history records it (each
/// uplink once AWS echoed it, each downlink published on a down topic), until Ctrl-C or the
/// watch stops. Reads the history file beside the bridge, as `history search` does.
pub fn follow(dir: &Path, access: &Access, id_or_name: &str) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    // What AWS carries from the moment the command was given.
    let started = helium_bridge_core::now_ms();
    start(access, &i, true)?;
    let history = crate::history::open(dir)?;
    note!(
        "following what AWS carries for integration {:?}: Ctrl-C to stop following (the watch goes on)",
        i.name
    );
    let mut shown = std::collections::HashMap::new();
    let mut warned_full = false;
    let mut last_check = Instant::now();
    loop {
        std::thread::sleep(FOLLOW_POLL);
        if last_check.elapsed() >= STATE_EVERY {
            last_check = Instant::now();
            let states =
                states(access).map_err(|e| format!("lost the running bridge ({e}); the watch ends with it"))?;
            if mine(states, &i.id).is_none() {
                out!(
                    "the watch of integration {:?} stopped (by the desktop app, `integration watch --off` or the \
                     bridge stopping)",
                    i.name
                );
                return Ok(());
            }
        }
        let now = helium_bridge_core::now_ms();
        let filter = MessageFilter {
            kinds: ["uplink", "join", "aws_downlink"].map(String::from).to_vec(),
            integration_id: Some(i.id.clone()),
            from_ms: Some(now - FOLLOW_WINDOW_MS),
            ..Default::default()
        };
        let page = history.search(&filter, None, FOLLOW_ROWS)?;
        if page.next.is_some() && !std::mem::replace(&mut warned_full, true) {
            note!(
                "over {FOLLOW_ROWS} messages in {} minutes: some echoes may not be shown here (`history search` \
                 has them all)",
                FOLLOW_WINDOW_MS / 60_000
            );
        }
        // What AWS carried since following started, in the order it did.
        let mut new: Vec<(i64, &MessageRow)> = page
            .rows
            .iter()
            .filter(|r| !shown.contains_key(&r.id))
            .filter_map(|r| match r.kind.as_str() {
                "aws_downlink" => Some((r.at_ms, r)),
                _ => r.seen_ms.map(|at| (at, r)),
            })
            .filter(|(at, _)| *at >= started)
            .collect();
        new.sort_by_key(|(at, r)| (*at, r.id));
        for (at, r) in new {
            out!("{}", followed(r, at));
            shown.insert(r.id, r.at_ms);
        }
        // Only what the next search can still find is remembered.
        shown.retain(|_, at_ms| *at_ms >= now - FOLLOW_WINDOW_MS);
    }
}

/// One line of `--follow`: when AWS had it, the message's id (`history show`), and what it was.
fn followed(r: &MessageRow, at: i64) -> String {
    let device = r.device_name.as_deref().or(r.device_id.as_deref()).unwrap_or("-");
    let topic = r.topic.as_deref().unwrap_or("-");
    let what = match r.kind.as_str() {
        "aws_downlink" => format!("downlink  {device}  published on {topic} ({} B)", r.size),
        kind => format!(
            "{kind}  {device}  arrived on {topic} {} ms after the bridge took it in (uuid {})",
            (at - r.at_ms).max(0),
            r.uuid.as_deref().unwrap_or("-")
        ),
    };
    format!("{}Z  #{}  {what}", crate::output::time(at), r.id)
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
