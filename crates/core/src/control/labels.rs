//! Putting labels on devices and integrations, and taking them off: one change for any number
//! of targets, all or none.

use super::{Control, ControlError, Reply, Target};
use crate::engine::Change;

impl Control {
    pub(super) async fn link(&self, label: &str, targets: Vec<Target>, attach: bool) -> Result<Reply, ControlError> {
        if targets.is_empty() {
            return Err(ControlError::new("invalid", "name at least one device or integration"));
        }
        let reply = {
            let store = self.core.store();
            let label = store.find_label(label)?;
            store.atomically(|store| {
                let (mut integrations, mut devices, mut registered) = (Vec::new(), Vec::new(), Vec::new());
                for target in targets {
                    match target {
                        Target::Integration(i) => {
                            let i = store.find_integration(&i)?;
                            if attach {
                                store.attach_label_to_integration(&label.id, &i.id)?;
                            } else if !store.detach_label_from_integration(&label.id, &i.id)? {
                                return Err(ControlError::new(
                                    "invalid",
                                    format!("label {:?} is not attached to integration {:?}", label.name, i.name),
                                ));
                            }
                            integrations.push(i);
                        }
                        Target::Device(d) => {
                            if attach {
                                let known = store.find_device(&d).is_ok();
                                let device = store.attach_label_to_device_ref(&label.id, &d)?;
                                if !known {
                                    registered.push(device.id.clone());
                                }
                                devices.push(device);
                            } else {
                                let device = store.find_device(&d)?;
                                if !store.detach_label_from_device(&label.id, &device.id)? {
                                    return Err(ControlError::new(
                                        "invalid",
                                        format!("label {:?} is not attached to device {:?}", label.name, device.name),
                                    ));
                                }
                                devices.push(device);
                            }
                        }
                    }
                }
                let warnings = if attach {
                    Self::decoder_conflicts(store, &devices)?
                } else {
                    vec![]
                };
                Ok(Reply::Linked {
                    label: label.clone(),
                    integrations,
                    devices,
                    registered,
                    warnings,
                })
            })?
        };
        self.applied(Change::Labels, &["labels", "devices", "integrations"])
            .await?;
        Ok(reply)
    }
}
