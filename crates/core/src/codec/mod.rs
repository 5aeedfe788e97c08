//! Pure translation between the Helium side (ChirpStack v4 events, legacy Helium JSON) and the
//! AWS side (Helium JSON uplinks out, downlink requests in). No I/O: bytes in, values out, so
//! every rule of the wire contract (`shared/reference/MAPPING.md`) can be tested in isolation.

pub mod chirpstack;
pub mod downlink;
mod error;
pub mod helium;
pub mod legacy;

pub use chirpstack::{parse_chirpstack, ChirpstackUplink};
pub use downlink::{chirpstack_command, legacy_tx, parse_downlink, Downlink, DownlinkRejection};
pub use error::{excerpt, CodecError};
pub use helium::{
    device_id_for_dev_eui, from_chirpstack, from_chirpstack_join, from_legacy, Decoded, HeliumHotspot, HeliumMetadata,
    HeliumUplink, LabelRef, UplinkContext, UplinkType, DEVICE_ID_NAMESPACE,
};
pub use legacy::{parse_legacy, LegacyUplink};

#[cfg(test)]
mod downlink_tests;
#[cfg(test)]
mod tests;
