//! `source add|list|remove`. Passwords and shared secrets go straight to the OS keychain; they
//! are read from stdin or an environment variable, never from the command line.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use helium_bridge_core::control::{Reply, Request, Secret};
use helium_bridge_core::domain::{MqttTlsFiles, Source, SourceConfig};
use helium_bridge_core::validate::{self, Invalid};
use zeroize::Zeroizing;

use crate::access::{unexpected, Access};
use crate::{output, path_arg, Result};

#[derive(Subcommand)]
pub enum SourceCmd {
    /// Add a source.
    #[command(subcommand)]
    Add(AddSource),
    /// List the sources.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source and its secret in the OS keychain.
    Remove {
        /// The source's name or id.
        #[arg(value_name = "NAME|ID")]
        source: String,
    },
    /// Stop taking uplinks from a source, keeping its settings.
    Pause {
        /// The source's name or id.
        #[arg(value_name = "NAME|ID")]
        source: String,
    },
    /// Take uplinks from a paused source again.
    Resume {
        /// The source's name or id.
        #[arg(value_name = "NAME|ID")]
        source: String,
    },
    /// Connect with a source's settings and report what arrives (the first uplink) or why it
    /// cannot connect. Changes nothing.
    Test {
        /// The source's name or id.
        #[arg(value_name = "NAME|ID")]
        source: String,
        /// Seconds to wait for a first uplink once subscribed (at most 60).
        #[arg(long, value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=60))]
        wait: u64,
    },
}

