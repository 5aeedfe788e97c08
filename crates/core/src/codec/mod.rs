//! Pure translation between the Helium side (ChirpStack v4 events, legacy Helium JSON) and the
//! AWS side (Helium JSON uplinks out, downlink requests in). No I/O: bytes in, values out, so
//! every rule of the wire contract (`docs/WIRE_CONTRACT.md`) can be tested in isolation.

pub mod cayenne;
pub mod chirpstack;
pub mod decoder;
pub mod downlink;
mod error;
pub mod helium;
pub mod js;
mod js_buffer;
mod js_errors;
mod js_json;
pub mod legacy;
pub mod limits;
pub mod shadow;

pub use chirpstack::{parse_chirpstack, ChirpstackUplink};
pub use downlink::{chirpstack_command, legacy_tx, parse_downlink, Downlink, DownlinkRejection};
pub use error::{excerpt, CodecError};
pub use helium::{
    check_legacy_ids, device_id_for_dev_eui, from_chirpstack, from_chirpstack_join, from_legacy, Decoded,
    DecodedPayload, HeliumHotspot, HeliumMetadata, HeliumUplink, LabelRef, UplinkContext, UplinkType,
    DEVICE_ID_NAMESPACE,
};
pub use legacy::{parse_legacy, LegacyUplink};
pub use limits::{check_uplink, is_thing_name, LimitError, MAX_AWS_PAYLOAD, MAX_LORAWAN_PAYLOAD};

#[cfg(test)]
mod downlink_tests;
#[cfg(test)]
mod tests;
