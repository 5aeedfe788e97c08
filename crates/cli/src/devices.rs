//! `device list|show|remove|downlink|simulate`.

use std::collections::HashMap;

use clap::{Args, Subcommand};
use helium_bridge_core::domain::Device;
use helium_bridge_core::views::{self, DeviceDecoderView};
use helium_bridge_core::Store;

use crate::access::{unexpected, Access};
use helium_bridge_core::control::{Reply, Request};

use crate::{output, Result};

/// How many of a device's events `device show` includes.
const SHOW_EVENTS: usize = 20;

#[derive(Subcommand)]
pub enum DeviceCmd {
    /// List the devices.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one device with its labels and its last 20 events.
    Show {
        /// The device's name, id or DevEUI (16 hex digits; any case).
        #[arg(value_name = "DEVICE")]
        device: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a device registered by a label and never heard from (e.g. a mistyped DevEUI).
    Remove {
        /// The device's name, id or DevEUI (16 hex digits; any case).
        #[arg(value_name = "DEVICE")]
        device: String,
    },
    /// Send the device a downlink through its source, as one from AWS would go (the running
    /// bridge sends it: the desktop app or `run`).
    Downlink {
        #[command(flatten)]
        to: DevicePayload,
        /// Ask the device to acknowledge it.
        #[arg(long)]
        confirmed: bool,
    },
    /// Send a test uplink for the device through the running bridge: decoded, routed and
    /// published to AWS like a real one, marked `"metadata": {"simulated": true}`.
    Simulate(DevicePayload),
}

/// A device and the bytes it gets or sends.
#[derive(Args)]
pub struct DevicePayload {
    /// The device's name, id or DevEUI (16 hex digits; any case).
    #[arg(value_name = "DEVICE")]
    device: String,
    #[command(flatten)]
    payload: crate::bytes::PayloadBytes,
    /// The LoRaWAN port (a downlink's: 1 to 223).
    #[arg(long, default_value_t = 1)]
    port: u8,
}

pub fn dispatch(access: &Access, cmd: DeviceCmd) -> Result {
    match cmd {
        DeviceCmd::List { json } => {
            let store = access.store();
            let devices = store.list_devices()?;
            if json {
                let v = devices
                    .iter()
                    .map(|d| {
                        let mut v = serde_json::to_value(d)?;
                        v["labels"] = serde_json::to_value(store.device_labels(&d.id)?)?;
                        Ok(v)
                    })
                    .collect::<Result<Vec<_>>>()?;
                output::json(&v);
            } else if devices.is_empty() {
                note!("no devices yet: they appear with their first uplink, or label one by DevEUI");
            } else {
                let sources = source_names(&store)?;
                let rows = devices
                    .iter()
                    .map(|d| {
                        Ok(vec![
                            d.name.clone(),
                            d.dev_eui.clone(),
                            last_seen(d),
                            d.uplinks.to_string(),
                            d.downlinks.to_string(),
                            d.errors.to_string(),
                            output::or_dash(Some(&label_names(&store, &d.id)?)),
                            source_name(&sources, &d.source),
                            d.id.clone(),
                        ])
                    })
                    .collect::<Result<Vec<_>>>()?;
                output::table(
                    &[
                        "NAME",
                        "DEVEUI",
                        "LAST SEEN",
                        "UPLINKS",
                        "DOWNLINKS",
                        "ERRORS",
                        "LABELS",
                        "SOURCE",
                        "ID",
                    ],
                    &rows,
                );
            }
        }
        DeviceCmd::Show { device, json } => {
            let store = access.store();
            let d = store.find_device(&device)?;
            let labels = store.device_labels(&d.id)?;
            let events = store.device_events(&d.id, SHOW_EVENTS)?;
            let decoder = views::device_decoder(&store, &d.id)?;
            if json {
                let mut v = serde_json::to_value(&d)?;
                v["labels"] = serde_json::to_value(&labels)?;
                v["decoder"] = serde_json::to_value(&decoder)?;
                v["events"] = serde_json::to_value(&events)?;
                output::json(&v);
            } else {
                let sources = source_names(&store)?;
                output::fields(&[
                    ("name", d.name.clone()),
                    ("id", d.id.clone()),
                    ("DevEUI", output::or_dash(Some(&d.dev_eui))),
                    ("JoinEUI", output::or_dash(d.app_eui.as_deref())),
                    ("DevAddr", output::or_dash(d.devaddr.as_deref())),
                    ("source", source_name(&sources, &d.source)),
                    ("last seen", last_seen(&d)),
                    ("uplinks", d.uplinks.to_string()),
                    ("downlinks", d.downlinks.to_string()),
                    ("errors", d.errors.to_string()),
                    ("labels", output::or_dash(Some(&label_names(&store, &d.id)?))),
                    ("decoder", decoder_text(&decoder)),
                ]);
                if events.is_empty() {
                    out!("no events");
                } else {
                    out!("last {} event(s):", events.len());
                    for e in &events {
                        out!("  {}", output::event_line(e));
                    }
                }
            }
        }
        // Through the control plane (a running bridge's, when there is one), not the reader.
        DeviceCmd::Remove { device } => match access.call(Request::DeviceRemove { device })? {
            Reply::DeviceRemoved { device, things_kept_in } => {
                out!("removed device {:?} ({})", device.name, device.id);
                for name in things_kept_in {
                    note!(
                        "its AWS thing for integration {name:?} stays until that integration is removed with its \
                         AWS clean-up (`integration remove {name:?} --cleanup-aws`)"
                    );
                }
            }
            other => return Err(unexpected(other)),
        },
        DeviceCmd::Downlink {
            to: DevicePayload { device, payload, port },
            confirmed,
        } => {
            use base64::Engine as _;
            let bytes = payload.bytes()?;
            let payload_raw = base64::engine::general_purpose::STANDARD.encode(&bytes);
            match access.call(Request::DeviceDownlink {
                device,
                port,
                confirmed,
                payload_raw,
            })? {
                Reply::DownlinkSent { device } => out!(
                    "downlink queued for {:?} ({} byte(s) on port {port}{}): it goes out in the device's next \
                     receive window",
                    device.name,
                    bytes.len(),
                    if confirmed { ", confirmed" } else { "" }
                ),
                other => return Err(unexpected(other)),
            }
        }
        DeviceCmd::Simulate(DevicePayload { device, payload, port }) => {
            // Marked hex: the core reads it as these bytes, whatever they look like.
            let hex: String = payload.bytes()?.iter().map(|b| format!("{b:02x}")).collect();
            match access.call(Request::DeviceSimulateUplink {
                device,
                port,
                payload: format!("0x{hex}"),
            })? {
                Reply::UplinkSimulated { device, routes: 0 } => out!(
                    "simulated an uplink for {:?}; no integration shares a label with it, so nothing was published",
                    device.name
                ),
                Reply::UplinkSimulated { device, routes } => {
                    out!(
                        "simulated an uplink for {:?}: queued for {routes} integration(s), marked \"simulated\": true",
                        device.name
                    );
                    // Queued is not published: say where AWS does not take uplinks now.
                    let health = crate::health::read(access);
                    for i in access.store().integrations_serving_device(&device.id)? {
                        match health.get(&i.id) {
                            Some(h) if h.state != "connected" => {
                                note!("integration {:?}: {}", i.name, crate::health::text(h))
                            }
                            _ => {}
                        }
                    }
                }
                other => return Err(unexpected(other)),
            }
        }
    }
    Ok(())
}

/// The decoder its labels bring, as the device page says it.
fn decoder_text(decoder: &DeviceDecoderView) -> String {
    match decoder {
        DeviceDecoderView::None => "-".into(),
        DeviceDecoderView::One { name, via, .. } => format!("{name:?} through {}", via.join(", ")),
        DeviceDecoderView::Conflict { message } => format!("conflict: {message}"),
    }
}

fn last_seen(d: &Device) -> String {
    match d.last_seen_ms {
        Some(ms) if ms > 0 => format!("{}Z", output::time(ms)),
        _ => "never".into(),
    }
}

fn label_names(store: &Store, device_id: &str) -> Result<String> {
    Ok(store
        .device_labels(device_id)?
        .iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(", "))
}

fn source_names(store: &Store) -> Result<HashMap<String, String>> {
    Ok(store.list_sources()?.into_iter().map(|s| (s.id, s.name)).collect())
}

/// A source's name; a removed source shows its id, and none (labelled by DevEUI) a dash.
fn source_name(names: &HashMap<String, String>, id: &str) -> String {
    match names.get(id) {
        Some(n) => n.clone(),
        None => output::or_dash(Some(id)),
    }
}
