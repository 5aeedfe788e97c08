//! Upstream loss: a device's frame counter says how many uplinks never reached the bridge
//! (dropped by the LNS, its broker, or the radio). Counted per device, in memory.

use crate::sync::LockExt;
use foldhash::HashMap;
use std::sync::Mutex;

/// Below this a lower frame counter is a restart (a rejoin resets it to 0), not a late copy.
const RESET_BELOW: u32 = 16;

#[derive(Default)]
pub(crate) struct FrameCounters {
    last: Mutex<HashMap<String, u32>>,
}

impl FrameCounters {
    /// Records `fcnt` for the device; returns how many uplinks are missing before it (0 when it
    /// follows on, is the first one seen, a copy, or a restart of the counter).
    pub fn missing_before(&self, device_id: &str, fcnt: u32) -> u32 {
        let mut last = self.last.locked();
        match last.get_mut(device_id) {
            None => {
                last.insert(device_id.to_string(), fcnt);
                0
            }
            Some(prev) if fcnt > *prev => {
                let missing = fcnt - *prev - 1;
                *prev = fcnt;
                missing
            }
            Some(prev) => {
                // A redelivered or late copy keeps the counter; a fresh start replaces it.
                if fcnt < RESET_BELOW && fcnt < *prev {
                    *prev = fcnt;
                }
                0
            }
        }
    }

    /// The device joined again: its counter starts over.
    pub fn reset(&self, device_id: &str) {
        self.last.locked().remove(device_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_frames_that_never_arrived() {
        let c = FrameCounters::default();
        assert_eq!(c.missing_before("d", 100), 0, "first sight");
        assert_eq!(c.missing_before("d", 101), 0);
        assert_eq!(c.missing_before("d", 111), 9);
        assert_eq!(c.missing_before("d", 111), 0, "a redelivered copy");
        assert_eq!(c.missing_before("d", 105), 0, "a late copy");
        assert_eq!(
            c.missing_before("d", 112),
            0,
            "a late copy does not move the counter back"
        );
        assert_eq!(c.missing_before("e", 5), 0, "devices are counted apart");
        assert_eq!(c.missing_before("d", 0), 0, "a restart");
        assert_eq!(c.missing_before("d", 3), 2);
        c.reset("d");
        assert_eq!(
            c.missing_before("d", 40),
            0,
            "after a join the next counter is the first"
        );
    }
}
