//! Numbers over time from the history, for charts: a device's radio figures and any number in
//! its decoded payload (read from the stored JSON by path), and an integration's uplink rate.

use std::collections::HashSet;

use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::History;
use crate::store::StoreError;

type Result<T> = std::result::Result<T, StoreError>;

/// The most points one series query returns (the newest).
pub const MAX_POINTS: usize = 5_000;
/// The most series one query reads at once.
pub const MAX_PATHS: usize = 8;

/// A number in a device's uplink JSON a chart can show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SeriesField {
    /// SQLite JSON path, e.g. `$.hotspots[0].rssi`, `$.decoded.payload.temperature`.
    pub path: String,
    /// What a person calls it: `RSSI (dBm)`, `temperature (channel 1)`.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SeriesColumn {
    pub path: String,
    /// One per time; `null` where the uplink had no such number.
    pub values: Vec<Option<f64>>,
}

/// Columns of numbers sharing one time axis, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Series {
    #[ts(type = "Array<number>")]
    pub t: Vec<i64>,
    pub columns: Vec<SeriesColumn>,
    /// More uplinks were in the range than [`MAX_POINTS`]: these are the newest.
    pub truncated: bool,
}

/// Uplinks per second in each bucket, oldest first, and the outbox backlog then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Rate {
    #[ts(type = "Array<number>")]
    pub t: Vec<i64>,
    pub per_second: Vec<f64>,
    /// The most uplinks waiting for the integration in the bucket; `null` where the bridge was
    /// not running (no sample).
    pub backlog: Vec<Option<f64>>,
}

/// A path the history may read: `$.` then names and indexes only (it goes into SQL as a value,
/// but a clear message beats SQLite's "bad JSON path").
fn check_path(path: &str) -> Result<()> {
    let ok = path.starts_with("$.")
        && path.len() <= 200
        && path[2..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "{path:?} is not a field path like $.decoded.payload.temperature"
        )))
    }
}

/// The device's id (the history's devices table resolves DevEUI and name too).
const DEVICE: &str = "device_id IN (SELECT ?1 UNION SELECT device_id FROM devices WHERE upper(dev_eui) = upper(?1) OR lower(name) = lower(?1))";

impl History {
    /// The numbers the device's newest uplink carries: RSSI and SNR, then every number in its
    /// `decoded` payload (Cayenne LPP readings by name and channel).
    pub fn series_fields(&self, device: &str) -> Result<Vec<SeriesField>> {
        let sql = format!(
            "SELECT json FROM messages WHERE {DEVICE} AND kind = 'uplink' AND json IS NOT NULL ORDER BY at_ms DESC LIMIT 1"
        );
        let json: Option<String> = self
            .conn
            .query_row(&sql, [device], |r| r.get(0))
            .map(Some)
            .or_else(|e| {
                if e == rusqlite::Error::QueryReturnedNoRows {
                    Ok(None)
                } else {
                    Err(e)
                }
            })?;
        let mut out = vec![
            SeriesField {
                path: "$.hotspots[0].rssi".into(),
                label: "RSSI (dBm)".into(),
            },
            SeriesField {
                path: "$.hotspots[0].snr".into(),
                label: "SNR (dB)".into(),
            },
        ];
        let Some(v) = json.and_then(|j| serde_json::from_str::<Value>(&j).ok()) else {
            return Ok(out);
        };
        if let Some(payload) = v.pointer("/decoded/payload") {
            leaves(payload, "$.decoded.payload", "", 0, &mut out);
        }
        Ok(out)
    }