#[derive(Subcommand)]
pub enum AddSource {
    /// A ChirpStack v4 MQTT integration (application/{id}/device/+/event/up and join).
    Chirpstack {
        /// A name for the source, unique among sources.
        name: String,
        #[command(flatten)]
        mqtt: MqttArgs,
        /// ChirpStack application id, or + for all applications.
        #[arg(long, value_name = "ID", default_value = "+")]
        application_id: String,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// A Helium-Console-style MQTT broker carrying legacy Helium JSON.
    Legacy {
        /// A name for the source, unique among sources.
        name: String,
        #[command(flatten)]
        mqtt: MqttArgs,
        /// Topic filter the uplinks arrive on.
        #[arg(long, value_name = "T", default_value = "helium/+/rx")]
        uplink_topic: String,
        /// Topic downlinks are published to; must contain {{device_id}}.
        #[arg(long, value_name = "T", default_value = "helium/{{device_id}}/tx")]
        downlink_topic: String,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// A local HTTP server for ChirpStack's HTTP integration and legacy Helium JSON.
    Webhook {
        /// A name for the source, unique among sources.
        name: String,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
        bind: String,
        #[command(flatten)]
        secret: SecretArgs,
    },
}

#[derive(Args)]
pub struct MqttArgs {
    /// Broker URL: mqtt://host:port or mqtts://host:port.
    #[arg(long, value_name = "URL")]
    url: String,
    /// Broker user name (the password comes from --secret-stdin or --secret-env).
    #[arg(long, value_name = "U")]
    username: Option<String>,
}

#[derive(Args)]
pub struct TlsArgs {
    /// PEM file of the CA that signs the broker's certificate (needed for mqtts://).
    #[arg(long, value_name = "F")]
    ca_file: Option<PathBuf>,
    /// PEM client certificate for mqtts:// (with --key-file).
    #[arg(long, value_name = "F", requires = "key_file")]
    cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate (with --cert-file).
    #[arg(long, value_name = "F", requires = "cert_file")]
    key_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct SecretArgs {
    /// Read the broker password (MQTT) or shared secret (webhook) from one line on stdin (at a
    /// terminal: asked for, not shown); it is kept in the OS keychain.
    #[arg(long, conflicts_with = "secret_env")]
    pub(crate) secret_stdin: bool,
    /// Take the password or shared secret from this environment variable instead.
    #[arg(long, value_name = "VAR")]
    pub(crate) secret_env: Option<String>,
}

pub fn dispatch(access: &Access, cmd: SourceCmd) -> Result {
    match cmd {
        SourceCmd::Add(add) => add_source(access, add),
        SourceCmd::List { json } => list(access, json),
        SourceCmd::Remove { source } => remove(access, &source),
        SourceCmd::Pause { source } => pause(access, source, true),
        SourceCmd::Resume { source } => pause(access, source, false),
        SourceCmd::Test { source, wait } => test(access, &source, wait),
    }
}

fn pause(access: &Access, source: String, paused: bool) -> Result {
    match access.call(Request::SourceSetPaused { source, paused })? {
        Reply::Source { source } if paused => out!("paused source {:?}; its settings are kept", source.name),
        Reply::Source { source } => out!("resumed source {:?}", source.name),
        other => return Err(unexpected(other)),
    }
    Ok(())
}

fn test(access: &Access, id_or_name: &str, wait: u64) -> Result {
    let source = access.store().find_source(id_or_name)?;
    let probing = helium_bridge_core::sources::probe_with_stored(
        Some(&source.id),
        &source.config,
        None,
        std::time::Duration::from_secs(wait),
    );
    // On the runtime this command already has, or a small one beside a running bridge.
    let probe = match access.local() {
        Some((_, runtime)) => runtime.block_on(probing)?,
        None => crate::runtime()?.block_on(probing)?,
    };
    for step in &probe.steps {
        out!("  {step}");
    }
    if probe.ok {
        out!("{}", probe.summary);
        Ok(())
    } else {
        Err(probe.summary.into())
    }
}

fn add_source(access: &Access, add: AddSource) -> Result {
    let (name, config, secret, what) = match add {
        AddSource::Chirpstack {
            name,
            mqtt,
            application_id,
            tls,
            secret,
        } => {
            let tls = tls_files(&mqtt.url, tls)?;
            let config = SourceConfig::ChirpstackMqtt {
                url: mqtt.url,
                username: mqtt.username,
                application_id,
                tls,
            };
            (name, config, secret, "password")
        }
        AddSource::Legacy {
            name,
            mqtt,
            uplink_topic,
            downlink_topic,
            tls,
            secret,
        } => {
            let tls = tls_files(&mqtt.url, tls)?;
            let config = SourceConfig::LegacyMqtt {
                url: mqtt.url,
                username: mqtt.username,
                uplink_topic,
                downlink_topic,
                tls,
            };
            (name, config, secret, "password")
        }
        AddSource::Webhook { name, bind, secret } => (
            name,
            SourceConfig::HttpWebhook {
                bind,
                require_secret: false,
            },
            secret,
            "shared secret",
        ),
    };
    let anonymous = matches!(
        &config,
        SourceConfig::ChirpstackMqtt { username: None, .. } | SourceConfig::LegacyMqtt { username: None, .. }
    );
    if anonymous && (secret.secret_stdin || secret.secret_env.is_some()) {
        return Err("a broker password needs --username: without one the broker gets no credentials".into());
    }
    let secret = read_secret(&secret, what)?
        .map(|bytes| {
            String::from_utf8(bytes.to_vec())
                .map(|text| Secret(Zeroizing::new(text)))
                .map_err(|_| format!("the {what} is not valid UTF-8"))
        })
        .transpose()?;
    let has_secret = secret.is_some();
    let source = match access.call(Request::SourceAdd { name, config, secret })? {
        Reply::Source { source } => source,
        other => return Err(unexpected(other)),
    };
    let note = if has_secret {
        format!("; its {what} is in the {}", helium_bridge_core::vault::name())
    } else {
        String::new()
    };
    out!(
        "added {} source {:?} (id {}){note}",
        kind(&source.config),
        source.name,
        source.id
    );
    if let SourceConfig::HttpWebhook { bind, require_secret } = &source.config {
        // What to paste into ChirpStack, as the app's guide shows it.
        let url = match bind.rsplit_once(':') {
            Some(("0.0.0.0" | "[::]", port)) => format!("http://<this computer's address>:{port}/"),
            _ => format!("http://{bind}/"),
        };
        out!("in ChirpStack: Applications → your application → Integrations → HTTP, payload encoding JSON,");
        out!("  event endpoint URL: {url}");
        if *require_secret {
            out!("  header: Authorization = Bearer <the shared secret you gave>");
        } else {
            out!("  no header: anyone who can reach {bind} can post uplinks (give --secret-stdin to require one)");
        }
        if bind.starts_with("127.") || bind.starts_with("[::1]") {
            out!("  (this address takes posts from this computer only: for ChirpStack elsewhere, --bind 0.0.0.0:PORT)");
        }
    }
    Ok(())
}

/// Checks the TLS files an MQTT source names and makes their paths absolute.
fn tls_files(url: &str, tls: TlsArgs) -> Result<MqttTlsFiles> {
    let (use_tls, _, _) = validate::mqtt_url(url)?;
    let given = tls.ca_file.is_some() || tls.cert_file.is_some();
    if given && !use_tls {
        return Err(
            format!("--ca-file, --cert-file and --key-file need an mqtts:// URL; {url:?} is plain MQTT").into(),
        );
    }
    if use_tls && tls.ca_file.is_none() {
        return Err(
            "an mqtts:// source needs --ca-file (the CA that signs the broker's certificate) in this version".into(),
        );
    }
    let file = |field: &'static str, p: Option<PathBuf>| -> Result<Option<String>> {
        let Some(p) = p else { return Ok(None) };
        let abs = path_arg(&p)?;
        if !std::path::Path::new(&abs).is_file() {
            return Err(Invalid {
                field,
                reason: format!("{} does not exist or is not a file", p.display()),
            }
            .into());
        }
        Ok(Some(abs))
    };
    Ok(MqttTlsFiles {
        ca_file: file("CA file", tls.ca_file)?,
        cert_file: file("client certificate file", tls.cert_file)?,
        key_file: file("client key file", tls.key_file)?,
    })
}

pub(crate) fn read_secret(args: &SecretArgs, what: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let secret = if args.secret_stdin {
        let mut line = Zeroizing::new(String::new());
        if std::io::stdin().is_terminal() {
            // Typed by hand: asked for, and not echoed (nor left in the scrollback).
            let mut prompt = what.to_string();
            prompt[..1].make_ascii_uppercase();
            *line = rpassword::prompt_password(format!("{prompt} (typing is not shown): "))
                .map_err(|e| format!("cannot read the {what} from the terminal: {e}"))?;
        } else {
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the {what} from stdin: {e}"))?;
        }
        let trimmed = line.strip_suffix('\n').unwrap_or(&line);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Err(format!("--secret-stdin read an empty {what}: give it as one line on stdin").into());
        }
        Zeroizing::new(trimmed.as_bytes().to_vec())
    } else if let Some(var) = &args.secret_env {
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Zeroizing::new(v.into_bytes()),
            Ok(_) => return Err(format!("the environment variable {var} (--secret-env) is empty").into()),
            Err(std::env::VarError::NotPresent) => {
                return Err(format!("the environment variable {var} (--secret-env) is not set").into())
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!("the environment variable {var} (--secret-env) is not valid UTF-8").into())
            }
        }
    } else {
        return Ok(None);
    };
    Ok(Some(secret))
}

