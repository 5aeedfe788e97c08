//! `integration watch`: "Watch AWS" of the desktop app's Messages page, from the command line.
//! The running bridge subscribes as the integration's monitor identity to its uplink topic and
//! the down topics: each uplink AWS echoes back is marked seen in the history (`history search`,
//! `history show`), and downlinks published by anyone are kept there.

use std::path::Path;
use std::time::{Duration, Instant};

use helium_bridge_core::bridge::{WatchPhase, WatchState, DOWN_FILTER};
use helium_bridge_core::control::{Reply, Request};
use helium_bridge_core::domain::Integration;
use helium_bridge_core::monitor::MessageRow;

use crate::access::{unexpected, Access};
use crate::Result;

/// How long the command waits for the monitor to connect (provisioning its identity included,
/// and a failed first attempt tried again) before it says how it is doing.
const CONNECT_WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);
/// `--follow`: how often the history is read, and the watch's state.
const FOLLOW_POLL: Duration = Duration::from_millis(500);
const STATE_EVERY: Duration = Duration::from_secs(2);
/// How long after a later echo's an echo's mark may be written (the history writes marks in
/// batches): `--follow` looks back this far again.
const LATE_MARK_MS: i64 = 5_000;
/// Messages read at once.
const FOLLOW_PAGE: usize = 500;

pub fn watch(access: &Access, id_or_name: &str, off: bool) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    if off {
        return stop(access, &i);
    }
    start(access, &i, false).map(|_| ())
}

/// Starts the watch and says how it is doing once it is up (or still is not, after a while).
/// Failing is an error, but to one following it (it keeps trying).
fn start(access: &Access, i: &Integration, following: bool) -> Result<WatchPhase> {
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
            Ok(state.phase)
        }
        WatchPhase::Connecting => {
            out!("still connecting to AWS for integration {:?}: {}", i.name, state.detail);
            match following {
                true => note!("what AWS carries shows here once it is connected; {stop}"),
                false => note!("run this command again to see how it is doing; {stop}"),
            }
            Ok(state.phase)
        }
        WatchPhase::Failing => {
            let failing = format!(
                "watching AWS for integration {:?} fails: {} (it keeps trying; {stop})",
                i.name, state.detail
            );
            match following {
                true => {
                    note!("{failing}");
                    Ok(state.phase)
                }
                false => Err(failing.into()),
            }
        }
    }
}

/// `--follow`: starts the watch, then prints what AWS carries as the history records it (each
/// uplink once AWS echoed it, each downlink published on a down topic), until Ctrl-C or the
/// watch stops; and how the watch is doing when that changes. Reads the history file beside
/// the bridge, as `history search` does.
pub fn follow(dir: &Path, access: &Access, id_or_name: &str) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    let history = crate::history::open(dir)?;
    // What AWS carries from the moment the command was given.
    let started = helium_bridge_core::now_ms();
    let mut downlinks_after = history.last_id()?;
    let names = crate::history::Names::read(dir);
    let mut phase = start(access, &i, true)?;
    note!(
        "following what AWS carries for integration {:?}: Ctrl-C to stop following (the watch goes on)",
        i.name
    );
    // The last echo printed; and those printed lately, as an echo's mark may be written a
    // moment after a later one's.
    let mut last_echo: Option<(i64, i64)> = None;
    let mut shown = std::collections::HashMap::new();
    let mut last_check = Instant::now();
    loop {
        std::thread::sleep(FOLLOW_POLL);
        if last_check.elapsed() >= STATE_EVERY {
            last_check = Instant::now();
            let states =
                states(access).map_err(|e| format!("lost the running bridge ({e}); the watch ends with it"))?;
            let Some(now) = mine(states, &i.id) else {
                out!(
                    "the watch of integration {:?} stopped (by the desktop app, `integration watch --off` or the \
                     bridge stopping)",
                    i.name
                );
                return Ok(());
            };
            if phase != now.phase {
                note!("the watch is {}", text(Some(&Some(now.clone())), &i.topic));
                phase = now.phase;
            }
        }
        let mut new = Vec::new();
        let from = last_echo.map_or(started, |(at, _)| (at - LATE_MARK_MS).max(started));
        let mut after = None;
        loop {
            let page = history.echoes(&i.id, from, after, FOLLOW_PAGE)?;
            after = page.last().map(|r| (r.seen_ms.unwrap_or_default(), r.id));
            let full = page.len() == FOLLOW_PAGE;
            new.extend(page.into_iter().filter(|r| !shown.contains_key(&r.id)));
            if !full {
                break;
            }
        }
        loop {
            let page = history.aws_downlinks(&i.id, downlinks_after, FOLLOW_PAGE)?;
            downlinks_after = page.last().map_or(downlinks_after, |r| r.id);
            let full = page.len() == FOLLOW_PAGE;
            new.extend(page);
            if !full {
                break;
            }
        }
        // In the order AWS carried them.
        let at = |r: &MessageRow| r.seen_ms.unwrap_or(r.at_ms);
        new.sort_by_key(|r| (at(r), r.id));
        for r in &new {
            out!("{}", followed(r, at(r), &names));
            if let Some(seen) = r.seen_ms {
                shown.insert(r.id, seen);
                last_echo = last_echo.max(Some((seen, r.id)));
            }
        }
        if let Some((last, _)) = last_echo {
            shown.retain(|_, seen| *seen >= last - LATE_MARK_MS);
        }
    }
}

/// One line of `--follow`: when AWS had it, the message's id (`history show`), and what it was.
fn followed(r: &MessageRow, at: i64, names: &crate::history::Names) -> String {
    let device = names.device(r).unwrap_or("-");
    let topic = r.topic.as_deref().unwrap_or("-");
    let what = match r.kind.as_str() {
        "aws_downlink" => format!("downlink  {device}  published on {topic} ({} B)", r.size),
        kind => format!(
            "{kind}  {device}  arrived on {topic} {} ms after the bridge took it in (uuid {})",
            crate::history::seen_after_ms(r, at),
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
