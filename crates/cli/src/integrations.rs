//! `integration add|list|show|enable|disable|remove`: AWS IoT Core destinations.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use helium_bridge_core::domain::{EndpointOverride, Integration, IntegrationKind, NewIntegration};
use helium_bridge_core::validate::Invalid;
use helium_bridge_core::{Core, Store};

use crate::{output, path_arg, Result};

#[derive(Subcommand)]
pub enum IntegrationCmd {
    /// Add an AWS IoT Core integration.
    Add(AddIntegration),
    /// List the integrations.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one integration with its labels.
    Show {
        #[arg(value_name = "NAME|ID")]
        integration: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Resume forwarding to an integration.
    Enable {
        #[arg(value_name = "NAME|ID")]
        integration: String,
    },
    /// Stop forwarding to an integration (its settings and labels are kept).
    Disable {
        #[arg(value_name = "NAME|ID")]
        integration: String,
    },
    /// Remove an integration, its label links and any uplinks still waiting for it.
    Remove {
        #[arg(value_name = "NAME|ID")]
        integration: String,
    },
}

#[derive(Args)]
pub struct AddIntegration {
    /// A name for the integration, unique among integrations.
    name: String,
    /// AWS region code, e.g. us-east-1.
    #[arg(long, value_name = "R")]
    region: String,
    /// MQTT topic uplinks are published to, e.g. helium/uplinks.
    #[arg(long, value_name = "T")]
    topic: String,
    /// Override the AWS IoT data endpoint (custom domain, private endpoint) [default port 8883].
    #[arg(long, value_name = "HOST[:PORT]")]
    endpoint: Option<String>,
    /// PEM file of the CA that signs the endpoint's certificate [default: Amazon's root CAs].
    #[arg(long, value_name = "F")]
    ca_file: Option<PathBuf>,
    /// Folder of device certificates made in AWS: {device_id}.cert.pem and {device_id}.key.pem.
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// Forward join events too (as "type": "join").
    #[arg(long)]
    forward_joins: bool,
}

pub fn dispatch(core: &Core, cmd: IntegrationCmd) -> Result {
    let store = core.store();
    match cmd {
        IntegrationCmd::Add(a) => {
            let (host, port) = match a.endpoint.as_deref() {
                Some(e) => split_endpoint(e)?,
                None => (None, None),
            };
            let endpoint = EndpointOverride {
                host,
                port,
                ca_file: a.ca_file.as_deref().map(path_arg).transpose()?,
                cert_dir: a.cert_dir.as_deref().map(path_arg).transpose()?,
                api_url: None,
            };
            let new = NewIntegration {
                kind: IntegrationKind::AwsIotCore,
                name: a.name,
                region: a.region,
                topic: a.topic,
                endpoint,
                forward_joins: a.forward_joins,
            };
            let i = store.create_integration(&new)?;
            out!("added integration {:?} (id {})", i.name, i.id);
        }
        IntegrationCmd::List { json } => {
            let all = store.list_integrations()?;
            if json {
                output::json(&all);
            } else if all.is_empty() {
                eprintln!("no integrations yet; add one with `helium-aws-bridge integration add`");
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|i| {
                        let labels = store.integration_labels(&i.id).map(|l| names(&l))?;
                        Ok(vec![
                            i.name.clone(),
                            enabled(i.active).into(),
                            i.region.clone(),
                            i.topic.clone(),
                            endpoint_text(i),
                            output::or_dash(Some(&labels)),
                            i.id.clone(),
                        ])
                    })
                    .collect::<Result<_>>()?;
                output::table(&["NAME", "STATE", "REGION", "TOPIC", "ENDPOINT", "LABELS", "ID"], &rows);
            }
        }
        IntegrationCmd::Show { integration, json } => {
            let i = store.find_integration(&integration)?;
            let labels = store.integration_labels(&i.id)?;
            let waiting = store.integration_outbox_len(&i.id)?;
            if json {
                let mut v = serde_json::to_value(&i)?;
                v["labels"] = serde_json::to_value(&labels)?;
                v["outbox_entries"] = waiting.into();
                output::json(&v);
            } else {
                let e = &i.endpoint;
                output::fields(&[
                    ("name", i.name.clone()),
                    ("id", i.id.clone()),
                    ("kind", "AWS IoT Core".into()),
                    ("state", enabled(i.active).into()),
                    ("region", i.region.clone()),
                    ("topic", i.topic.clone()),
                    ("endpoint", endpoint_text(&i)),
                    ("CA file", e.ca_file.clone().unwrap_or_else(|| "Amazon root CAs".into())),
                    ("certificates", e.cert_dir.clone().unwrap_or_else(|| "-".into())),
                    ("forward joins", output::yes_no(i.forward_joins)),
                    ("labels", output::or_dash(Some(&names(&labels)))),
                    ("waiting", format!("{waiting} uplink(s)")),
                    ("created", format!("{}Z", output::time(i.created_at_ms))),
                    ("updated", format!("{}Z", output::time(i.updated_at_ms))),
                ]);
            }
        }
        IntegrationCmd::Enable { integration } => set_active(&store, &integration, true)?,
        IntegrationCmd::Disable { integration } => set_active(&store, &integration, false)?,
        IntegrationCmd::Remove { integration } => {
            let i = store.find_integration(&integration)?;
            let waiting = store.integration_outbox_len(&i.id)?;
            store.remove_integration(&i.id)?;
            let dropped = if waiting > 0 {
                format!("; {waiting} waiting uplink(s) were dropped")
            } else {
                String::new()
            };
            out!("removed integration {:?}{dropped}", i.name);
        }
    }
    Ok(())
}

fn set_active(store: &Store, id_or_name: &str, active: bool) -> Result {
    let i = store.find_integration(id_or_name)?;
    if i.active == active {
        out!("integration {:?} is already {}", i.name, enabled(active));
    } else {
        store.set_integration_active(&i.id, active)?;
        out!(
            "{} integration {:?}",
            if active { "enabled" } else { "disabled" },
            i.name
        );
    }
    Ok(())
}

fn enabled(active: bool) -> &'static str {
    if active {
        "enabled"
    } else {
        "disabled"
    }
}

fn names(labels: &[helium_bridge_core::domain::Label]) -> String {
    labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn endpoint_text(i: &Integration) -> String {
    match (&i.endpoint.host, i.endpoint.port) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.clone(),
        (None, Some(p)) => format!("(from AWS):{p}"),
        (None, None) => "(from AWS)".into(),
    }
}

/// `HOST` or `HOST:PORT`; the store checks the host and the port range.
fn split_endpoint(e: &str) -> Result<(Option<String>, Option<u16>)> {
    match e.rsplit_once(':') {
        None => Ok((Some(e.to_string()), None)),
        Some((host, port)) => {
            let port = port.parse::<u16>().map_err(|_| Invalid {
                field: "endpoint",
                reason: format!("{e:?} is not HOST or HOST:PORT with a port from 1 to 65535"),
            })?;
            Ok((Some(host.to_string()), Some(port)))
        }
    }
}
