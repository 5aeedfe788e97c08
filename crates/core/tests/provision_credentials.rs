//! Credential validation against moto in its IAM-auth mode: an unknown key id, a wrong secret
//! and a denied action each get their own message, and none shows the secret. Regions: only those
//! where AWS IoT Core is offered pass, with close ones named otherwise; once STS accepted the
//! keys, IoT failing in the chosen region says so (region not enabled, IoT out of reach).

use helium_bridge_core::aws::provision::credentials::{self, CredentialError, IOT_CORE_REGIONS};
use helium_bridge_core::aws::AwsCredentials;
use test_harness::{Moto, TestCa};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn iam(moto: &Moto, params: &[(&str, &str)]) -> String {
    moto.iam(params)
}

fn xml(text: &str, tag: &str) -> String {
    test_harness::moto::xml_field(text, tag)
}

fn creds(key_id: &str, secret: &str) -> AwsCredentials {
    in_region(key_id, secret, "us-east-1")
}

fn in_region(key_id: &str, secret: &str, region: &str) -> AwsCredentials {
    AwsCredentials {
        access_key_id: key_id.into(),
        secret_access_key: zeroize::Zeroizing::new(secret.into()),
        region: region.into(),
    }
}

/// The close regions an `UnknownRegion` names, and its message.
fn unknown_region(region: &str) -> (Vec<String>, String) {
    match credentials::check_region(region) {
        Err(e @ CredentialError::UnknownRegion { .. }) => {
            let CredentialError::UnknownRegion { region: named, close } = &e else {
                unreachable!()
            };
            assert_eq!(named, region);
            let msg = e.to_string();
            assert!(msg.contains("is not a region where AWS IoT Core is offered"), "{msg}");
            (close.clone(), msg)
        }
        other => panic!("{region:?}: {other:?}"),
    }
}

/// A stand-in for AWS IoT in a region the account has not enabled: every request gets what AWS
/// answers there, 403 `UnrecognizedClientException`.
async fn region_not_enabled_stand_in() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"message":"The security token included in the request is invalid."}"#;
                let response = format!(
                    "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n\
                     x-amzn-ErrorType: UnrecognizedClientException\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(response.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_key_wrong_secret_and_denied_action_get_their_own_messages() {
    let ca = TestCa::new("iam CA");
    let moto = Moto::start_with_iam_auth(&ca, 3);
    let url = moto.endpoint_url();
    iam(
        &moto,
        &[("Action", "CreateUser"), ("UserName", "HeliumIntegrationAccess")],
    );
    let key = iam(
        &moto,
        &[("Action", "CreateAccessKey"), ("UserName", "HeliumIntegrationAccess")],
    );
    let (key_id, secret) = (xml(&key, "AccessKeyId"), xml(&key, "SecretAccessKey"));
    let only_endpoint =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:DescribeEndpoint","Resource":"*"}]}"#;
    iam(
        &moto,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "HeliumIntegrationAccess"),
            ("PolicyName", "endpoint-only"),
            ("PolicyDocument", only_endpoint),
        ],
    );

    // The right keys: STS names the user.
    let good = creds(&key_id, &secret);
    let who = credentials::caller_identity(&good, Some(&url)).await.unwrap();
    assert!(who.arn.ends_with(":user/HeliumIntegrationAccess"), "{who:?}");
    assert_eq!(who.account.len(), 12, "{who:?}");

    let unknown = credentials::caller_identity(&creds("AKIANOSUCHKEY0000000", &secret), Some(&url))
        .await
        .unwrap_err();
    assert_eq!(
        unknown,
        CredentialError::UnknownAccessKey {
            key_id: "AKIANOSUCHKEY0000000".into()
        }
    );
    assert!(
        unknown.to_string().contains("does not know the access key id"),
        "{unknown}"
    );

    let wrong_secret = "WrongSecretWrongSecretWrongSecret0123456";
    let wrong = credentials::caller_identity(&creds(&key_id, wrong_secret), Some(&url))
        .await
        .unwrap_err();
    assert_eq!(wrong, CredentialError::WrongSecret { key_id: key_id.clone() });
    assert!(wrong.to_string().contains("paste the secret again"), "{wrong}");
    assert_ne!(unknown.to_string(), wrong.to_string());

    // An IoT action the user may not call (a POST: moto's IAM mode breaks IoT GETs).
    let iot = aws_sdk_iot::Client::from_conf(helium_bridge_core::aws::provision::iot_config(
        &good,
        "us-east-1",
        Some(&url),
    ));
    let err = iot
        .create_thing_type()
        .thing_type_name("Helium-Thing")
        .send()
        .await
        .unwrap_err();
    let denied = credentials::classify(&err, &key_id);
    assert_eq!(
        denied,
        CredentialError::AccessDenied {
            action: "iot:CreateThingType".into()
        },
        "{err:?}"
    );
    assert!(denied.to_string().contains("AWSIoTConfigAccess"), "{denied}");

    for e in [&unknown, &wrong, &denied] {
        let msg = e.to_string();
        assert!(
            !msg.contains(&secret) && !msg.contains(wrong_secret),
            "no secret in {msg}"
        );
    }
}

