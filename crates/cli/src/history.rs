//! `history search|show|export`: the messages the bridge kept. Read from the history file
//! directly, beside a running bridge or not (SQLite's WAL lets readers beside the writer).

use std::path::Path;

use clap::{Args, Subcommand};
use helium_bridge_core::control::{Reply, Request};
use helium_bridge_core::datadir::DB_FILE;
use helium_bridge_core::monitor::{self, Direction, ExportFormat, History, MessageFilter, MessageRow, HISTORY_FILE};
use helium_bridge_core::store::{HISTORY_DAYS, HISTORY_MAX_MB};
use helium_bridge_core::Store;

use crate::{output, Result};

#[derive(Subcommand)]
pub enum HistoryCmd {
    /// List the newest messages that match, newest first.
    Search {
        #[command(flatten)]
        filter: FilterArgs,
        /// How many.
        #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one message with the JSON that went to AWS (or came from it) and its source event.
    Show {
        /// The message id (the first column of `history search`).
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write every message that matches, newest first, as CSV or NDJSON.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        /// CSV (one row a message, as History lists them) or NDJSON (one JSON object a line).
        #[arg(long, value_name = "csv|ndjson")]
        format: ExportFormat,
        /// The file to write [default: stdout].
        #[arg(long, short, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Print how long messages are kept, or change it (as the desktop app's Settings does;
    /// beside a running bridge it applies at once).
    Retention {
        /// Remove messages older than this many days (1 to 365).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(
            i64::from(*HISTORY_DAYS.start())..=i64::from(*HISTORY_DAYS.end())))]
        days: Option<u32>,
        /// Beyond this many MiB, remove the oldest messages (10 to 100000).
        #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(
            i64::from(*HISTORY_MAX_MB.start())..=i64::from(*HISTORY_MAX_MB.end())))]
        max_mb: Option<u32>,
    },
}

#[derive(Args)]
pub struct FilterArgs {
    /// Only this kind (uplink, join, downlink, shadow_update, uplink_rejected, …); repeatable.
    #[arg(long, value_name = "KIND")]
    kind: Vec<String>,
    /// Only this level (info, warn, error); repeatable.
    #[arg(long, value_name = "LEVEL")]
    level: Vec<String>,
    /// Only this direction.
    #[arg(long, value_name = "up|down|none")]
    direction: Option<String>,
    /// A device's id, DevEUI or name.
    #[arg(long, value_name = "DEVICE")]
    device: Option<String>,
    /// An integration's name or id.
    #[arg(long, value_name = "INTEGRATION")]
    integration: Option<String>,
    /// Part of the topic.
    #[arg(long, value_name = "TEXT")]
    topic: Option<String>,
    /// Part of the message's text or JSON (any case).
    #[arg(long, value_name = "TEXT")]
    text: Option<String>,
    /// Only the last while: 30s, 15m, 2h, 7d.
    #[arg(long, value_name = "DURATION", conflicts_with = "from")]
    since: Option<String>,
    /// From this time (RFC 3339, e.g. 2026-12-04T10:00:00Z), or this date's start (2026-12-04, UTC).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Up to this time, or this date's start (UTC), as --from.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
}

fn duration_ms(s: &str) -> Result<i64> {
    let bad = || format!("--since {s:?}: give a number and a unit, e.g. 30s, 15m, 2h or 7d");
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = match n.parse() {
        Ok(n) => n,
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
            return Err(format!("--since {s:?} is longer than any history kept; give e.g. 30d").into())
        }
        Err(_) => return Err(bad().into()),
    };
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad().into()),
    };
    Ok(n.saturating_mul(unit_ms))
}

fn time_ms(flag: &str, s: &str) -> Result<i64> {
    monitor::parse_time(s).map_err(|_| {
        format!("{flag} {s:?} is not a time like 2026-12-04T10:00:00Z (RFC 3339) or a date like 2026-12-04").into()
    })
}

impl FilterArgs {
    fn filter(self, dir: &Path) -> Result<MessageFilter> {
        let directions = match self.direction.as_deref() {
            None => vec![],
            Some(d @ ("up" | "down" | "none")) => vec![Direction::parse(d)],
            Some(other) => return Err(format!("--direction {other:?}: use up, down or none").into()),
        };
        for level in &self.level {
            if !["info", "warn", "error"].contains(&level.as_str()) {
                return Err(format!("--level {level:?}: use info, warn or error").into());
            }
        }
        let integration_id = match self.integration {
            None => None,
            Some(name) => {
                let store = Store::open_reader(&dir.join(DB_FILE))?;
                Some(store.find_integration(&name)?.id)
            }
        };
        let from_ms = match (&self.since, &self.from) {
            (Some(d), _) => Some(helium_bridge_core::now_ms() - duration_ms(d)?),
            (None, Some(t)) => Some(time_ms("--from", t)?),
            (None, None) => None,
        };
        let to_ms = self.until.as_deref().map(|t| time_ms("--until", t)).transpose()?;
        if let (Some(from), Some(to)) = (from_ms, to_ms) {
            if from > to {
                let since = if self.since.is_some() { "--since" } else { "--from" };
                return Err(format!("{since} is after --until: no message can match; swap them").into());
            }
        }
        Ok(MessageFilter {
            // Kinds are lower case (uplink, join, …); `UPLINK` means the same.
            kinds: self.kind.iter().map(|k| k.trim().to_ascii_lowercase()).collect(),
            levels: self.level,
            directions,
            device: self.device,
            integration_id,
            topic: self.topic,
            text: self.text,
            from_ms,
            to_ms,
        })
    }
}

