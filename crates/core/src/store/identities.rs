//! AWS IoT identities the bridge provisioned, per (integration, device). The private key is
//! only ever stored sealed (`vault::encrypt_private_key`); this module never sees it in clear.

use rusqlite::{params, OptionalExtension, Row};

use super::{Result, Store};
use crate::now_ms;

/// One row of `device_identities`. `cert_*` are `None` until the certificate is issued;
/// `ready` once every AWS step (policy and thing attached, endpoint known) is done.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredIdentity {
    pub integration_id: String,
    pub device_id: String,
    pub thing_name: String,
    /// The AWS region the thing and certificate live in.
    pub region: String,
    pub cert_id: Option<String>,
    pub cert_arn: Option<String>,
    pub cert_pem: Option<String>,
    /// The sealed private key (never the PEM).
    pub key_enc: Vec<u8>,
    pub endpoint: Option<String>,
    pub ready: bool,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for StoredIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredIdentity")
            .field("integration_id", &self.integration_id)
            .field("device_id", &self.device_id)
            .field("thing_name", &self.thing_name)
            .field("region", &self.region)
            .field("cert_id", &self.cert_id)
            .field("cert_arn", &self.cert_arn)
            .field("key_enc", &format_args!("<{} sealed bytes>", self.key_enc.len()))
            .field("endpoint", &self.endpoint)
            .field("ready", &self.ready)
            .finish()
    }
}

/// A certificate the bridge made for a device and no longer uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredIdentity {
    pub device_id: String,
    pub thing_name: String,
    pub region: String,
    pub cert_id: String,
    pub cert_arn: String,
}

const COLS: &str = "integration_id, device_id, thing_name, region, cert_id, cert_arn, cert_pem, key_enc, endpoint, \
                    ready, created_at_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<StoredIdentity> {
    Ok(StoredIdentity {
        integration_id: r.get(0)?,
        device_id: r.get(1)?,
        thing_name: r.get(2)?,
        region: r.get(3)?,
        cert_id: r.get(4)?,
        cert_arn: r.get(5)?,
        cert_pem: r.get(6)?,
        key_enc: r.get(7)?,
        endpoint: r.get(8)?,
        ready: r.get(9)?,
        created_at_ms: r.get(10)?,
    })
}

