//! `decoder …`: add, test, attach, list, and the errors a user meets on the way.

use crate::common::{Env, Out};

/// `decoder test --kind KIND --script - --payload PAYLOAD …` with `script` on stdin.
fn try_script(env: &Env, kind: &str, script: &[u8], payload: &str, more: &[&str]) -> Out {
    let mut args = vec!["decoder", "test", "--kind", kind, "--script", "-", "--payload", payload];
    args.extend(more);
    env.run_with_stdin(&args, script)
}

#[test]
fn a_decoder_is_added_tested_and_attached_and_bad_input_is_named() {
    let env = Env::new();
    env.ok(&["label", "add", "fleet"]);
    env.ok(&["decoder", "add", "lpp", "--kind", "cayenne"]);
    // The seed's Cayenne LPP payload, in base64.
    let v = env.json(&[
        "decoder",
        "test",
        "lpp",
        "--payload",
        "AWcA8AJodANzJ18Ecc04B9CYMAWGyVCIuDaw",
    ]);
    assert_eq!(
        v[0],
        serde_json::json!({"channel": 1, "type": 103, "name": "temperature", "value": 24.0, "unit": "celsius"})
    );
    env.ok(&["decoder", "attach", "lpp", "--label", "fleet"]);
    let list = env.json(&["decoder", "list", "--json"]);
    assert_eq!(list[0]["labels"][0]["name"], "fleet");

    // A script that does not run is refused with its line; the decoder is not added.
    let o = env.run_with_stdin(
        &["decoder", "add", "broken", "--kind", "helium", "--script", "-"],
        b"function Decoder(bytes) {\n  return {\n}}}",
    );
    assert_eq!(o.code, Some(1));
    assert!(
        o.stderr
            .starts_with("error: the script does not run: line 3: SyntaxError"),
        "{}",
        o.stderr
    );
    assert_eq!(env.json(&["decoder", "list", "--json"]).as_array().unwrap().len(), 1);
    // A script that throws: the error names the function and the line, once.
    let o = try_script(
        &env,
        "helium",
        b"function Decoder(bytes, port) {\n  return bytes.nope.x;\n}",
        "01",
        &[],
    );
    assert_eq!(o.code, Some(1));
    assert!(
        o.stderr.starts_with("error: Decoder failed: line 2: TypeError"),
        "{}",
        o.stderr
    );

    for (args, error) in [
        (
            &["decoder", "test", "lpp", "--payload", "zz"][..],
            "error: \"zz\" is neither hex nor base64",
        ),
        (
            &["decoder", "test", "lpp", "--payload", "01ff"][..],
            "error: the decoder failed: byte 0: unknown Cayenne LPP type 0xFF (255) on channel 1",
        ),
        (
            &["decoder", "add", "js", "--kind", "helium"][..],
            "error: a JavaScript decoder needs --script FILE (or - for stdin)",
        ),
        (
            &["decoder", "attach", "lpp", "--label", "nope"][..],
            "error: label \"nope\" not found",
        ),
        (&["decoder", "show", "nope"][..], "error: decoder \"nope\" not found"),
        // As `add` says: the built-in decoder runs no script, so one given is not ignored.
        (
            &[
                "decoder",
                "test",
                "--kind",
                "cayenne",
                "--script",
                "x.js",
                "--payload",
                "0167",
            ][..],
            "error: a Cayenne LPP decoder takes no --script",
        ),
    ] {
        let o = env.run(args);
        assert_eq!((o.code, o.stderr.trim()), (Some(1), error), "{args:?}");
    }
}

#[test]
fn a_script_of_the_other_shape_is_kept_as_its_kind_and_said_so() {
    let env = Env::new();
    let o = env.run_with_stdin(
        &["decoder", "add", "ttn", "--kind", "helium", "--script", "-"],
        b"function decodeUplink(input) { return { data: { n: input.bytes.length } }; }",
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.starts_with("added decoder \"ttn\""), "{}", o.stdout);
    assert_eq!(
        o.stderr.trim_end(),
        "the script defines decodeUplink(input) only, so it is kept as a decode-uplink decoder"
    );
    assert_eq!(env.json(&["decoder", "list", "--json"])[0]["kind"], "decode_uplink");
    let text = env.ok(&["decoder", "list"]);
    assert!(
        text.lines().nth(1).unwrap().starts_with("ttn   decode-uplink"),
        "{text}"
    );
}

#[test]
fn a_payload_valid_as_hex_and_base64_says_which_reading_it_took() {
    let env = Env::new();
    let js = b"function Decoder(bytes) { return { len: bytes.length }; }";
    let o = env.run_with_stdin(&["decoder", "add", "len", "--kind", "helium", "--script", "-"], js);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let o = env.run(&["decoder", "test", "len", "--payload", "AAAA"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&o.stdout).unwrap()["len"], 2);
    assert_eq!(
        o.stderr.trim_end(),
        "read the payload as hex (2 bytes); as base64 it is 3 bytes: give --base64 for that"
    );
    let v = env.json(&["decoder", "test", "len", "--payload", "AAAA", "--base64"]);
    assert_eq!(v["len"], 3);
    // Base64 that is not hex: nothing to say.
    assert_eq!(env.json(&["decoder", "test", "len", "--payload", "AWcA8A=="])["len"], 4);
    env.fails(
        &["decoder", "test", "len", "--payload", "01!", "--base64"],
        "error: \"01!\" is not base64",
    );
}

/// Trying a script reads nothing of the data directory: it runs while the directory is held
/// (here by this test; in life by the desktop app starting, or by another such test). Its
/// console lines and decodeUplink's warnings are shown apart from the output.
#[test]
fn trying_a_script_runs_while_the_data_directory_is_held_and_shows_its_warnings() {
    let env = Env::new();
    env.ok(&["decoder", "add", "lpp", "--kind", "cayenne"]);
    let held = env.core();
    let o = try_script(
        &env,
        "decode-uplink",
        b"function decodeUplink(input) { console.log('port', input.fPort);\n\
          return { data: { level: input.bytes[0], unset: undefined, dose: 0.000001 }, warnings: ['battery low'] }; }",
        "2a",
        &[],
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    // As it is published: the script's order, its numbers' text.
    assert_eq!(
        o.stdout,
        "{\n  \"level\": 42,\n  \"unset\": null,\n  \"dose\": 0.000001\n}\n"
    );
    assert_eq!(o.stderr, "console: port 1\ndecodeUplink warning: battery low\n");
    // A saved decoder is read from the data directory, which is held.
    let o = env.run(&["decoder", "test", "lpp", "--payload", "0167"]);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("holds"), "{}", o.stderr);
    drop(held);
    // A script's own words lead its error, once.
    let o = try_script(
        &env,
        "helium",
        b"function Decoder(bytes, port) { if (port == 2) return { a: 1 }; }",
        "01",
        &["--port", "3"],
    );
    assert_eq!(
        o.stderr,
        "error: Decoder returned nothing (undefined) for this payload on port 3\n"
    );
}