pub(crate) fn open(dir: &Path) -> Result<History> {
    let path = dir.join(HISTORY_FILE);
    if !path.exists() {
        return Err(format!(
            "no message history in {} yet: it starts when the bridge (the app or `run`) first runs",
            dir.display()
        )
        .into());
    }
    Ok(History::open_read_only(&path)?)
}

/// Device and integration names by id, from the bridge's database (empty when it cannot be
/// read): an event keeps a device's id only, and an uplink its name as it was then.
#[derive(Default)]
pub(crate) struct Names {
    devices: std::collections::HashMap<String, String>,
    integrations: std::collections::HashMap<String, String>,
}

impl Names {
    pub(crate) fn read(dir: &Path) -> Names {
        let Ok(store) = Store::open_reader(&dir.join(DB_FILE)) else {
            return Names::default();
        };
        Names {
            devices: store
                .list_devices()
                .map(|all| all.into_iter().map(|d| (d.id, d.name)).collect())
                .unwrap_or_default(),
            integrations: store
                .list_integrations()
                .map(|all| all.into_iter().map(|i| (i.id, i.name)).collect())
                .unwrap_or_default(),
        }
    }

    /// The row's device as a user knows it: the name it had, else the one the bridge knows now,
    /// else its id.
    pub(crate) fn device<'a>(&'a self, r: &'a MessageRow) -> Option<&'a str> {
        r.device_name.as_deref().or_else(|| {
            let id = r.device_id.as_deref()?;
            Some(self.devices.get(id).map_or(id, String::as_str))
        })
    }
}

/// How long after the bridge took an uplink in AWS echoed it back to the integration's watch
/// (`integration watch`) at `seen_ms`, as the desktop's detail says it.
pub(crate) fn seen_after_ms(r: &MessageRow, seen_ms: i64) -> i64 {
    (seen_ms - r.at_ms).max(0)
}

fn row_cells(r: &MessageRow, names: &Names) -> Vec<String> {
    let arrow = match r.direction {
        Direction::Up => "up",
        Direction::Down => "down",
        Direction::None => "-",
    };
    let device = names.device(r);
    vec![
        r.id.to_string(),
        format!("{}Z", output::time(r.at_ms)),
        r.kind.clone(),
        arrow.into(),
        r.level.clone(),
        output::or_dash(device),
        output::or_dash(r.topic.as_deref()),
        r.text.clone(),
    ]
}

