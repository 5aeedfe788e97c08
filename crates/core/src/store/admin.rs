//! What the headless CLI needs beyond the bridge: finding things by id or name, removing them,
//! detaching labels, device details, and a read-only view of the event log for `monitor`.

use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};

use super::{integration_from_row, Result, Store, StoreError, INTEGRATION_COLS};
use crate::domain::{Device, Integration, Label};
use crate::events::Event;
use crate::now_ms;
use crate::validate::Invalid;

pub(super) const DEVICE_COLS: &str =
    "id, name, dev_eui, app_eui, devaddr, source, last_seen_ms, uplinks, downlinks, errors";

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
fn is_dev_eui(s: &str) -> bool {
    crate::codec::helium::is_hex(s, 16)
}

/// Whether `s` looks like a Helium Console device id: a hyphenated UUID.
fn is_console_id(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

impl Store {
    /// Opens an existing database read-only, without migrations and without the data-directory
    /// lock, so it can watch a database another process (the running bridge) is writing.
    pub fn open_reader(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!("database {}", path.display())));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = Store { conn };
        let version = store.schema_version()?;
        if version > super::migrations::LATEST {
            return Err(StoreError::TooNew {
                found: version,
                known: super::migrations::LATEST,
            });
        }
        Ok(store)
    }

    /// The id of the newest event, 0 when there is none.
    pub fn last_event_id(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?)
    }

    // ---- integrations ----

    /// Finds an integration by id or (case-insensitive) name.
    pub fn find_integration(&self, id_or_name: &str) -> Result<Integration> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {INTEGRATION_COLS} FROM integrations i
                     WHERE i.id = ?1 OR i.name = ?1 COLLATE NOCASE ORDER BY i.id = ?1 DESC LIMIT 1"
                ),
                [id_or_name],
                integration_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("integration {id_or_name:?}")))
    }

    /// Removes an integration with its label links and whatever its outbox still holds.
    pub fn remove_integration(&self, id: &str) -> Result<()> {
        if self.conn.execute("DELETE FROM integrations WHERE id = ?1", [id])? == 0 {
            return Err(StoreError::NotFound(format!("integration {id:?}")));
        }
        Ok(())
    }

    /// The labels attached to an integration.
    pub fn integration_labels(&self, integration_id: &str) -> Result<Vec<Label>> {
        self.labels_linked("label_integrations", "integration_id", integration_id)
    }

    /// How many uplinks wait in an integration's outbox.
    pub fn integration_outbox_len(&self, integration_id: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE integration_id = ?1",
            [integration_id],
            |r| r.get(0),
        )?)
    }

    // ---- labels ----

    /// Finds a label by id or (case-insensitive) name.
    pub fn find_label(&self, id_or_name: &str) -> Result<Label> {
        self.conn
            .query_row(
                "SELECT id, name FROM labels WHERE id = ?1 OR name = ?1 COLLATE NOCASE
                 ORDER BY id = ?1 DESC LIMIT 1",
                [id_or_name],
                |r| {
                    Ok(Label {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("label {id_or_name:?}")))
    }

    /// Removes a label; devices and integrations lose it.
    pub fn remove_label(&self, id: &str) -> Result<()> {
        if self.conn.execute("DELETE FROM labels WHERE id = ?1", [id])? == 0 {
            return Err(StoreError::NotFound(format!("label {id:?}")));
        }
        Ok(())
    }

    /// Returns whether the label was attached.
    pub fn detach_label_from_integration(&self, label_id: &str, integration_id: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM label_integrations WHERE label_id = ?1 AND integration_id = ?2",
            params![label_id, integration_id],
        )? > 0)
    }

    /// Returns whether the label was attached.
    pub fn detach_label_from_device(&self, label_id: &str, device_id: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM device_labels WHERE label_id = ?1 AND device_id = ?2",
            params![label_id, device_id],
        )? > 0)
    }

    /// Attaches a label to a device given by id or DevEUI. A device not heard from yet is
    /// registered so users can label it first: by DevEUI with the id its first ChirpStack uplink
    /// would give it (a legacy device's first uplink, keyed by its Console id, takes the labels
    /// over: see [`Store::claim_placeholder`]); by a Helium Console id (a UUID) with that id.
    /// Both happen in one transaction.
    pub fn attach_label_to_device_ref(&self, label_id: &str, id_or_eui: &str) -> Result<Device> {
        let tx = self.conn.unchecked_transaction()?;
        let device = match self.lookup_device(id_or_eui)? {
            Some(d) => d,
            None => {
                let (id, dev_eui) = if is_dev_eui(id_or_eui) {
                    let eui = id_or_eui.to_ascii_uppercase();
                    (crate::codec::device_id_for_dev_eui(&eui), eui)
                } else if is_console_id(id_or_eui) {
                    (id_or_eui.to_ascii_lowercase(), String::new())
                } else {
                    return Err(Invalid {
                        field: "device",
                        reason: format!(
                            "{id_or_eui:?} is neither a known device id, a DevEUI (16 hex digits) nor a Helium \
                             Console device id (a UUID)"
                        ),
                    }
                    .into());
                };
                let name = if dev_eui.is_empty() { &id } else { &dev_eui };
                // Not heard yet: no source and no last-seen time until its first uplink.
                tx.execute(
                    "INSERT INTO devices (id, name, dev_eui, source, created_at_ms) VALUES (?1, ?2, ?3, '', ?4)",
                    params![id, name, dev_eui, now_ms()],
                )?;
                self.lookup_device(&id)?.expect("device just registered")
            }
        };
        self.attach_label_to_device(label_id, &device.id)?;
        tx.commit()?;
        Ok(device)
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

    /// Finds a device by id or DevEUI (any case).
    pub fn find_device(&self, id_or_eui: &str) -> Result<Device> {
        self.lookup_device(id_or_eui)?
            .ok_or_else(|| StoreError::NotFound(format!("device {id_or_eui:?}")))
    }

    fn lookup_device(&self, id_or_eui: &str) -> Result<Option<Device>> {
        let by_id = self
            .conn
            .query_row(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE id = ?1"),
                [id_or_eui],
                device_from_row,
            )
            .optional()?;
        if by_id.is_some() || !is_dev_eui(id_or_eui) {
            return Ok(by_id);
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
            [] => Ok(None),
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

    /// A device's newest `limit` events, oldest first.
    pub fn device_events(&self, device_id: &str, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at_ms, kind, level, source_id, integration_id, device_id, message, detail
             FROM (SELECT * FROM events WHERE device_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![device_id, limit as i64], super::bridge::event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
