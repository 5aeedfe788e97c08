//! `integration add|update|list|show|provision|enable|disable|watch|remove`: AWS IoT Core
//! destinations. Keys are checked with AWS before anything is saved; the secret is read from
//! stdin or an environment variable, never from the command line, and kept in the vault.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use helium_bridge_core::aws::provision::{bus_sink, ProvisionEvent};
use helium_bridge_core::aws::setup::{self, KeysChecked, NewKeys};
use helium_bridge_core::aws::AwsProvisioner;
use helium_bridge_core::control::{Reply, Request};
use helium_bridge_core::domain::{EndpointOverride, IntegrationKind, IntegrationUpdate, NewIntegration};
use helium_bridge_core::events::EventBus;
use helium_bridge_core::validate::Invalid;
use zeroize::Zeroizing;

use crate::access::{unexpected, Access};
use crate::sources::{read_secret, SecretArgs};
use crate::{output, path_arg, Result};
use view::{enabled, list, show};

mod view;
mod watch;

#[derive(Subcommand)]
pub enum IntegrationCmd {
    /// Add an AWS IoT Core integration (the keys are checked with AWS first).
    Add(AddIntegration),
    /// Change an integration's keys, region, topic or endpoints (new settings are checked with
    /// AWS first; a new region provisions its devices again there).
    Update(UpdateIntegration),
    /// List the integrations.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one integration with its labels.
    Show {
        /// The integration's name or id.
        #[arg(value_name = "NAME|ID")]
        integration: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Provision every device that shares a label with the integration now (thing,
    /// certificate, policy), instead of at each device's next uplink.
    Provision {
        /// The integration's name or id.
        #[arg(value_name = "NAME|ID")]
        integration: String,
    },
    /// Resume forwarding to an integration.
    Enable {
        /// The integration's name or id.
        #[arg(value_name = "NAME|ID")]
        integration: String,
    },
    /// Stop forwarding to an integration (its settings and labels are kept).
    Disable {
        /// The integration's name or id.
        #[arg(value_name = "NAME|ID")]
        integration: String,
    },
    /// Watch AWS, as the desktop app's Messages page does, through the running bridge: it
    /// subscribes to the integration's topic and the down topics as the integration's monitor
    /// (with AWS keys, a thing, certificate and policy of its own, removed by the AWS clean-up;
    /// with a certificate folder, helium-bridge-monitor-<id>.cert.pem and .key.pem there), so
    /// uplinks AWS received are marked seen in the history and downlinks published by anyone are
    /// kept. It watches until `--off` or the bridge stops.
    Watch {
        /// The integration's name or id.
        #[arg(value_name = "NAME|ID")]
        integration: String,
        /// Stop watching.
        #[arg(long, conflicts_with = "follow")]
        off: bool,
        /// Then print each uplink as AWS receives it, and each downlink published on the down
        /// topics (and how the watch is doing when that changes), until Ctrl-C (the watch goes
        /// on) or the watch stops.
        #[arg(long)]
        follow: bool,
    },
    /// Choose what the integration's messages carry: `decoded`, ChirpStack's `object`, and
    /// updates of each thing's shadow (unchanged where not given).
    Payload(crate::payload::PayloadArgs),
    /// Remove an integration, its label links and any uplinks still waiting for it (at a terminal,
    /// asked first when some are).
    Remove {
        /// The integration's name or id.
        #[arg(value_name = "NAME|ID")]
        integration: String,
        /// Also delete from AWS the things, certificates and policy the bridge created for it.
        #[arg(long, conflicts_with = "keep_aws")]
        cleanup_aws: bool,
        /// Leave AWS as it is (asked when neither flag is given and stdin is a terminal).
        #[arg(long)]
        keep_aws: bool,
    },
}

/// The IAM user's access key: the id as an option, the secret from stdin or a variable.
#[derive(Args)]
pub struct KeyArgs {
    /// Access key id of the IAM user (e.g. "HeliumIntegrationAccess" with the managed policy
    /// AWSIoTConfigAccess); its secret comes from --secret-stdin or --secret-env.
    #[arg(long, value_name = "ID")]
    access_key_id: Option<String>,
    /// Read the secret access key from one line on stdin (at a terminal: asked for, not shown);
    /// it is kept in the OS keychain.
    #[arg(long, conflicts_with = "secret_env")]
    secret_stdin: bool,
    /// Take the secret access key from this environment variable instead.
    #[arg(long, value_name = "VAR")]
    secret_env: Option<String>,
    /// Send AWS API calls here instead of AWS's own endpoints (a VPC endpoint, a stand-in).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
}

impl KeyArgs {
    fn keys(&self) -> Result<Option<NewKeys>> {
        let secret = read_secret(
            &SecretArgs {
                secret_stdin: self.secret_stdin,
                secret_env: self.secret_env.clone(),
            },
            "secret access key",
        )?;
        match (&self.access_key_id, secret) {
            (None, None) => Ok(None),
            (Some(id), Some(secret)) => {
                let secret = std::str::from_utf8(&secret).map_err(|_| Invalid {
                    field: "secret access key",
                    reason: "it is not valid UTF-8; paste it again".into(),
                })?;
                Ok(Some(NewKeys {
                    access_key_id: id.trim().to_string(),
                    secret_access_key: Zeroizing::new(secret.to_string()),
                }))
            }
            (Some(_), None) => Err(
                "--access-key-id needs its secret: give --secret-stdin or --secret-env VAR \
                                    (never on the command line)"
                    .into(),
            ),
            (None, Some(_)) => Err("a secret access key needs --access-key-id".into()),
        }
    }
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
    #[command(flatten)]
    keys: KeyArgs,
    /// Override the AWS IoT data endpoint (custom domain, private endpoint) [default port 8883].
    #[arg(long, value_name = "HOST[:PORT]")]
    endpoint: Option<String>,
    /// PEM file of the CA that signs the endpoint's certificate [default: Amazon's root CAs].
    #[arg(long, value_name = "F")]
    ca_file: Option<PathBuf>,
    /// Folder of device certificates made in AWS by hand: {device_id}.cert.pem and
    /// {device_id}.key.pem (instead of keys and automatic provisioning).
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// Forward join events too (as "type": "join").
    #[arg(long)]
    forward_joins: bool,
}

#[derive(Args)]
pub struct UpdateIntegration {
    /// The integration's name or id.
    #[arg(value_name = "NAME|ID")]
    integration: String,
    /// A new name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Move the integration to this region; its devices are provisioned again there.
    #[arg(long, value_name = "R")]
    region: Option<String>,
    /// A new MQTT topic for the uplinks, e.g. helium/uplinks.
    #[arg(long, value_name = "T")]
    topic: Option<String>,
    #[command(flatten)]
    keys: KeyArgs,
    /// Use AWS's own API endpoints again (drop --api-url).
    #[arg(long, conflicts_with = "api_url")]
    no_api_url: bool,
    /// Override the AWS IoT data endpoint (custom domain, private endpoint) [default port 8883].
    #[arg(long, value_name = "HOST[:PORT]")]
    endpoint: Option<String>,
    /// PEM file of the CA that signs the endpoint's certificate.
    #[arg(long, value_name = "F")]
    ca_file: Option<PathBuf>,
    /// Forward join events too (as "type": "join").
    #[arg(long, value_enum)]
    forward_joins: Option<crate::payload::Switch>,
}

pub fn dispatch(dir: &std::path::Path, access: &Access, cmd: IntegrationCmd) -> Result {
    match cmd {
        IntegrationCmd::Add(a) => add(access, a),
        IntegrationCmd::Update(u) => update(access, u),
        IntegrationCmd::List { json } => list(access, json),
        IntegrationCmd::Show { integration, json } => show(access, &integration, json),
        IntegrationCmd::Provision { integration } => provision(access, &integration),
        IntegrationCmd::Enable { integration } => set_active(access, &integration, true),
        IntegrationCmd::Disable { integration } => set_active(access, &integration, false),
        IntegrationCmd::Watch {
            integration,
            off,
            follow,
        } => match follow {
            true => watch::follow(dir, access, &integration),
            false => watch::watch(access, &integration, off),
        },
        IntegrationCmd::Payload(p) => crate::payload::set(access, p),
        IntegrationCmd::Remove {
            integration,
            cleanup_aws,
            keep_aws,
        } => remove(access, &integration, cleanup_aws, keep_aws),
    }
}

fn add(access: &Access, a: AddIntegration) -> Result {
    let (host, port) = match a.endpoint.as_deref() {
        Some(e) => split_endpoint(e)?,
        None => (None, None),
    };
    let endpoint = EndpointOverride {
        host,
        port,
        ca_file: a.ca_file.as_deref().map(path_arg).transpose()?,
        cert_dir: a.cert_dir.as_deref().map(path_arg).transpose()?,
        api_url: a.keys.api_url.clone(),
    };
    let keys = a.keys.keys()?;
    if keys.is_some() && endpoint.cert_dir.is_some() {
        return Err(
            "give either --access-key-id (automatic provisioning) or --cert-dir (certificates made by \
                    hand), not both"
                .into(),
        );
    }
    let new = NewIntegration {
        kind: IntegrationKind::AwsIotCore,
        name: a.name,
        region: a.region,
        topic: a.topic,
        endpoint,
        forward_joins: a.forward_joins,
    };
    let (i, checked) = match access.call(Request::IntegrationAdd {
        new,
        keys: keys.map(Into::into),
    })? {
        Reply::IntegrationAdded { integration, checked } => (integration, checked),
        other => return Err(unexpected(other)),
    };
    if let Some(c) = &checked {
        print_checked(c);
    }
    out!("added integration {:?} (id {})", i.name, i.id);
    if checked.is_some() {
        note!(
            "its secret access key is in the {}; devices that share a label with it are provisioned in AWS \
             when their uplinks arrive (or now: `helium-aws-bridge integration provision {:?}`)",
            helium_bridge_core::vault::name(),
            i.name
        );
    }
    Ok(())
}

fn print_checked(c: &KeysChecked) {
    note!(
        "keys checked with AWS: account {}, {}; IoT data endpoint {}",
        c.account.account,
        c.account.user_arn,
        c.data_endpoint
    );
}

fn update(access: &Access, u: UpdateIntegration) -> Result {
    let current = access.store().find_integration(&u.integration)?;
    let mut endpoint = current.endpoint.clone();
    let mut endpoint_changed = false;
    if let Some(e) = &u.endpoint {
        (endpoint.host, endpoint.port) = split_endpoint(e)?;
        endpoint_changed = true;
    }
    if let Some(ca) = &u.ca_file {
        endpoint.ca_file = Some(path_arg(ca)?);
        endpoint_changed = true;
    }
    if u.keys.api_url.is_some() || u.no_api_url {
        endpoint.api_url = u.keys.api_url.clone();
        endpoint_changed = true;
    }
    let keys = u.keys.keys()?;
    let asked = u.name.is_some() || u.region.is_some() || u.topic.is_some() || u.forward_joins.is_some();
    if !asked && !endpoint_changed && keys.is_none() {
        return Err(
            "nothing to change: give --name, --region, --topic, --endpoint, --ca-file, --api-url, \
                    --no-api-url, --forward-joins or new keys"
                .into(),
        );
    }
    let update = IntegrationUpdate {
        name: u.name,
        region: u.region,
        topic: u.topic,
        endpoint: endpoint_changed.then_some(endpoint),
        forward_joins: u.forward_joins.map(crate::payload::on),
        aws: None,
    };
    let outcome = match access.call(Request::IntegrationUpdate {
        integration: current.id.clone(),
        update,
        keys: keys.map(Into::into),
    })? {
        Reply::IntegrationUpdated { outcome } => outcome,
        other => return Err(unexpected(other)),
    };
    if let Some(c) = &outcome.checked {
        print_checked(c);
    }
    out!("updated integration {:?}", outcome.integration.name);
    if outcome.keys_changed {
        note!(
            "the new secret access key replaced the old one in the {}",
            helium_bridge_core::vault::name()
        );
    }
    if outcome.region_changed && outcome.integration.aws.is_none() {
        // Nothing to provision: it connects with the certificates in its folder.
        note!(
            "region now {}: this integration connects with the certificates in its folder, so nothing is \
             provisioned; make sure its endpoint ({}) is in {} too",
            outcome.integration.region,
            output::or_dash(outcome.integration.endpoint.host.as_deref()),
            outcome.integration.region
        );
    } else if outcome.region_changed {
        note!(
            "moved from {} to {}: its devices are provisioned again in {} as they next connect (or now: \
             `helium-aws-bridge integration provision {:?}`); their things and certificates in {} are left as they are",
            current.region,
            outcome.integration.region,
            outcome.integration.region,
            outcome.integration.name,
            current.region
        );
    }
    Ok(())
}

fn provision(access: &Access, id_or_name: &str) -> Result {
    let Some((core, rt)) = access.local() else {
        // The running bridge provisions; its steps are events in its log.
        return match access.call(Request::IntegrationProvision {
            integration: id_or_name.to_string(),
        })? {
            Reply::ProvisioningStarted { integration } => {
                out!(
                    "the running bridge is provisioning the devices of {:?}; follow it with `helium-aws-bridge monitor`",
                    integration.name
                );
                Ok(())
            }
            other => Err(unexpected(other)),
        };
    };
    let i = core.store().find_integration(id_or_name)?;
    if i.aws.is_none() {
        return Err(format!(
            "integration {:?} uses certificates made by hand (a certificate folder); there is nothing to provision",
            i.name
        )
        .into());
    }
    let summary = rt.block_on(async {
        let vault = helium_bridge_core::vault::from_env()?;
        let store_events = bus_sink(EventBus::new(core.clone()));
        let sink = Arc::new(move |e: ProvisionEvent| {
            let who = if e.device_id.is_empty() {
                "-"
            } else {
                e.device_id.as_str()
            };
            note!("{:<5} provisioning  {who}: {}", e.level, e.message);
            store_events(e);
        });
        let provisioner = AwsProvisioner::from_vault(core.clone(), vault).with_events(sink);
        Ok::<_, Box<dyn std::error::Error>>(setup::provision_now(core, &provisioner, &i.id).await?)
    })?;
    out!(
        "provisioned {} device(s) for {:?}; {} failed",
        summary.provisioned.len(),
        i.name,
        summary.failed.len()
    );
    for (device, why) in &summary.failed {
        out!("  {device}: {why}");
    }
    if summary.provisioned.is_empty() && summary.failed.is_empty() {
        note!("no device shares a label with {:?} yet", i.name);
    }
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} device(s) could not be provisioned", summary.failed.len()).into())
    }
}

