use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// An outcome slot a test can read.
fn slot() -> (Arc<Mutex<Vec<IngestOutcome>>>, Outcome) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let put = got.clone();
    (got, Box::new(move |o| put.locked().push(o)))
}

fn ignore() -> Outcome {
    Box::new(|_| {})
}

const STORED: IngestOutcome = IngestOutcome::Stored {
    device_id: String::new(),
    routes: 1,
};

/// Each call a fresh uuid, from source "s", settled as stored.
fn missing(h: &HeardLately, device: &str, fcnt: u32) -> u32 {
    let s: Arc<str> = "s".into();
    let uuid = uuid::Uuid::new_v4().to_string();
    let Ok((missing, _)) = h.heard(device, (&uuid, fcnt, false), &s, ignore()) else {
        panic!("heard before");
    };
    h.settle(device, &uuid, fcnt, &STORED);
    missing
}

#[test]
fn counts_the_frames_that_never_arrived() {
    let h = HeardLately::default();
    assert_eq!(missing(&h, "d", 100), 0, "first sight");
    assert_eq!(missing(&h, "d", 101), 0);
    assert_eq!(missing(&h, "d", 111), 9);
    assert_eq!(missing(&h, "d", 111), 0, "a repeated counter");
    assert_eq!(missing(&h, "d", 105), 0, "a late copy");
    assert_eq!(missing(&h, "d", 112), 0, "a late copy does not move the counter back");
    assert_eq!(missing(&h, "e", 5), 0, "devices are counted apart");
    assert_eq!(missing(&h, "d", 0), 0, "a restart");
    assert_eq!(missing(&h, "d", 3), 2);
    let s: Arc<str> = "s".into();
    assert!(h.heard("d", ("join-1", 0, true), &s, ignore()).is_ok());
    assert_eq!(missing(&h, "d", 40), 0, "after a join the next counter is the first");
}

#[test]
fn a_copy_of_a_taken_uplink_is_answered_at_once_naming_the_first_source() {
    let h = HeardLately::default();
    let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
    assert!(h.heard("d", ("u1", 1, false), &a, ignore()).is_ok());
    h.settle("d", "u1", 1, &STORED);
    let again = h.heard("d", ("u1", 1, false), &b, ignore()).err().expect("a copy");
    assert_eq!(&*again.first_source, "a");
    assert!(again.done.is_some(), "taken: the copy is answered now");
    assert!(h.heard("e", ("u1", 1, false), &b, ignore()).is_ok(), "per device");
    // The same uuid with another frame counter is another uplink (a source that reuses uuids).
    assert!(h.heard("d", ("u1", 2, false), &a, ignore()).is_ok());
}

#[test]
fn a_copy_of_an_uplink_in_flight_hears_its_outcome_and_a_refused_one_is_taken_later() {
    let h = HeardLately::default();
    let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
    // Taken: the copy waiting for it is acknowledged as had.
    assert!(h.heard("d", ("u1", 1, false), &a, ignore()).is_ok());
    let (copy, done) = slot();
    let again = h.heard("d", ("u1", 1, false), &b, done).err().expect("a copy");
    assert!(again.done.is_none(), "in flight: answered when the first settles");
    assert!(copy.locked().is_empty(), "not acknowledged before the first is stored");
    h.settle("d", "u1", 1, &STORED);
    assert_eq!(*copy.locked(), vec![IngestOutcome::Again]);

    // Refused: the copy is refused too (its source keeps it), and the next copy is new.
    assert!(h.heard("d", ("u2", 2, false), &a, ignore()).is_ok());
    let (copy, done) = slot();
    assert!(h.heard("d", ("u2", 2, false), &b, done).is_err());
    let refused = IngestOutcome::Refused("the outbox is full".into());
    h.settle("d", "u2", 2, &refused);
    assert_eq!(*copy.locked(), vec![refused]);
    assert!(
        h.heard("d", ("u2", 2, false), &b, ignore()).is_ok(),
        "offered again, it is taken"
    );
}

#[test]
fn uplinks_in_flight_are_never_forgotten_and_the_last_taken_are_kept() {
    let h = HeardLately::default();
    let s: Arc<str> = "s".into();
    let answered = Arc::new(AtomicUsize::new(0));
    // More uplinks in flight than are kept once taken: each one's copy is still answered.
    for n in 0..KEPT as u32 + 4 {
        assert!(h.heard("d", (&format!("x{n}"), n, false), &s, ignore()).is_ok());
        let count = answered.clone();
        let copy: Outcome = Box::new(move |_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert!(h.heard("d", (&format!("x{n}"), n, false), &s, copy).is_err());
    }
    for n in 0..KEPT as u32 + 4 {
        h.settle("d", &format!("x{n}"), n, &STORED);
    }
    assert_eq!(answered.load(Ordering::Relaxed), KEPT + 4);
    // Then only the last few taken are remembered.
    for n in 100..100 + KEPT as u32 {
        missing(&h, "d", n);
    }
    assert!(h.heard("d", ("x0", 0, false), &s, ignore()).is_ok(), "long gone");
}
