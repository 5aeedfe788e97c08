//! Devices: sightings, counters, lookups by id, DevEUI or Console id.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Result, Store, StoreError};
use crate::domain::{Device, DeviceSeen};

pub(super) const DEVICE_COLS: &str =
    "id, name, dev_eui, app_eui, devaddr, source, last_seen_ms, uplinks, downlinks, errors";

#[derive(Debug, Clone, Copy)]
pub enum DeviceCounter {
    Downlinks,
    Errors,
}

impl Store {
    /// Registers a device on first sight, or refreshes what the source says about it.
    pub fn record_device_seen(&self, seen: &DeviceSeen) -> Result<()> {
        upsert_device(&self.conn, seen, 0)
    }

    pub fn list_devices(&self) -> Result<Vec<Device>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM devices ORDER BY name COLLATE NOCASE, id",
            DEVICE_COLS
        ))?;
        let rows = stmt.query_map([], device_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The devices carrying any of `label_ids`, each once.
    pub fn devices_with_labels(&self, label_ids: &[String]) -> Result<Vec<Device>> {
        let (mut devices, mut seen) = (Vec::new(), std::collections::HashSet::new());
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DEVICE_COLS} FROM devices WHERE id IN (SELECT device_id FROM device_labels WHERE label_id = ?1)"
        ))?;
        for label in label_ids {
            for d in stmt.query_map([label], device_from_row)? {
                let d = d?;
                if seen.insert(d.id.clone()) {
                    devices.push(d);
                }
            }
        }
        Ok(devices)
    }

    /// A device heard under an id other than the one its DevEUI gives (a legacy device, keyed
    /// by its Console id) takes over the labels of a device registered by that DevEUI and never
    /// heard, which then goes: one device, whichever way the user named it. Returns whether
    /// there was such a placeholder. Call it before the uplink is routed.
    pub fn claim_placeholder(&mut self, device_id: &str, dev_eui: &str) -> Result<bool> {
        let placeholder = crate::codec::device_id_for_dev_eui(dev_eui);
        if placeholder == device_id {
            return Ok(false);
        }
        let unheard: Option<i64> = self
            .conn
            .prepare_cached("SELECT 1 FROM devices WHERE id = ?1 AND source = '' AND last_seen_ms IS NULL")?
            .query_row([&placeholder], |r| r.get(0))
            .optional()?;
        if unheard.is_none() {
            return Ok(false);
        }
        let tx = self.conn.transaction()?;
        // The uplink's own upsert fills in the rest of the device right after.
        tx.execute(
            "INSERT OR IGNORE INTO devices (id, name, dev_eui, source, created_at_ms)
             SELECT ?1, name, dev_eui, '', created_at_ms FROM devices WHERE id = ?2",
            params![device_id, placeholder],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO device_labels (device_id, label_id)
             SELECT ?1, label_id FROM device_labels WHERE device_id = ?2",
            params![device_id, placeholder],
        )?;
        tx.execute("DELETE FROM devices WHERE id = ?1", [&placeholder])?;
        tx.commit()?;
        Ok(true)
    }

    /// Removes a device registered by a label and never heard from (a mistyped DevEUI leaves
    /// one), with its labels. A device that has sent uplinks is refused: its next uplink would
    /// bring it back, and taking its labels off is what stops it being forwarded. Its AWS
    /// identities, if it was provisioned in advance, stay with their integrations, whose AWS
    /// clean-up removes them.
    pub fn remove_unheard_device(&self, id_or_eui: &str) -> Result<Device> {
        self.atomically(|store| {
            let d = store.find_device(id_or_eui)?;
            if d.last_seen_ms.is_some() || d.uplinks > 0 || !d.source.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "device {:?} ({}) has been heard from, so its next uplink would bring it back; to stop \
                     forwarding it, take its labels off",
                    d.name, d.id
                )));
            }
            store.conn.execute("DELETE FROM devices WHERE id = ?1", [&d.id])?;
            Ok(d)
        })
    }

    /// How a message names a device: its name, or its id when the bridge has no such device (a
    /// downlink may name any id). The id stays in the message's `device` field.
    pub fn device_called(&self, id: &str) -> String {
        self.conn
            .prepare_cached("SELECT name FROM devices WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get::<_, String>(0)).optional())
            .ok()
            .flatten()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| id.to_string())
    }

    /// Finds a device by id or DevEUI (any case).
    pub fn find_device(&self, id_or_eui: &str) -> Result<Device> {
        self.lookup_device(id_or_eui)?
            .ok_or_else(|| StoreError::NotFound(format!("device {}", crate::validate::quoted(id_or_eui))))
    }

    pub(super) fn lookup_device(&self, id_or_eui: &str) -> Result<Option<Device>> {
        let by = |id: &str| {
            self.conn
                .query_row(
                    &format!("SELECT {DEVICE_COLS} FROM devices WHERE id = ?1"),
                    [id],
                    device_from_row,
                )
                .optional()
        };
        let mut by_id = by(id_or_eui)?;
        // UUID ids (a Console id, a Thing name) are kept in lower case; a user may paste them in
        // upper case.
        if by_id.is_none() && is_console_id(id_or_eui) {
            by_id = by(&id_or_eui.to_ascii_lowercase())?;
        }
        if by_id.is_some() {
            return Ok(by_id);
        }
        if !is_dev_eui(id_or_eui) {
            return self.device_named(id_or_eui);
        }
        // The id a ChirpStack device gets from its DevEUI first, then any device with that DevEUI.
        let derived = crate::codec::device_id_for_dev_eui(id_or_eui);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DEVICE_COLS} FROM devices WHERE id = ?1 OR dev_eui = ?2 COLLATE NOCASE
             ORDER BY id = ?1 DESC, id"
        ))?;
        let found: Vec<Device> = stmt
            .query_map(params![derived, id_or_eui], device_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        match found.as_slice() {
            // (A name may look like a DevEUI.)
            [] => self.device_named(id_or_eui),
            [first, ..] if first.id == derived => Ok(Some(first.clone())),
            [only] => Ok(Some(only.clone())),
            several => Err(StoreError::Conflict(format!(
                "{} devices have DevEUI {}; use a device id: {}",
                several.len(),
                id_or_eui.to_ascii_uppercase(),
                several.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The device its source calls `name` (any case): users who came from Helium Console know
    /// their devices by name. Names need not be unique: several is an error listing them.
    fn device_named(&self, name: &str) -> Result<Option<Device>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DEVICE_COLS} FROM devices WHERE name = ?1 COLLATE NOCASE ORDER BY id LIMIT 11"
        ))?;
        let found: Vec<Device> = stmt
            .query_map([name.trim()], device_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        match found.as_slice() {
            [] => Ok(None),
            [only] => Ok(Some(only.clone())),
            several => Err(StoreError::Conflict(format!(
                "{} devices are named {}; use a device id: {}",
                if several.len() > 10 {
                    "more than 10".to_string()
                } else {
                    several.len().to_string()
                },
                crate::validate::quoted(name.trim()),
                several
                    .iter()
                    .take(10)
                    .map(|d| match d.dev_eui.as_str() {
                        "" => d.id.clone(),
                        eui => format!("{} (DevEUI {eui})", d.id),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    pub fn bump_device_counter(&self, device_id: &str, counter: DeviceCounter) -> Result<()> {
        let col = match counter {
            DeviceCounter::Downlinks => "downlinks",
            DeviceCounter::Errors => "errors",
        };
        self.conn
            .prepare_cached(&format!("UPDATE devices SET {col} = {col} + 1 WHERE id = ?1"))?
            .execute([device_id])?;
        Ok(())
    }

    /// What the bridge needs to send a downlink: (source id, dev_eui, application id).
    pub fn device_route_back(&self, device_id: &str) -> Result<Option<(String, String, Option<String>)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT source, dev_eui, application_id FROM devices WHERE id = ?1")?
            .query_row([device_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }

    pub fn device_app_eui(&self, device_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT app_eui FROM devices WHERE id = ?1")?
            .query_row([device_id], |r| r.get(0))
            .optional()?
            .flatten())
    }
}

/// Records a sighting; `uplinks` is added to the device's uplink count in the same statement.
pub(super) fn upsert_device(conn: &Connection, seen: &DeviceSeen, uplinks: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO devices (id, name, dev_eui, app_eui, devaddr, source, last_seen_ms, created_at_ms,
                 application_id, uplinks)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)
             ON CONFLICT(id) DO UPDATE SET
                 name = excluded.name, dev_eui = excluded.dev_eui,
                 app_eui = COALESCE(excluded.app_eui, devices.app_eui),
                 devaddr = COALESCE(excluded.devaddr, devices.devaddr),
                 source = excluded.source,
                 application_id = COALESCE(excluded.application_id, devices.application_id),
                 last_seen_ms = MAX(COALESCE(devices.last_seen_ms, 0), excluded.last_seen_ms),
                 uplinks = devices.uplinks + excluded.uplinks",
    )?
    .execute(params![
        seen.id,
        seen.name,
        seen.dev_eui,
        seen.app_eui,
        seen.devaddr,
        seen.source,
        seen.seen_at_ms,
        seen.application_id,
        uplinks
    ])?;
    Ok(())
}

pub(super) fn device_from_row(r: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: r.get(0)?,
        name: r.get(1)?,
        dev_eui: r.get(2)?,
        app_eui: r.get(3)?,
        devaddr: r.get(4)?,
        source: r.get(5)?,
        last_seen_ms: r.get(6)?,
        uplinks: r.get(7)?,
        downlinks: r.get(8)?,
        errors: r.get(9)?,
    })
}

/// Whether `s` is a DevEUI: 16 hex digits, any case.
pub(super) fn is_dev_eui(s: &str) -> bool {
    crate::codec::helium::is_hex(s, 16)
}

/// Whether `s` looks like a Helium Console device id: a hyphenated UUID.
pub(super) fn is_console_id(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}
