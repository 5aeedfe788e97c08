//! Validating an IAM user's keys before they are saved: STS `GetCallerIdentity` proves the key
//! pair, IoT `DescribeEndpoint(iot:Data-ATS)` proves the region and the IoT permissions.
//! Failures become messages a user can act on; none contains the secret.
//!
//! STS is asked in a region every account of the partition has enabled (us-east-1, or the
//! GovCloud / China region itself), so keys are judged apart from the region: a chosen opt-in
//! region the account has not enabled then shows up at the IoT call, as its own error.

use aws_sdk_iot::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::config::{BehaviorVersion, Region};

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
    #[error("{region:?} is not a region where AWS IoT Core is offered{}", similar_regions(.close))]
    UnknownRegion {
        region: String,
        /// AWS IoT Core regions whose names are close to `region` (at most 4).
        close: Vec<String>,
    },
    #[error(
        "the keys are valid, but region {region} is not enabled for this AWS account: enable it in the \
         AWS console (Account → AWS Regions) or pick another region"
    )]
    RegionNotEnabled { region: String },
    #[error(
        "AWS IoT Core could not be reached in {region} ({detail}), although AWS accepted the keys: check \
         that no firewall or proxy blocks AWS IoT in that region and try again, or pick another region"
    )]
    IotUnavailable { region: String, detail: String },
    #[error("AWS could not be reached ({detail}): check the internet connection and any proxy")]
    Offline { detail: String },
    #[error("the AWS API URL {url} could not be reached ({detail}): check the URL and that the service there runs")]
    ApiUnreachable { url: String, detail: String },
    #[error(
        "AWS rejected the request as signed at the wrong time: this computer's clock is more than \
         5 minutes off; correct the clock (enable automatic time) and try again"
    )]
    ClockSkew,
    #[error("AWS refused the request ({code}): {message}")]
    Other { code: String, message: String },
}

/// The regions where AWS IoT Core is offered: the commercial partition, AWS GovCloud (US) and
/// China (`iot` in the AWS SDKs' endpoint metadata, botocore 1.44 `endpoints.json`).
pub const IOT_CORE_REGIONS: &[&str] = &[
    // North America
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    // South America
    "sa-east-1",
    // Europe
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    // Middle East
    "il-central-1",
    "me-central-1",
    "me-south-1",
    // Asia Pacific
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-5",
    // AWS GovCloud (US)
    "us-gov-east-1",
    "us-gov-west-1",
    // China
    "cn-north-1",
    "cn-northwest-1",
];

/// How many close regions an [`CredentialError::UnknownRegion`] names at most.
const MAX_CLOSE: usize = 4;

/// Checks that `region` is one where AWS IoT Core is offered ([`IOT_CORE_REGIONS`]); if not,
/// the error names the IoT Core regions closest to it (same prefix, else a similar spelling).
pub fn check_region(region: &str) -> Result<(), CredentialError> {
    if IOT_CORE_REGIONS.contains(&region) {
        return Ok(());
    }
    Err(CredentialError::UnknownRegion {
        region: region.to_string(),
        close: close_regions(region),
    })
}