#[test]
fn only_regions_with_aws_iot_core_pass_and_close_ones_are_named() {
    for region in IOT_CORE_REGIONS {
        credentials::check_region(region).unwrap();
    }
    for region in [
        "us-east-1",
        "eu-central-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "cn-north-1",
    ] {
        assert!(IOT_CORE_REGIONS.contains(&region), "{region}");
    }

    // Right shape, not a region: the ones that differ only in the number, in the list's order.
    let (close, msg) = unknown_region("eu-west-9");
    assert_eq!(close, ["eu-west-1", "eu-west-2", "eu-west-3"]);
    assert!(msg.contains("eu-west-1, eu-west-2 or eu-west-3"), "{msg}");
    assert!(msg.starts_with("\"eu-west-9\" is not a region"), "{msg}");

    // A real AWS region without AWS IoT Core: its neighbours by name.
    let (close, _) = unknown_region("ap-southeast-7");
    assert_eq!(close, ["ap-southeast-1", "ap-southeast-2", "ap-southeast-5"]);

    // No such name: the same area (GovCloud stays GovCloud), at most 4.
    let (close, _) = unknown_region("us-gov-north-1");
    let mut sorted = close.clone();
    sorted.sort();
    assert_eq!(sorted, ["us-gov-east-1", "us-gov-west-1"]);
    let (close, _) = unknown_region("us-central-1");
    assert!(
        !close.is_empty()
            && close.len() <= 4
            && close.iter().all(|r| r.starts_with("us-") && !r.starts_with("us-gov-")),
        "{close:?}"
    );

    // A typo in the area: similar spellings.
    let (close, _) = unknown_region("ue-east-1");
    assert_eq!(close.first().map(String::as_str), Some("us-east-1"), "{close:?}");

    // Only the case is off: that one region.
    let (close, msg) = unknown_region("EU-WEST-1");
    assert_eq!(close, ["eu-west-1"]);
    assert!(msg.contains("did you mean eu-west-1?"), "{msg}");

    let (close, _) = unknown_region("useast1");
    assert_eq!(close.first().map(String::as_str), Some("us-east-1"), "{close:?}");

    // Nothing like a region: an example instead.
    for bad in ["Mars", "", "moon-base-1"] {
        let (close, msg) = unknown_region(bad);
        assert!(close.is_empty(), "{bad:?}: {close:?}");
        assert!(msg.contains("such as \"us-east-1\""), "{msg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_without_aws_iot_core_is_refused_before_aws_is_asked() {
    // Nothing listens there: an unknown region must not even try.
    let closed = format!("http://127.0.0.1:{}", test_harness::free_port());
    let err = credentials::validate_credentials(&in_region("AKIAVALIDKEY", "valid-secret", "eu-west-9"), Some(&closed))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CredentialError::UnknownRegion { region, close } if region == "eu-west-9" && close.len() == 3),
        "{err:?}"
    );
    assert!(!err.to_string().contains("valid-secret"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sts_accepted_the_keys_iot_failing_in_the_region_says_why() {
    let ca = TestCa::new("region CA");
    let moto = Moto::start(&ca);
    let secret = "valid-secret-valid-secret";
    let good = in_region("AKIAVALIDKEY", secret, "eu-west-1");

    // IoT cannot be reached in the region while STS answers.
    let closed = format!("http://127.0.0.1:{}", test_harness::free_port());
    let err = credentials::validate_credentials_at(&good, Some(&moto.endpoint_url()), Some(&closed))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CredentialError::IotUnavailable { region, .. } if region == "eu-west-1"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("AWS IoT Core could not be reached in eu-west-1"), "{msg}");
    assert!(
        !msg.contains("check the internet connection") && !msg.contains(secret),
        "{msg}"
    );

    // The region is not enabled for the account: IoT there does not know the (valid) key.
    let stand_in = region_not_enabled_stand_in().await;
    let err = credentials::validate_credentials_at(&good, Some(&moto.endpoint_url()), Some(&stand_in))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        CredentialError::RegionNotEnabled {
            region: "eu-west-1".into()
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("the keys are valid, but region eu-west-1 is not enabled for this AWS account")
            && msg.contains("Account → AWS Regions")
            && !msg.contains("does not know the access key id")
            && !msg.contains(secret),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_keys_name_the_account_and_the_data_endpoint_and_offline_is_its_own_error() {
    let ca = TestCa::new("sts CA");
    let moto = Moto::start(&ca);
    let good = creds("AKIAVALIDKEY", "valid-secret");
    let (who, endpoint) = credentials::validate_credentials(&good, Some(&moto.endpoint_url()))
        .await
        .unwrap();
    assert_eq!(who.account, "123456789012");
    assert!(endpoint.contains(".iot.us-east-1.amazonaws.com"), "{endpoint}");

    // Nothing listens on this port.
    let closed = format!("http://127.0.0.1:{}", test_harness::free_port());
    let err = credentials::caller_identity(&good, Some(&closed)).await.unwrap_err();
    assert!(matches!(err, CredentialError::Offline { .. }), "{err}");
    assert!(
        err.to_string().contains("check the internet connection") && !err.to_string().contains("valid-secret"),
        "{err}"
    );
}
