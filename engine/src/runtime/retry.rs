//! Retries of the converter and transformation stages, as Java's `RetryWithToleranceOperator`
//! does them (`errors.retry.timeout`, `errors.retry.delay.max.ms`).
//!
//! Only retriable failures are retried. The first retry waits 300 ms and each further one twice
//! as long; once the doubled delay would exceed `errors.retry.delay.max.ms`, a random delay in
//! `[0, max)` is used instead (Java's jitter against thundering herds). No sleep goes past the
//! deadline `start + errors.retry.timeout`; `-1` retries forever, `0` (the default) never
//! retries. What still fails when the policy gives up is handled per `errors.tolerance`.
//!
//! The stages are columnar, so a retry runs the stage again on the whole column: converters are
//! deterministic for data errors, so rows that succeeded succeed again.

use std::time::Duration;

use tokio::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::connector_config::FrameworkConfig;

/// Java's `RetryWithToleranceOperator.RETRIES_DELAY_MIN_MS`.
const RETRIES_DELAY_MIN: Duration = Duration::from_millis(300);

/// When and how long to retry a failing stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// `None`: retry forever.
    pub timeout: Option<Duration>,
    pub delay_max: Duration,
}

impl RetryPolicy {
    pub fn from_framework(config: &FrameworkConfig) -> Self {
        RetryPolicy {
            timeout: config.retry_timeout,
            delay_max: config.retry_delay_max,
        }
    }

    /// The sleep before the next attempt, after `failures` failed attempts (≥ 1) and `elapsed`
    /// since the first one; `None` when the deadline has passed. `jitter(max)` draws a delay in
    /// `[0, max)`.
    pub fn delay(
        &self,
        failures: u32,
        elapsed: Duration,
        jitter: impl FnOnce(Duration) -> Duration,
    ) -> Option<Duration> {
        let remaining = match self.timeout {
            Some(timeout) if elapsed >= timeout => return None,
            Some(timeout) => Some(timeout - elapsed),
            None => None,
        };
        let doubled = RETRIES_DELAY_MIN
            .checked_mul(
                1u32.checked_shl(failures.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .unwrap_or(Duration::MAX);
        let delay = if doubled > self.delay_max {
            jitter(self.delay_max)
        } else {
            doubled
        };
        Some(remaining.map_or(delay, |r| delay.min(r)))
    }

    /// Run `attempt` until `needs_retry` says its result is final or the policy gives up, then
    /// return the last result; `on_retry` hears of every retry (`total-retries`). Cancellation
    /// ends the waiting early with the last result.
    /// [`RetryPolicy::run`] for an async attempt.
    pub async fn run_async<T, F, Fut>(
        &self,
        cancel: &CancellationToken,
        mut attempt: F,
        needs_retry: impl Fn(&T) -> bool,
        on_retry: impl Fn(),
    ) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let started = Instant::now();
        let mut failures = 0u32;
        loop {
            let result = attempt().await;
            if !needs_retry(&result) {
                return result;
            }
            failures += 1;
            let Some(delay) = self.delay(failures, started.elapsed(), random_below) else {
                return result;
            };
            tracing::debug!(failures, ?delay, "retriable failure; retrying the stage");
            on_retry();
            tokio::select! {
                _ = cancel.cancelled() => return result,
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }

    pub async fn run<T>(
        &self,
        cancel: &CancellationToken,
        mut attempt: impl FnMut() -> T,
        needs_retry: impl Fn(&T) -> bool,
        on_retry: impl Fn(),
    ) -> T {
        self.run_async(
            cancel,
            || std::future::ready(attempt()),
            needs_retry,
            on_retry,
        )
        .await
    }
}

/// A delay in `[0, max)`: the jitter only has to spread retries of different tasks, so the clock's
/// nanoseconds mixed through a multiplicative hash are random enough.
fn random_below(max: Duration) -> Duration {
    let millis = max.as_millis() as u64;
    if millis == 0 {
        return Duration::ZERO;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Duration::from_millis(nanos.wrapping_mul(0x9E37_79B9_7F4A_7C15) % millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout_ms: i64, max_ms: u64) -> RetryPolicy {
        RetryPolicy {
            timeout: (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64)),
            delay_max: Duration::from_millis(max_ms),
        }
    }

    const NO_JITTER: fn(Duration) -> Duration = |_| Duration::from_millis(7);

    #[test]
    fn default_timeout_zero_never_retries() {
        assert_eq!(policy(0, 60_000).delay(1, Duration::ZERO, NO_JITTER), None);
    }

    #[test]
    fn backoff_doubles_from_300ms_then_jitters_below_the_cap() {
        let p = policy(-1, 1_000);
        let ms = |n| p.delay(n, Duration::ZERO, NO_JITTER).map(|d| d.as_millis());
        assert_eq!(ms(1), Some(300));
        assert_eq!(ms(2), Some(600));
        // 1200 > 1000: Java draws a random delay below the cap instead.
        assert_eq!(ms(3), Some(7));
        assert_eq!(ms(40), Some(7), "huge attempt counts do not overflow");
        for _ in 0..100 {
            assert!(random_below(Duration::from_millis(1_000)) < Duration::from_millis(1_000));
        }
    }

    #[test]
    fn no_sleep_goes_past_the_deadline() {
        let p = policy(1_000, 60_000);
        assert_eq!(
            p.delay(3, Duration::from_millis(900), NO_JITTER),
            Some(Duration::from_millis(100))
        );
        assert_eq!(p.delay(3, Duration::from_millis(1_000), NO_JITTER), None);
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_success_or_deadline() {
        let cancel = CancellationToken::new();
        // Recovers on the third attempt, within a 10 s timeout.
        let mut calls = 0;
        let r = policy(10_000, 60_000)
            .run(
                &cancel,
                || {
                    calls += 1;
                    calls
                },
                |n| *n < 3,
                || {},
            )
            .await;
        assert_eq!((r, calls), (3, 3));
        // Never recovers: gives up once 1 s has passed (300 + 600 + 100 ms of sleeps).
        let mut calls = 0;
        let started = tokio::time::Instant::now();
        let r = policy(1_000, 60_000)
            .run(
                &cancel,
                || {
                    calls += 1;
                    calls
                },
                |_| true,
                || {},
            )
            .await;
        assert_eq!(r, 4);
        assert_eq!(started.elapsed(), Duration::from_millis(1_000));
    }
}
