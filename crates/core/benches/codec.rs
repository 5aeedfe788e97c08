//! What turning a ChirpStack `up` event into Helium JSON costs per uplink, step by step, on the
//! reference event (the one the throughput bench sends): parsing it, translating it, writing
//! the JSON. Deterministic where the throughput bench is not. Prints the best of five rounds.
//!
//!     cargo bench -p helium-bridge-core --bench codec

use helium_bridge_core::codec::{self, UplinkContext};

mod common;
use common::{best, CALLS, ROUNDS};

const EVENT: &[u8] = include_bytes!("../../../tests/fixtures/chirpstack/reference.json");

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let ctx = UplinkContext::default();
    let parse = best(|| {
        std::hint::black_box(codec::parse_chirpstack(std::hint::black_box(EVENT)).unwrap());
    });
    // Translating takes the parsed event (its strings move into the uplink): timed together
    // with the parse, less the parse alone.
    let parse_and_translate = best(|| {
        let ev = codec::parse_chirpstack(std::hint::black_box(EVENT)).unwrap();
        std::hint::black_box(codec::from_chirpstack(ev, &ctx).unwrap());
    });
    let translate = parse_and_translate - parse;
    let ev = codec::parse_chirpstack(EVENT).unwrap();
    let dev_eui = ev.device_info.dev_eui.clone();
    let up = codec::from_chirpstack(ev, &ctx).unwrap();
    let json = best(|| {
        std::hint::black_box(codec::helium::to_json(std::hint::black_box(&up)));
    });
    let device_id = best(|| {
        std::hint::black_box(codec::device_id_for_dev_eui(std::hint::black_box(&dev_eui)));
    });
    println!(
        "a {} B ChirpStack up event to {} B of Helium JSON, best of {ROUNDS} rounds of {CALLS}:",
        EVENT.len(),
        codec::helium::to_json(&up).len()
    );
    println!("  parse the event        {parse:6.2} µs/uplink");
    println!("  translate              {translate:6.2} µs/uplink");
    println!("  write the JSON         {json:6.2} µs/uplink");
    println!("  device id from DevEUI  {device_id:6.2} µs/uplink");
    println!(
        "  in all                 {:6.2} µs/uplink",
        parse + translate + json + device_id
    );
}