fn kind(config: &SourceConfig) -> &'static str {
    match config {
        SourceConfig::ChirpstackMqtt { .. } => "chirpstack",
        SourceConfig::LegacyMqtt { .. } => "legacy",
        SourceConfig::HttpWebhook { .. } => "webhook",
    }
}

/// (where, who): the broker URL and user, or the listen address and whether a secret is required.
fn address(s: &Source) -> (&str, String) {
    match &s.config {
        SourceConfig::ChirpstackMqtt { url, username, .. } | SourceConfig::LegacyMqtt { url, username, .. } => (
            url,
            username.as_deref().map_or_else(|| "-".into(), |u| format!("user {u}")),
        ),
        SourceConfig::HttpWebhook { bind, require_secret } => {
            (bind, if *require_secret { "shared secret" } else { "none" }.into())
        }
    }
}

fn list(access: &Access, json: bool) -> Result {
    let sources = access.store().list_sources()?;
    if json {
        output::json(&sources);
    } else if sources.is_empty() {
        note!("no sources yet; add one with `helium-aws-bridge source add`");
    } else {
        let rows: Vec<Vec<String>> = sources
            .iter()
            .map(|s| {
                let (addr, auth) = address(s);
                let state = if s.paused { "paused" } else { "on" };
                // What it takes uplinks from: two sources reading the same send each uplink twice.
                let reads = match &s.config {
                    SourceConfig::ChirpstackMqtt { application_id, .. } if application_id == "+" => {
                        "every application".to_string()
                    }
                    SourceConfig::ChirpstackMqtt { application_id, .. } => format!("application {application_id}"),
                    SourceConfig::LegacyMqtt { uplink_topic, .. } => uplink_topic.clone(),
                    SourceConfig::HttpWebhook { .. } => "HTTP POST".into(),
                };
                vec![
                    s.name.clone(),
                    kind(&s.config).into(),
                    addr.into(),
                    reads,
                    auth,
                    state.into(),
                    s.id.clone(),
                ]
            })
            .collect();
        output::table(&["NAME", "KIND", "ADDRESS", "READS", "AUTH", "STATE", "ID"], &rows);
    }
    Ok(())
}

fn remove(access: &Access, id_or_name: &str) -> Result {
    let reply = access.call(Request::SourceRemove {
        source: id_or_name.to_string(),
    })?;
    let Reply::SourceRemoved {
        source,
        secret_deleted,
        warning,
    } = reply
    else {
        return Err(unexpected(reply));
    };
    if secret_deleted {
        out!(
            "removed source {:?} and its secret in the {}",
            source.name,
            helium_bridge_core::vault::name()
        );
    } else {
        out!("removed source {:?}", source.name);
    }
    if let Some(w) = warning {
        note!("warning: {w}");
    }
    Ok(())
}
