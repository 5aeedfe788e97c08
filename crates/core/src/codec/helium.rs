//! The Helium JSON published to AWS IoT Core (the contract's "AWS side (output)" table), and the
//! translations into it from ChirpStack v4 events and legacy Helium uplinks.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::chirpstack::{ChirpstackUplink, RxInfo, RxMetadata, TxInfo};
use super::error::CodecError;
use super::legacy::{to_ms, LegacyHotspot, LegacyUplink};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UplinkType {
    Uplink,
    Join,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeliumUplink {
    #[serde(rename = "type")]
    pub kind: UplinkType,
    /// Stable across retries of the same uplink: consumers dedupe on it.
    pub uuid: String,
    /// Device id = AWS thing name.
    pub id: String,
    pub name: String,
    pub dev_eui: String,
    /// JoinEUI when known, else `null` (never omitted).
    pub app_eui: Option<String>,
    pub devaddr: String,
    pub fcnt: u32,
    pub port: u8,
    /// Base64 as received.
    pub payload: String,
    /// Decoded length of `payload` in bytes.
    pub payload_size: usize,
    /// ms since the Unix epoch.
    pub reported_at: i64,
    pub replay: bool,
    pub hotspots: Vec<HeliumHotspot>,
    pub metadata: HeliumMetadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Decoded>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeliumHotspot {
    pub id: String,
    pub name: String,
    /// ms since the Unix epoch.
    pub reported_at: i64,
    pub status: String,
    pub rssi: i32,
    pub snr: f64,
    /// e.g. `SF7BW125`.
    pub spreading: String,
    /// MHz.
    pub frequency: f64,
    pub channel: u32,
    pub lat: Option<f64>,
    pub long: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeliumMetadata {
    pub labels: Vec<LabelRef>,
    pub organization_id: Option<String>,
    /// Set (only) on a test uplink the user simulated in the app; absent on real ones.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

/// A label as Helium JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRef {
    pub id: String,
    pub name: String,
    pub organization_id: String,
}

/// A decoder's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Decoded {
    Success { payload: DecodedPayload },
    Error { error: String },
}

/// What a decoder gave: a JSON tree (the bridge's decoders), or ChirpStack's `object` as the
/// text it came in, which is published as it is and made a tree only if something reads it (a
/// shadow update). Building and writing the tree of every uplink's `object` cost more than a
/// microsecond an uplink. Equal when their JSON is.
#[derive(Debug, Clone)]
pub enum DecodedPayload {
    Tree(Value),
    Text(Box<serde_json::value::RawValue>),
}

impl DecodedPayload {
    /// The payload as a JSON tree.
    pub fn tree(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            DecodedPayload::Tree(v) => std::borrow::Cow::Borrowed(v),
            // (RawValue holds valid JSON.)
            DecodedPayload::Text(raw) => std::borrow::Cow::Owned(serde_json::from_str(raw.get()).unwrap_or_default()),
        }
    }
}

impl From<Value> for DecodedPayload {
    fn from(v: Value) -> Self {
        DecodedPayload::Tree(v)
    }
}

impl PartialEq for DecodedPayload {
    fn eq(&self, other: &Self) -> bool {
        self.tree() == other.tree()
    }
}

impl Serialize for DecodedPayload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DecodedPayload::Tree(v) => v.serialize(s),
            DecodedPayload::Text(raw) => raw.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for DecodedPayload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(DecodedPayload::Tree)
    }
}

/// What the bridge knows about the device beyond the incoming message. Borrowed from what the
/// bridge keeps per device, so that an uplink does not copy it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UplinkContext<'a> {
    /// The bridge's labels on this device; they replace any labels in the message and carry
    /// the uplink's organization.
    pub labels: &'a [crate::domain::Label],
    /// JoinEUI from the bridge's device record, used when the message has none.
    pub known_app_eui: Option<&'a str>,
    /// The device id the caller already derived from this event's DevEUI (as
    /// [`device_id_for_dev_eui`] does), so it is not derived twice; `None`: derived here.
    pub device_id: Option<&'a str>,
    /// Fallback for a missing event time.
    pub now_ms: i64,
}