/// The IoT Core regions closest to `region`: those that differ only in the number
/// (`eu-west-9` → `eu-west-1`…), else those of the same area (`us-central-1` → `us-east-1`…,
/// `us-gov-north-1` → `us-gov-*`), else those spelled at most 2 edits apart. Closest first.
fn close_regions(region: &str) -> Vec<String> {
    let wanted = region.trim().to_ascii_lowercase();
    let stem = |r: &str| r.rsplit_once('-').map_or(r.to_string(), |(stem, _)| stem.to_string());
    let area = |r: &str| {
        let mut parts = r.split('-');
        match (parts.next(), parts.next()) {
            (Some(first), Some("gov")) => format!("{first}-gov"),
            (Some(first), _) => first.to_string(),
            _ => String::new(),
        }
    };
    let (wanted_stem, wanted_area) = (stem(&wanted), area(&wanted));
    let mut close: Vec<&str> = IOT_CORE_REGIONS
        .iter()
        .copied()
        .filter(|r| stem(r) == wanted_stem)
        .collect();
    if close.is_empty() {
        close = IOT_CORE_REGIONS
            .iter()
            .copied()
            .filter(|r| area(r) == wanted_area)
            .collect();
    }
    if close.is_empty() {
        close = IOT_CORE_REGIONS
            .iter()
            .copied()
            .filter(|r| edit_distance(r, &wanted) <= 2)
            .collect();
    }
    if close.contains(&wanted.as_str()) {
        // Only the case or surrounding spaces were off ("EU-WEST-1").
        return vec![wanted];
    }
    // Stable: equally close regions keep the list's order (eu-west-1, eu-west-2, eu-west-3).
    close.sort_by_key(|r| edit_distance(r, &wanted));
    close.into_iter().take(MAX_CLOSE).map(str::to_string).collect()
}

/// The end of an [`CredentialError::UnknownRegion`] message.
fn similar_regions(close: &[String]) -> String {
    match close {
        [] => "; pick an AWS IoT Core region such as \"us-east-1\" or \"eu-west-1\"".into(),
        [one] => format!("; did you mean {one}?"),
        [init @ .., last] => format!("; close ones where it is offered: {} or {last}", init.join(", ")),
    }
}

/// Levenshtein distance over bytes (region names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The region STS is asked in for keys used in `region`: one every account of the partition
/// has enabled — the GovCloud or China region itself, us-east-1 for all commercial regions
/// (opt-in regions such as me-south-1 answer `InvalidClientTokenId` while not enabled).
pub fn sts_region(region: &str) -> &str {
    if region.starts_with("us-gov-") || region.starts_with("cn-") {
        region
    } else {
        "us-east-1"
    }
}

/// An SDK error's cause in words, without the SDK's debug dump: the last two distinct messages
/// of its source chain, e.g. `tcp connect error: Connection refused (os error 111)`.
pub fn sdk_error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !chain.last().is_some_and(|last| last.contains(&text)) {
            chain.push(text);
        }
        next = e.source();
    }
    let keep = chain.len().saturating_sub(2);
    chain.split_off(keep).join(": ")
}

/// Maps an SDK error to what the user can do about it.
pub fn classify<E>(err: &SdkError<E, aws_sdk_iot::config::http::HttpResponse>, key_id: &str) -> CredentialError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) = err {
        return CredentialError::Offline {
            detail: sdk_error_text(err),
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
            let action = denied_action(&message).unwrap_or_else(|| "this action".into());
            CredentialError::AccessDenied { action }
        }
        code => CredentialError::Other {
            code: code
                .map(str::to_string)
                .or(status.map(|s| format!("HTTP {s}")))
                .unwrap_or_else(|| "unknown".into()),
            message: if message.is_empty() {
                sdk_error_text(err)
            } else {
                message
            },
        },
    }
}

/// The action an AWS "… is not authorized to perform: iot:CreateThing on resource …" message
/// names.
pub(crate) fn denied_action(message: &str) -> Option<String> {
    message
        .split("not authorized to perform: ")
        .nth(1)
        .map(|rest| rest.split([' ', ',', '"']).next().unwrap_or(rest).to_string())
}

fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(s[from..from + len].to_string())
}

fn sts_client(creds: &AwsCredentials, endpoint_url: Option<&str>) -> aws_sdk_sts::Client {
    // An endpoint URL (a VPC endpoint, a stand-in) is regional: requests to it are signed for
    // the chosen region. AWS's own STS endpoints are asked in the partition's always-on region.
    let region = match endpoint_url {
        Some(_) => creds.region.as_str(),
        None => sts_region(&creds.region),
    };
    let mut b = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(creds.sdk_credentials())
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::standard().with_max_attempts(3));
    if let Some(url) = endpoint_url {
        b = b.endpoint_url(url);
    }
    aws_sdk_sts::Client::from_conf(b.build())
}

