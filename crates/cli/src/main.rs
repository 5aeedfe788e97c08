//! `helium-aws-bridge`: the headless bridge for servers. No GUI dependencies.

#[macro_use]
mod output;
mod access;
mod bytes;
mod decoders;
mod devices;
mod health;
mod history;
mod integrations;
mod labels;
mod payload;
mod run;
mod sources;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use helium_bridge_core::{resolve_data_dir, store::SCHEMA_VERSION};

/// What every subcommand returns; the error is printed as `error: <message>`, exit status 1.
pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Parser)]
#[command(
    name = "helium-aws-bridge",
    version,
    about = "Bridge Helium LoRaWAN devices to AWS IoT Core, headless"
)]
struct Cli {
    /// Where the bridge keeps its database [default: $HELIUM_AWS_BRIDGE_DATA_DIR, else the
    /// platform data directory]. While the desktop app or `run` holds it, commands go to them.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the data directory, its schema version and what it holds.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Helium-side sources of uplinks: ChirpStack MQTT, legacy Helium MQTT, HTTP webhook.
    #[command(subcommand)]
    Source(sources::SourceCmd),
    /// AWS IoT Core integrations that uplinks are forwarded to.
    #[command(subcommand)]
    Integration(integrations::IntegrationCmd),
    /// Labels: a device's uplinks go to every integration that shares a label with it.
    #[command(subcommand)]
    Label(labels::LabelCmd),
    /// Devices the bridge has heard from (or that were labelled by DevEUI).
    #[command(subcommand)]
    Device(devices::DeviceCmd),
    /// Decoders: attached to labels, they add `decoded` to their devices' uplinks.
    #[command(subcommand)]
    Decoder(decoders::DecoderCmd),
    /// The messages the bridge kept: search them, show one with its JSON, export them.
    #[command(subcommand)]
    History(history::HistoryCmd),
    /// Run the bridge in the foreground until SIGINT (Ctrl-C) or SIGTERM; events go to stderr.
    Run {
        /// Uplinks waiting for AWS at which new ones are refused (left with their source,
        /// never dropped); a warning comes at 80 %.
        #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(i64).range(1..))]
        outbox_max: i64,
        /// Warn when the oldest waiting uplink is older than this many seconds (0 would warn of
        /// every uplink).
        #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
        outbox_warn_age: u64,
        /// Uplinks an MQTT source's broker may send before the bridge has stored and
        /// acknowledged them (MQTT 5 Receive Maximum): the burst the bridge absorbs while the
        /// broker's own queue (mosquitto: 1000 per client) stays empty.
        #[arg(long, value_name = "N", default_value_t = helium_bridge_core::bridge::DEFAULT_LNS_WINDOW,
              value_parser = clap::value_parser!(u16).range(1..))]
        lns_window: u16,
    },
    /// Follow the bridge's events live (works while `run` holds the data directory).
    Monitor {
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
        /// Start after this event id (0 = print the whole stored history first)
        /// [default: the newest event, so only new ones are printed].
        #[arg(long, value_name = "N")]
        since_id: Option<i64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            note!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result {
    let dir = resolve_data_dir(cli.data_dir)?;
    record_crashes(&dir);
    match cli.command {
        // These two manage the lock (or, for monitor, never take it) themselves.
        Command::Run {
            outbox_max,
            outbox_warn_age,
            lns_window,
        } => return run::run(&dir, outbox_max, outbox_warn_age, lns_window),
        Command::Monitor { json, since_id } => return run::monitor(&dir, json, since_id),
        // Reads its own file beside whoever holds the data directory.
        Command::History(cmd) => return history::dispatch(&dir, cmd),
        // Trying a script reads nothing of the data directory.
        Command::Decoder(decoders::DecoderCmd::Test {
            decoder: None,
            kind,
            script,
            payload,
            port,
        }) => return decoders::test_unsaved(kind, script, payload, port),
        _ => {}
    }
    // A data directory named for the first time (or mistyped) starts empty: `status` says so.
    let new = !dir.join(helium_bridge_core::datadir::DB_FILE).exists();
    let access = access::Access::open(&dir)?;
    match cli.command {
        Command::Status { json } => status(&dir, new, &access, json),
        Command::Source(cmd) => sources::dispatch(&access, cmd),
        Command::Integration(cmd) => integrations::dispatch(&dir, &access, cmd),
        Command::Label(cmd) => labels::dispatch(&access, cmd),
        Command::Device(cmd) => devices::dispatch(&access, cmd),
        Command::Decoder(cmd) => decoders::dispatch(&access, cmd),
        Command::Run { .. } | Command::Monitor { .. } | Command::History(_) => unreachable!("handled above"),
    }
}

fn status(dir: &std::path::Path, new: bool, access: &access::Access, json: bool) -> Result {
    // (Before the store is taken: without a running bridge, health reads it too.)
    let mut health: Vec<_> = health::read(access).into_values().collect();
    health.sort_by(|a, b| a.name.cmp(&b.name));
    let store = access.store();
    let running = access.local().is_none();
    let (sources, integrations, labels, devices) = (
        store.list_sources()?.len(),
        store.list_integrations()?.len(),
        store.list_labels()?.len(),
        store.list_devices()?.len(),
    );
    if json {
        let v = serde_json::json!({
            "data_dir": dir,
            "created": new,
            "bridge_running_elsewhere": running,
            "schema_version": store.schema_version()?,
            "sources": sources,
            "integrations": integrations,
            "labels": labels,
            "devices": devices,
            "health": health,
        });
        out!("{v}");
    } else {
        out!("data dir:       {}", dir.display());
        if new {
            out!("                created now: nothing was set up here before (check --data-dir if you expected settings)");
        }
        if running {
            out!("in use by:      a running bridge (the desktop app or `run`); changes go to it");
        }
        out!("schema version: {} (latest {SCHEMA_VERSION})", store.schema_version()?);
        out!("sources:        {sources}");
        out!("integrations:   {integrations}");
        // What the app's badges say: whether AWS takes the uplinks.
        for h in &health {
            out!("  {:?}: {}", h.name, health::text(h));
        }
        out!("labels:         {labels}");
        out!("devices:        {devices}");
    }
    Ok(())
}

/// A panic is printed as usual and also appended to `crash.log` in the data directory (message,
/// place, backtrace), for bug reports. What is printed never holds secrets: the types that carry
/// them redact themselves.
fn record_crashes(dir: &std::path::Path) {
    let path = dir.join(CRASH_LOG);
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let backtrace = std::backtrace::Backtrace::force_capture();
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
        if let Ok(mut f) = file {
            use std::io::Write;
            let _ = writeln!(
                f,
                "{} helium-aws-bridge {} crashed: {info}\n{backtrace}",
                output::time(helium_bridge_core::now_ms()),
                env!("CARGO_PKG_VERSION")
            );
        }
    }));
}

/// The async runtime a command runs the core on. Multi-threaded: the core uses
/// `block_in_place` around the store.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Where crashes are recorded, in the data directory.
pub const CRASH_LOG: &str = "crash.log";

/// A path argument as the absolute path the store keeps (the bridge may run elsewhere).
pub fn path_arg(p: &std::path::Path) -> Result<String> {
    let abs = std::path::absolute(p).map_err(|e| format!("cannot use the path {}: {e}", p.display()))?;
    abs.to_str()
        .map(str::to_string)
        .ok_or_else(|| format!("the path {} is not valid UTF-8", abs.display()).into())
}
