//! Helium sources (ChirpStack MQTT, legacy MQTT, HTTP webhook).

use rusqlite::params;

use super::{Result, Store, StoreError};
use crate::domain::{Source, SourceConfig};
use crate::now_ms;
use crate::validate;

impl Store {
    pub fn create_source(&self, name: &str, config: SourceConfig) -> Result<Source> {
        validate::name("source name", name)?;
        validate::source(&config)?;
        let source = Source {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.trim().into(),
            config,
            created_at_ms: now_ms(),
        };
        let json = serde_json::to_string(&source.config).expect("source config serialises");
        let n = self.conn.execute(
            "INSERT INTO sources (id, kind, name, config, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO NOTHING",
            params![source.id, source.config.kind(), source.name, json, source.created_at_ms],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "a source named {:?} already exists",
                source.name
            )));
        }
        Ok(source)
    }

    pub fn list_sources(&self) -> Result<Vec<Source>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, config, created_at_ms FROM sources ORDER BY name COLLATE NOCASE, id")?;
        let rows = stmt.query_map([], |r| {
            let config: String = r.get(2)?;
            let config = serde_json::from_str(&config)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
            Ok(Source {
                id: r.get(0)?,
                name: r.get(1)?,
                config,
                created_at_ms: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Finds a source by id or (case-insensitive) name.
    pub fn find_source(&self, id_or_name: &str) -> Result<Source> {
        self.list_sources()?
            .into_iter()
            .find(|s| s.id == id_or_name || s.name.eq_ignore_ascii_case(id_or_name))
            .ok_or_else(|| StoreError::NotFound(format!("source {id_or_name:?}")))
    }

    pub fn remove_source(&self, id: &str) -> Result<()> {
        if self.conn.execute("DELETE FROM sources WHERE id = ?1", [id])? == 0 {
            return Err(StoreError::NotFound(format!("source {id:?}")));
        }
        Ok(())
    }
}
