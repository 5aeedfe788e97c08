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
        let config = config.normalized();
        self.check_address_free(None, &config)?;
        let source = Source {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.trim().into(),
            config,
            paused: false,
            created_at_ms: now_ms(),
        };
        let json = serde_json::to_string(&source.config).expect("source config serialises");
        let n = self.conn.execute(
            "INSERT INTO sources (id, kind, name, config, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO NOTHING",
            params![source.id, source.config.kind(), source.name, json, source.created_at_ms],
        )?;
        if n == 0 {
            return Err(self.name_taken("sources", "source", &source.name));
        }
        Ok(source)
    }

    /// Replaces a source's name and settings (its kind may change too).
    pub fn update_source(&self, id: &str, name: &str, config: SourceConfig) -> Result<Source> {
        validate::name("source name", name)?;
        validate::source(&config)?;
        let config = config.normalized();
        self.check_address_free(Some(id), &config)?;
        let name = name.trim();
        let json = serde_json::to_string(&config).expect("source config serialises");
        let n = self
            .conn
            .execute(
                "UPDATE sources SET name = ?2, kind = ?3, config = ?4 WHERE id = ?1",
                params![id, name, config.kind(), json],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    self.name_taken("sources", "source", name)
                }
                e => e.into(),
            })?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("source {id:?}")));
        }
        self.find_source(id)
    }

    pub fn set_source_paused(&self, id: &str, paused: bool) -> Result<Source> {
        if self
            .conn
            .execute("UPDATE sources SET paused = ?2 WHERE id = ?1", params![id, paused])?
            == 0
        {
            return Err(StoreError::NotFound(format!("source {id:?}")));
        }
        self.find_source(id)
    }

    pub fn list_sources(&self) -> Result<Vec<Source>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, config, paused, created_at_ms FROM sources ORDER BY name COLLATE NOCASE, id",
        )?;
        let rows = stmt.query_map([], |r| {
            let config: String = r.get(2)?;
            let config = serde_json::from_str(&config)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
            Ok(Source {
                id: r.get(0)?,
                name: r.get(1)?,
                config,
                paused: r.get(3)?,
                created_at_ms: r.get(4)?,
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

    /// Two webhooks cannot listen on one address: the second would fail only once the bridge
    /// runs ("Address already in use").
    fn check_address_free(&self, except: Option<&str>, config: &SourceConfig) -> Result<()> {
        let SourceConfig::HttpWebhook { bind, .. } = config else {
            return Ok(());
        };
        let Ok(mine) = bind.parse::<std::net::SocketAddr>() else {
            return Ok(());
        };
        for other in self.list_sources()? {
            let SourceConfig::HttpWebhook { bind: theirs, .. } = &other.config else {
                continue;
            };
            let Ok(theirs) = theirs.parse::<std::net::SocketAddr>() else {
                continue;
            };
            // 0.0.0.0 takes the port on every address.
            let overlap = mine.port() == theirs.port()
                && (mine.ip() == theirs.ip() || mine.ip().is_unspecified() || theirs.ip().is_unspecified());
            if overlap && Some(other.id.as_str()) != except {
                return Err(StoreError::Conflict(format!(
                    "webhook {:?} already listens on {theirs}; give this one another port",
                    other.name
                )));
            }
        }
        Ok(())
    }
}
