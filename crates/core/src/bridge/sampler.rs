//! Each integration's outbox backlog, sampled while the bridge runs, into the history: the
//! integration's chart shows it beside its uplinks per second.

use std::sync::Arc;

use super::Inner;

/// Samples every [`super::BridgeOptions::sample_every`] until the bridge stops. Counting reads
/// the outbox on a connection of its own, off the async threads.
pub(super) async fn run(inner: Arc<Inner>) {
    let mut shutdown = inner.shutdown.clone();
    let mut reader = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(inner.opts.sample_every) => {}
            _ = shutdown.changed() => return,
        }
        let core = inner.core.clone();
        let taken = reader.take();
        let counted = tokio::task::spawn_blocking(move || {
            let reader = match taken {
                Some(r) => r,
                None => core.reader()?,
            };
            let counts = count(&reader);
            counts.map(|c| (reader, c))
        })
        .await;
        // (Otherwise tried again next time: a busy or closing store.)
        if let Ok(Ok((r, counts))) = counted {
            reader = Some(r);
            inner.core.monitor().backlog(counts);
        }
    }
}

/// Every integration's waiting uplinks, zero included (a drained backlog is a point too).
fn count(reader: &crate::store::Store) -> Result<Vec<(String, i64)>, crate::store::StoreError> {
    let waiting = reader.outbox_by_integration()?;
    Ok(reader
        .list_integrations()?
        .into_iter()
        .map(|i| {
            let n = waiting.get(&i.id).copied().unwrap_or(0);
            (i.id, n)
        })
        .collect())
}
