//! Source changes: added, edited, paused, removed. A source's password or shared secret goes
//! to the vault only, and a source never ends up without the secret its settings need.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::{Control, ControlError, Reply, Secret};
use crate::domain::{Source, SourceConfig};
use crate::engine::Change;
use crate::vault::{self, Vault, VaultError};

/// A webhook requires its secret exactly when it is given one; a password needs a username.
fn settle_secret(config: &mut SourceConfig, secret: &Option<Secret>) -> Result<(), ControlError> {
    if let SourceConfig::HttpWebhook { require_secret, .. } = config {
        *require_secret |= secret.is_some();
    }
    if let (Some(secret), Some(what)) = (secret, config.secret_use()) {
        if secret.0.trim().is_empty() {
            return Err(ControlError::new(
                "invalid",
                format!("the {what} is blank: give the one the other side expects"),
            ));
        }
    }
    if secret.is_some() && config.secret_use().is_none() {
        return Err(ControlError::new(
            "invalid",
            "a broker password needs a username: without one the broker gets no credentials",
        ));
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce(Arc<dyn Vault>) -> Result<T, VaultError> + Send + 'static,
) -> Result<T, VaultError> {
    let vault = vault::from_env()?;
    tokio::task::spawn_blocking(move || f(vault))
        .await
        .map_err(|e| VaultError::Unavailable { detail: e.to_string() })?
}

/// The certificate files an MQTT source names hold what they should.
fn check_tls_files(config: &SourceConfig) -> Result<(), ControlError> {
    match config {
        SourceConfig::ChirpstackMqtt { tls, .. } | SourceConfig::LegacyMqtt { tls, .. } => {
            crate::validate::tls_files(tls).map_err(|e| crate::store::StoreError::from(e).into())
        }
        SourceConfig::HttpWebhook { .. } => Ok(()),
    }
}

fn vault_refused(what: &str, source: &str, done: &str, e: VaultError) -> ControlError {
    ControlError::new(
        "vault",
        format!(
            "cannot keep the {what} of source {source:?} in the {}, so it was {done}: {e}",
            vault::name()
        ),
    )
}

impl Control {
    /// Adds a source; if the vault refuses its secret, the source is taken out again.
    pub(super) async fn add_source(
        &self,
        name: &str,
        mut config: SourceConfig,
        secret: Option<Secret>,
    ) -> Result<Reply, ControlError> {
        if let SourceConfig::HttpWebhook { require_secret, .. } = &mut config {
            // A new webhook requires exactly the secret it is given.
            *require_secret = false;
        }
        settle_secret(&mut config, &secret)?;
        check_tls_files(&config)?;
        let what = config.secret_use().unwrap_or("password");
        let source = self.core.store().create_source(name, config)?;
        if let Some(secret) = secret {
            let key = crate::sources::secret_key(&source.id);
            if let Err(e) = blocking(move |v| v.put(&key, secret.0.as_bytes())).await {
                let undo = match self.core.store().remove_source(&source.id) {
                    Ok(()) => String::new(),
                    Err(u) => format!(
                        " (and removing it again failed: {u}; remove source {} by hand)",
                        source.id
                    ),
                };
                return Err(vault_refused(what, &source.name, &format!("not added{undo}"), e));
            }
        }
        self.applied(Change::Sources, &["sources"]).await?;
        Ok(Reply::Source { source })
    }

    /// Replaces a source's settings. The stored secret is kept when the new settings still use
    /// it and no new one is given, replaced by a new one, or deleted when no longer used.
    pub(super) async fn update_source(
        &self,
        source: &str,
        name: &str,
        mut config: SourceConfig,
        secret: Option<Secret>,
    ) -> Result<Reply, ControlError> {
        let old = self.core.store().find_source(source)?;
        settle_secret(&mut config, &secret)?;
        crate::validate::name("source name", name).map_err(crate::store::StoreError::from)?;
        crate::validate::source(&config).map_err(crate::store::StoreError::from)?;
        check_tls_files(&config)?;
        let key = crate::sources::secret_key(&old.id);
        let stored = {
            let key = key.clone();
            blocking(move |v| v.get(&key)).await
        };
        let what = config.secret_use();
        match (&secret, what, &stored) {
            (None, Some("shared secret"), Ok(None)) => {
                return Err(ControlError::new(
                    "invalid",
                    format!(
                        "webhook {:?} has no shared secret stored; give one, or stop requiring it",
                        old.name
                    ),
                ))
            }
            (Some(_), _, Err(_)) | (None, Some(_), Err(_)) => {
                let e = stored.expect_err("matched an error");
                return Err(vault_refused(what.unwrap_or("password"), &old.name, "not changed", e));
            }
            _ => {}
        }
        if let Some(new) = secret {
            let k = key.clone();
            blocking(move |v| v.put(&k, new.0.as_bytes()))
                .await
                .map_err(|e| vault_refused(what.unwrap_or("password"), &old.name, "not changed", e))?;
        }
        let updated = self.core.store().update_source(&old.id, name, config);
        let source = match updated {
            Ok(s) => s,
            Err(e) => {
                // Put the old secret back, so the unchanged source still connects.
                if let Ok(Some(previous)) = stored {
                    let previous: Zeroizing<Vec<u8>> = previous;
                    let _ = blocking(move |v| v.put(&key, &previous)).await;
                }
                return Err(e.into());
            }
        };
        if what.is_none() {
            // Its settings no longer use a secret: none stays behind.
            let _ = blocking(move |v| v.delete(&key)).await;
        }
        self.applied(Change::Sources, &["sources"]).await?;
        Ok(Reply::Source { source })
    }

    pub(super) async fn remove_source(&self, source: &str) -> Result<Reply, ControlError> {
        let source: Source = self.core.store().find_source(source)?;
        self.core.store().remove_source(&source.id)?;
        let key = crate::sources::secret_key(&source.id);
        let deleted = blocking(move |v| v.delete(&key)).await;
        self.applied(Change::Sources, &["sources"]).await?;
        let (secret_deleted, warning) = match deleted {
            Ok(d) => (d, None),
            // Settings without a secret leave none to delete: a keychain out of reach is no news.
            Err(_) if source.config.secret_use().is_none() => (false, None),
            Err(e) => (
                false,
                Some(format!(
                    "its secret could not be deleted from the {}: {e}",
                    vault::name()
                )),
            ),
        };
        Ok(Reply::SourceRemoved {
            source,
            secret_deleted,
            warning,
        })
    }
}
