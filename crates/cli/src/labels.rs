//! `label add|list|rename|attach|detach|remove`: a device's uplinks go to every active integration
//! that shares a label with it.

use clap::{Args, Subcommand};
use helium_bridge_core::control::{self, Reply, Request};

use crate::access::{unexpected, Access};
use crate::{output, Result};

#[derive(Subcommand)]
pub enum LabelCmd {
    /// Add a label.
    Add {
        /// The label's name, unique among labels.
        name: String,
    },
    /// List the labels with how many devices and integrations carry them.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Put a label on an integration or a device.
    Attach(Link),
    /// Take a label off an integration or a device.
    Detach(Link),
    /// Rename a label; what carries it keeps it.
    Rename {
        /// The label's name or id.
        #[arg(value_name = "NAME|ID")]
        label: String,
        /// The new name, unique among labels.
        name: String,
    },
    /// Remove a label from everything and delete it.
    Remove {
        /// The label's name or id.
        #[arg(value_name = "NAME|ID")]
        label: String,
    },
}

#[derive(Args)]
pub struct Link {
    /// The label's name or id.
    #[arg(value_name = "LABEL")]
    label: String,
    #[command(flatten)]
    target: Target,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// An integration's name or id.
    #[arg(long, value_name = "NAME|ID")]
    integration: Option<String>,
    /// A device's name, id or DevEUI (16 hex digits), or a Helium Console device id (a device
    /// not heard from yet can be attached to by DevEUI or Console id: that registers it).
    #[arg(long, value_name = "DEVICE")]
    device: Option<String>,
}

pub fn dispatch(access: &Access, cmd: LabelCmd) -> Result {
    match cmd {
        LabelCmd::Add { name } => match access.call(Request::LabelAdd { name })? {
            Reply::Label { label } => out!("added label {:?} (id {})", label.name, label.id),
            other => return Err(unexpected(other)),
        },
        LabelCmd::Rename { label, name } => match access.call(Request::LabelRename { label, name })? {
            Reply::Label { label } => out!("renamed the label to {:?} (id {})", label.name, label.id),
            other => return Err(unexpected(other)),
        },
        LabelCmd::List { json } => {
            let labels = access.store().list_labels()?;
            if json {
                output::json(&labels);
            } else if labels.is_empty() {
                note!("no labels yet; add one with `helium-aws-bridge label add`");
            } else {
                let rows: Vec<Vec<String>> = labels
                    .iter()
                    .map(|l| {
                        vec![
                            l.name.clone(),
                            l.device_count.to_string(),
                            l.integration_count.to_string(),
                            l.id.clone(),
                        ]
                    })
                    .collect();
                output::table(&["NAME", "DEVICES", "INTEGRATIONS", "ID"], &rows);
            }
        }
        LabelCmd::Attach(link) => relink(access, link, true)?,
        LabelCmd::Detach(link) => relink(access, link, false)?,
        LabelCmd::Remove { label } => match access.call(Request::LabelRemove { label })? {
            Reply::LabelRemoved { label } => out!("removed label {:?}", label.name),
            other => return Err(unexpected(other)),
        },
    }
    Ok(())
}

/// `label attach` (`attach`) or `label detach`, and what it did.
fn relink(access: &Access, Link { label, target }: Link, attach: bool) -> Result {
    let target = target.into_target();
    let reply = access.call(if attach {
        Request::LabelAttach {
            label,
            targets: vec![target],
        }
    } else {
        Request::LabelDetach {
            label,
            targets: vec![target],
        }
    })?;
    let (done, to) = if attach {
        ("attached", "to")
    } else {
        ("detached", "from")
    };
    let Reply::Linked {
        label,
        integrations,
        devices,
        registered,
        warnings,
    } = reply
    else {
        return Err(unexpected(reply));
    };
    for i in integrations {
        out!("{done} label {:?} {to} integration {:?}", label.name, i.name);
    }
    for device in devices {
        if registered.contains(&device.id) && device.dev_eui.is_empty() {
            out!(
                "registered device {} from its Helium Console id; it has not been heard from yet",
                device.id
            );
        } else if registered.contains(&device.id) {
            out!(
                "registered device {} (id {}) from its DevEUI; it has not been heard from yet \
                 (a wrong DevEUI? `device remove {}` takes it back)",
                device.dev_eui,
                device.id,
                device.dev_eui
            );
        }
        out!(
            "{done} label {:?} {to} device {:?} (id {})",
            label.name,
            device.name,
            device.id
        );
    }
    for w in warnings {
        note!("warning: {w}");
    }
    Ok(())
}

impl Target {
    fn into_target(self) -> control::Target {
        match (self.integration, self.device) {
            (Some(i), _) => control::Target::Integration(i),
            (None, Some(d)) => control::Target::Device(d),
            (None, None) => unreachable!("clap requires --integration or --device"),
        }
    }
}
