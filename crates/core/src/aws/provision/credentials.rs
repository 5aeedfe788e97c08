//! Validating an IAM user's keys before they are saved: STS `GetCallerIdentity` proves the key
//! pair, IoT `DescribeEndpoint(iot:Data-ATS)` proves the region and the IoT permissions.
//! Failures become messages a user can act on; none contains the secret.

use aws_sdk_iot::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};

use super::AwsCredentials;

/// Who the keys belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "AWS does not know the access key id {key_id:?}: check that it was copied completely and that \
         the IAM user's access key is active"
    )]
    UnknownAccessKey { key_id: String },
    #[error(
        "the secret access key does not belong to the access key id {key_id:?}: paste the secret again \
         (AWS shows it only once, when the key is created; otherwise create a new access key)"
    )]
    WrongSecret { key_id: String },
    #[error(
        "the IAM user may not call {action}: attach the managed policy AWSIoTConfigAccess to it \
         (or a policy that allows {action})"
    )]
    AccessDenied { action: String },
    #[error("{region:?} is not an AWS region name (like \"us-east-1\" or \"eu-west-1\")")]
    UnknownRegion { region: String },
    #[error("AWS could not be reached ({detail}): check the internet connection and any proxy")]
    Offline { detail: String },
    #[error(
        "AWS rejected the request as signed at the wrong time: this computer's clock is more than \
         5 minutes off; correct the clock (enable automatic time) and try again"
    )]
    ClockSkew,
    #[error("AWS refused the request ({code}): {message}")]
    Other { code: String, message: String },
}

/// Loose check of a region name's shape (`xx-name-N`, `xx-gov-name-N`).
pub fn check_region(region: &str) -> Result<(), CredentialError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(CredentialError::UnknownRegion {
            region: region.to_string(),
        })
    }
}

/// Maps an SDK error to what the user can do about it.
pub fn classify<E>(err: &SdkError<E, aws_sdk_iot::config::http::HttpResponse>, key_id: &str) -> CredentialError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) = err {
        return CredentialError::Offline {
            detail: aws_sdk_iot::error::DisplayErrorContext(err).to_string(),
        };
    }
    let body = err
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let status = err.raw_response().map(|r| r.status().as_u16());
    // Some services (and moto) answer in XML where the SDK expects JSON: fall back to the body.
    let code = err
        .code()
        .map(str::to_string)
        .or_else(|| between(&body, "<Code>", "</Code>"));
    let message = err
        .message()
        .map(str::to_string)
        .or_else(|| between(&body, "<Message>", "</Message>"))
        .unwrap_or_default();
    match code.as_deref() {
        Some("InvalidClientTokenId" | "UnrecognizedClientException") => CredentialError::UnknownAccessKey {
            key_id: key_id.to_string(),
        },
        Some("SignatureDoesNotMatch") | Some("InvalidSignatureException") if !message.contains("expired") => {
            CredentialError::WrongSecret {
                key_id: key_id.to_string(),
            }
        }
        Some("RequestExpired" | "RequestTimeTooSkewed") => CredentialError::ClockSkew,
        _ if message.contains("Signature expired") => CredentialError::ClockSkew,
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedException") | None
            if message.contains("not authorized to perform") || status == Some(403) =>
        {
            let action = message
                .split("not authorized to perform: ")
                .nth(1)
                .map(|rest| rest.split([' ', ',', '"']).next().unwrap_or(rest).to_string())
                .unwrap_or_else(|| "this action".into());
            CredentialError::AccessDenied { action }
        }
        code => CredentialError::Other {
            code: code
                .map(str::to_string)
                .or(status.map(|s| format!("HTTP {s}")))
                .unwrap_or_else(|| "unknown".into()),
            message: if message.is_empty() {
                aws_sdk_iot::error::DisplayErrorContext(err).to_string()
            } else {
                message
            },
        },
    }
}

fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(s[from..from + len].to_string())
}

fn sts_client(creds: &AwsCredentials, endpoint_url: Option<&str>) -> aws_sdk_sts::Client {
    let mut b = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(creds.region.clone()))
        .credentials_provider(Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.as_str(),
            None,
            None,
            "helium-bridge",
        ))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::standard().with_max_attempts(3));
    if let Some(url) = endpoint_url {
        b = b.endpoint_url(url);
    }
    aws_sdk_sts::Client::from_conf(b.build())
}

/// STS `GetCallerIdentity`: proves the key pair (needs no IAM permission).
pub async fn caller_identity(
    creds: &AwsCredentials,
    endpoint_url: Option<&str>,
) -> Result<CallerIdentity, CredentialError> {
    check_region(&creds.region)?;
    let out = sts_client(creds, endpoint_url)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify(&e, &creds.access_key_id))?;
    Ok(CallerIdentity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
    })
}

/// Validates keys for use in `creds.region`: who they are, and the IoT data endpoint there.
pub async fn validate_credentials(
    creds: &AwsCredentials,
    endpoint_url: Option<&str>,
) -> Result<(CallerIdentity, String), CredentialError> {
    let who = caller_identity(creds, endpoint_url).await?;
    let iot = aws_sdk_iot::Client::from_conf(super::aws::iot_config(creds, &creds.region, endpoint_url));
    let out = iot
        .describe_endpoint()
        .endpoint_type("iot:Data-ATS")
        .send()
        .await
        .map_err(|e| classify(&e, &creds.access_key_id))?;
    Ok((who, out.endpoint_address().unwrap_or_default().to_string()))
}
