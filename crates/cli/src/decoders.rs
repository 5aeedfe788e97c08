//! `decoder add|list|show|edit|test|attach|detach|remove`: decoders attached to labels add
//! `decoded` to a device's uplinks — the built-in Cayenne LPP, or JavaScript in Helium Console's
//! `Decoder(bytes, port, uplink_info)` or ChirpStack/TTN's `decodeUplink(input)` shape.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use helium_bridge_core::codec::decoder::{js_shape, trial};
use helium_bridge_core::control::{Reply, Request};
use helium_bridge_core::domain::{Decoder, DecoderKind};

use crate::access::{unexpected, Access};
use crate::{output, Result};

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// The built-in Cayenne LPP decoder (no script).
    Cayenne,
    /// Helium Console's `function Decoder(bytes, port, uplink_info)`.
    Helium,
    /// ChirpStack / TTN v3's `function decodeUplink(input)`.
    DecodeUplink,
}

impl From<Kind> for DecoderKind {
    fn from(k: Kind) -> DecoderKind {
        match k {
            Kind::Cayenne => DecoderKind::Cayenne,
            Kind::Helium => DecoderKind::Helium,
            Kind::DecodeUplink => DecoderKind::DecodeUplink,
        }
    }
}

#[derive(Subcommand)]
pub enum DecoderCmd {
    /// Add a decoder. A JavaScript one is compiled first: a script that does not run is refused
    /// with its line number.
    Add {
        /// The decoder's name, unique among decoders.
        name: String,
        #[arg(long, value_enum)]
        kind: Kind,
        /// The script (`-` for stdin); not for Cayenne.
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
    },
    /// List the decoders and the labels they are attached to.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print a decoder's script.
    Show {
        /// The decoder's name or id.
        #[arg(value_name = "NAME|ID")]
        decoder: String,
    },
    /// Rename a decoder or replace its script; devices use the new one from their next uplink.
    Edit {
        /// The decoder's name or id.
        #[arg(value_name = "NAME|ID")]
        decoder: String,
        /// The new name.
        #[arg(long)]
        name: Option<String>,
        /// The new script (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
    },
    /// Decode a payload with a decoder, saved or not, and print the output or the error.
    Test {
        /// A saved decoder; or give --kind (and --script) to try one before saving it.
        #[arg(value_name = "NAME|ID", required_unless_present = "kind")]
        decoder: Option<String>,
        #[arg(long, value_enum, conflicts_with = "decoder")]
        kind: Option<Kind>,
        /// The script to try (`-` for stdin), with --kind helium or decode-uplink.
        #[arg(long, value_name = "FILE", conflicts_with = "decoder")]
        script: Option<PathBuf>,
        #[command(flatten)]
        payload: crate::bytes::PayloadBytes,
        /// The LoRaWAN port it came on.
        #[arg(long, default_value_t = 1)]
        port: u8,
    },
    /// Attach a decoder to labels: their devices' uplinks get `decoded`.
    Attach {
        /// The decoder's name or id.
        #[arg(value_name = "NAME|ID")]
        decoder: String,
        /// A label's name or id (repeat for several).
        #[arg(long = "label", value_name = "LABEL", required = true)]
        labels: Vec<String>,
    },
    /// Detach a decoder from labels.
    Detach {
        /// The decoder's name or id.
        #[arg(value_name = "NAME|ID")]
        decoder: String,
        /// A label's name or id (repeat for several).
        #[arg(long = "label", value_name = "LABEL", required = true)]
        labels: Vec<String>,
    },
    /// Remove a decoder; its labels' devices go without `decoded` (or with ChirpStack's own).
    Remove {
        /// The decoder's name or id.
        #[arg(value_name = "NAME|ID")]
        decoder: String,
    },
}

fn read_script(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read the script {}: {e}", path.display()).into())
}

