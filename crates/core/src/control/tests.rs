//! The control plane over its socket, as the CLI of another process uses it.

use std::time::Duration;

use super::socket::{serve, socket_path, Client};
use super::*;

fn opened() -> (tempfile::TempDir, Arc<Control>) {
    let dir = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(dir.path()).unwrap());
    (dir, Control::new(core, Engine::new(false)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_over_the_socket_are_made_and_announced() {
    let (dir, control) = opened();
    let mut changed = control.subscribe();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    serve(control.clone(), dir.path(), stopped).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(socket_path(dir.path())).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is its user's only");

    let path = dir.path().to_path_buf();
    let replies = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(&path).unwrap();
        let added = c.call(&Request::LabelAdd { name: "fleet".into() });
        let again = c.call(&Request::LabelAdd { name: "FLEET".into() });
        let missing = c.call(&Request::LabelAttach {
            label: "fleet".into(),
            target: Target::Integration("nope".into()),
        });
        (added, again, missing)
    })
    .await
    .unwrap();
    let Ok(Reply::Label { label }) = replies.0 else {
        panic!("{:?}", replies.0)
    };
    assert_eq!(label.name, "fleet");
    assert_eq!(control.core().store().find_label("fleet").unwrap().id, label.id);
    let e = replies.1.unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("conflict", "a label named \"FLEET\" already exists")
    );
    let e = replies.2.unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("not_found", "integration \"nope\" not found")
    );

    // Whoever watches (the desktop's views) hears of it within a second.
    let heard = tokio::time::timeout(Duration::from_secs(1), changed.recv()).await;
    assert_eq!(heard.unwrap().unwrap().what, vec!["labels".to_string()]);

    // A request it cannot read is answered with why, and the connection serves on.
    let path = dir.path().to_path_buf();
    let answers = tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::os::unix::net::UnixStream::connect(socket_path(&path)).unwrap();
        s.write_all(b"{\"op\":\"label_explode\"}\n{\"op\":\"label_remove\",\"label\":\"fleet\"}\n")
            .unwrap();
        let mut r = BufReader::new(s);
        let (mut a, mut b) = (String::new(), String::new());
        r.read_line(&mut a).unwrap();
        r.read_line(&mut b).unwrap();
        (a, b)
    })
    .await
    .unwrap();
    let bad: serde_json::Value = serde_json::from_str(&answers.0).unwrap();
    assert_eq!(bad["err"]["code"], "bad_request", "{bad}");
    assert!(
        bad["err"]["detail"].as_str().unwrap().contains("label_explode"),
        "{bad}"
    );
    let removed: serde_json::Value = serde_json::from_str(&answers.1).unwrap();
    assert_eq!(removed["ok"]["done"], "label_removed", "{removed}");

    let _ = stop.send(true);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while socket_path(dir.path()).exists() {
        assert!(std::time::Instant::now() < deadline, "the socket file was not removed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
