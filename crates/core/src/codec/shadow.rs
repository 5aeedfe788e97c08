//! The device shadow update after a decoded uplink: the thing's classic shadow `reported` state
//! gets the decoded values and the radio metadata, on `$aws/things/{thing}/shadow/update`.

use serde_json::{json, Map, Value};

use super::helium::{Decoded, HeliumUplink};

/// AWS IoT's limit on a shadow's JSON state document.
pub const MAX_STATE_DOCUMENT: usize = 8 * 1024;

/// What marks a shadow update in the outbox: its entry's uuid is the uplink's with this suffix.
pub const SHADOW_SUFFIX: &str = ":shadow";

pub fn update_topic(thing: &str) -> String {
    format!("$aws/things/{thing}/shadow/update")
}

/// `{"state":{"reported":{…}}}` for an uplink whose decoder succeeded; `None` when there is
/// nothing decoded. The decoded values come flat (a Cayenne LPP list as `temperature_1`, …;
/// another list or a single value as `decoded`), then `rssi`, `snr` (the best hotspot's),
/// `fcnt` and `last_seen` (ms), which win over decoded fields of the same name.
pub fn reported(up: &HeliumUplink) -> Option<Result<String, String>> {
    let Some(Decoded::Success { payload }) = &up.decoded else {
        return None;
    };
    let payload = payload.tree();
    let mut state = Map::new();
    match payload.as_ref() {
        Value::Object(o) => state.extend(o.clone()),
        Value::Array(items) if items.iter().all(is_reading) => {
            for r in items {
                state.insert(
                    format!("{}_{}", r["name"].as_str().unwrap_or("value"), r["channel"]),
                    r["value"].clone(),
                );
            }
        }
        other => {
            state.insert("decoded".into(), other.clone());
        }
    }
    let best = up.hotspots.iter().max_by_key(|h| h.rssi);
    state.insert("rssi".into(), best.map(|h| json!(h.rssi)).unwrap_or(Value::Null));
    state.insert("snr".into(), best.map(|h| json!(h.snr)).unwrap_or(Value::Null));
    state.insert("fcnt".into(), json!(up.fcnt));
    state.insert("last_seen".into(), json!(up.reported_at));
    let doc = json!({ "state": { "reported": state } }).to_string();
    Some(if doc.len() > MAX_STATE_DOCUMENT {
        Err(format!(
            "the shadow update would be {} bytes; AWS IoT allows a {} KB state document",
            doc.len(),
            MAX_STATE_DOCUMENT / 1024
        ))
    } else {
        Ok(doc)
    })
}

/// A Cayenne LPP reading: `{channel, name, value, …}`.
fn is_reading(v: &Value) -> bool {
    v.get("channel").is_some_and(Value::is_u64)
        && v.get("name").is_some_and(Value::is_string)
        && v.get("value").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::HeliumHotspot;

    fn uplink(decoded: Option<Decoded>) -> HeliumUplink {
        let mut up: HeliumUplink = serde_json::from_value(json!({
            "type": "uplink", "uuid": "u", "id": "d", "name": "n", "dev_eui": "01", "app_eui": null,
            "devaddr": "", "fcnt": 7, "port": 1, "payload": "", "payload_size": 0, "reported_at": 1000,
            "replay": false, "hotspots": [], "metadata": {"labels": [], "organization_id": null}
        }))
        .unwrap();
        let h = |rssi: i32, snr: f64| HeliumHotspot {
            id: "h".into(),
            name: "h".into(),
            reported_at: 0,
            status: "success".into(),
            rssi,
            snr,
            spreading: "SF7BW125".into(),
            frequency: 868.1,
            channel: 0,
            lat: None,
            long: None,
        };
        up.hotspots = vec![h(-110, 2.5), h(-90, 7.25)];
        up.decoded = decoded;
        up
    }

    #[test]
    fn decoded_values_and_the_best_hotspots_radio_go_to_reported() {
        let cayenne = crate::codec::cayenne::decode(&[3, 0x67, 1, 0x10, 2, 0x68, 0x74]).unwrap();
        let doc = reported(&uplink(Some(Decoded::Success {
            payload: cayenne.into(),
        })))
        .unwrap()
        .unwrap();
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            v,
            json!({"state": {"reported": {"temperature_3": 27.2, "humidity_2": 58.0, "rssi": -90, "snr": 7.25, "fcnt": 7, "last_seen": 1000}}})
        );
        let doc = reported(&uplink(Some(Decoded::Success {
            payload: json!({"open": true, "rssi": 1}).into(),
        })))
        .unwrap()
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&doc).unwrap()["state"]["reported"]["open"],
            true
        );
        assert_eq!(
            serde_json::from_str::<Value>(&doc).unwrap()["state"]["reported"]["rssi"],
            -90
        );
        let doc = reported(&uplink(Some(Decoded::Success {
            payload: json!(42).into(),
        })))
        .unwrap()
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&doc).unwrap()["state"]["reported"]["decoded"],
            42
        );
    }

    #[test]
    fn nothing_decoded_gives_no_update_and_too_large_a_state_is_an_error() {
        assert!(reported(&uplink(None)).is_none());
        assert!(reported(&uplink(Some(Decoded::Error { error: "x".into() }))).is_none());
        let big = json!({ "text": "x".repeat(9000) });
        assert_eq!(
            reported(&uplink(Some(Decoded::Success { payload: big.into() })))
                .unwrap()
                .unwrap_err(),
            "the shadow update would be 9082 bytes; AWS IoT allows a 8 KB state document"
        );
    }
}
