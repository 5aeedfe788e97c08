//! What AWS carried for an integration, in the order it did, for `integration watch --follow`:
//! the uplinks it echoed (by when, index `messages_seen`) and the downlinks published on the
//! down topics (after a message id).

use rusqlite::params;

use super::{row, History, Result, ROW_COLUMNS};
use crate::monitor::MessageRow;

impl History {
    /// The integration's uplinks AWS echoed at or after `seen_from_ms`, after `after` (a
    /// `(seen_ms, id)` already read), oldest echo first; at most `limit`.
    pub fn echoes(
        &self,
        integration_id: &str,
        seen_from_ms: i64,
        after: Option<(i64, i64)>,
        limit: usize,
    ) -> Result<Vec<MessageRow>> {
        let (at, id) = after.unwrap_or((seen_from_ms, i64::MIN));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM messages INDEXED BY messages_seen
             WHERE seen_ms >= ?1 AND (seen_ms > ?2 OR (seen_ms = ?2 AND id > ?3)) AND integration_id = ?4
             ORDER BY seen_ms, id LIMIT ?5"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![seen_from_ms, at, id, integration_id, limit as i64], row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The downlinks AWS carried on the integration's down topics after message `after_id`,
    /// oldest first; at most `limit`.
    pub fn aws_downlinks(&self, integration_id: &str, after_id: i64, limit: usize) -> Result<Vec<MessageRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM messages
             WHERE id > ?1 AND kind = 'aws_downlink' AND integration_id = ?2 ORDER BY id LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![after_id, integration_id, limit as i64], row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::monitor::tests::uplink;
    use crate::monitor::{Direction, History, Message, Seen, HISTORY_FILE};

    #[test]
    fn echoes_come_in_the_order_aws_echoed_them_a_page_at_a_time_and_downlinks_after_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open(&dir.path().join(HISTORY_FILE)).unwrap();
        let mut batch: Vec<Arc<Message>> = (1..=5)
            .map(|i| {
                let mut m = uplink(&format!("d{i}"), 1_000 + i, "{}");
                m.row.id = i;
                Arc::new(m)
            })
            .collect();
        let mut other = uplink("d6", 1_006, "{}");
        (other.row.id, other.row.integration_id) = (6, Some("int-2".into()));
        let mut down = Message::new("aws_downlink", Direction::Down, "info", "AWS carried a downlink");
        (down.row.id, down.row.at_ms, down.row.integration_id) = (7, 1_007, Some("int-1".into()));
        batch.extend([Arc::new(other), Arc::new(down)]);
        h.insert(&batch, &mut Default::default()).unwrap();
        let seen = |i: i64, at_ms: i64, integration: &str| Seen {
            integration_id: integration.into(),
            uuid: format!("uuid-d{i}-{}", 1_000 + i),
            at_ms,
            device_id: Some(format!("id-d{i}")),
            reported_at_ms: 1_000 + i,
        };
        let marks = [
            seen(3, 5_000, "int-1"),
            seen(1, 5_000, "int-1"),
            seen(2, 6_000, "int-1"),
        ];
        let more = [seen(5, 4_000, "int-1"), seen(6, 5_500, "int-2")];
        assert_eq!(h.mark_seen(marks.iter().chain(&more)).unwrap(), vec![true; 5]);
        let ids = |rows: Vec<crate::monitor::MessageRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(h.echoes("int-1", 4_500, None, 2).unwrap()), [1, 3]);
        assert_eq!(ids(h.echoes("int-1", 4_500, Some((5_000, 3)), 2).unwrap()), [2]);
        assert_eq!(ids(h.echoes("int-1", 0, None, 10).unwrap()), [5, 1, 3, 2]);
        assert_eq!(ids(h.echoes("int-2", 0, None, 10).unwrap()), [6]);
        assert_eq!(ids(h.aws_downlinks("int-1", 0, 10).unwrap()), [7]);
        assert!(h.aws_downlinks("int-1", 7, 10).unwrap().is_empty());
        assert!(h.aws_downlinks("int-2", 0, 10).unwrap().is_empty());
    }
}