/// When nothing matched: the --kind values and the --device no kept message has, as a hint (a
/// misspelt kind or device matches nothing, silently).
fn unknown_filters(dir: &Path, history: &monitor::History, filter: &MessageFilter) -> Result<String> {
    let mut hints = Vec::new();
    let missing = history.kinds_never_kept(&filter.kinds)?;
    if !missing.is_empty() {
        hints.push(format!(
            "no kept message is of kind {}: check the spelling, e.g. uplink, join, downlink",
            missing
                .iter()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if let Some(d) = filter.device.as_deref().filter(|d| !d.trim().is_empty()) {
        if !history.device_kept(d)? {
            // A device the bridge knows that has sent nothing kept (registered by DevEUI and not
            // heard yet, or its messages gone with the retention) is not a misspelling.
            let known = Store::open_reader(&dir.join(DB_FILE)).is_ok_and(|s| s.find_device(d.trim()).is_ok());
            hints.push(if known {
                format!(
                    "device {:?} has no kept message: it has not been heard since the history began, or its \
                     messages are older than the retention",
                    d.trim()
                )
            } else {
                format!(
                    "no kept message is about a device {:?}: give its id, DevEUI or name as `device list` shows them",
                    d.trim()
                )
            });
        }
    }
    Ok(match hints.is_empty() {
        true => String::new(),
        false => format!(" ({})", hints.join("; ")),
    })
}

pub fn dispatch(dir: &Path, cmd: HistoryCmd) -> Result {
    match cmd {
        HistoryCmd::Search { filter, limit, json } => {
            let filter = filter.filter(dir)?;
            let history = open(dir)?;
            let page = history.search(&filter, None, limit as usize)?;
            if json {
                for r in &page.rows {
                    out!("{}", serde_json::to_string(r)?);
                }
            } else if page.rows.is_empty() {
                note!("no messages match{}", unknown_filters(dir, &history, &filter)?);
            } else {
                let names = Names::read(dir);
                let mut rows: Vec<Vec<String>> = page.rows.iter().map(|r| row_cells(r, &names)).collect();
                let mut headers = vec!["ID", "TIME", "KIND", "DIR", "LEVEL", "DEVICE", "TOPIC", "TEXT"];
                // Only once AWS was watched: a column empty in every row says nothing.
                if page.rows.iter().any(|r| r.seen_ms.is_some()) {
                    headers.insert(7, "SEEN ON AWS");
                    for (cells, r) in rows.iter_mut().zip(&page.rows) {
                        cells.insert(
                            7,
                            r.seen_ms
                                .map(|at| format!("after {} ms", seen_after_ms(r, at)))
                                .unwrap_or_default(),
                        );
                    }
                }
                output::table(&headers, &rows);
                if page.next.is_some() {
                    note!("(the newest {limit}; more match: narrow the search or raise --limit)");
                }
            }
        }
        HistoryCmd::Show { id, json } => {
            let m = open(dir)?
                .get(id)?
                .ok_or_else(|| format!("no message {id} in the history (retention may have removed it)"))?;
            if json {
                output::json(&m);
            } else {
                let r = &m.row;
                let names = Names::read(dir);
                let integration = r.integration_id.as_deref().map(|id| match names.integrations.get(id) {
                    Some(name) => format!("{name} ({id})"),
                    None => id.to_string(),
                });
                let mut fields = vec![
                    ("id", r.id.to_string()),
                    ("time", format!("{}Z", output::time(r.at_ms))),
                    ("kind", r.kind.clone()),
                    ("direction", r.direction.as_str().into()),
                    ("level", r.level.clone()),
                    (
                        "device",
                        output::or_dash(names.device(r).filter(|d| Some(*d) != r.device_id.as_deref())),
                    ),
                    ("device id", output::or_dash(r.device_id.as_deref())),
                    ("DevEUI", output::or_dash(r.dev_eui.as_deref())),
                    ("integration", output::or_dash(integration.as_deref())),
                    ("topic", output::or_dash(r.topic.as_deref())),
                    ("uuid", output::or_dash(r.uuid.as_deref())),
                    ("size", format!("{} bytes", r.size)),
                    ("text", r.text.clone()),
                ];
                // (An uplink not forwarded has no integration: it was never to reach AWS.)
                let sent = r
                    .integration_id
                    .as_deref()
                    .filter(|_| r.kind == "uplink" || r.kind == "join");
                if let Some(id) = sent {
                    let seen = match r.seen_ms {
                        Some(at) => format!(
                            "{}Z ({} ms after the bridge took it in)",
                            output::time(at),
                            seen_after_ms(r, at)
                        ),
                        None => format!(
                            "not yet (uplinks AWS receives are marked while it is watched: \
                             `helium-aws-bridge integration watch {:?}`)",
                            names.integrations.get(id).map_or(id, String::as_str)
                        ),
                    };
                    // (After the topic, as the app's detail has it.)
                    fields.insert(fields.len() - 3, ("seen on AWS", seen));
                }
                output::fields(&fields);
                if let Some(j) = &m.json {
                    out!("\njson (exactly as published or received):\n{j}");
                }
                if let Some(s) = &m.source_event {
                    out!("\nsource event:\n{s}");
                }
            }
        }
        HistoryCmd::Export { filter, format, output } => {
            let filter = filter.filter(dir)?;
            let history = open(dir)?;
            let n = match &output {
                Some(path) => {
                    let file =
                        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    monitor::export(&history, &filter, format, file)?
                }
                None => monitor::export(&history, &filter, format, std::io::stdout().lock())?,
            };
            let why = if n == 0 {
                unknown_filters(dir, &history, &filter)?
            } else {
                String::new()
            };
            match output {
                Some(path) => note!("exported {n} message(s) to {}{why}", path.display()),
                None => note!("exported {n} message(s){why}"),
            }
        }
        HistoryCmd::Retention { days, max_mb } => retention(dir, days, max_mb)?,
    }
    Ok(())
}

fn retention(dir: &Path, days: Option<u32>, max_mb: Option<u32>) -> Result {
    let access = crate::access::Access::open(dir)?;
    let mut settings = access.store().settings()?;
    if days.is_some() || max_mb.is_some() {
        settings.history_days = days.unwrap_or(settings.history_days);
        settings.history_max_mb = max_mb.unwrap_or(settings.history_max_mb);
        settings = match access.call(Request::SettingsSave { settings })? {
            Reply::Settings { settings } => settings,
            other => return Err(crate::access::unexpected(other)),
        };
    }
    out!(
        "messages are kept {} day(s), at most {} MiB (the oldest go first)",
        settings.history_days,
        settings.history_max_mb
    );
    Ok(())
}
