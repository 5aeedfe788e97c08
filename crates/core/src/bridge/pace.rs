//! Reconnect backoff and publish pacing.

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

/// At most one publish per `period` (10 ms = AWS's 100 publishes/s per connection).
pub struct Pacer {
    period: Duration,
    next: Instant,
}

impl Pacer {
    pub fn new(per_second: u32) -> Pacer {
        Pacer {
            period: Duration::from_secs(1) / per_second.max(1),
            next: Instant::now(),
        }
    }

    pub fn ready(&self) -> bool {
        Instant::now() >= self.next
    }

    pub fn consume(&mut self) {
        self.next = self.next.max(Instant::now()) + self.period;
    }

    pub fn next_slot(&self) -> Instant {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    async fn pacer_allows_at_most_the_rate() {
        let mut p = Pacer::new(100);
        let start = Instant::now();
        let mut sent = 0;
        while Instant::now() - start < Duration::from_secs(1) {
            if p.ready() {
                p.consume();
                sent += 1;
            } else {
                tokio::time::sleep_until(p.next_slot()).await;
            }
        }
        assert!((99..=101).contains(&sent), "{sent} publishes in one second");
    }
}