    /// The device's uplinks in `[from_ms, to_ms)` with the numbers at `paths`, oldest first
    /// (one point per uplink, however many integrations it went to).
    pub fn series(&self, device: &str, from_ms: i64, to_ms: i64, paths: &[String]) -> Result<Series> {
        if paths.is_empty() || paths.len() > MAX_PATHS {
            return Err(StoreError::Conflict(format!(
                "ask for 1 to {MAX_PATHS} fields, not {}",
                paths.len()
            )));
        }
        for p in paths {
            check_path(p)?;
        }
        let columns: Vec<String> = (0..paths.len())
            .map(|i| format!("json_extract(json, ?{})", i + 4))
            .collect();
        let sql = format!(
            "SELECT at_ms, uuid, {} FROM messages WHERE {DEVICE} AND kind = 'uplink' AND at_ms >= ?2 AND at_ms < ?3 \
             AND json IS NOT NULL ORDER BY at_ms DESC, id DESC LIMIT {}",
            columns.join(", "),
            MAX_POINTS * 4
        );
        let mut args: Vec<rusqlite::types::Value> = vec![device.to_string().into(), from_ms.into(), to_ms.into()];
        args.extend(paths.iter().map(|p| rusqlite::types::Value::Text(p.clone())));
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        let mut seen = HashSet::new();
        let mut t = Vec::new();
        let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); paths.len()];
        let mut truncated = false;
        while let Some(r) = rows.next()? {
            let uuid: Option<String> = r.get(1)?;
            if let Some(u) = uuid {
                if !seen.insert(u) {
                    continue;
                }
            }
            if t.len() == MAX_POINTS {
                truncated = true;
                break;
            }
            t.push(r.get(0)?);
            for (i, column) in values.iter_mut().enumerate() {
                column.push(number(r.get_ref(i + 2)?));
            }
        }
        t.reverse();
        for column in &mut values {
            column.reverse();
        }
        Ok(Series {
            t,
            columns: paths
                .iter()
                .zip(values)
                .map(|(path, values)| SeriesColumn {
                    path: path.clone(),
                    values,
                })
                .collect(),
            truncated,
        })
    }

    /// The integration's uplinks per second in `bucket_ms` buckets over `[from_ms, to_ms)`;
    /// buckets without uplinks are zeros.
    pub fn uplink_rate(&self, integration_id: &str, from_ms: i64, to_ms: i64, bucket_ms: i64) -> Result<Rate> {
        let bucket_ms = bucket_ms.max(1_000);
        let n = ((to_ms - from_ms).max(0) / bucket_ms).min(10_000) as usize;
        let mut counts = vec![0f64; n];
        let mut stmt = self.conn.prepare_cached(
            "SELECT (at_ms - ?2) / ?4, count(*) FROM messages WHERE at_ms >= ?2 AND at_ms < ?3 \
             AND integration_id = ?1 AND kind = 'uplink' GROUP BY 1",
        )?;
        let mut rows = stmt.query(rusqlite::params![integration_id, from_ms, to_ms, bucket_ms])?;
        while let Some(r) = rows.next()? {
            let (i, c): (i64, i64) = (r.get(0)?, r.get(1)?);
            if let Some(slot) = counts.get_mut(i as usize) {
                *slot = c as f64 * 1000.0 / bucket_ms as f64;
            }
        }
        let mut backlog = vec![None; n];
        let mut stmt = self.conn.prepare_cached(
            "SELECT (at_ms - ?2) / ?4, max(entries) FROM backlog WHERE integration_id = ?1 \
             AND at_ms >= ?2 AND at_ms < ?3 GROUP BY 1",
        )?;
        let mut rows = stmt.query(rusqlite::params![integration_id, from_ms, to_ms, bucket_ms])?;
        while let Some(r) = rows.next()? {
            let (i, entries): (i64, i64) = (r.get(0)?, r.get(1)?);
            if let Some(slot) = backlog.get_mut(i as usize) {
                *slot = Some(entries as f64);
            }
        }
        Ok(Rate {
            t: (0..n).map(|i| from_ms + i as i64 * bucket_ms).collect(),
            per_second: counts,
            backlog,
        })
    }
}

fn number(v: rusqlite::types::ValueRef<'_>) -> Option<f64> {
    match v {
        rusqlite::types::ValueRef::Integer(i) => Some(i as f64),
        rusqlite::types::ValueRef::Real(f) => Some(f),
        _ => None,
    }
}

/// The numeric leaves under `v` (at most 50, 4 levels deep) with their paths and labels.
fn leaves(v: &Value, path: &str, label: &str, depth: usize, out: &mut Vec<SeriesField>) {
    if depth > 4 || out.len() >= 52 {
        return;
    }
    match v {
        Value::Number(_) => out.push(SeriesField {
            path: path.to_string(),
            label: if label.is_empty() {
                "decoded".into()
            } else {
                label.to_string()
            },
        }),
        Value::Object(map) => {
            // A Cayenne LPP reading: {channel, name, value, unit}.
            if let (Some(name), Some(value)) = (map.get("name").and_then(Value::as_str), map.get("value")) {
                let channel = map.get("channel").and_then(Value::as_u64);
                let unit = map.get("unit").and_then(Value::as_str).filter(|u| !u.is_empty());
                let mut l = name.to_string();
                if let Some(c) = channel {
                    l.push_str(&format!(" (channel {c}"));
                    l.push_str(&unit.map(|u| format!(", {u})")).unwrap_or_else(|| ")".into()));
                }
                return leaves(value, &format!("{path}.value"), &l, depth + 1, out);
            }
            for (k, child) in map {
                if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                    continue;
                }
                let l = if label.is_empty() {
                    k.clone()
                } else {
                    format!("{label}.{k}")
                };
                leaves(child, &format!("{path}.{k}"), &l, depth + 1, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate().take(16) {
                let l = if label.is_empty() {
                    format!("[{i}]")
                } else {
                    format!("{label}[{i}]")
                };
                leaves(child, &format!("{path}[{i}]"), &l, depth + 1, out);
            }
        }
        _ => {}
    }
}