fn remove(access: &Access, id_or_name: &str, cleanup_aws: bool, keep_aws: bool) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    // Asked at a terminal, as the app's Delete dialog says it (a script gets what the help says).
    let waiting = access.store().integration_outbox_len(&i.id)?;
    if waiting > 0
        && std::io::stdin().is_terminal()
        && !ask(&format!(
            "{waiting} uplink(s) still wait for AWS on {:?}; removing it drops them. Remove it? [y/N] ",
            i.name
        ))?
    {
        out!("kept integration {:?}", i.name);
        return Ok(());
    }
    let cleanup = if cleanup_aws || keep_aws || i.aws.is_none() {
        cleanup_aws
    } else if std::io::stdin().is_terminal() {
        ask(&format!(
            "Also delete from AWS the things, certificates and policy the bridge created for {:?}? [y/N] ",
            i.name
        ))?
    } else {
        return Err(format!(
            "integration {:?} provisioned devices in AWS: say --cleanup-aws to delete its things, certificates \
             and policy there too, or --keep-aws to leave AWS as it is",
            i.name
        )
        .into());
    };
    let outcome = match access.call(Request::IntegrationRemove {
        integration: i.id.clone(),
        cleanup_aws: cleanup,
    })? {
        Reply::IntegrationRemoved { outcome } => outcome,
        other => return Err(unexpected(other)),
    };
    let dropped = if outcome.dropped_uplinks > 0 {
        format!("; {} waiting uplink(s) were dropped", outcome.dropped_uplinks)
    } else {
        String::new()
    };
    if outcome.removed {
        out!("removed integration {:?}{dropped}", outcome.name);
    }
    for w in outcome.warnings.iter().filter(|_| outcome.removed) {
        note!("warning: {w}");
    }
    match &outcome.cleanup {
        None if outcome.left_in_aws.is_empty() => {
            if i.aws.is_some() {
                out!("AWS was not touched; the bridge had created nothing there for it")
            }
        }
        None => {
            out!("AWS was not touched; left in AWS:");
            for what in &outcome.left_in_aws {
                out!("  {what}");
            }
        }
        Some(report) => {
            // One heading per outcome, as the app's report reads ("cleaned up" also covers the
            // secret in the keychain, which is not in AWS).
            if !report.removed.is_empty() {
                out!("cleaned up:");
                for what in &report.removed {
                    out!("  {what}");
                }
            }
            if !report.kept.is_empty() {
                out!("left in AWS on purpose:");
                for (what, why) in &report.kept {
                    out!("  {what}: {why}");
                }
            }
            if !report.failed.is_empty() {
                out!("could not remove:");
                for (what, why) in &report.failed {
                    out!("  {what}: {why}");
                }
            }
            if report.removed.is_empty() && report.kept.is_empty() && report.failed.is_empty() {
                out!("there was nothing in AWS to clean up");
            }
        }
    }
    if !outcome.removed {
        return Err(format!(
            "the cleanup of {:?} failed in part: the integration is kept (disabled); fix the problem and run \
             `helium-aws-bridge integration remove {:?} --cleanup-aws` again, or `--keep-aws` to remove it leaving \
             the rest in AWS",
            outcome.name, outcome.name
        )
        .into());
    }
    Ok(())
}

fn ask(question: &str) -> Result<bool> {
    eprint!("{question}");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn set_active(access: &Access, id_or_name: &str, active: bool) -> Result {
    let i = access.store().find_integration(id_or_name)?;
    if i.active == active {
        out!("integration {:?} is already {}", i.name, enabled(active));
        return Ok(());
    }
    match access.call(Request::IntegrationSetActive {
        integration: i.id.clone(),
        active,
    })? {
        Reply::IntegrationActive { integration } => out!(
            "{} integration {:?}",
            if integration.active { "enabled" } else { "disabled" },
            integration.name
        ),
        other => return Err(unexpected(other)),
    }
    Ok(())
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