/// Namespace of device ids derived from DevEUIs:
/// `Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:helium-aws-bridge:dev-eui")`, written out so it can
/// be a `const` (a test checks the derivation). Changing it would give every device a new Thing.
pub const DEVICE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x51e5034d_e735_5941_b249_5ad4aa4062e2);

/// The device id (AWS thing name) of a ChirpStack device: UUID v5 of its lowercase DevEUI, so a
/// device keeps its Thing across reinstalls and whatever case the EUI arrives in.
/// The uplink as published: its Helium JSON. (Written into a buffer sized for a typical
/// uplink, which spares the growing a `to_string` does on every uplink.)
pub fn to_json(up: &HeliumUplink) -> String {
    let mut buf = Vec::with_capacity(1024);
    serde_json::to_writer(&mut buf, up).expect("Helium JSON serialises");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

pub fn device_id_for_dev_eui(dev_eui: &str) -> String {
    let lower = dev_eui.trim().to_ascii_lowercase();
    Uuid::new_v5(&DEVICE_ID_NAMESPACE, lower.as_bytes()).to_string()
}

/// Translates a ChirpStack v4 `up` event. Takes the event: its strings move into the uplink
/// rather than being copied (about half a dozen allocations an uplink).
pub fn from_chirpstack(ev: ChirpstackUplink, ctx: &UplinkContext<'_>) -> Result<HeliumUplink, CodecError> {
    let fcnt = ev.f_cnt.ok_or_else(|| CodecError::MissingField("fCnt".into()))?;
    if ev.data.is_none() {
        return Err(CodecError::MissingField("data".into()));
    }
    translate_chirpstack(ev, ctx, UplinkType::Uplink, fcnt)
}

/// Translates a ChirpStack v4 `join` event (for integrations that forward joins): it carries
/// no frame counter or payload.
pub fn from_chirpstack_join(ev: ChirpstackUplink, ctx: &UplinkContext<'_>) -> Result<HeliumUplink, CodecError> {
    let fcnt = ev.f_cnt.unwrap_or(0);
    translate_chirpstack(ev, ctx, UplinkType::Join, fcnt)
}

fn translate_chirpstack(
    mut ev: ChirpstackUplink,
    ctx: &UplinkContext<'_>,
    kind: UplinkType,
    fcnt: u32,
) -> Result<HeliumUplink, CodecError> {
    let mut dev_eui = std::mem::take(&mut ev.device_info.dev_eui);
    check_hex("deviceInfo.devEui", &dev_eui, 16)?;
    let payload = ev.data.take().unwrap_or_default();
    let payload_size = decoded_len("data", &payload)?;
    let reported_at = ev.time.unwrap_or(ctx.now_ms);
    let hotspots = ev
        .rx_info
        .iter()
        .map(|rx| chirpstack_hotspot(rx, &ev.tx_info, reported_at))
        .collect();
    let tenant = std::mem::take(&mut ev.device_info.tenant_id);
    let organization_id = (!tenant.is_empty()).then_some(tenant);
    let id = ctx
        .device_id
        .map_or_else(|| device_id_for_dev_eui(&dev_eui), str::to_string);
    dev_eui.make_ascii_uppercase();
    let mut devaddr = std::mem::take(&mut ev.dev_addr);
    devaddr.make_ascii_uppercase();
    Ok(HeliumUplink {
        kind,
        uuid: uuid_or_fresh(ev.deduplication_id.take()),
        id,
        name: std::mem::take(&mut ev.device_info.device_name),
        dev_eui,
        app_eui: ctx.known_app_eui.map(str::to_ascii_uppercase),
        devaddr,
        fcnt,
        port: ev.f_port,
        payload,
        payload_size,
        reported_at,
        replay: false,
        hotspots,
        metadata: metadata(ctx, organization_id),
        // No bridge decoder has run here; ChirpStack's own codec output passes through.
        decoded: ev.object.take().map(|raw| Decoded::Success {
            payload: DecodedPayload::Text(raw),
        }),
    })
}

/// `metadata`: the bridge's labels, each carrying the uplink's organization.
fn metadata(ctx: &UplinkContext<'_>, organization_id: Option<String>) -> HeliumMetadata {
    let org = organization_id.clone().unwrap_or_default();
    HeliumMetadata {
        labels: ctx
            .labels
            .iter()
            .map(|l| LabelRef {
                id: l.id.clone(),
                name: l.name.clone(),
                organization_id: org.clone(),
            })
            .collect(),
        organization_id,
        simulated: false,
    }
}

/// A test uplink the user asked the app for: the device's identity, the payload and port given,
/// a fresh uuid, no hotspots, frame counter 0, and `metadata.simulated: true` so AWS rules can
/// tell it from a real one.
pub fn simulated(device: &crate::domain::Device, port: u8, payload: &[u8], ctx: &UplinkContext<'_>) -> HeliumUplink {
    let mut metadata = metadata(ctx, None);
    metadata.simulated = true;
    HeliumUplink {
        kind: UplinkType::Uplink,
        uuid: Uuid::new_v4().to_string(),
        id: device.id.clone(),
        name: device.name.clone(),
        dev_eui: device.dev_eui.to_ascii_uppercase(),
        app_eui: ctx
            .known_app_eui
            .or(device.app_eui.as_deref())
            .map(str::to_ascii_uppercase),
        devaddr: device.devaddr.clone().unwrap_or_default().to_ascii_uppercase(),
        fcnt: 0,
        port,
        payload: BASE64.encode(payload),
        payload_size: payload.len(),
        reported_at: ctx.now_ms,
        replay: false,
        hotspots: Vec::new(),
        metadata,
        decoded: None,
    }
}

fn chirpstack_hotspot(rx: &RxInfo, tx: &TxInfo, event_ms: i64) -> HeliumHotspot {
    let meta = &rx.metadata;
    let (lat, long) = match (
        RxMetadata::number(&meta.gateway_lat),
        RxMetadata::number(&meta.gateway_long),
    ) {
        (Some(lat), Some(long)) => (Some(lat), Some(long)),
        _ => match rx.location.as_ref().and_then(|l| l.coordinates()) {
            Some((lat, long)) => (Some(lat), Some(long)),
            None => (None, None),
        },
    };
    HeliumHotspot {
        id: RxMetadata::text(&meta.gateway_id).unwrap_or(&rx.gateway_id).to_string(),
        name: RxMetadata::text(&meta.gateway_name)
            .unwrap_or(&rx.gateway_id)
            .to_string(),
        reported_at: rx.gw_time.or(rx.ns_time).unwrap_or(event_ms),
        status: "success".to_string(),
        rssi: rx.rssi,
        snr: rx.snr,
        spreading: tx.spreading(),
        frequency: tx.frequency_mhz(),
        channel: rx.channel,
        lat,
        long,
    }
}

/// Translates a legacy Helium uplink: normalizes units and case, swaps in the bridge's labels.
pub fn from_legacy(ev: &LegacyUplink, ctx: &UplinkContext<'_>) -> Result<HeliumUplink, CodecError> {
    check_legacy_ids(ev)?;
    let payload_size = decoded_len("payload", &ev.payload)?;
    let reported_at = ev.reported_at.map(to_ms).unwrap_or(ctx.now_ms);
    let app_eui = ev
        .app_eui
        .as_deref()
        .filter(|s| !s.is_empty())
        .or(ctx.known_app_eui)
        .map(str::to_ascii_uppercase);
    // The 2020 shape has no metadata.organization_id, but its labels carry it.
    let organization_id = ev
        .metadata
        .organization_id
        .clone()
        .or_else(|| ev.metadata.labels.iter().find_map(|l| l.organization_id.clone()));
    Ok(HeliumUplink {
        kind: match ev.kind.as_deref() {
            Some("join") => UplinkType::Join,
            _ => UplinkType::Uplink,
        },
        uuid: uuid_or_fresh(ev.uuid.clone()),
        id: ev.id.clone(),
        name: ev.name.clone(),
        dev_eui: ev.dev_eui.to_ascii_uppercase(),
        app_eui,
        devaddr: ev.devaddr.to_ascii_uppercase(),
        fcnt: ev.fcnt,
        port: ev.port,
        payload: ev.payload.clone(),
        payload_size,
        reported_at,
        replay: ev.replay,
        hotspots: ev.hotspots.iter().map(|h| legacy_hotspot(h, reported_at)).collect(),
        metadata: metadata(ctx, organization_id),
        // A decoded block of an unknown shape is dropped rather than failing the uplink.
        decoded: ev.decoded.clone().and_then(|v| serde_json::from_value(v).ok()),
    })
}

fn legacy_hotspot(h: &LegacyHotspot, event_ms: i64) -> HeliumHotspot {
    HeliumHotspot {
        id: h.id.clone(),
        name: h.name.clone(),
        reported_at: h.reported_at.map(to_ms).unwrap_or(event_ms),
        status: h.status.clone().unwrap_or_else(|| "success".to_string()),
        rssi: h.rssi.round() as i32,
        snr: h.snr,
        spreading: h.spreading.clone(),
        frequency: h.frequency,
        channel: h.channel,
        lat: h.lat,
        long: h.long,
    }
}

/// The uuid the source gave (taken as it is when it needs no trimming), else a fresh one.
fn uuid_or_fresh(received: Option<String>) -> String {
    match received {
        Some(s) if !s.is_empty() && s.trim().len() == s.len() => s,
        Some(s) if !s.trim().is_empty() => s.trim().to_string(),
        _ => Uuid::new_v4().to_string(),
    }
}

fn decoded_len(field: &'static str, b64: &str) -> Result<usize, CodecError> {
    BASE64
        .decode(b64)
        .map(|bytes| bytes.len())
        .map_err(|_| CodecError::BadBase64(field))
}

/// Whether `value` is exactly `digits` hex digits, any case (a DevEUI is 16).
pub fn is_hex(value: &str, digits: usize) -> bool {
    value.len() == digits && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A legacy uplink's identity: its id becomes the AWS thing name and part of topics, so it must
/// be a thing name; its DevEUI must be one.
pub fn check_legacy_ids(ev: &LegacyUplink) -> Result<(), CodecError> {
    check_hex("dev_eui", &ev.dev_eui, 16)?;
    let id = ev.id.as_str();
    if super::limits::is_thing_name(id) {
        return Ok(());
    }
    let shown = if id.chars().count() <= 64 {
        format!("{id:?}")
    } else {
        format!("a {}-character id", id.chars().count())
    };
    Err(CodecError::Invalid(format!(
        "id: {shown} is not a usable device id: it must be 1 to 128 letters, digits, ':', '_' or '-' \
         (it becomes the AWS thing name)"
    )))
}

fn check_hex(field: &str, value: &str, digits: usize) -> Result<(), CodecError> {
    if is_hex(value, digits) {
        Ok(())
    } else {
        Err(CodecError::Invalid(format!(
            "{field}: expected {digits} hex digits, got {value:?}"
        )))
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn namespace_is_the_documented_derivation() {
        let derived = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:helium-aws-bridge:dev-eui");
        assert_eq!(DEVICE_ID_NAMESPACE, derived);
    }

    #[test]
    fn device_id_is_pinned() {
        // Pinned: changing this id would orphan every ChirpStack device's AWS Thing.
        assert_eq!(
            device_id_for_dev_eui("0102030405060708"),
            "3a537f77-81ea-5850-94ee-1f4d75a22f3a"
        );
        assert_eq!(
            device_id_for_dev_eui("A84041000181B3C2"),
            device_id_for_dev_eui("a84041000181b3c2")
        );
    }
}
