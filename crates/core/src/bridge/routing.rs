//! What ingest needs to know about a device — its labels (for `metadata.labels`), the JoinEUI
//! it is known by, the integrations its labels route it to, the decoder its labels attach —
//! read once per device and kept until the configuration changes ([`Core::generation`]), so an
//! uplink costs no queries. Decoders are compiled once per change of their script.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use crate::codec::decoder::Compiled;
use crate::domain::{Decoder, Label, PayloadOptions};
use crate::store::{Store, StoreError};
use crate::Core;

/// One device's routing facts.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviceRouting {
    pub labels: Vec<Label>,
    pub app_eui: Option<String>,
    /// The active integrations sharing a label.
    pub routes: Vec<Route>,
    pub decoder: Option<DeviceDecoder>,
}

/// An integration a device's uplinks go to, and what its messages carry.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub id: String,
    /// Where its uplinks are published.
    pub topic: String,
    pub forward_joins: bool,
    pub payload: PayloadOptions,
}

/// The one decoder a device's labels attach (`None`: none), from what the store found; two or
/// more is an error naming each and the labels it comes through.
pub(crate) fn the_decoder(mut found: Vec<(Decoder, Vec<String>)>) -> Result<Option<Decoder>, String> {
    if found.len() > 1 {
        let each: Vec<String> = found
            .iter()
            .map(|(d, labels)| format!("{:?} (label {})", d.name, labels.join(", ")))
            .collect();
        return Err(format!(
            "the device's labels attach {} decoders: {}; attach one",
            found.len(),
            each.join(" and ")
        ));
    }
    Ok(found.pop().map(|(d, _)| d))
}

/// The decoder a device's labels attach.
#[derive(Debug, Clone)]
pub(crate) enum DeviceDecoder {
    Ready(Arc<Compiled>),
    /// It cannot run (its script does not compile, or labels attach two): the reason goes into
    /// each uplink's `decoded` error, where the user looks.
    Broken(String),
}

/// A source's cache of [`DeviceRouting`], on the source's own read connection. Each device's
/// facts are shared with the uplink that reads them, not copied for it.
pub(crate) struct RoutingCache {
    core: Arc<Core>,
    generation: u64,
    devices: HashMap<String, Arc<DeviceRouting>>,
    /// Decoder id → (the `updated_at_ms` it was compiled at, the result).
    compiled: HashMap<String, (i64, DeviceDecoder)>,
}

impl RoutingCache {
    pub fn new(core: Arc<Core>) -> RoutingCache {
        RoutingCache {
            generation: core.generation(),
            core,
            devices: HashMap::new(),
            compiled: HashMap::new(),
        }
    }

    pub fn get(&mut self, reader: &Store, device_id: &str) -> Result<Arc<DeviceRouting>, StoreError> {
        let now = self.core.generation();
        if now != self.generation {
            self.devices.clear();
            self.generation = now;
        }
        if let Some(facts) = self.devices.get(device_id) {
            return Ok(facts.clone());
        }
        let routes = reader.routes_for_device(device_id)?;
        let decoder = self.decoder(reader, device_id)?;
        let facts = DeviceRouting {
            labels: reader.device_labels(device_id)?,
            app_eui: reader.device_app_eui(device_id)?,
            routes: routes
                .into_iter()
                .map(|i| Route {
                    id: i.id,
                    topic: i.topic,
                    forward_joins: i.forward_joins,
                    payload: i.payload,
                })
                .collect(),
            decoder,
        };
        let facts = Arc::new(facts);
        self.devices.insert(device_id.to_string(), facts.clone());
        Ok(facts)
    }

    fn decoder(&mut self, reader: &Store, device_id: &str) -> Result<Option<DeviceDecoder>, StoreError> {
        let d = match the_decoder(reader.decoders_for_device(device_id)?) {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(None),
            Err(conflict) => return Ok(Some(DeviceDecoder::Broken(conflict))),
        };
        if let Some((at, compiled)) = self.compiled.get(&d.id) {
            if *at == d.updated_at_ms {
                return Ok(Some(compiled.clone()));
            }
        }
        let compiled = match Compiled::compile(d.kind, &d.script) {
            Ok(c) => DeviceDecoder::Ready(Arc::new(c)),
            Err(e) => DeviceDecoder::Broken(format!("decoder {:?}: {e}", d.name)),
        };
        self.compiled.insert(d.id, (d.updated_at_ms, compiled.clone()));
        Ok(Some(compiled))
    }

    pub fn note_app_eui(&mut self, device_id: &str, app_eui: &str) {
        if let Some(d) = self.devices.get_mut(device_id) {
            if d.app_eui.as_deref() != Some(app_eui) && !app_eui.is_empty() {
                Arc::make_mut(d).app_eui = Some(app_eui.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_the_store_keeps_what_the_cache_read_and_a_change_makes_it_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let core = Arc::new(Core::open(dir.path()).unwrap());
        let reader = core.reader().unwrap();
        let mut cache = RoutingCache::new(core.clone());
        let first = cache.get(&reader, "dev-1").unwrap();
        // Reads, as the UI's polling makes them.
        core.store().list_integrations().unwrap();
        core.store().list_labels().unwrap();
        assert!(
            Arc::ptr_eq(&first, &cache.get(&reader, "dev-1").unwrap()),
            "read again after a read"
        );
        // A change, even one that routes nothing of this device's.
        core.store().create_label("elsewhere").unwrap();
        let second = cache.get(&reader, "dev-1").unwrap();
        assert!(!Arc::ptr_eq(&first, &second), "kept after a change");
        // A change made on a connection of another part's (a source's, merging a device).
        core.note_change();
        assert!(
            !Arc::ptr_eq(&second, &cache.get(&reader, "dev-1").unwrap()),
            "kept after a change noted"
        );
    }
}
