//! Reconnect backoff and publish pacing.

use crate::sync::LockExt;
use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Jittered exponential backoff: 1 s, 2 s, 4 s … up to `max`, each ±25 %. Never below 1 s,
/// which also keeps to AWS's one CONNECT per second per client id.
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Backoff {
        Backoff {
            next: Duration::from_secs(1),
            max,
        }
    }

    pub fn reset(&mut self) {
        self.next = Duration::from_secs(1);
    }

    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // Jitter from a random UUID's bits: no RNG dependency needed for this.
        let r = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0; // 0..1
        let d = base.mul_f64(0.75 + r * 0.5);
        d.max(Duration::from_secs(1))
    }
}

/// How often a warning about a lasting condition (a filling outbox, a device over AWS's rate)
/// may be repeated: it may last for hours, and each warning is an event row.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// Lets something happen at most once per `every`.
pub struct Every {
    every: Duration,
    last: Option<std::time::Instant>,
}

impl Every {
    pub fn new(every: Duration) -> Every {
        Every { every, last: None }
    }

    /// True, and counted, when it never happened or last happened at least `every` ago.
    pub fn due(&mut self) -> bool {
        if self.last.is_some_and(|t| t.elapsed() < self.every) {
            return false;
        }
        self.last = Some(std::time::Instant::now());
        true
    }
}

/// At most `per_second` publishes in any one-second window (AWS IoT allows 100 per connection),
/// bursts included: a device that sends 40 uplinks at once gets them out at once, and the 101st
/// within a second waits until the first is a second old.
pub struct Pacer {
    per_second: usize,
    /// When the publishes of the last second went out, oldest first.
    sent: VecDeque<Instant>,
}

impl Pacer {
    pub fn new(per_second: u32) -> Pacer {
        Pacer {
            per_second: per_second.max(1) as usize,
            sent: VecDeque::new(),
        }
    }

    /// Whether a publish may go out at `now` (one clock reading serves a session's whole turn).
    pub fn ready(&mut self, now: Instant) -> bool {
        let start = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        while self.sent.front().is_some_and(|t| *t <= start) {
            self.sent.pop_front();
        }
        self.sent.len() < self.per_second
    }

    pub fn consume(&mut self, now: Instant) {
        self.sent.push_back(now);
    }

    /// When the next publish may go out.
    pub fn next_slot(&self, now: Instant) -> Instant {
        match self.sent.front() {
            Some(oldest) if self.sent.len() >= self.per_second => *oldest + Duration::from_secs(1),
            _ => now,
        }
    }
}

/// Spreads CONNECTs over time, across every session: AWS IoT allows a limited number per second
/// per account (500 by default), and a burst of thousands of TLS handshakes times out on both
/// ends. Each connection waits for its own slot, `1 / per_second` after the previous one.
pub struct ConnectPacer {
    period: Duration,
    next: std::sync::Mutex<Instant>,
}

impl ConnectPacer {
    pub fn new(per_second: u32) -> ConnectPacer {
        ConnectPacer {
            period: Duration::from_secs(1) / per_second.max(1),
            next: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Waits for this connection's turn.
    pub async fn turn(&self) {
        let at = {
            let mut next = self.next.locked();
            let at = (*next).max(Instant::now());
            *next = at + self.period;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lets_a_thing_happen_once_per_interval() {
        let mut minutely = Every::new(WARN_EVERY);
        assert!(minutely.due(), "the first time");
        assert!(!minutely.due(), "again at once");
        let mut always = Every::new(Duration::ZERO);
        assert!(always.due() && always.due());
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let mut b = Backoff::new(Duration::from_secs(8));
        let d: Vec<_> = (0..6).map(|_| b.next_delay()).collect();
        assert!(
            d[0] >= Duration::from_secs(1) && d[0] <= Duration::from_millis(1250),
            "{d:?}"
        );
        assert!(
            d[2] >= Duration::from_secs(3) && d[2] <= Duration::from_secs(5),
            "{d:?}"
        );
        assert!(d[5] <= Duration::from_secs(10), "{d:?}");
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(1250));
    }

    #[tokio::test(start_paused = true)]
    async fn connects_are_spread_at_the_rate_whoever_asks() {
        let p = std::sync::Arc::new(ConnectPacer::new(200));
        let start = Instant::now();
        let turns: Vec<_> = (0..1000)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move {
                    p.turn().await;
                    Instant::now()
                })
            })
            .collect();
        let mut at = Vec::new();
        for t in turns {
            at.push(t.await.unwrap() - start);
        }
        at.sort();
        assert_eq!(at[0], Duration::ZERO);
        assert_eq!(
            at[999],
            Duration::from_millis(5) * 999,
            "1000 connects at 200/s take 5 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_allows_at_most_the_rate() {
        let mut p = Pacer::new(100);
        let start = Instant::now();
        let mut sent = 0;
        while Instant::now() - start < Duration::from_secs(1) {
            if p.ready(Instant::now()) {
                p.consume(Instant::now());
                sent += 1;
            } else {
                tokio::time::sleep_until(p.next_slot(Instant::now())).await;
            }
        }
        assert_eq!(sent, 100, "publishes in the first second");
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_lets_a_burst_out_at_once_and_holds_the_rate_in_every_window() {
        let mut p = Pacer::new(100);
        let start = Instant::now();
        let mut times = Vec::new();
        while Instant::now() - start < Duration::from_secs(3) {
            if p.ready(Instant::now()) {
                p.consume(Instant::now());
                times.push(Instant::now());
            } else {
                tokio::time::sleep_until(p.next_slot(Instant::now())).await;
            }
        }
        // The first hundred go out at once.
        assert!(times[..100].iter().all(|t| *t == start), "{:?}", &times[..3]);
        // No one-second window holds more than 100.
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 100, "{in_window} publishes within a second of publish {i}");
        }
        assert_eq!(times.len(), 300);
    }
}
