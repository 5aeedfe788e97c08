//! Control-plane answers moto does not give, from a small proxy in front of it: throttling
//! (429 `ThrottlingException`) and 503 on every other request — provisioning still completes and
//! the retries show up as events — and a denied action, which names itself and the policy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use helium_bridge_core::aws::provision::{ProvisionEvent, Step};
use helium_bridge_core::aws::{AwsCredentials, AwsProvisioner};
use helium_bridge_core::domain::{EndpointOverride, IntegrationKind, NewIntegration};
use helium_bridge_core::{Core, KeyringVault, Vault};
use test_harness::{KeychainSession, Moto, TestCa};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads one HTTP/1.1 request (headers + Content-Length body).
async fn read_request(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Rewrites the request to close the upstream connection after the answer.
fn with_connection_close(req: &[u8]) -> Vec<u8> {
    let end = req.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&req[..end]);
    let mut out: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str("Connection: close\r\n\r\n");
    let mut v = out.into_bytes();
    v.extend_from_slice(&req[end + 4..]);
    v
}

/// A proxy in front of moto, one request per connection: `refuse(request line, n)` answers
/// the n-th request itself (returns the raw response) or lets it through. Returns the port and
/// how many were refused.
async fn proxy(
    upstream: u16,
    refuse: impl Fn(&str, usize) -> Option<Vec<u8>> + Send + Sync + 'static,
) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let refused = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let refuse = Arc::new(refuse);
    let r = refused.clone();
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let (seen, refused, refuse) = (seen.clone(), r.clone(), refuse.clone());
            tokio::spawn(async move {
                let Some(req) = read_request(&mut client).await else {
                    return;
                };
                let line = String::from_utf8_lossy(&req)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if let Some(resp) = refuse(&line, seen.fetch_add(1, Ordering::SeqCst)) {
                    refused.fetch_add(1, Ordering::SeqCst);
                    let _ = client.write_all(&resp).await;
                    return;
                }
                let mut up = TcpStream::connect(("127.0.0.1", upstream)).await.unwrap();
                up.write_all(&with_connection_close(&req)).await.unwrap();
                let mut resp = Vec::new();
                up.read_to_end(&mut resp).await.unwrap();
                let _ = client.write_all(&resp).await;
            });
        }
    });
    (port, refused)
}

/// Even-numbered requests are refused, with 429 `ThrottlingException` and 503 in turn.
async fn throttling_proxy(upstream: u16) -> (u16, Arc<AtomicUsize>) {
    let refusals = Arc::new(AtomicUsize::new(0));
    proxy(upstream, move |_, n| {
        if n % 2 != 0 {
            return None;
        }
        let resp: &[u8] = if refusals.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            b"HTTP/1.1 429 Too Many Requests\r\nx-amzn-ErrorType: ThrottlingException\r\n\
              Content-Type: application/json\r\nContent-Length: 27\r\nConnection: close\r\n\r\n\
              {\"message\":\"Rate exceeded\"}"
        } else {
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        };
        Some(resp.to_vec())
    })
    .await
}

/// A keychain vault, a database with one integration, and a provisioner whose control-plane
/// calls go through the proxy on `proxy_port`.
struct Setup {
    _keychain: KeychainSession,
    _data: tempfile::TempDir,
    integration: helium_bridge_core::domain::Integration,
    provisioner: AwsProvisioner,
}

fn setup(proxy_port: u16, secret: &str) -> Setup {
    let keychain = KeychainSession::start();
    keychain.apply_env_to_this_process();
    let vault: Arc<dyn Vault> = Arc::new(KeyringVault::with_service(format!(
        "helium-proxy-{}",
        uuid::Uuid::new_v4().simple()
    )));
    let data = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(data.path()).unwrap());
    let integration = core
        .store()
        .create_integration(&NewIntegration {
            kind: IntegrationKind::AwsIotCore,
            name: "aws".into(),
            region: "us-east-1".into(),
            topic: "helium/uplinks".into(),
            endpoint: EndpointOverride::default(),
            forward_joins: false,
        })
        .unwrap();
    let creds = AwsCredentials {
        access_key_id: "AKIAPROXYTESTKEY0001".into(),
        secret_access_key: zeroize::Zeroizing::new(secret.into()),
        region: "us-east-1".into(),
    };
    let provisioner = AwsProvisioner::new(core, vault, creds, Some(format!("http://127.0.0.1:{proxy_port}")));
    Setup {
        _keychain: keychain,
        _data: data,
        integration,
        provisioner,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_and_5xx_control_plane_calls_are_retried_and_reported() {
    let ca = TestCa::new("throttle CA");
    let moto = Moto::start(&ca);
    let (proxy, refused) = throttling_proxy(moto.port).await;
    let events: Arc<Mutex<Vec<ProvisionEvent>>> = Arc::default();
    let sink = events.clone();
    let s = setup(proxy, "throttle-secret");
    let integration = s.integration.clone();
    let p = s
        .provisioner
        .with_events(Arc::new(move |e| sink.lock().unwrap().push(e)));

    let id = match p.provision(&integration, "dev-throttled").await {
        Ok(id) => id,
        Err(e) => panic!(
            "provisioning must survive throttling: {e}; events: {:?}",
            events.lock().unwrap()
        ),
    };
    assert!(!id.cert_pem.is_empty());
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| e.step == Some(Step::Endpoint)), "{events:?}");
    let retries: Vec<_> = events
        .iter()
        .filter(|e| e.step.is_none() && e.level == "warn")
        .collect();
    assert_eq!(
        retries.len(),
        refused.load(Ordering::SeqCst),
        "every refused attempt is reported: {events:?}"
    );
    assert!(
        retries.iter().any(|e| e.message
            == "AWS IoT answered 429 (ThrottlingException) while provisioning dev-throttled; retrying with backoff"),
        "{retries:?}"
    );
    assert!(
        retries.iter().all(|e| e.device_id == "dev-throttled"),
        "each warning names its device: {retries:?}"
    );
    assert!(retries.iter().any(|e| e.message.contains("503")), "{retries:?}");
    assert!(refused.load(Ordering::SeqCst) >= 8, "each call was refused once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_the_iam_user_may_not_call_names_the_action_and_the_policy_to_attach() {
    let ca = TestCa::new("denied CA");
    let moto = Moto::start(&ca);
    // What AWS answers a user without iot:CreateThing (CreateThing is POST /things/{name}).
    let (proxy, refused) = proxy(moto.port, |line, _| {
        line.starts_with("POST /things/").then(|| {
            let body = r#"{"message":"User: arn:aws:iam::123456789012:user/HeliumIntegrationAccess is not authorized to perform: iot:CreateThing on resource: arn:aws:iot:us-east-1:123456789012:thing/dev-denied"}"#;
            format!(
                "HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: AccessDeniedException\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
    })
    .await;
    let s = setup(proxy, "denied-secret");
    let (p, integration) = (&s.provisioner, &s.integration);
    let Err(err) = p.provision(integration, "dev-denied").await else {
        panic!("CreateThing was denied")
    };
    assert_eq!(refused.load(Ordering::SeqCst), 1, "a denied call is not retried");
    assert_eq!(err.step, Step::Thing);
    assert_eq!(err.code.as_deref(), Some("AccessDeniedException"));
    let text = err.to_string();
    assert!(
        text.contains("may not call iot:CreateThing") && text.contains("attach the managed policy AWSIoTConfigAccess"),
        "{text}"
    );
    assert!(!text.contains("denied-secret"));
}
