//! A payload typed on the command line: hex or base64, as `decoder test`, `device downlink` and
//! `device simulate` take it.

use clap::Args;
use helium_bridge_core::codec::decoder::{base64_reading_of_hex, parse_base64_payload, parse_payload};

use crate::Result;

#[derive(Args)]
pub struct PayloadBytes {
    /// The payload, hex (`01 67 00 f0`) or base64 (`AWcA8A==`).
    #[arg(long)]
    payload: String,
    /// Read --payload as base64 even where it is valid hex too (`AAAA`): hex is tried first.
    #[arg(long)]
    base64: bool,
}

impl PayloadBytes {
    /// The bytes; when text that is both hex and base64 was read as hex, a note says so.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        let bytes = if self.base64 {
            parse_base64_payload(&self.payload)?
        } else {
            parse_payload(&self.payload)?
        };
        if let (false, Some(other)) = (self.base64, base64_reading_of_hex(&self.payload)) {
            note!(
                "read the payload as hex ({} bytes); as base64 it is {} bytes: give --base64 for that",
                bytes.len(),
                other.len()
            );
        }
        Ok(bytes)
    }
}
