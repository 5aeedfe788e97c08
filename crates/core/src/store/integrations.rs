//! Integrations: their settings, and which of them a device's labels route it to.

use rusqlite::{params, OptionalExtension, Row};

use super::{Result, Store, StoreError};
use crate::domain::{
    AwsAccount, EndpointOverride, Integration, IntegrationKind, IntegrationUpdate, Label, NewIntegration,
    PayloadOptions,
};
use crate::now_ms;
use crate::validate;

pub(super) const INTEGRATION_COLS: &str = "i.id, i.kind, i.name, i.active, i.region, i.topic, \
    i.created_at_ms, i.updated_at_ms, i.endpoint_host, i.endpoint_port, i.ca_file, i.forward_joins, i.cert_dir, \
    i.api_url, i.aws_access_key_id, i.aws_account, i.aws_user_arn, i.include_decoded, i.source_object, i.shadow";

impl Store {
    pub fn create_integration(&self, new: &NewIntegration) -> Result<Integration> {
        self.create_integration_with(new, None)
    }

    /// Creates an integration that provisions with `aws` (keys already checked with AWS).
    pub fn create_integration_with(&self, new: &NewIntegration, aws: Option<&AwsAccount>) -> Result<Integration> {
        self.create_integration_as(&uuid::Uuid::new_v4().to_string(), new, aws)
    }

