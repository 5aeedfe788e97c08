//! `label add|list|attach|detach|remove`: a device's uplinks go to every active integration
//! that shares a label with it.

use clap::{Args, Subcommand};
use helium_bridge_core::Core;

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
    /// Remove a label from everything and delete it.
    Remove {
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
    /// A device id, or a DevEUI (16 hex digits); attaching by DevEUI or by a Helium Console
    /// device id registers a device not heard from yet.
    #[arg(long, value_name = "DEVICE")]
    device: Option<String>,
}

pub fn dispatch(core: &Core, cmd: LabelCmd) -> Result {
    let store = core.store();
    match cmd {
        LabelCmd::Add { name } => {
            let l = store.create_label(&name)?;
            out!("added label {:?} (id {})", l.name, l.id);
        }
        LabelCmd::List { json } => {
            let labels = store.list_labels()?;
            if json {
                output::json(&labels);
            } else if labels.is_empty() {
                eprintln!("no labels yet; add one with `helium-aws-bridge label add`");
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
        LabelCmd::Attach(Link { label, target }) => {
            let label = store.find_label(&label)?;
            match (target.integration, target.device) {
                (Some(i), _) => {
                    let i = store.find_integration(&i)?;
                    store.attach_label_to_integration(&label.id, &i.id)?;
                    out!("attached label {:?} to integration {:?}", label.name, i.name);
                }
                (None, Some(d)) => {
                    let known = store.find_device(&d).is_ok();
                    let device = store.attach_label_to_device_ref(&label.id, &d)?;
                    if !known && device.dev_eui.is_empty() {
                        out!(
                            "registered device {} from its Helium Console id; it has not been heard from yet",
                            device.id
                        );
                    } else if !known {
                        out!(
                            "registered device {} (id {}) from its DevEUI; it has not been heard from yet",
                            device.dev_eui,
                            device.id
                        );
                    }
                    out!(
                        "attached label {:?} to device {:?} (id {})",
                        label.name,
                        device.name,
                        device.id
                    );
                }
                (None, None) => unreachable!("clap requires --integration or --device"),
            }
        }
        LabelCmd::Detach(Link { label, target }) => {
            let label = store.find_label(&label)?;
            match (target.integration, target.device) {
                (Some(i), _) => {
                    let i = store.find_integration(&i)?;
                    if !store.detach_label_from_integration(&label.id, &i.id)? {
                        return Err(
                            format!("label {:?} is not attached to integration {:?}", label.name, i.name).into(),
                        );
                    }
                    out!("detached label {:?} from integration {:?}", label.name, i.name);
                }
                (None, Some(d)) => {
                    let device = store.find_device(&d)?;
                    if !store.detach_label_from_device(&label.id, &device.id)? {
                        return Err(
                            format!("label {:?} is not attached to device {:?}", label.name, device.name).into(),
                        );
                    }
                    out!(
                        "detached label {:?} from device {:?} (id {})",
                        label.name,
                        device.name,
                        device.id
                    );
                }
                (None, None) => unreachable!("clap requires --integration or --device"),
            }
        }
        LabelCmd::Remove { label } => {
            let label = store.find_label(&label)?;
            store.remove_label(&label.id)?;
            out!("removed label {:?}", label.name);
        }
    }
    Ok(())
}
