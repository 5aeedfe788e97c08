//! `helium-aws-bridge`: the headless bridge for servers. No GUI dependencies.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use helium_bridge_core::{resolve_data_dir, store::SCHEMA_VERSION, Core};

#[derive(Parser)]
#[command(name = "helium-aws-bridge", version, about = "Bridge Helium LoRaWAN devices to AWS IoT Core, headless")]
struct Cli {
    /// Where the bridge keeps its database [default: $HELIUM_AWS_BRIDGE_DATA_DIR, else the
    /// platform data directory]. The desktop app and the CLI cannot use one at the same time.
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let dir = resolve_data_dir(cli.data_dir)?;
    let core = Core::open(&dir)?;
    match cli.command {
        Command::Status { json } => {
            let store = core.store();
            let (integrations, labels, devices) =
                (store.list_integrations()?.len(), store.list_labels()?.len(), store.list_devices()?.len());
            if json {
                let v = serde_json::json!({
                    "data_dir": core.data_dir(),
                    "schema_version": store.schema_version()?,
                    "integrations": integrations,
                    "labels": labels,
                    "devices": devices,
                });
                println!("{v}");
            } else {
                println!("data dir:       {}", core.data_dir().display());
                println!("schema version: {} (latest {SCHEMA_VERSION})", store.schema_version()?);
                println!("integrations:   {integrations}");
                println!("labels:         {labels}");
                println!("devices:        {devices}");
            }
        }
    }
    Ok(())
}
