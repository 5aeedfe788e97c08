//! What decoding costs per uplink, without the rest of the bridge: the built-in Cayenne LPP and a
//! JavaScript decoder in the style of the public collections (the one the throughput bench
//! attaches with `BENCH_DECODER=js`), each on the seed's example payload. The throughput bench
//! is too noisy on a shared machine to see a change of a microsecond; this one is not. Prints
//! the best of five rounds.
//!
//!     cargo bench -p helium-bridge-core --bench decoder

use base64::Engine;
use helium_bridge_core::codec::cayenne;
use helium_bridge_core::codec::js::{JsDecoder, JsShape};

mod common;
use common::{best, CALLS, ROUNDS};

/// The seed's example uplink (Cayenne LPP, 27 bytes).
const PAYLOAD: &str = "AWcA8AJodANzJ18Ecc04B9CYMAWGyVCIuDaw";
/// The Helium JSON of the reference uplink (`uplink_info`).
const INFO: &str = include_str!("../../../tests/fixtures/chirpstack/reference.expected.json");

fn main() {
    let bytes = base64::engine::general_purpose::STANDARD.decode(PAYLOAD).unwrap();
    let cayenne = best(|| {
        std::hint::black_box(cayenne::decode(std::hint::black_box(&bytes)).unwrap());
    });
    let js = JsDecoder::compile(JsShape::Helium, common::JS_DECODER).unwrap();
    let script = best(|| {
        // The bridge's call: the result as JSON text, published as it is.
        let (r, _) = js.run_text(std::hint::black_box(&bytes), 1, "", 1_748_781_296_000);
        assert!(r.unwrap().get().starts_with('{'));
    });
    // The same script declaring Console's third parameter, as its template does, and reading
    // it: the bridge then hands it the uplink's Helium JSON. (Declared and not read, it is not
    // built, and costs as above.)
    let with_info = common::JS_DECODER
        .replace("Decoder(bytes, port)", "Decoder(bytes, port, uplink_info)")
        .replace(
            "decoded.port = port;",
            "decoded.port = port;\n  decoded.fcnt = uplink_info.fcnt;",
        );
    let js_info = JsDecoder::compile(JsShape::Helium, &with_info).unwrap();
    assert!(js_info.wants_uplink_info());
    let info = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(INFO).unwrap()).unwrap();
    let script_info = best(|| {
        let (r, _) = js_info.run_text(std::hint::black_box(&bytes), 1, &info, 1_748_781_296_000);
        assert!(r.unwrap().get().contains("\"fcnt\":"));
    });
    // The same decoding as a ChirpStack/TTN codec: `decodeUplink(input)` (an input object with
    // `recvTime`, a Date) returning `{data, warnings}`, as the template writes it.
    let codec = format!(
        "{}\nfunction decodeUplink(input) {{ return {{ data: Decoder(input.bytes, input.fPort), warnings: [] }}; }}",
        common::JS_DECODER.replace("function Decoder(", "function decoderOf(")
    )
    .replace("Decoder(input.bytes", "decoderOf(input.bytes");
    let js_codec = JsDecoder::compile(JsShape::DecodeUplink, &codec).unwrap();
    let script_codec = best(|| {
        let (r, _) = js_codec.run_text(std::hint::black_box(&bytes), 1, "", 1_748_781_296_000);
        assert!(r.unwrap().get().starts_with('{'));
    });
    // What a change of script costs: compiling it (the host's globals included), and what the
    // compiled decoder holds.
    let compile = (0..20)
        .map(|_| {
            let started = std::time::Instant::now();
            std::hint::black_box(JsDecoder::compile(JsShape::Helium, common::JS_DECODER).unwrap());
            started.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "compiling the decoder: {compile:.2} ms (best of 20); it holds {} KB after {} calls",
        js.memory_used() / 1024,
        ROUNDS * CALLS
    );
    println!(
        "decoding the seed's example payload ({} bytes), best of {ROUNDS} rounds of {CALLS}:",
        bytes.len()
    );
    println!("  built-in Cayenne LPP   {cayenne:6.2} µs/uplink");
    println!(
        "  JavaScript Decoder()   {script:6.2} µs/uplink ({:.1}x Cayenne)",
        script / cayenne
    );
    println!(
        "  … reading uplink_info  {script_info:6.2} µs/uplink ({:.1}x Cayenne; a {} B Helium JSON)",
        script_info / cayenne,
        info.len()
    );
    println!(
        "  JavaScript decodeUplink() {script_codec:6.2} µs/uplink ({:.1}x Cayenne; the same, as a codec)",
        script_codec / cayenne
    );
}
