//! The HTTP webhook source: ChirpStack's HTTP integration (`POST ?event=up`, JSON) and legacy
//! Helium JSON (no `event` parameter). Answers 2xx only once the uplink is durably stored.
//! With a shared secret in the keychain, requests must carry it as
//! `Authorization: Bearer <secret>` or `X-Helium-Bridge-Secret: <secret>`; others get 401.

use crate::sync::LockExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming as Body};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use zeroize::Zeroizing;

use super::SourceContext;
use crate::bridge::{Incoming, IngestHandle, IngestOutcome, Status};
use crate::domain::Source;
use crate::events::Event;

const MAX_BODY: usize = 1024 * 1024;

struct Ctx {
    status: Status,
    /// Held only while a request is parsed and routed, never across an await.
    ingest: std::sync::Mutex<IngestHandle>,
    source: Source,
    secret: Option<Zeroizing<Vec<u8>>>,
    refused: AtomicU64,
}

pub(super) async fn run(ctx: SourceContext, bind: String, require_secret: bool) {
    let mut shutdown = ctx.shutdown.clone();
    let secret = match require_secret.then(|| ctx.vault.get(&super::secret_key(&ctx.source.id))) {
        None => None,
        Some(Ok(Some(s))) => Some(s),
        Some(Ok(None)) => {
            return ctx.fail(
                "webhook",
                "its shared secret is missing from the keychain; add the source again".into(),
            )
        }
        Some(Err(e)) => return ctx.fail("webhook", e.to_string()),
    };
    let listener = match tokio::net::TcpListener::bind(&bind).await {
        Ok(l) => l,
        Err(e) => return ctx.fail("webhook", format!("cannot listen on {bind}: {e}")),
    };
    ctx.report(true, format!("listening on {bind}"));
    let source = ctx.source;
    ctx.status.emit(
        Event::new(
            "connection",
            "info",
            format!("webhook {:?} listening on {bind}", source.name),
        )
        .source(&source.id),
    );
    let ctx = Arc::new(Ctx {
        status: ctx.status,
        ingest: std::sync::Mutex::new(ctx.ingest),
        source,
        secret,
        refused: AtomicU64::new(0),
    });
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r { Ok(c) => c, Err(_) => continue },
            _ = shutdown.changed() => return,
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(ctx.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn reply(status: StatusCode, text: impl Into<String>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let body = serde_json::json!({ "status": status.as_u16(), "message": text.into() }).to_string();
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("valid response"))
}

fn authorised(ctx: &Ctx, req: &Request<Body>) -> bool {
    let Some(secret) = &ctx.secret else { return true };
    let given = req
        .headers()
        .get("x-helium-bridge-secret")
        .map(|v| v.as_bytes())
        .or_else(|| {
            req.headers()
                .get("authorization")
                .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        });
    // Constant-time comparison: the secret must not leak through timing.
    given.is_some_and(|g| {
        g.len() == secret.len() && g.iter().zip(secret.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    })
}

async fn handle(ctx: Arc<Ctx>, req: Request<Body>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "use POST");
    }
    if !authorised(&ctx, &req) {
        let n = ctx.refused.fetch_add(1, Ordering::Relaxed) + 1;
        ctx.status.set(
            "source",
            &ctx.source.id,
            &ctx.source.name,
            true,
            format!("{n} request(s) refused: wrong or missing secret"),
        );
        ctx.status.emit(
            Event::new(
                "auth_failed",
                "warn",
                format!(
                    "webhook {:?} refused a request with a wrong or missing secret",
                    ctx.source.name
                ),
            )
            .source(&ctx.source.id)
            .detail(serde_json::json!({ "refused_total": n })),
        );
        return reply(StatusCode::UNAUTHORIZED, "wrong or missing secret");
    }
    let event = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("event=")))
        .map(str::to_string);
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {MAX_BODY} bytes or was cut off"),
            )
        }
    };
    let incoming = match &event {
        Some(ev) => Incoming::Chirpstack {
            event: ev,
            raw: &body,
            topic: None,
        },
        None => Incoming::Legacy {
            raw: &body,
            topic: None,
        },
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    ctx.ingest.locked().ingest(incoming, move |outcome| {
        let _ = tx.send(outcome);
    });
    let outcome = rx
        .await
        .unwrap_or_else(|_| IngestOutcome::Refused("the bridge is stopping".into()));
    match outcome {
        IngestOutcome::Stored { .. } => reply(StatusCode::OK, "stored"),
        IngestOutcome::Ignored => reply(StatusCode::OK, "ignored: this event type is not forwarded"),
        IngestOutcome::Again => reply(StatusCode::OK, "received already: sent to AWS once"),
        IngestOutcome::Rejected(reason) => reply(StatusCode::BAD_REQUEST, reason),
        IngestOutcome::Refused(reason) => reply(StatusCode::SERVICE_UNAVAILABLE, reason),
    }
}
