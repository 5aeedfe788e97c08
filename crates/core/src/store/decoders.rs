//! Decoders, and the labels they are attached to.

use rusqlite::{params, OptionalExtension, Row};

use super::{Result, Store, StoreError};
use crate::domain::{Decoder, DecoderKind};
use crate::now_ms;
use crate::validate::{self, Invalid};

/// The longest script kept: the public decoders are a few KB; 256 KB is room for any.
pub const MAX_SCRIPT: usize = 256 * 1024;

fn invalid(reason: String) -> StoreError {
    Invalid {
        field: "script",
        reason,
    }
    .into()
}

fn check(kind: DecoderKind, script: &str) -> Result<()> {
    if script.len() > MAX_SCRIPT {
        return Err(invalid(format!(
            "it is {} KB; at most 256 KB is allowed",
            script.len() / 1024
        )));
    }
    if kind != DecoderKind::Cayenne && script.trim().is_empty() {
        return Err(invalid("a JavaScript decoder needs its script".into()));
    }
    Ok(())
}

fn row(r: &Row<'_>) -> rusqlite::Result<Decoder> {
    let kind: String = r.get(2)?;
    Ok(Decoder {
        id: r.get(0)?,
        name: r.get(1)?,
        // The schema's CHECK allows only known kinds.
        kind: DecoderKind::parse(&kind).unwrap_or(DecoderKind::Cayenne),
        script: r.get(3)?,
        labels: Vec::new(),
        updated_at_ms: r.get(4)?,
    })
}

const COLUMNS: &str = "id, name, kind, script, updated_at_ms";

impl Store {
    pub fn create_decoder(&self, name: &str, kind: DecoderKind, script: &str) -> Result<Decoder> {
        validate::name("decoder name", name)?;
        check(kind, script)?;
        let d = Decoder {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.trim().to_string(),
            kind,
            script: if kind == DecoderKind::Cayenne {
                String::new()
            } else {
                script.to_string()
            },
            labels: Vec::new(),
            updated_at_ms: now_ms(),
        };
        let inserted = self.conn.execute(
            "INSERT INTO decoders (id, name, kind, script, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO NOTHING",
            params![d.id, d.name, kind.as_str(), d.script, d.updated_at_ms],
        )?;
        if inserted == 0 {
            return Err(self.name_taken("decoders", "decoder", &d.name));
        }
        Ok(d)
    }

    /// The kind of JavaScript the script turned out to be (Cayenne is never a script's kind).
    pub fn set_decoder_kind(&self, id: &str, kind: DecoderKind) -> Result<Decoder> {
        let d = self.find_decoder(id)?;
        if d.kind == DecoderKind::Cayenne || kind == DecoderKind::Cayenne {
            return Err(invalid(format!("{:?} cannot change to or from Cayenne LPP", d.name)));
        }
        self.conn.execute(
            "UPDATE decoders SET kind = ?2 WHERE id = ?1",
            params![d.id, kind.as_str()],
        )?;
        self.find_decoder(&d.id)
    }

    /// Renames a decoder and/or replaces its script.
    pub fn update_decoder(&self, id: &str, name: Option<&str>, script: Option<&str>) -> Result<Decoder> {
        let d = self.find_decoder(id)?;
        if d.kind == DecoderKind::Cayenne && script.is_some_and(|s| !s.trim().is_empty()) {
            return Err(invalid(format!(
                "{:?} is the built-in Cayenne LPP decoder: it runs no script; add a JavaScript decoder instead",
                d.name
            )));
        }
        let name = name.map(str::trim).unwrap_or(&d.name).to_string();
        validate::name("decoder name", &name)?;
        let script = script.unwrap_or(&d.script).to_string();
        check(d.kind, &script)?;
        let taken: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM decoders WHERE name = ?1 COLLATE NOCASE AND id <> ?2",
                params![name, d.id],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(self.name_taken("decoders", "decoder", &name));
        }
        // Strictly increasing, so a script changed twice within a millisecond is still recompiled.
        let updated = now_ms().max(d.updated_at_ms + 1);
        self.conn.execute(
            "UPDATE decoders SET name = ?2, script = ?3, updated_at_ms = ?4 WHERE id = ?1",
            params![d.id, name, script, updated],
        )?;
        self.find_decoder(&d.id)
    }

    pub fn remove_decoder(&self, id: &str) -> Result<Decoder> {
        let d = self.find_decoder(id)?;
        self.conn.execute("DELETE FROM decoders WHERE id = ?1", [&d.id])?;
        Ok(d)
    }

    /// By id, or by name (any case).
    pub fn find_decoder(&self, id_or_name: &str) -> Result<Decoder> {
        let mut d = self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM decoders WHERE id = ?1 OR name = ?1 COLLATE NOCASE
                     ORDER BY id = ?1 DESC LIMIT 1"
                ),
                [id_or_name],
                row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("decoder {id_or_name:?}")))?;
        d.labels = self.labels_linked("decoder_labels", "decoder_id", &d.id)?;
        Ok(d)
    }

    pub fn list_decoders(&self) -> Result<Vec<Decoder>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM decoders ORDER BY name COLLATE NOCASE"))?;
        let mut list = stmt.query_map([], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        for d in &mut list {
            d.labels = self.labels_linked("decoder_labels", "decoder_id", &d.id)?;
        }
        Ok(list)
    }

    /// Attaches the decoder to the label; true if it was not already.
    pub fn attach_decoder_label(&self, decoder_id: &str, label_id: &str) -> Result<bool> {
        // Its devices could run neither: a device with two decoders gets an error in `decoded`.
        let other: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT l.name, d.name FROM decoder_labels x
                 JOIN decoders d ON d.id = x.decoder_id JOIN labels l ON l.id = x.label_id
                 WHERE x.label_id = ?1 AND x.decoder_id <> ?2",
                params![label_id, decoder_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((label, other)) = other {
            return Err(StoreError::Conflict(format!(
                "label {label:?} already carries decoder {other:?}, and a device runs one decoder: detach it first"
            )));
        }
        Ok(self.conn.execute(
            "INSERT OR IGNORE INTO decoder_labels (decoder_id, label_id) VALUES (?1, ?2)",
            params![decoder_id, label_id],
        )? == 1)
    }

    /// Detaches the decoder from the label; false if it was not attached.
    pub fn detach_decoder_label(&self, decoder_id: &str, label_id: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM decoder_labels WHERE decoder_id = ?1 AND label_id = ?2",
            params![decoder_id, label_id],
        )? == 1)
    }

    /// The decoders a device's labels attach, each with the labels that bring it.
    pub fn decoders_for_device(&self, device_id: &str) -> Result<Vec<(Decoder, Vec<String>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.id, d.name, d.kind, d.script, d.updated_at_ms, l.name
             FROM device_labels dl
             JOIN decoder_labels x ON x.label_id = dl.label_id
             JOIN decoders d ON d.id = x.decoder_id
             JOIN labels l ON l.id = dl.label_id
             WHERE dl.device_id = ?1
             ORDER BY d.name COLLATE NOCASE, l.name COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([device_id], |r| Ok((row(r)?, r.get::<_, String>(5)?)))?;
        let mut out: Vec<(Decoder, Vec<String>)> = Vec::new();
        for r in rows {
            let (d, label) = r?;
            match out.last_mut() {
                Some((last, labels)) if last.id == d.id => labels.push(label),
                _ => out.push((d, vec![label])),
            }
        }
        Ok(out)
    }
}
