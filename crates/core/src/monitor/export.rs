//! Exports of the history: CSV (one row per message, the JSON in a column) or NDJSON (one
//! message per line), streamed from the query to the writer without holding the set.

use std::io::Write;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{History, Message, MessageFilter};
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "ndjson" | "jsonl" => Ok(ExportFormat::Ndjson),
            other => Err(format!("unknown export format {other:?}: use csv or ndjson")),
        }
    }
}

const CSV_HEADER: [&str; 17] = [
    "id",
    "time",
    "kind",
    "direction",
    "level",
    "device_id",
    "device_name",
    "dev_eui",
    "integration_id",
    "source_id",
    "topic",
    "qos",
    "uuid",
    "size",
    "text",
    "json",
    // When the integration's AWS monitor saw the uplink arrive (Watch AWS); empty otherwise.
    "seen_on_aws",
];

/// An RFC 3339 time (`2026-12-04T10:00:00Z`), or a date alone (`2026-12-04`: the start of that
/// day, UTC), as milliseconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let t = match time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        Ok(t) => t,
        Err(e) => {
            let day =
                time::format_description::parse_borrowed::<2>("[year]-[month]-[day]").expect("a valid description");
            time::Date::parse(s, &day)
                .map_err(|_| e.to_string())?
                .midnight()
                .assume_utc()
        }
    };
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

fn csv_record(m: &Message) -> [String; 17] {
    let r = &m.row;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        r.id.to_string(),
        iso(r.at_ms),
        r.kind.clone(),
        r.direction.as_str().to_string(),
        r.level.clone(),
        opt(&r.device_id),
        opt(&r.device_name),
        opt(&r.dev_eui),
        opt(&r.integration_id),
        opt(&r.source_id),
        opt(&r.topic),
        r.qos.map(|q| q.to_string()).unwrap_or_default(),
        opt(&r.uuid),
        r.size.to_string(),
        r.text.clone(),
        m.json.as_deref().map_or_else(String::new, String::clone),
        r.seen_ms.map(iso).unwrap_or_default(),
    ]
}

/// Writes every message `filter` finds (newest first, as the viewer lists them) to `out`;
/// returns how many.
pub fn export(
    history: &History,
    filter: &MessageFilter,
    format: ExportFormat,
    out: impl Write,
) -> Result<u64, StoreError> {
    let io = |e: std::io::Error| StoreError::Conflict(format!("cannot write the export: {e}"));
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_HEADER).map_err(|e| io(e.into()))?;
            let n = history.each(filter, |m| w.write_record(csv_record(&m)).map_err(Into::into))?;
            w.flush().map_err(io)?;
            Ok(n)
        }
        ExportFormat::Ndjson => {
            let mut out = std::io::BufWriter::new(out);
            let n = history.each(filter, |m| {
                serde_json::to_writer(&mut out, &m).map_err(std::io::Error::other)?;
                out.write_all(b"\n")
            })?;
            out.flush().map_err(io)?;
            Ok(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn a_time_is_rfc_3339_or_a_date_alone_for_its_start_in_utc() {
        assert_eq!(parse_time("2026-12-04T10:00:00Z"), Ok(1_796_378_400_000));
        assert_eq!(parse_time(" 2026-12-04 "), parse_time("2026-12-04T00:00:00Z"));
        assert_eq!(
            parse_time("2026-12-04T10:00:00+01:00"),
            parse_time("2026-12-04T09:00:00Z")
        );
        assert!(parse_time("2026-12-4").is_err());
        assert!(parse_time("tuesday").is_err());
    }
}