    /// Like `create_integration_with`, under an id chosen first (its keychain entry is written
    /// before the row, so no row ever lacks its secret).
    pub fn create_integration_as(
        &self,
        id: &str,
        new: &NewIntegration,
        aws: Option<&AwsAccount>,
    ) -> Result<Integration> {
        validate::name("name", &new.name)?;
        validate::region(&new.region)?;
        validate::publish_topic(&new.topic)?;
        let now = now_ms();
        validate::endpoint(&new.endpoint)?;
        let integration = Integration {
            id: id.to_string(),
            kind: new.kind,
            name: new.name.trim().to_string(),
            active: true,
            region: new.region.clone(),
            topic: new.topic.clone(),
            endpoint: new.endpoint.clone(),
            forward_joins: new.forward_joins,
            aws: aws.cloned(),
            payload: PayloadOptions::default(),
            created_at_ms: now,
            updated_at_ms: now,
        };
        if let Some(a) = aws {
            validate::access_key_id(&a.access_key_id)?;
        }
        let e = &new.endpoint;
        let inserted = self.conn.execute(
            "INSERT INTO integrations (id, kind, name, active, region, topic, endpoint_host,
                 endpoint_port, ca_file, forward_joins, created_at_ms, updated_at_ms, cert_dir, api_url,
                 aws_access_key_id, aws_account, aws_user_arn)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT(name) DO NOTHING",
            params![
                integration.id,
                new.kind.as_str(),
                integration.name,
                new.region,
                new.topic,
                e.host,
                e.port,
                e.ca_file,
                new.forward_joins,
                now,
                e.cert_dir,
                e.api_url,
                aws.map(|a| &a.access_key_id),
                aws.map(|a| &a.account),
                aws.map(|a| &a.user_arn)
            ],
        )?;
        if inserted == 0 {
            return Err(self.name_taken("integrations", "integration", &integration.name));
        }
        Ok(integration)
    }

    pub fn list_integrations(&self) -> Result<Vec<Integration>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations i ORDER BY i.name COLLATE NOCASE, i.id"
        ))?;
        let rows = stmt.query_map([], integration_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn get_integration(&self, id: &str) -> Result<Integration> {
        self.conn
            .query_row(
                &format!("SELECT {INTEGRATION_COLS} FROM integrations i WHERE i.id = ?1"),
                [id],
                integration_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("integration {id}")))
    }

    /// Applies `u` in one statement (all of it or nothing) and returns the integration as it is now.
    pub fn update_integration(&self, id: &str, u: &IntegrationUpdate) -> Result<Integration> {
        let mut i = self.get_integration(id)?;
        if let Some(name) = &u.name {
            validate::name("name", name)?;
            i.name = name.trim().to_string();
        }
        if let Some(region) = &u.region {
            validate::region(region)?;
            i.region = region.clone();
        }
        if let Some(topic) = &u.topic {
            validate::publish_topic(topic)?;
            i.topic = topic.clone();
        }
        if let Some(e) = &u.endpoint {
            validate::endpoint(e)?;
            i.endpoint = e.clone();
        }
        if let Some(f) = u.forward_joins {
            i.forward_joins = f;
        }
        if let Some(a) = &u.aws {
            validate::access_key_id(&a.access_key_id)?;
            i.aws = Some(a.clone());
        }
        i.updated_at_ms = now_ms();
        let e = &i.endpoint;
        let a = i.aws.as_ref();
        let updated = self.conn.execute(
            "UPDATE integrations SET name = ?2, region = ?3, topic = ?4, endpoint_host = ?5,
                 endpoint_port = ?6, ca_file = ?7, cert_dir = ?8, api_url = ?9, forward_joins = ?10,
                 aws_access_key_id = ?11, aws_account = ?12, aws_user_arn = ?13, updated_at_ms = ?14
             WHERE id = ?1",
            params![
                i.id,
                i.name,
                i.region,
                i.topic,
                e.host,
                e.port,
                e.ca_file,
                e.cert_dir,
                e.api_url,
                i.forward_joins,
                a.map(|a| &a.access_key_id),
                a.map(|a| &a.account),
                a.map(|a| &a.user_arn),
                i.updated_at_ms
            ],
        );
        match updated {
            Ok(0) => Err(StoreError::NotFound(format!("integration {id}"))),
            Ok(_) => Ok(i),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                Err(self.name_taken("integrations", "integration", &i.name))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn set_integration_payload(&self, id: &str, p: PayloadOptions) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE integrations SET include_decoded = ?2, source_object = ?3, shadow = ?4, updated_at_ms = ?5
             WHERE id = ?1",
            params![id, p.decoded, p.source_object, p.shadow, now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("integration {id}")));
        }
        Ok(())
    }

    pub fn set_integration_active(&self, id: &str, active: bool) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE integrations SET active = ?2, updated_at_ms = ?3 WHERE id = ?1",
            params![id, active, now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("integration {id}")));
        }
        Ok(())
    }

    /// The active integrations a device's uplinks go to: the union over the device's labels,
    /// each integration once.
    pub fn routes_for_device(&self, device_id: &str) -> Result<Vec<Integration>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations i
             WHERE i.active = 1 AND EXISTS (
                 SELECT 1 FROM device_labels dl
                 JOIN label_integrations li ON li.label_id = dl.label_id
                 WHERE dl.device_id = ?1 AND li.integration_id = i.id)
             ORDER BY i.name COLLATE NOCASE, i.id"
        ))?;
        let rows = stmt.query_map([device_id], integration_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The active integrations a device's uplinks go to now (a shared label) or still wait
    /// for (outbox entries), oldest first: the integrations a device's AWS sessions serve.
    pub fn integrations_serving_device(&self, device_id: &str) -> Result<Vec<Integration>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations i
             WHERE i.active = 1 AND (
                 EXISTS (SELECT 1 FROM device_labels dl
                         JOIN label_integrations li ON li.label_id = dl.label_id
                         WHERE dl.device_id = ?1 AND li.integration_id = i.id)
                 OR EXISTS (SELECT 1 FROM outbox o WHERE o.integration_id = i.id AND o.device_id = ?1))
             ORDER BY i.created_at_ms, i.id"
        ))?;
        let rows = stmt.query_map([device_id], integration_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

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

    /// How many uplinks wait for each integration that has any.
    pub fn outbox_by_integration(&self) -> Result<std::collections::HashMap<String, i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT integration_id, COUNT(*) FROM outbox GROUP BY integration_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The devices piped to an integration: those sharing a label with it, by name.
    pub fn piped_devices(&self, integration_id: &str) -> Result<Vec<crate::domain::Device>> {
        let cols = super::devices::DEVICE_COLS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT DISTINCT {cols} FROM devices d
             JOIN device_labels dl ON dl.device_id = d.id
             JOIN label_integrations li ON li.label_id = dl.label_id
             WHERE li.integration_id = ?1
             ORDER BY d.name COLLATE NOCASE, d.id"
        ))?;
        let rows = stmt.query_map([integration_id], super::devices::device_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many uplinks wait in an integration's outbox.
    pub fn integration_outbox_len(&self, integration_id: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE integration_id = ?1",
            [integration_id],
            |r| r.get(0),
        )?)
    }
}

pub(super) fn integration_from_row(r: &Row<'_>) -> rusqlite::Result<Integration> {
    let kind: String = r.get(1)?;
    Ok(Integration {
        id: r.get(0)?,
        kind: IntegrationKind::parse(&kind)
            .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, kind.into()))?,
        name: r.get(2)?,
        active: r.get(3)?,
        region: r.get(4)?,
        topic: r.get(5)?,
        created_at_ms: r.get(6)?,
        updated_at_ms: r.get(7)?,
        endpoint: EndpointOverride {
            host: r.get(8)?,
            port: r.get(9)?,
            ca_file: r.get(10)?,
            cert_dir: r.get(12)?,
            api_url: r.get(13)?,
        },
        forward_joins: r.get(11)?,
        aws: match r.get::<_, Option<String>>(14)? {
            Some(access_key_id) => Some(AwsAccount {
                access_key_id,
                account: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
                user_arn: r.get::<_, Option<String>>(16)?.unwrap_or_default(),
            }),
            None => None,
        },
        payload: PayloadOptions {
            decoded: r.get(17)?,
            source_object: r.get(18)?,
            shadow: r.get(19)?,
        },
    })
}
