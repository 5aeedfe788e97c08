use helium_bridge_core::events::Event;

use super::common::{insert_event, Env, Running};

fn event(line: &str) -> Event {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// A new event is printed (it gets id `id`), and the monitor stops cleanly when asked.
fn prints_a_new_event_then_stops(m: Running, core: &helium_bridge_core::Core, id: i64) {
    insert_event(core, "uplink", "new", None);
    let e = event(&m.stdout_line());
    assert_eq!((e.id, e.message.as_str()), (id, "new"));
    let (code, rest) = m.terminate();
    assert_eq!((code, rest), (Some(0), vec![]));
}

#[test]
fn without_a_database_monitor_says_so_and_creates_nothing() {
    let env = Env::new();
    let o = env.run(&["monitor"]);
    assert_eq!(o.code, Some(1));
    assert_eq!(o.stdout, "");
    assert_eq!(
        o.stderr.trim(),
        format!(
            "error: there is no database in {} yet; nothing to monitor (start the bridge with \
             `helium-aws-bridge run`, or check --data-dir)",
            env.dir.display()
        )
    );
    assert!(!env.dir.exists(), "monitor created the data directory");
}

#[test]
fn history_from_a_released_database() {
    let env = Env::new();
    {
        let core = env.core();
        insert_event(&core, "uplink", "first", Some("dev-1"));
        insert_event(&core, "connection", "second", None);
    }
    let m = Running::spawn(env.cmd(&["monitor", "--since-id", "0", "--json"]));
    let (a, b) = (event(&m.stdout_line()), event(&m.stdout_line()));
    assert_eq!(
        (a.id, a.message.as_str(), a.device_id.as_deref()),
        (1, "first", Some("dev-1"))
    );
    assert_eq!((b.id, b.kind.as_str(), b.message.as_str()), (2, "connection", "second"));
    let (code, rest) = m.terminate();
    assert_eq!((code, rest), (Some(0), vec![]));
    // Read-only: the CLI can take the data directory again afterwards.
    drop(env.core());
}

#[test]
fn follows_a_database_another_process_holds() {
    let env = Env::new();
    let core = env.core();
    insert_event(&core, "uplink", "before", None);
    let m = Running::spawn(env.cmd(&["monitor", "--since-id", "0", "--json"]));
    assert_eq!(event(&m.stdout_line()).message, "before");
    insert_event(&core, "uplink", "live 1", Some("dev-9"));
    insert_event(&core, "downlink", "live 2", None);
    let (x, y) = (event(&m.stdout_line()), event(&m.stdout_line()));
    assert_eq!(
        (x.id, x.message.as_str(), x.device_id.as_deref()),
        (2, "live 1", Some("dev-9"))
    );
    assert_eq!((y.id, y.kind.as_str()), (3, "downlink"));
    let (code, rest) = m.terminate();
    assert_eq!((code, rest), (Some(0), vec![]));
}

#[test]
fn by_default_only_new_events_are_printed() {
    let env = Env::new();
    let core = env.core();
    insert_event(&core, "uplink", "old 1", None);
    insert_event(&core, "uplink", "old 2", None);
    let m = Running::spawn(env.cmd(&["monitor", "--json"]));
    let banner = m.stderr_until("watching events");
    assert_eq!(
        banner,
        format!("watching events in {} after #2; stop with Ctrl-C", env.dir.display())
    );
    // No bridge answers on this data directory: said, not waited out in silence.
    assert_eq!(
        m.stderr_until("no bridge"),
        "no bridge is running on this data directory: events come once the desktop app or \
         `helium-aws-bridge run` starts"
    );
    prints_a_new_event_then_stops(m, &core, 3);
}

#[test]
fn text_lines_and_since_id() {
    let env = Env::new();
    let core = env.core();
    for i in 1..=3 {
        insert_event(&core, "uplink", &format!("uplink {i}"), Some("dev-1"));
    }
    let m = Running::spawn(env.cmd(&["monitor", "--since-id", "2"]));
    let line = m.stdout_line();
    assert!(line.ends_with("Z #3 info  uplink: uplink 3 [device dev-1]"), "{line}");
    let (code, rest) = m.terminate();
    assert_eq!((code, rest), (Some(0), vec![]));
}

#[test]
fn a_since_id_beyond_the_newest_event_still_shows_new_ones() {
    let env = Env::new();
    let core = env.core();
    insert_event(&core, "uplink", "old", None);
    let m = Running::spawn(env.cmd(&["monitor", "--since-id", "99999", "--json"]));
    assert_eq!(
        m.stderr_until("no event"),
        "there is no event #99999 yet (the newest is #1): only new ones are printed"
    );
    assert_eq!(
        m.stderr_until("watching events"),
        format!("watching events in {} after #1; stop with Ctrl-C", env.dir.display())
    );
    prints_a_new_event_then_stops(m, &core, 2);
}
