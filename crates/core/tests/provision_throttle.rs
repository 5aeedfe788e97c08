//! Throttled and failing (5xx) control-plane answers: a small proxy in front of moto answers
//! every other request with 429 `ThrottlingException` or 503; provisioning still completes,
//! and the retries show up as events.

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

/// One request per connection: even-numbered ones are refused (429 and 503 in turn), odd
/// ones forwarded to moto.
async fn throttling_proxy(upstream: u16) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let refused = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let r = refused.clone();
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let (seen, refused) = (seen.clone(), r.clone());
            tokio::spawn(async move {
                let Some(req) = read_request(&mut client).await else {
                    return;
                };
                let n = seen.fetch_add(1, Ordering::SeqCst);
                if n % 2 == 0 {
                    let k = refused.fetch_add(1, Ordering::SeqCst);
                    let resp: &[u8] = if k % 2 == 0 {
                        b"HTTP/1.1 429 Too Many Requests\r\nx-amzn-ErrorType: ThrottlingException\r\n\
                          Content-Type: application/json\r\nContent-Length: 27\r\nConnection: close\r\n\r\n\
                          {\"message\":\"Rate exceeded\"}"
                    } else {
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    };
                    let _ = client.write_all(resp).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_and_5xx_control_plane_calls_are_retried_and_reported() {
    let ca = TestCa::new("throttle CA");
    let moto = Moto::start(&ca);
    let keychain = KeychainSession::start();
    keychain.apply_env_to_this_process();
    let vault: Arc<dyn Vault> = Arc::new(KeyringVault::with_service(format!(
        "helium-throttle-{}",
        uuid::Uuid::new_v4().simple()
    )));
    let (proxy, refused) = throttling_proxy(moto.port).await;

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
        access_key_id: "AKIATHROTTLE".into(),
        secret_access_key: zeroize::Zeroizing::new("throttle-secret".into()),
        region: "us-east-1".into(),
    };
    let events: Arc<Mutex<Vec<ProvisionEvent>>> = Arc::default();
    let sink = events.clone();
    let p = AwsProvisioner::new(core.clone(), vault, creds, Some(format!("http://127.0.0.1:{proxy}")))
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
        retries
            .iter()
            .any(|e| e.message.contains("429") && e.message.contains("ThrottlingException")),
        "{retries:?}"
    );
    assert!(retries.iter().any(|e| e.message.contains("503")), "{retries:?}");
    assert!(refused.load(Ordering::SeqCst) >= 8, "each call was refused once");
}