/// STS `GetCallerIdentity`: proves the key pair (needs no IAM permission). `creds.region` must
/// be an AWS IoT Core region; STS itself is asked in [`sts_region`] (or at `endpoint_url`).
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
    validate_credentials_at(creds, endpoint_url, endpoint_url).await
}

/// [`validate_credentials`] with STS and IoT at endpoint URLs of their own (tests: STS answers
/// while IoT cannot be reached).
#[doc(hidden)]
pub async fn validate_credentials_at(
    creds: &AwsCredentials,
    sts_endpoint_url: Option<&str>,
    iot_endpoint_url: Option<&str>,
) -> Result<(CallerIdentity, String), CredentialError> {
    let who = caller_identity(creds, sts_endpoint_url)
        .await
        .map_err(|e| at_override(e, sts_endpoint_url))?;
    let iot = aws_sdk_iot::Client::from_conf(super::aws::iot_config(creds, &creds.region, iot_endpoint_url));
    let out = iot
        .describe_endpoint()
        .endpoint_type("iot:Data-ATS")
        .send()
        .await
        // STS answered (at the same URL, outside tests): IoT out of reach is about the region.
        .map_err(|e| after_sts(classify(&e, &creds.access_key_id), &creds.region))?;
    Ok((who, out.endpoint_address().unwrap_or_default().to_string()))
}

/// Out of reach with an API URL set: the URL is what to check, not the internet connection.
fn at_override(err: CredentialError, url: Option<&str>) -> CredentialError {
    match (err, url) {
        (CredentialError::Offline { detail }, Some(url)) => CredentialError::ApiUnreachable {
            url: url.to_string(),
            detail,
        },
        (other, _) => other,
    }
}

/// An IoT error in `region` once STS accepted the keys: an unknown key there means the region
/// is not enabled for the account, no connection means IoT (not AWS) is out of reach.
fn after_sts(err: CredentialError, region: &str) -> CredentialError {
    match err {
        CredentialError::UnknownAccessKey { .. } => CredentialError::RegionNotEnabled {
            region: region.to_string(),
        },
        CredentialError::Offline { detail } => CredentialError::IotUnavailable {
            region: region.to_string(),
            detail,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_is_asked_in_the_partitions_always_enabled_region() {
        assert_eq!(sts_region("eu-west-1"), "us-east-1");
        assert_eq!(sts_region("me-south-1"), "us-east-1");
        assert_eq!(sts_region("us-gov-east-1"), "us-gov-east-1");
        assert_eq!(sts_region("cn-northwest-1"), "cn-northwest-1");
    }

    #[test]
    fn errors_after_sts_name_the_region() {
        let unknown = CredentialError::UnknownAccessKey { key_id: "AKIA1".into() };
        assert_eq!(
            after_sts(unknown, "me-south-1"),
            CredentialError::RegionNotEnabled {
                region: "me-south-1".into()
            }
        );
        let offline = CredentialError::Offline { detail: "dns".into() };
        let unreachable = after_sts(offline, "eu-west-1");
        assert_eq!(
            unreachable,
            CredentialError::IotUnavailable {
                region: "eu-west-1".into(),
                detail: "dns".into()
            }
        );
        assert!(
            unreachable
                .to_string()
                .contains("AWS IoT Core could not be reached in eu-west-1"),
            "{unreachable}"
        );
        let denied = CredentialError::AccessDenied {
            action: "iot:DescribeEndpoint".into(),
        };
        assert_eq!(after_sts(denied.clone(), "eu-west-1"), denied);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("eu-west-1", "eu-west-1"), 0);
        assert_eq!(edit_distance("eu-west-1", "eu-west-9"), 1);
        assert_eq!(edit_distance("us-east-1", "ue-east-1"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
