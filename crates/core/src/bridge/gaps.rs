//! What the bridge heard of each device lately, in memory: its frame counter, which says how
//! many uplinks never reached the bridge (dropped by the LNS, its broker or the radio), and its
//! last uplinks' uuids, which say when one arrives again (a source redelivering it, or a second
//! source that hears the same device: each is sent to AWS once).

use crate::sync::LockExt;
use foldhash::HashMap;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

/// Below this a lower frame counter is a restart (a rejoin resets it to 0), not a late copy.
const RESET_BELOW: u32 = 16;

/// The uuids remembered per device. A redelivery comes within a few uplinks of the first copy
/// (a source's reconnect, or a second source hearing it at the same moment).
const UUIDS_KEPT: usize = 8;

/// What an uplink is, given what was heard before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Heard {
    /// Not heard before; `missing` uplinks never arrived between the last one and it.
    New { missing: u32 },
    /// Heard already (the same uuid), first from `first_source`.
    Again { first_source: Arc<str> },
}

#[derive(Default)]
struct Device {
    fcnt: Option<u32>,
    /// (uuid's hash, the source it came from), oldest first.
    uuids: VecDeque<(u64, Arc<str>)>,
}

#[derive(Default)]
pub(crate) struct FrameCounters {
    devices: Mutex<HashMap<String, Device>>,
}

/// One fixed hash for every uuid (64 bits: two uuids of a device's last 8 do not collide).
fn hash(uuid: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(uuid)
}

impl FrameCounters {
    /// Records the device's uplink `uuid` with frame counter `fcnt` (a join: its counter starts
    /// over) from `source`, unless it was heard already.
    pub fn heard(&self, device_id: &str, uuid: &str, fcnt: u32, join: bool, source: &Arc<str>) -> Heard {
        let mut devices = self.devices.locked();
        let device = match devices.get_mut(device_id) {
            Some(d) => d,
            None => devices.entry(device_id.to_string()).or_default(),
        };
        let h = hash(uuid);
        if let Some((_, first)) = device.uuids.iter().find(|(u, _)| *u == h) {
            return Heard::Again {
                first_source: first.clone(),
            };
        }
        if device.uuids.len() == UUIDS_KEPT {
            device.uuids.pop_front();
        }
        device.uuids.push_back((h, source.clone()));
        if join {
            device.fcnt = None;
            return Heard::New { missing: 0 };
        }
        let missing = match device.fcnt {
            None => 0,
            Some(prev) if fcnt > prev => fcnt - prev - 1,
            // A late copy keeps the counter; a fresh start replaces it.
            Some(prev) if fcnt < RESET_BELOW && fcnt < prev => 0,
            Some(_) => return Heard::New { missing: 0 },
        };
        device.fcnt = Some(fcnt);
        Heard::New { missing }
    }

    /// The uplink `uuid` was not taken after all (refused, or rejected): a copy of it that comes
    /// again is new.
    pub fn forget(&self, device_id: &str, uuid: &str) {
        let h = hash(uuid);
        if let Some(d) = self.devices.locked().get_mut(device_id) {
            d.uuids.retain(|(u, _)| *u != h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each call a fresh uuid, from source "s".
    fn missing(c: &FrameCounters, device: &str, fcnt: u32) -> u32 {
        let s: Arc<str> = "s".into();
        match c.heard(device, &uuid::Uuid::new_v4().to_string(), fcnt, false, &s) {
            Heard::New { missing } => missing,
            again => panic!("{again:?}"),
        }
    }

    #[test]
    fn counts_the_frames_that_never_arrived() {
        let c = FrameCounters::default();
        assert_eq!(missing(&c, "d", 100), 0, "first sight");
        assert_eq!(missing(&c, "d", 101), 0);
        assert_eq!(missing(&c, "d", 111), 9);
        assert_eq!(missing(&c, "d", 111), 0, "a repeated counter");
        assert_eq!(missing(&c, "d", 105), 0, "a late copy");
        assert_eq!(missing(&c, "d", 112), 0, "a late copy does not move the counter back");
        assert_eq!(missing(&c, "e", 5), 0, "devices are counted apart");
        assert_eq!(missing(&c, "d", 0), 0, "a restart");
        assert_eq!(missing(&c, "d", 3), 2);
        let s: Arc<str> = "s".into();
        assert_eq!(c.heard("d", "join-1", 0, true, &s), Heard::New { missing: 0 });
        assert_eq!(missing(&c, "d", 40), 0, "after a join the next counter is the first");
    }

    #[test]
    fn an_uplink_heard_again_names_the_source_that_brought_it_first() {
        let c = FrameCounters::default();
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        assert_eq!(c.heard("d", "u1", 1, false, &a), Heard::New { missing: 0 });
        assert_eq!(
            c.heard("d", "u1", 1, false, &b),
            Heard::Again {
                first_source: a.clone()
            }
        );
        assert_eq!(
            c.heard("d", "u1", 1, false, &a),
            Heard::Again {
                first_source: a.clone()
            }
        );
        assert_eq!(
            c.heard("e", "u1", 1, false, &b),
            Heard::New { missing: 0 },
            "per device"
        );
        // Refused the first time: when it comes again it is taken.
        assert_eq!(c.heard("d", "u2", 3, false, &a), Heard::New { missing: 1 });
        c.forget("d", "u2");
        assert_eq!(c.heard("d", "u2", 3, false, &a), Heard::New { missing: 0 });
        // The last few are kept, not every one.
        for n in 0..UUIDS_KEPT as u32 {
            c.heard("d", &format!("x{n}"), 10 + n, false, &a);
        }
        assert_eq!(c.heard("d", "u1", 1, false, &b), Heard::New { missing: 0 });
    }
}