fn labels(d: &Decoder) -> String {
    if d.labels.is_empty() {
        "-".into()
    } else {
        d.labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

pub fn dispatch(access: &Access, cmd: DecoderCmd) -> Result {
    match cmd {
        DecoderCmd::Add { name, kind, script } => {
            let script = match (kind, script) {
                (Kind::Cayenne, Some(_)) => return Err("a Cayenne LPP decoder takes no --script".into()),
                (Kind::Cayenne, None) => String::new(),
                (_, Some(p)) => read_script(&p)?,
                (_, None) => return Err("a JavaScript decoder needs --script FILE (or - for stdin)".into()),
            };
            let req = Request::DecoderAdd {
                name,
                kind: kind.into(),
                script,
            };
            match access.call(req)? {
                Reply::Decoder { decoder } => {
                    out!(
                        "added decoder {:?} (id {}); attach it with `helium-aws-bridge decoder attach {:?} --label LABEL`",
                        decoder.name,
                        decoder.id,
                        decoder.name
                    );
                    if let (true, Some(shape)) = (decoder.kind != DecoderKind::from(kind), js_shape(decoder.kind)) {
                        note!(
                            "the script defines {} only, so it is kept as a {} decoder",
                            shape.signature(),
                            decoder.kind.as_str().replace('_', "-")
                        );
                    }
                }
                other => return Err(unexpected(other)),
            }
        }
        DecoderCmd::List { json } => {
            let list = access.store().list_decoders()?;
            if json {
                output::json(&list);
            } else if list.is_empty() {
                note!("no decoders yet; add one with `helium-aws-bridge decoder add`");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    // The kind as --kind spells it.
                    .map(|d| {
                        vec![
                            d.name.clone(),
                            d.kind.as_str().replace('_', "-"),
                            labels(d),
                            d.id.clone(),
                        ]
                    })
                    .collect();
                output::table(&["NAME", "KIND", "LABELS", "ID"], &rows);
            }
        }
        DecoderCmd::Show { decoder } => {
            let d = access.store().find_decoder(&decoder)?;
            if d.kind == DecoderKind::Cayenne {
                note!("{:?} is the built-in Cayenne LPP decoder: it has no script", d.name);
            } else {
                out!("{}", d.script.trim_end());
            }
        }
        DecoderCmd::Edit { decoder, name, script } => {
            if name.is_none() && script.is_none() {
                return Err("nothing to change: give --name or --script".into());
            }
            let script = script.map(|p| read_script(&p)).transpose()?;
            match access.call(Request::DecoderUpdate { decoder, name, script })? {
                Reply::Decoder { decoder } => out!("updated decoder {:?}", decoder.name),
                other => return Err(unexpected(other)),
            }
        }
        DecoderCmd::Test {
            decoder,
            kind,
            script,
            payload,
            port,
        } => {
            let (kind, script) = match decoder {
                Some(d) => {
                    let d = access.store().find_decoder(&d)?;
                    (d.kind, d.script)
                }
                None => unsaved(kind, script)?,
            };
            test(kind, &script, payload, port)?
        }
        DecoderCmd::Attach { decoder, labels } => linked(access.call(Request::DecoderAttach { decoder, labels })?)?,
        DecoderCmd::Detach { decoder, labels } => linked(access.call(Request::DecoderDetach { decoder, labels })?)?,
        DecoderCmd::Remove { decoder } => match access.call(Request::DecoderRemove { decoder })? {
            Reply::DecoderRemoved { decoder } => out!("removed decoder {:?}", decoder.name),
            other => return Err(unexpected(other)),
        },
    }
    Ok(())
}

/// `decoder test` without a saved decoder (`--kind`, `--script`): nothing of the data
/// directory is read, so it runs beside anything, other tests included.
pub fn test_unsaved(
    kind: Option<Kind>,
    script: Option<PathBuf>,
    payload: crate::bytes::PayloadBytes,
    port: u8,
) -> Result {
    let (kind, script) = unsaved(kind, script)?;
    test(kind, &script, payload, port)
}

/// The decoder `--kind` and `--script` give.
fn unsaved(kind: Option<Kind>, script: Option<PathBuf>) -> Result<(DecoderKind, String)> {
    match kind {
        Some(Kind::Cayenne) if script.is_some() => Err("a Cayenne LPP decoder takes no --script".into()),
        Some(Kind::Cayenne) => Ok((DecoderKind::Cayenne, String::new())),
        Some(k) => {
            let p = script.ok_or("a JavaScript decoder needs --script FILE (or - for stdin)")?;
            Ok((k.into(), read_script(&p)?))
        }
        None => Err("name a decoder, or give --kind".into()),
    }
}

/// Decodes the payload and prints the output, what the script logged and warned, or the error.
fn test(kind: DecoderKind, script: &str, payload: crate::bytes::PayloadBytes, port: u8) -> Result {
    let bytes = payload.bytes()?;
    let t = trial(kind, script, &bytes, port);
    for line in &t.logs {
        note!("console: {line}");
    }
    for w in &t.warnings {
        note!("decodeUplink warning: {w}");
    }
    match (t.payload, t.error) {
        // As it is published: the script's member order and number text.
        (Some(p), _) => out!("{}", output::json_text(&serde_json::to_string(&p)?)),
        // A script's error already names its function ("Decoder failed: line 3: …").
        (None, Some(e)) if e.starts_with("Decoder ") || e.starts_with("decodeUplink ") => return Err(e.into()),
        (None, Some(e)) => return Err(format!("the decoder failed: {e}").into()),
        (None, None) => return Err("the decoder gave nothing".into()),
    }
    Ok(())
}

/// What an attach or detach left: the decoder's labels, and any device now given two decoders.
fn linked(reply: Reply) -> Result {
    let Reply::DecoderLinked { decoder, warnings } = reply else {
        return Err(unexpected(reply));
    };
    out!("decoder {:?} is attached to: {}", decoder.name, labels(&decoder));
    for w in warnings {
        note!("warning: {w}");
    }
    Ok(())
}
