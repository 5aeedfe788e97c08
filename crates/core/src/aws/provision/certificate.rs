//! A device's certificate: issued from a CSR for the device's own key (never two for one key),
//! and the stored one checked before it is used again.

use super::{aws, AwsProvisioner, ProvisionError, Step};
use crate::aws::identity::DeviceIdentity;
use crate::domain::Integration;
use crate::store::StoredIdentity;
use crate::vault::{self, MasterKey};

impl AwsProvisioner {
    /// `CreateCertificateFromCsr` with retries that never leave two certificates: after a
    /// failed (5xx) or timed-out attempt, AWS is first asked whether it issued one for this
    /// key anyway; throttled attempts issued nothing and are simply tried again.
    pub(super) async fn issue_certificate(
        &self,
        call: &aws::Call<'_>,
        csr: &str,
        spki: &[u8],
    ) -> Result<(String, String, String), ProvisionError> {
        let since = crate::now_ms();
        let mut attempt = 1;
        loop {
            match call.create_certificate_once(csr).await {
                Ok(issued) => return Ok(issued),
                Err((e, true)) if attempt < aws::MAX_ATTEMPTS => {
                    let jitter = crate::now_ms().rem_euclid(200) as u64;
                    tokio::time::sleep(std::time::Duration::from_millis((200 << attempt.min(6)) + jitter)).await;
                    attempt += 1;
                    if e.code.as_deref().is_none_or(|c| !c.contains("Throttling")) {
                        if let Some(found) = call.find_certificate_for_key(spki, since).await? {
                            return Ok(found);
                        }
                    }
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    /// The stored identity when it is complete and usable. A row for another region (the
    /// integration moved) or whose key no longer opens (the keychain's master key changed) is
    /// retired, so the device is provisioned afresh; the old certificate stays in AWS (reported)
    /// until cleanup removes it with the integration.
    pub(super) fn usable(
        &self,
        integration: &Integration,
        device_id: &str,
        master: &MasterKey,
        context: &str,
    ) -> Result<Option<DeviceIdentity>, ProvisionError> {
        let Some(row) = self.load(integration, device_id)? else {
            return Ok(None);
        };
        let stale = if row.region != integration.region {
            Some(format!(
                "the integration moved from {} to {}; provisioning {device_id} again there (its certificate {} in {} \
                 is left untouched until the integration is removed with cleanup)",
                row.region,
                integration.region,
                row.cert_id.as_deref().unwrap_or("(none)"),
                row.region
            ))
        } else {
            match vault::decrypt_private_key(master, context, &row.key_enc) {
                Err(e) => Some(format!(
                    "{e}; provisioning {device_id} again (its certificate {} is left untouched until the \
                     integration is removed with cleanup)",
                    row.cert_id.as_deref().unwrap_or("(none)")
                )),
                Ok(key_pem) if row.ready => {
                    return Ok(row.cert_pem.clone().map(|cert_pem| DeviceIdentity {
                        cert_pem,
                        key_pem,
                        endpoint_host: row.endpoint.clone(),
                    }))
                }
                Ok(_) => return Ok(None),
            }
        };
        if let Some(message) = stale {
            self.emit(integration, device_id, None, "warn", message);
            self.core
                .store()
                .retire_device_identity(&integration.id, device_id)
                .map_err(|e| Self::store_err(device_id, Step::Key, e))?;
        }
        Ok(None)
    }

    pub(super) fn load(
        &self,
        integration: &Integration,
        device_id: &str,
    ) -> Result<Option<StoredIdentity>, ProvisionError> {
        self.core
            .store()
            .get_device_identity(&integration.id, device_id)
            .map_err(|e| Self::store_err(device_id, Step::Key, e))
    }
}

/// A CSR for `key_pem` with CN = the device id (= thing name).
pub(super) fn csr_pem(device_id: &str, key_pem: &str) -> Result<String, String> {
    let key = rcgen::KeyPair::from_pem(key_pem).map_err(|e| format!("the stored device key is not usable: {e}"))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params.distinguished_name.push(rcgen::DnType::CommonName, device_id);
    params
        .serialize_request(&key)
        .and_then(|csr| csr.pem())
        .map_err(|e| format!("cannot build the certificate signing request: {e}"))
}
