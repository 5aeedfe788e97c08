use super::common::{contains, path_str, write, Env, Out};

const NO_KEYCHAIN: &str = "no OS keychain is available (";

#[test]
fn add_each_kind_with_defaults_and_list() {
    let env = Env::new();
    let out = env.ok(&[
        "source",
        "add",
        "chirpstack",
        "cs",
        "--url",
        "mqtt://localhost:1883",
        "--username",
        "bridge",
    ]);
    assert!(out.starts_with("added chirpstack source \"cs\" (id "), "{out}");
    env.ok(&["source", "add", "legacy", "Console", "--url", "mqtt://broker.lan"]);
    let hook = env.ok(&["source", "add", "webhook", "hook"]);
    assert!(
        hook.contains("  event endpoint URL: http://127.0.0.1:8090/\n")
            && hook.contains("this computer only: for ChirpStack elsewhere, --bind 0.0.0.0:PORT"),
        "{hook}"
    );
    let v = env.json(&["source", "list", "--json"]);
    let by_name = |n: &str| v.as_array().unwrap().iter().find(|s| s["name"] == n).unwrap().clone();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(
        by_name("cs")["config"],
        serde_json::json!({"kind": "chirpstack_mqtt", "url": "mqtt://localhost:1883", "username": "bridge",
            "application_id": "+", "tls": {"ca_file": null, "cert_file": null, "key_file": null}})
    );
    let legacy = by_name("Console")["config"].clone();
    assert_eq!(legacy["kind"], "legacy_mqtt");
    assert_eq!(legacy["uplink_topic"], "helium/+/rx");
    assert_eq!(legacy["downlink_topic"], "helium/{{device_id}}/tx");
    assert_eq!(legacy["username"], serde_json::Value::Null);
    assert_eq!(
        by_name("hook")["config"],
        serde_json::json!({"kind": "http_webhook", "bind": "127.0.0.1:8090", "require_secret": false})
    );

    let text = env.ok(&["source", "list"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("NAME     KIND        ADDRESS                READS              AUTH         STATE  ID"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("Console  legacy      mqtt://broker.lan      helium/+/rx        -            "),
        "{text}"
    );
    assert!(
        lines[2].starts_with("cs       chirpstack  mqtt://localhost:1883  every application  user bridge  "),
        "{text}"
    );
    assert!(
        lines[3].starts_with("hook     webhook     127.0.0.1:8090         HTTP POST          none         "),
        "{text}"
    );
}

#[test]
fn add_with_options_and_tls_files() {
    let env = Env::new();
    let ca = test_harness::TestCa::new("broker CA");
    let client = ca.client_identity("bridge");
    write(&env, "ca.pem", &ca.cert_pem);
    write(&env, "client.pem", &client.cert_pem);
    write(&env, "client.key", &client.key_pem);
    // A file that holds no certificate, or no key, is named when the source is added.
    write(&env, "notes.txt", "not a certificate");
    let tls_add = |ca: &str, cert: &str, key: &str| {
        vec![
            "source",
            "add",
            "chirpstack",
            "tls",
            "--url",
            "mqtts://broker:8884",
            "--application-id",
            // In capitals: kept as ChirpStack writes it in topics.
            "42C82E96-BE03-4F38-AEF3-F83D48582D97",
            "--ca-file",
            ca,
            "--cert-file",
            cert,
            "--key-file",
            key,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let tmp = env.tmp.path().canonicalize().unwrap();
    assert_eq!(env.json(&["source", "list", "--json"]), serde_json::json!([]));
    for (args, error) in [
        (
            tls_add("notes.txt", "client.pem", "client.key"),
            format!(
                "error: invalid CA file: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                tmp.join("notes.txt").display()
            ),
        ),
        (
            tls_add("ca.pem", "client.key", "client.key"),
            format!(
                "error: invalid client certificate file: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                tmp.join("client.key").display()
            ),
        ),
        (
            tls_add("ca.pem", "client.pem", "client.pem"),
            format!(
                "error: invalid client key file: {} holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
                tmp.join("client.pem").display()
            ),
        ),
        (
            tls_add("ca.pem", "client.pem", "missing.key"),
            "error: invalid client key file: missing.key does not exist or is not a file".to_string(),
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.fails(&args, &error);
    }
    // Relative paths are kept absolute: the bridge may run from another folder.
    let args = tls_add("ca.pem", "client.pem", "client.key");
    env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    env.ok(&[
        "source",
        "add",
        "legacy",
        "leg",
        "--url",
        "mqtt://h:1884",
        "--uplink-topic",
        "org/+/up",
        "--downlink-topic",
        "org/{{device_id}}/down",
    ]);
    let added = env.ok(&["source", "add", "webhook", "hook", "--bind", "0.0.0.0:9000"]);
    // What to paste into ChirpStack's HTTP integration.
    assert!(
        added.contains(
            "in ChirpStack: Applications → your application → Integrations → HTTP, payload encoding JSON,\n  \
             event endpoint URL: http://<this computer's address>:9000/\n  no header: anyone who can reach \
             0.0.0.0:9000 can post uplinks"
        ),
        "{added}"
    );
    let v = env.json(&["source", "list", "--json"]);
    let leg = &v[1]["config"];
    assert_eq!(
        (leg["uplink_topic"].as_str(), leg["downlink_topic"].as_str()),
        (Some("org/+/up"), Some("org/{{device_id}}/down"))
    );
    assert_eq!(v[0]["config"]["bind"], "0.0.0.0:9000");
    let tls = &v[2]["config"];
    assert_eq!(tls["application_id"], "42c82e96-be03-4f38-aef3-f83d48582d97");
    assert_eq!(tls["tls"]["ca_file"], path_str(&tmp.join("ca.pem")));
    assert_eq!(tls["tls"]["cert_file"], path_str(&tmp.join("client.pem")));
    assert_eq!(tls["tls"]["key_file"], path_str(&tmp.join("client.key")));
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_nothing_written() {
    let env = Env::new();
    env.ok(&["source", "add", "webhook", "hook"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["source", "add", "chirpstack", "x", "--url", "http://h"],
            "error: invalid broker URL: \"http://h\" has no mqtt:// or mqtts:// scheme; expected mqtt://host:port or mqtts://host:port",
        ),
        (
            &["source", "add", "legacy", "x", "--url", "mqtt://h:0"],
            "error: invalid broker URL: \"mqtt://h:0\" has a bad port; expected mqtt://host:port or mqtts://host:port",
        ),
        (&["source", "add", "webhook", "HOOK", "--bind", "127.0.0.1:9"], "error: a source named \"hook\" already exists (names ignore case)"),
        (&["source", "add", "webhook", " "], "error: invalid source name: it must not be empty"),
        (
            &["source", "add", "webhook", "w", "--bind", "localhost"],
            "error: invalid listen address: \"localhost\" is not an address such as 127.0.0.1:8090",
        ),
        (
            &["source", "add", "chirpstack", "x", "--url", "mqtt://h", "--application-id", "12345"],
            "error: invalid application id: \"12345\" is not a ChirpStack application id (a UUID, such as \
             17c82e96-be03-4f38-aef3-f83d48582d97) or '+' for every application",
        ),
        (
            &["source", "add", "legacy", "x", "--url", "mqtt://h", "--downlink-topic", "helium/tx"],
            "error: invalid downlink topic: \"helium/tx\" must contain {{device_id}} and no wildcards",
        ),
        (
            &["source", "add", "legacy", "x", "--url", "mqtt://h", "--uplink-topic", "a/#/b"],
            "error: invalid uplink topic: \"a/#/b\" uses '+' or '#' in the wrong place",
        ),
        (
            &["source", "add", "chirpstack", "x", "--url", "mqtts://h"],
            "error: an mqtts:// source needs --ca-file (the CA that signs the broker's certificate) in this version",
        ),
        (
            &["source", "add", "chirpstack", "x", "--url", "mqtt://h", "--ca-file", "ca.pem"],
            "error: --ca-file, --cert-file and --key-file need an mqtts:// URL; \"mqtt://h\" is plain MQTT",
        ),
        (
            &["source", "add", "legacy", "x", "--url", "mqtts://h", "--ca-file", "missing.pem"],
            "error: invalid CA file: missing.pem does not exist or is not a file",
        ),
        (
            &["source", "add", "chirpstack", "x", "--url", "mqtt://h", "--secret-env", "HAB_TEST_UNSET_VAR"],
            "error: a broker password needs --username: without one the broker gets no credentials",
        ),
        (
            &["source", "add", "webhook", "x", "--secret-env", "HAB_TEST_UNSET_VAR"],
            "error: the environment variable HAB_TEST_UNSET_VAR (--secret-env) is not set",
        ),
        (&["source", "remove", "nope"], "error: source \"nope\" not found"),
    ];
    for (args, want) in cases {
        env.fails(args, want);
    }
    for (secret, want) in [
        ("", "error: the environment variable HAB_SECRET (--secret-env) is empty"),
        (
            "   ",
            "error: the shared secret is blank: give the one the other side expects",
        ),
    ] {
        let mut add = env.cmd(&["source", "add", "webhook", "x", "--secret-env", "HAB_SECRET"]);
        let o = add.env("HAB_SECRET", secret).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(String::from_utf8_lossy(&o.stderr).trim(), want, "{secret:?}");
    }
    let o = env.run_with_stdin(&["source", "add", "webhook", "x", "--secret-stdin"], b"\n");
    assert_eq!(o.code, Some(1));
    assert_eq!(
        o.stderr.trim(),
        "error: --secret-stdin read an empty shared secret: give it as one line on stdin"
    );
    assert_eq!(env.json(&["source", "list", "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn usage_errors_exit_2_and_secrets_cannot_be_given_as_arguments() {
    let env = Env::new();
    env.ok(&["status"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["source", "add", "chirpstack", "x"],
            "the following required arguments were not provided:\n  --url <URL>",
        ),
        (
            &[
                "source",
                "add",
                "chirpstack",
                "x",
                "--url",
                "mqtt://h",
                "--password",
                "hunter2",
            ],
            "unexpected argument '--password' found",
        ),
        (
            &["source", "add", "webhook", "x", "--secret", "hunter2"],
            "unexpected argument '--secret' found",
        ),
        (
            &["source", "add", "webhook", "x", "--secret-stdin", "hunter2"],
            "unexpected argument 'hunter2' found",
        ),
        (
            &["source", "add", "webhook", "x", "--secret-stdin", "--secret-env", "V"],
            "the argument '--secret-stdin' cannot be used with '--secret-env <VAR>'",
        ),
        (
            &[
                "source",
                "add",
                "chirpstack",
                "x",
                "--url",
                "mqtts://h",
                "--cert-file",
                "c.pem",
            ],
            "the following required arguments were not provided:\n  --key-file <F>",
        ),
        (
            &["source", "remove"],
            "the following required arguments were not provided:\n  <NAME|ID>",
        ),
    ];
    for (args, want) in cases {
        let o = env.fails_with(args, 2);
        assert!(o.stderr.contains(want), "{args:?}: {}", o.stderr);
    }
}

#[test]
fn a_secret_from_the_environment_goes_to_the_keychain_only() {
    let env = Env::with_keychain();
    const SECRET: &str = "s3cret-Passw0rd-from-env";
    let mut cmd = env.cmd(&[
        "source",
        "add",
        "chirpstack",
        "cs",
        "--url",
        "mqtt://h",
        "--username",
        "u",
        "--secret-env",
        "HAB_PW",
    ]);
    let o: super::common::Out = cmd.env("HAB_PW", SECRET).output().unwrap().into();
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stdout.ends_with("; its password is in the OS keychain\n"),
        "{}",
        o.stdout
    );
    let list = env.run(&["source", "list", "--json"]);
    let show = env.run(&["source", "list"]);
    for text in [
        &o.stdout,
        &o.stderr,
        &list.stdout,
        &list.stderr,
        &show.stdout,
        &show.stderr,
    ] {
        assert!(!text.contains(SECRET), "{text}");
    }
    assert!(
        !contains(&env.db_bytes(), SECRET.as_bytes()),
        "the secret is in the database files"
    );
    assert!(
        contains(&env.db_bytes(), b"mqtt://h"),
        "the database files hold the source"
    );

    let id = env.json(&["source", "list", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(env.kept_secret(&id).as_deref(), Some(SECRET.as_bytes()));

    // Removing the source deletes its secret too.
    assert_eq!(
        env.ok(&["source", "remove", &id]),
        "removed source \"cs\" and its secret in the OS keychain\n"
    );
    assert_eq!(env.kept_secret(&id), None);
    assert_eq!(env.json(&["source", "list", "--json"]), serde_json::json!([]));
}

#[test]
fn a_secret_from_stdin_is_one_line_without_its_newline() {
    let env = Env::with_keychain();
    let o = env.run_with_stdin(
        &["source", "add", "webhook", "hook", "--secret-stdin"],
        b"shared secret 42\r\nsecond line\n",
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!o.stdout.contains("shared secret 42"));
    let v = env.json(&["source", "list", "--json"]);
    assert_eq!(v[0]["config"]["require_secret"], true);
    assert!(env
        .ok(&["source", "list"])
        .contains("127.0.0.1:8090  HTTP POST  shared secret"));
    let kept = env.kept_secret(v[0]["id"].as_str().unwrap());
    assert_eq!(kept.as_deref(), Some(&b"shared secret 42"[..]));
    assert!(!contains(&env.db_bytes(), b"shared secret 42"));
}

#[test]
fn without_a_keychain_a_source_with_a_secret_is_not_added() {
    let env = Env::without_keychain();
    env.ok(&["status"]);
    let before = env.snapshot();
    let mut cmd = env.cmd(&["source", "add", "webhook", "hook", "--secret-env", "HAB_SECRET"]);
    let o: super::common::Out = cmd.env("HAB_SECRET", "top-secret-value").output().unwrap().into();
    assert_eq!(o.code, Some(1));
    assert_eq!(o.stdout, "");
    let prefix = format!(
        "error: cannot keep the shared secret of source \"hook\" in the OS keychain, so it was not added: {NO_KEYCHAIN}"
    );
    assert!(o.stderr.starts_with(&prefix), "{}", o.stderr);
    assert!(o.stderr.contains("(apt install gnome-keyring)"), "{}", o.stderr);
    assert!(!o.stderr.contains("top-secret-value"));
    assert_eq!(env.snapshot(), before, "a half-created source was left behind");
    // The same name is free again.
    env.ok(&["source", "add", "webhook", "hook"]);
}

#[test]
fn removing_without_a_keychain_warns_only_of_a_secret_left_behind() {
    // Settings without a secret: removed, with nothing to warn about.
    let env = Env::without_keychain();
    env.ok(&["source", "add", "webhook", "hook"]);
    let o = env.run(&["source", "remove", "HOOK"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (Some(0), "removed source \"hook\"\n", "")
    );
    assert_eq!(env.json(&["source", "list", "--json"]), serde_json::json!([]));
    let o = env.run(&["source", "list"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.trim()),
        ("", "no sources yet; add one with `helium-aws-bridge source add`")
    );

    // A shared secret kept in a keychain that is out of reach at removal: removed, and the
    // user hears the secret may still be there.
    let env = Env::with_keychain();
    let mut add = env.cmd(&["source", "add", "webhook", "guarded", "--secret-env", "HAB_SECRET"]);
    assert!(add.env("HAB_SECRET", "s3cret").output().unwrap().status.success());
    let o: Out = env
        .cmd(&["source", "remove", "guarded"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap()
        .into();
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(o.stdout, "removed source \"guarded\"\n");
    assert!(
        o.stderr.starts_with(&format!(
            "warning: its secret could not be deleted from the OS keychain: {NO_KEYCHAIN}"
        )),
        "{}",
        o.stderr
    );
    assert_eq!(env.json(&["source", "list", "--json"]), serde_json::json!([]));
}

/// Publishes a retained ChirpStack uplink, so a subscriber gets it as soon as it subscribes.
fn retain_uplink(port: u16, topic: &str, body: &str) {
    let mut opts = rumqttc::MqttOptions::new("retainer", "127.0.0.1", port);
    opts.set_keep_alive(std::time::Duration::from_secs(5));
    let (client, mut conn) = rumqttc::Client::new(opts, 10);
    client
        .publish(topic, rumqttc::QoS::AtLeastOnce, true, body.as_bytes().to_vec())
        .unwrap();
    for ev in conn.iter() {
        if let rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)) = ev.unwrap() {
            break;
        }
    }
    client.disconnect().unwrap();
}

#[test]
fn pause_resume_and_test_a_source() {
    let env = Env::new();
    let broker = test_harness::Mosquitto::plain();
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    env.ok(&[
        "source",
        "add",
        "chirpstack",
        "cs",
        "--url",
        &url,
        "--application-id",
        "00000000-0000-4000-8000-000000000003",
    ]);
    assert_eq!(
        env.ok(&["source", "pause", "cs"]),
        "paused source \"cs\"; its settings are kept\n"
    );
    assert!(env.ok(&["source", "list"]).contains(" paused "));
    assert_eq!(env.json(&["source", "list", "--json"])[0]["paused"], true);
    assert_eq!(env.ok(&["source", "resume", "CS"]), "resumed source \"cs\"\n");
    assert_eq!(env.json(&["source", "list", "--json"])[0]["paused"], false);

    // Connected, nothing arrives: said so, and it is not an error.
    let out = env.ok(&["source", "test", "cs", "--wait", "0"]);
    assert!(
        out.contains(&format!("connected to 127.0.0.1:{}", broker.port)),
        "{out}"
    );
    assert!(
        out.contains("subscribed to application/00000000-0000-4000-8000-000000000003/device/+/event/up"),
        "{out}"
    );
    assert!(out.contains("no uplink arrived in 0 s"), "{out}");

    // An uplink waiting on the broker is found and named.
    retain_uplink(
        broker.port,
        "application/00000000-0000-4000-8000-000000000003/device/0102030405060708/event/up",
        r#"{"deviceInfo":{"devEui":"0102030405060708","deviceName":"porch"},"fCnt":7}"#,
    );
    let out = env.ok(&["source", "test", "cs", "--wait", "30"]);
    assert!(
        out.ends_with("Working: an uplink from device 0102030405060708 (porch), fCnt 7 arrived.\n"),
        "{out}"
    );

    // Nothing listening: the precise reason, and a failing exit.
    drop(broker);
    let out = env.fails_with(&["source", "test", "cs"], 1);
    assert!(
        out.stderr.contains("(connection refused)")
            && out.stderr.starts_with("error: Nothing is listening on 127.0.0.1:"),
        "{}",
        out.stderr
    );
    env.fails(&["source", "pause", "nope"], "error: source \"nope\" not found");
}
