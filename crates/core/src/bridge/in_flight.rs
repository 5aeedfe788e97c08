//! A session's publishes that AWS has not acknowledged yet, by packet id. rumqttc numbers a
//! connection's publishes 1 to its in-flight limit (100), so a slot per id does what a map did
//! without hashing the id at each publish and each PUBACK (with the integration's lookup,
//! hashing was a fifth of a session's own work per uplink in the burst profile).

/// Values by packet id.
pub(super) struct ByPacketId<T> {
    slots: Vec<Option<T>>,
    len: usize,
}

impl<T> Default for ByPacketId<T> {
    fn default() -> Self {
        ByPacketId {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ByPacketId<T> {
    /// Puts `value` under `pkid`, replacing what was there.
    pub fn insert(&mut self, pkid: u16, value: T) {
        let i = usize::from(pkid);
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        if self.slots[i].replace(value).is_none() {
            self.len += 1;
        }
    }

    pub fn remove(&mut self, pkid: u16) -> Option<T> {
        let value = self.slots.get_mut(usize::from(pkid))?.take();
        if value.is_some() {
            self.len -= 1;
        }
        value
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }

    /// Everything held, by packet id; leaves it empty.
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.len = 0;
        self.slots.drain(..).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::ByPacketId;

    #[test]
    fn holds_one_value_per_packet_id_and_counts_them() {
        let mut m = ByPacketId::default();
        assert_eq!(m.len(), 0);
        m.insert(3, "c");
        m.insert(1, "a");
        m.insert(3, "c again");
        assert_eq!(m.len(), 2);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), ["a", "c again"]);
        assert_eq!(m.remove(3), Some("c again"));
        assert_eq!(m.remove(3), None);
        assert_eq!(m.remove(40_000), None, "an id never seen");
        assert_eq!(m.len(), 1);
        m.insert(u16::MAX, "z");
        assert_eq!(m.drain().collect::<Vec<_>>(), ["a", "z"]);
        assert_eq!(m.len(), 0);
        assert_eq!(m.values().count(), 0);
    }
}