impl Store {
    pub fn get_device_identity(&self, integration_id: &str, device_id: &str) -> Result<Option<StoredIdentity>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLS} FROM device_identities WHERE integration_id = ?1 AND device_id = ?2"),
                params![integration_id, device_id],
                from_row,
            )
            .optional()?)
    }

    /// Records a freshly generated (sealed) key before any certificate exists for it, so a
    /// crash after `CreateCertificateFromCsr` never leaves a certificate whose key is lost.
    /// Replaces a previous row for the same (integration, device).
    pub fn put_device_key(
        &self,
        integration_id: &str,
        device_id: &str,
        thing_name: &str,
        region: &str,
        key_enc: &[u8],
    ) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO device_identities
                 (integration_id, device_id, thing_name, region, key_enc, ready, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
            params![integration_id, device_id, thing_name, region, key_enc, now_ms()],
        )?;
        Ok(())
    }

    /// Records the certificate AWS issued for the stored key.
    pub fn set_device_certificate(
        &self,
        integration_id: &str,
        device_id: &str,
        cert_id: &str,
        cert_arn: &str,
        cert_pem: &str,
    ) -> Result<()> {
        self.update_identity(
            "cert_id = ?3, cert_arn = ?4, cert_pem = ?5",
            params![integration_id, device_id, cert_id, cert_arn, cert_pem],
        )
    }

    /// Marks the identity usable: policy and thing attached, data endpoint known.
    pub fn set_device_identity_ready(&self, integration_id: &str, device_id: &str, endpoint: &str) -> Result<()> {
        self.update_identity("endpoint = ?3, ready = 1", params![integration_id, device_id, endpoint])
    }

    fn update_identity(&self, set: &str, params: &[&dyn rusqlite::ToSql]) -> Result<()> {
        let n = self.conn.execute(
            &format!("UPDATE device_identities SET {set} WHERE integration_id = ?1 AND device_id = ?2"),
            params,
        )?;
        if n == 0 {
            return Err(super::StoreError::NotFound("the device's provisioned identity".into()));
        }
        Ok(())
    }

    pub fn list_device_identities(&self, integration_id: &str) -> Result<Vec<StoredIdentity>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLS} FROM device_identities WHERE integration_id = ?1 ORDER BY device_id"
        ))?;
        let rows = stmt.query_map([integration_id], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stops using a device's identity: its certificate (if one was issued) is remembered as
    /// retired, for cleanup, and the row goes, so the device is provisioned afresh.
    pub fn retire_device_identity(&mut self, integration_id: &str, device_id: &str) -> Result<bool> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO retired_identities
                 (integration_id, device_id, thing_name, region, cert_id, cert_arn, retired_at_ms)
             SELECT integration_id, device_id, thing_name, region, cert_id, cert_arn, ?3
             FROM device_identities
             WHERE integration_id = ?1 AND device_id = ?2 AND cert_id IS NOT NULL AND cert_arn IS NOT NULL",
            params![integration_id, device_id, now_ms()],
        )?;
        let n = tx.execute(
            "DELETE FROM device_identities WHERE integration_id = ?1 AND device_id = ?2",
            params![integration_id, device_id],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Retired certificates of an integration: (device id, thing name, region, cert id, cert ARN).
    pub fn list_retired_identities(&self, integration_id: &str) -> Result<Vec<RetiredIdentity>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT device_id, thing_name, region, cert_id, cert_arn FROM retired_identities
             WHERE integration_id = ?1 ORDER BY retired_at_ms, cert_id",
        )?;
        let rows = stmt.query_map([integration_id], |r| {
            Ok(RetiredIdentity {
                device_id: r.get(0)?,
                thing_name: r.get(1)?,
                region: r.get(2)?,
                cert_id: r.get(3)?,
                cert_arn: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn delete_retired_identity(&self, integration_id: &str, cert_id: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM retired_identities WHERE integration_id = ?1 AND cert_id = ?2",
            params![integration_id, cert_id],
        )? > 0)
    }

    /// Returns whether a row was deleted.
    pub fn delete_device_identity(&self, integration_id: &str, device_id: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM device_identities WHERE integration_id = ?1 AND device_id = ?2",
            params![integration_id, device_id],
        )? > 0)
    }

    /// A device's DevEUI and (when known) AppEUI, for its thing's attributes.
    pub fn device_euis(&self, device_id: &str) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .conn
            .query_row("SELECT dev_eui, app_eui FROM devices WHERE id = ?1", [device_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }
}

impl Store {
    /// The names of the integrations that hold an identity (an AWS thing) for the device.
    pub fn device_identity_integrations(&self, device_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.name FROM device_identities d JOIN integrations i ON i.id = d.integration_id
             WHERE d.device_id = ?1 ORDER BY i.name COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([device_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether another integration holds an identity for the same thing: the same name, in
    /// the same region of the same AWS account.
    pub fn thing_used_by_other_integration(
        &self,
        thing_name: &str,
        integration_id: &str,
        region: &str,
    ) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (
                 SELECT 1 FROM device_identities d
                 JOIN integrations other ON other.id = d.integration_id
                 JOIN integrations this ON this.id = ?2
                 WHERE d.thing_name = ?1 AND d.integration_id <> ?2 AND d.region = ?3
                   AND COALESCE(other.aws_account, '') = COALESCE(this.aws_account, ''))",
            params![thing_name, integration_id, region],
            |r| r.get(0),
        )?)
    }

    /// The devices that share a label with the integration (its devices to provision).
    pub fn integration_device_ids(&self, integration_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT dl.device_id FROM label_integrations li
                 JOIN device_labels dl ON dl.label_id = li.label_id
                 JOIN devices d ON d.id = dl.device_id
             WHERE li.integration_id = ?1 ORDER BY dl.device_id",
        )?;
        let rows = stmt.query_map([integration_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
