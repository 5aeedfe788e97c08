//! Labels, and what they tie together: devices and integrations.

use rusqlite::{params, OptionalExtension};

use super::devices::{is_console_id, is_dev_eui};
use super::{Result, Store, StoreError};
use crate::domain::{Device, Label, LabelSummary};
use crate::now_ms;
use crate::validate::{self, Invalid};

impl Store {
    pub fn create_label(&self, name: &str) -> Result<Label> {
        validate::name("label name", name)?;
        let label = Label {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.trim().to_string(),
        };
        let inserted = self.conn.execute(
            "INSERT INTO labels (id, name, created_at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO NOTHING",
            params![label.id, label.name, now_ms()],
        )?;
        if inserted == 0 {
            return Err(self.name_taken("labels", "label", &label.name));
        }
        Ok(label)
    }

    /// Every label with the ids of the devices and integrations carrying it.
    pub fn list_labels(&self) -> Result<Vec<LabelSummary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.id, l.name,
                    (SELECT group_concat(dl.device_id, char(31)) FROM device_labels dl WHERE dl.label_id = l.id),
                    (SELECT group_concat(li.integration_id, char(31)) FROM label_integrations li WHERE li.label_id = l.id)
             FROM labels l ORDER BY l.name COLLATE NOCASE, l.id",
        )?;
        // Unit separator: no id holds it.
        let ids = |v: Option<String>| -> Vec<String> {
            let mut ids: Vec<String> = v
                .unwrap_or_default()
                .split('\u{1f}')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            ids.sort_unstable();
            ids
        };
        let rows = stmt.query_map([], |r| {
            let devices = ids(r.get(2)?);
            let integrations = ids(r.get(3)?);
            Ok(LabelSummary {
                id: r.get(0)?,
                name: r.get(1)?,
                device_count: devices.len() as i64,
                integration_count: integrations.len() as i64,
                devices,
                integrations,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn attach_label_to_integration(&self, label_id: &str, integration_id: &str) -> Result<()> {
        self.link(
            "label_integrations",
            "integration_id",
            label_id,
            integration_id,
            "integration",
        )
    }

    pub fn attach_label_to_device(&self, label_id: &str, device_id: &str) -> Result<()> {
        self.link("device_labels", "device_id", label_id, device_id, "device")
    }

    pub(super) fn link(&self, table: &str, col: &str, label_id: &str, other_id: &str, what: &str) -> Result<()> {
        let res = self.conn.execute(
            &format!("INSERT OR IGNORE INTO {table} (label_id, {col}) VALUES (?1, ?2)"),
            params![label_id, other_id],
        );
        match res {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Err(StoreError::NotFound(format!("label {label_id} or {what} {other_id}")))
            }
            Err(e) => Err(e.into()),
        }
    }

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

    /// Renames a label; what carries it keeps it.
    pub fn rename_label(&self, id: &str, name: &str) -> Result<Label> {
        validate::name("label name", name)?;
        let name = name.trim();
        let taken = self
            .find_label(name)
            .ok()
            .filter(|l| l.id != id && l.name.eq_ignore_ascii_case(name));
        if taken.is_some() {
            return Err(self.name_taken("labels", "label", name));
        }
        if self
            .conn
            .execute("UPDATE labels SET name = ?2 WHERE id = ?1", params![id, name])?
            == 0
        {
            return Err(StoreError::NotFound(format!("label {id:?}")));
        }
        Ok(Label {
            id: id.to_string(),
            name: name.to_string(),
        })
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
        self.atomically(|store| store.attach_device_ref(label_id, id_or_eui))
    }

    fn attach_device_ref(&self, label_id: &str, id_or_eui: &str) -> Result<Device> {
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
                            "{} is neither a known device (by name or id), a DevEUI (16 hex digits) nor a \
                             Helium Console device id (a UUID)",
                            crate::validate::quoted(id_or_eui)
                        ),
                    }
                    .into());
                };
                let name = if dev_eui.is_empty() { &id } else { &dev_eui };
                // Not heard yet: no source and no last-seen time until its first uplink.
                self.conn.execute(
                    "INSERT INTO devices (id, name, dev_eui, source, created_at_ms) VALUES (?1, ?2, ?3, '', ?4)",
                    params![id, name, dev_eui, now_ms()],
                )?;
                self.lookup_device(&id)?.expect("device just registered")
            }
        };
        self.attach_label_to_device(label_id, &device.id)?;
        Ok(device)
    }

    /// The labels on a device, for `metadata.labels`.
    pub fn device_labels(&self, device_id: &str) -> Result<Vec<crate::domain::Label>> {
        self.labels_linked("device_labels", "device_id", device_id)
    }

    /// The labels a link table (`device_labels`, `label_integrations`) ties to `id`, by name.
    pub(super) fn labels_linked(&self, table: &str, col: &str, id: &str) -> Result<Vec<crate::domain::Label>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT l.id, l.name FROM labels l JOIN {table} t ON t.label_id = l.id
             WHERE t.{col} = ?1 ORDER BY l.name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([id], |r| {
            Ok(crate::domain::Label {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
