//! Decoders: add, change, remove, and attach to labels. A script is compiled before it is saved,
//! so a broken one is refused with its line number instead of failing every uplink; sources
//! pick the change up with their routing (no restart).

use super::{Control, ControlError, Reply};
use crate::codec::decoder::Compiled;
use crate::domain::DecoderKind;

/// Compiles the script; returns the kind it really is. Both shapes run whichever was chosen (a
/// Console script pasted as a `decodeUplink` codec still works), so a script that defines only
/// the other shape's function is kept as that kind, and the list says what runs.
fn compiles(kind: DecoderKind, script: &str) -> Result<DecoderKind, ControlError> {
    Compiled::compile(kind, script)
        .map(|c| c.kind())
        .map_err(|e| ControlError::new("invalid", e.0))
}

impl Control {
    pub(super) fn add_decoder(&self, name: &str, kind: DecoderKind, script: &str) -> Result<Reply, ControlError> {
        let kind = compiles(kind, script)?;
        let decoder = self.core.store().create_decoder(name, kind, script)?;
        self.tell(&["decoders"]);
        Ok(Reply::Decoder { decoder })
    }

    pub(super) fn update_decoder(
        &self,
        decoder: &str,
        name: Option<&str>,
        script: Option<&str>,
    ) -> Result<Reply, ControlError> {
        let current = self.core.store().find_decoder(decoder)?;
        let kind = script.map(|s| compiles(current.kind, s)).transpose()?;
        let decoder = self.core.store().atomically(|store| {
            store.update_decoder(&current.id, name, script)?;
            match kind {
                Some(kind) if kind != current.kind => store.set_decoder_kind(&current.id, kind),
                _ => store.find_decoder(&current.id),
            }
        })?;
        self.tell(&["decoders", "labels"]);
        Ok(Reply::Decoder { decoder })
    }

    pub(super) fn remove_decoder(&self, decoder: &str) -> Result<Reply, ControlError> {
        let decoder = self.core.store().remove_decoder(decoder)?;
        self.tell(&["decoders", "labels"]);
        Ok(Reply::DecoderRemoved { decoder })
    }

    /// Attaches (or detaches) the decoder to each label: all or none.
    pub(super) fn link_decoder(&self, decoder: &str, labels: &[String], attach: bool) -> Result<Reply, ControlError> {
        if labels.is_empty() {
            return Err(ControlError::new("invalid", "name at least one label"));
        }
        let (decoder, warnings) = {
            let store = self.core.store();
            let d = store.find_decoder(decoder)?;
            let mut carriers = Vec::new();
            store.atomically(|store| {
                for l in labels {
                    let label = store.find_label(l)?;
                    carriers.push(label.id.clone());
                    if attach {
                        store.attach_decoder_label(&d.id, &label.id)?;
                    } else if !store.detach_decoder_label(&d.id, &label.id)? {
                        return Err(ControlError::new(
                            "invalid",
                            format!("decoder {:?} is not attached to label {:?}", d.name, label.name),
                        ));
                    }
                }
                Ok(())
            })?;
            let warnings = if attach {
                Self::decoder_conflicts(&store, &store.devices_with_labels(&carriers)?)?
            } else {
                vec![]
            };
            (store.find_decoder(&d.id)?, warnings)
        };
        self.tell(&["decoders", "labels", "devices"]);
        Ok(Reply::DecoderLinked { decoder, warnings })
    }
}
