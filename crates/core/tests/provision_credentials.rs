//! Credential validation against moto in its IAM-auth mode: an unknown key id, a wrong secret
//! and a denied action each get their own message, and none shows the secret.

use helium_bridge_core::aws::provision::credentials::{self, CredentialError};
use helium_bridge_core::aws::AwsCredentials;
use test_harness::{Moto, TestCa};

fn iam(moto: &Moto, params: &[(&str, &str)]) -> String {
    moto.iam(params)
}

fn xml(text: &str, tag: &str) -> String {
    test_harness::moto::xml_field(text, tag)
}

fn creds(key_id: &str, secret: &str) -> AwsCredentials {
    AwsCredentials {
        access_key_id: key_id.into(),
        secret_access_key: zeroize::Zeroizing::new(secret.into()),
        region: "us-east-1".into(),
    }
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
    assert!(matches!(
        credentials::check_region("Mars"),
        Err(CredentialError::UnknownRegion { .. })
    ));
    assert!(credentials::check_region("eu-west-1").is_ok() && credentials::check_region("us-gov-west-1").is_ok());
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
