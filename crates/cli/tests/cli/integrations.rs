use super::common::{path_str, write, Env};

pub(super) fn add_prod(env: &Env) -> String {
    let out = env.ok(&[
        "integration",
        "add",
        "Prod",
        "--region",
        "us-east-1",
        "--topic",
        "helium/uplinks",
        "--endpoint",
        "iot.example.com",
        "--cert-dir",
        ".",
    ]);
    assert!(out.starts_with("added integration \"Prod\" (id "), "{out}");
    env.json(&["integration", "show", "Prod", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn add_with_every_option_and_show() {
    let env = Env::new();
    write(&env, "ca.pem", &test_harness::TestCa::new("endpoint CA").cert_pem);
    std::fs::create_dir(env.tmp.path().join("certs")).unwrap();
    env.ok(&[
        "integration",
        "add",
        "Staging",
        "--region",
        "eu-central-1",
        "--topic",
        "lorawan/up",
        "--endpoint",
        "iot.example.com:8443",
        "--ca-file",
        "ca.pem",
        "--cert-dir",
        "certs",
        "--forward-joins",
    ]);
    let tmp = env.tmp.path().canonicalize().unwrap();
    let v = env.json(&["integration", "show", "staging", "--json"]);
    assert_eq!(v["name"], "Staging");
    assert_eq!(v["kind"], "aws_iot_core");
    assert_eq!(v["active"], true);
    assert_eq!(v["region"], "eu-central-1");
    assert_eq!(v["topic"], "lorawan/up");
    assert_eq!(v["forward_joins"], true);
    assert_eq!(
        v["endpoint"],
        serde_json::json!({"host": "iot.example.com", "port": 8443, "ca_file": path_str(&tmp.join("ca.pem")),
            "cert_dir": path_str(&tmp.join("certs")), "api_url": null})
    );
    assert_eq!(v["labels"], serde_json::json!([]));
    assert_eq!(v["outbox_entries"], 0);
    // By id too.
    assert_eq!(
        env.json(&["integration", "show", v["id"].as_str().unwrap(), "--json"]),
        v
    );

    let text = env.ok(&["integration", "show", "Staging"]);
    for line in [
        "name:          Staging",
        "kind:          AWS IoT Core",
        "state:         enabled",
        "region:        eu-central-1",
        "endpoint:      iot.example.com:8443",
        "forward joins: yes",
        "decoded:       yes",
        "source object: yes",
        "shadows:       no",
        "labels:        -",
        "waiting:       0 uplink(s)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} missing:\n{text}");
    }
    assert!(
        text.contains(&format!("certificates:  {}", tmp.join("certs").display())),
        "{text}"
    );
}

#[test]
fn list_text_and_json() {
    let env = Env::new();
    let o = env.run(&["integration", "list"]);
    assert_eq!((o.code, o.stdout.as_str()), (Some(0), ""));
    assert_eq!(
        o.stderr.trim(),
        "no integrations yet; add one with `helium-aws-bridge integration add`"
    );
    assert_eq!(env.json(&["integration", "list", "--json"]), serde_json::json!([]));
    let id = add_prod(&env);
    env.ok(&[
        "integration",
        "add",
        "dev",
        "--region",
        "us-west-2",
        "--topic",
        "t",
        "--endpoint",
        "localhost",
        "--cert-dir",
        ".",
    ]);
    env.ok(&["label", "add", "fleet"]);
    env.ok(&["label", "attach", "fleet", "--integration", "prod"]);
    let v = env.json(&["integration", "list", "--json"]);
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev", "Prod"]);
    assert_eq!(v[0]["endpoint"]["host"], "localhost");
    assert_eq!(v[0]["endpoint"]["port"], serde_json::Value::Null);
    let text = env.ok(&["integration", "list"]);
    let lines: Vec<&str> = text.lines().collect();
    // AWS: the health the app's badges show; no bridge runs here.
    assert_eq!(
        lines[0],
        "NAME  STATE    AWS      REGION     TOPIC           ENDPOINT         LABELS  ID"
    );
    assert!(
        lines[1].starts_with("dev   enabled  stopped  us-west-2  t               localhost        -       "),
        "{text}"
    );
    assert_eq!(
        lines[2],
        format!("Prod  enabled  stopped  us-east-1  helium/uplinks  iot.example.com  fleet   {id}")
    );
    let show = env.ok(&["integration", "show", "prod"]);
    assert!(
        show.lines()
            .any(|l| l == "AWS:           bridge stopped: nothing is forwarded (start the desktop app or `run`)"),
        "{show}"
    );
    assert_eq!(
        env.json(&["integration", "show", "prod", "--json"])["health"]["state"],
        "stopped"
    );
    assert!(
        env.ok(&["status"]).contains(
            "integrations:   2\n  \"Prod\": bridge stopped: nothing is forwarded (start the desktop app or `run`)\n"
        ),
        "{}",
        env.ok(&["status"])
    );
}

#[test]
fn enable_disable_and_remove() {
    let env = Env::new();
    let id = add_prod(&env);
    assert_eq!(
        env.ok(&["integration", "disable", "prod"]),
        "disabled integration \"Prod\"\n"
    );
    assert_eq!(env.json(&["integration", "show", "Prod", "--json"])["active"], false);
    assert!(env.ok(&["integration", "list"]).contains("Prod  disabled"));
    assert_eq!(
        env.ok(&["integration", "disable", &id]),
        "integration \"Prod\" is already disabled\n"
    );
    assert_eq!(
        env.ok(&["integration", "enable", "Prod"]),
        "enabled integration \"Prod\"\n"
    );
    assert_eq!(env.json(&["integration", "show", "Prod", "--json"])["active"], true);
    assert_eq!(
        env.ok(&["integration", "enable", "Prod"]),
        "integration \"Prod\" is already enabled\n"
    );

    env.ok(&["label", "add", "fleet"]);
    env.ok(&["label", "attach", "fleet", "--integration", "Prod"]);
    assert_eq!(
        env.ok(&["integration", "remove", "PROD"]),
        "removed integration \"Prod\"\n"
    );
    assert_eq!(env.json(&["integration", "list", "--json"]), serde_json::json!([]));
    assert_eq!(env.json(&["label", "list", "--json"])[0]["integration_count"], 0);
    env.fails(
        &["integration", "show", &id],
        &format!("error: integration \"{id}\" not found"),
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_nothing_written() {
    let env = Env::new();
    add_prod(&env);
    let add = |extra: &[&'static str]| {
        let mut a = vec!["integration", "add", "New", "--region", "us-east-1", "--topic", "t"];
        a.extend_from_slice(extra);
        a
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["integration", "add", "prod", "--region", "us-east-1", "--topic", "t"],
            "error: an integration named \"Prod\" already exists (names ignore case)",
        ),
        (
            vec!["integration", "add", "", "--region", "us-east-1", "--topic", "t"],
            "error: invalid name: it must not be empty",
        ),
        (
            vec!["integration", "add", "X", "--region", "mars", "--topic", "t"],
            "error: invalid region: \"mars\" is not an AWS region code such as \"us-east-1\"",
        ),
        (
            vec!["integration", "add", "X", "--region", "us-east-1", "--topic", "a/+/b"],
            "error: invalid topic: wildcards '+' and '#' cannot be used in a publish topic",
        ),
        (
            vec!["integration", "add", "X", "--region", "us-east-1", "--topic", "$aws/x"],
            "error: invalid topic: topics starting with '$' are reserved by AWS IoT",
        ),
        (
            add(&[]),
            "error: invalid access key id: give the IAM user's access key id and secret access key (or a folder \
             of device certificates made in AWS)",
        ),
        (
            add(&["--access-key-id", "AKIAIOSFODNN7EXAMPLE"]),
            "error: --access-key-id needs its secret: give --secret-stdin or --secret-env VAR (never on the \
             command line)",
        ),
        (
            add(&["--secret-env", "HOME"]),
            "error: a secret access key needs --access-key-id",
        ),
        (
            add(&[
                "--access-key-id",
                "AKIAIOSFODNN7EXAMPLE",
                "--secret-env",
                "HOME",
                "--cert-dir",
                ".",
            ]),
            "error: give either --access-key-id (automatic provisioning) or --cert-dir (certificates made by \
             hand), not both",
        ),
        (
            add(&["--access-key-id", "akia-lower", "--secret-env", "HOME"]),
            "error: invalid access key id: it must be 16-128 upper-case letters and digits, like \
             AKIAIOSFODNN7EXAMPLE (the secret access key is given separately)",
        ),
        (
            add(&[
                "--access-key-id",
                "AKIAIOSFODNN7EXAMPLE",
                "--secret-env",
                "NO_SUCH_VARIABLE_HERE",
            ]),
            "error: the environment variable NO_SUCH_VARIABLE_HERE (--secret-env) is not set",
        ),
        (
            add(&["--cert-dir", ".", "--api-url", "ftp://x"]),
            "error: invalid AWS API URL: \"ftp://x\" is not an http:// or https:// URL",
        ),
        (
            vec!["integration", "update", "nope", "--topic", "x"],
            "error: integration \"nope\" not found",
        ),
        (
            vec!["integration", "update", "prod"],
            "error: nothing to change: give --name, --region, --topic, --endpoint, --ca-file, --api-url, \
             --no-api-url, --forward-joins or new keys",
        ),
        (
            vec!["integration", "update", "prod", "--topic", "a/#"],
            "error: invalid topic: wildcards '+' and '#' cannot be used in a publish topic",
        ),
        (
            vec![
                "integration",
                "update",
                "prod",
                "--access-key-id",
                "AKIAIOSFODNN7EXAMPLE",
                "--secret-env",
                "HOME",
            ],
            "error: invalid certificate folder: this integration uses certificates made by hand; clear its \
             certificate folder to provision with keys instead",
        ),
        (
            vec!["integration", "provision", "prod"],
            "error: integration \"Prod\" uses certificates made by hand (a certificate folder); there is \
             nothing to provision",
        ),
        (
            add(&["--endpoint", "host:x"]),
            "error: invalid endpoint: \"host:x\" is not HOST or HOST:PORT with a port from 1 to 65535",
        ),
        (
            add(&["--endpoint", "host:0"]),
            "error: invalid endpoint port: it must be from 1 to 65535",
        ),
        (
            add(&["--endpoint", "a/b"]),
            "error: invalid endpoint host: \"a/b\" is not a host name or IP address",
        ),
        (
            add(&["--endpoint", "..."]),
            "error: invalid endpoint host: \"...\" is not a host name or IP address",
        ),
        (
            add(&["--endpoint", "[::1]:8883"]),
            "error: invalid endpoint host: \"[::1]\" is an IPv6 address, which this version does not take; use a \
             host name or an IPv4 address",
        ),
        (
            add(&["--api-url", "http://127.0.0.1:70000"]),
            "error: invalid AWS API URL: \"http://127.0.0.1:70000\" has port \"70000\"; a port is from 1 to 65535",
        ),
        (
            add(&["--api-url", "https://:443/"]),
            "error: invalid AWS API URL: \"https://:443/\" has no host (or has a user name in it)",
        ),
        (
            add(&["--api-url", "ftp://example.com"]),
            "error: invalid AWS API URL: \"ftp://example.com\" is not an http:// or https:// URL",
        ),
        (
            add(&["--ca-file", "/nonexistent/ca.pem"]),
            "error: invalid CA file: /nonexistent/ca.pem does not exist or is not a file",
        ),
        (
            add(&["--cert-dir", "."]),
            "error: invalid endpoint: with a certificate folder and no keys, give the account's AWS IoT data \
             endpoint (AWS console: IoT Core → Settings → Device data endpoint, like \
             abc123-ats.iot.us-east-1.amazonaws.com)",
        ),
        (
            add(&["--cert-dir", "/nonexistent/certs"]),
            "error: invalid certificate folder: /nonexistent/certs does not exist or is not a folder",
        ),
        (
            vec!["integration", "show", "nope"],
            "error: integration \"nope\" not found",
        ),
        (
            vec!["integration", "enable", "nope"],
            "error: integration \"nope\" not found",
        ),
        (
            vec!["integration", "disable", "nope"],
            "error: integration \"nope\" not found",
        ),
        (
            vec!["integration", "remove", "nope"],
            "error: integration \"nope\" not found",
        ),
    ];
    for (args, want) in &cases {
        env.fails(args, want);
    }
    // A CA file that holds no certificate is named, not met later as a failed TLS handshake.
    let notes = write(&env, "notes.txt", "not a certificate");
    env.fails(
        &add(&["--ca-file", "notes.txt"]),
        &format!(
            "error: invalid CA file: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            notes.canonicalize().unwrap().display()
        ),
    );
    for (args, want) in [
        (
            vec!["integration", "remove", "prod", "--cleanup-aws", "--keep-aws"],
            "the argument '--cleanup-aws' cannot be used with '--keep-aws'",
        ),
        (
            vec!["integration", "add", "X", "--topic", "t"],
            "the following required arguments were not provided:\n  --region <R>",
        ),
        (
            vec!["integration", "add", "X", "--region", "us-east-1"],
            "the following required arguments were not provided:\n  --topic <T>",
        ),
        (vec!["integration", "frob"], "unrecognized subcommand 'frob'"),
    ] {
        let o = env.fails_with(&args, 2);
        assert!(o.stderr.contains(want), "{args:?}: {}", o.stderr);
    }
}

#[test]
fn an_unreachable_api_url_is_named_without_a_debug_dump() {
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = env.run_with_stdin(
        &[
            "integration",
            "add",
            "X",
            "--region",
            "us-east-1",
            "--topic",
            "t",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
            "--secret-stdin",
            "--api-url",
            &url,
        ],
        b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "error: the AWS API URL {url} could not be reached (tcp connect error: Connection refused (os error \
             111)): check the URL and that the service there runs"
        )
    );
}

#[test]
fn payload_options_change_what_messages_carry_and_need_a_switch() {
    let env = Env::new();
    let id = add_prod(&env);
    let o = env.run(&["integration", "payload", &id]);
    assert_eq!(o.code, Some(1));
    assert_eq!(
        o.stderr.trim(),
        "error: nothing to change: give --decoded, --source-object or --shadow (on|off)"
    );
    let out = env.ok(&["integration", "payload", &id, "--decoded", "off", "--shadow", "on"]);
    assert!(
        out.contains("decoded off, ChirpStack object on, shadow updates on"),
        "{out}"
    );
    let v = env.json(&["integration", "show", &id, "--json"]);
    assert_eq!(
        v["payload"],
        serde_json::json!({"decoded": false, "source_object": true, "shadow": true})
    );
}

#[test]
fn a_region_change_on_certificates_made_by_hand_says_nothing_is_provisioned() {
    let env = Env::new();
    add_prod(&env);
    let o = env.run(&["integration", "update", "prod", "--region", "eu-west-1"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(o.stdout, "updated integration \"Prod\"\n");
    // Not the advice to run `integration provision`, which refuses such an integration.
    assert_eq!(
        o.stderr.trim_end(),
        "region now eu-west-1: this integration connects with the certificates in its folder, so nothing is \
         provisioned; make sure its endpoint (iot.example.com) is in eu-west-1 too"
    );
}
