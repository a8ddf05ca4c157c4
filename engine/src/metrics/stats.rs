//! Windowed statistics with the semantics of Kafka's `org.apache.kafka.common.metrics.stats`
//! (`SampledStat`, `Rate`, `Avg`, `Max`, `Min`, `Frequencies`), so a rate or an average read from
//! Strait's `/metrics` means what the same metric means on a Java worker.
//!
//! A stat keeps `metrics.num.samples` samples of `metrics.sample.window.ms` each (Java's defaults:
//! 2 × 30 s). Recording goes to the current sample, or starts the next one when the current one
//! is older than a window. Reading first forgets samples whose last event is older than all the
//! windows together, then combines what is left. A rate divides the windowed sum by the elapsed
//! time since the oldest sample, counted as at least `samples - 1` full windows (Kafka's guard
//! against huge rates in the first seconds).
//!
//! Drivers record once per batch, never per record, so none of this is on a per-record path.

/// `metrics.sample.window.ms` and `metrics.num.samples`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    pub window_ms: u64,
    pub samples: usize,
}

impl Default for WindowConfig {
    /// Java's defaults: 30 s windows, 2 samples.
    fn default() -> Self {
        WindowConfig {
            window_ms: 30_000,
            samples: 2,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    value: f64,
    events: u64,
    start_ms: u64,
    last_event_ms: u64,
}

impl Sample {
    fn new(initial: f64, now_ms: u64) -> Self {
        Sample {
            value: initial,
            events: 0,
            start_ms: now_ms,
            last_event_ms: now_ms,
        }
    }
}

/// How a sample folds in a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    Sum,
    Max,
    Min,
}

/// Kafka's `SampledStat`: the samples and which one is current.
#[derive(Debug, Clone)]
struct Samples {
    fold: Fold,
    samples: Vec<Sample>,
    current: usize,
}

impl Samples {
    fn new(fold: Fold) -> Self {
        Samples {
            fold,
            samples: Vec::new(),
            current: 0,
        }
    }

    fn initial(&self) -> f64 {
        match self.fold {
            Fold::Sum => 0.0,
            Fold::Max => f64::NEG_INFINITY,
            Fold::Min => f64::INFINITY,
        }
    }

    fn current(&mut self, now_ms: u64) -> usize {
        if self.samples.is_empty() {
            self.samples.push(Sample::new(self.initial(), now_ms));
        }
        self.current
    }

    fn record(&mut self, config: WindowConfig, value: f64, now_ms: u64) {
        let mut i = self.current(now_ms);
        if now_ms.saturating_sub(self.samples[i].start_ms) >= config.window_ms {
            // One extra placeholder for a sample overlapping the monitored window, as Kafka.
            let max_samples = config.samples + 1;
            self.current = (self.current + 1) % max_samples;
            i = self.current;
            if i >= self.samples.len() {
                self.samples.push(Sample::new(self.initial(), now_ms));
            } else {
                self.samples[i] = Sample::new(self.initial(), now_ms);
            }
        }
        let sample = &mut self.samples[i];
        sample.value = match self.fold {
            Fold::Sum => sample.value + value,
            Fold::Max => sample.value.max(value),
            Fold::Min => sample.value.min(value),
        };
        sample.events += 1;
        sample.last_event_ms = now_ms;
    }

    fn purge(&mut self, config: WindowConfig, now_ms: u64) {
        let expire_after = config.samples as u64 * config.window_ms;
        let initial = self.initial();
        for sample in &mut self.samples {
            if now_ms.saturating_sub(sample.last_event_ms) >= expire_after {
                *sample = Sample::new(initial, now_ms);
            }
        }
    }

    fn oldest_start(&mut self, now_ms: u64) -> u64 {
        self.current(now_ms);
        self.samples
            .iter()
            .map(|s| s.start_ms)
            .min()
            .unwrap_or(now_ms)
    }

    fn events(&self) -> u64 {
        self.samples.iter().map(|s| s.events).sum()
    }
}

/// A windowed sum per second (Kafka's `Rate(SECONDS, WindowedSum)`), e.g.
/// `source-record-poll-rate`.
#[derive(Debug, Clone)]
pub struct Rate(Samples);

impl Default for Rate {
    fn default() -> Self {
        Rate(Samples::new(Fold::Sum))
    }
}

impl Rate {
    pub fn record(&mut self, config: WindowConfig, value: f64, now_ms: u64) {
        self.0.record(config, value, now_ms);
    }

    pub fn measure(&mut self, config: WindowConfig, now_ms: u64) -> f64 {
        self.0.purge(config, now_ms);
        let sum: f64 = self.0.samples.iter().map(|s| s.value).sum();
        let mut elapsed_ms = now_ms.saturating_sub(self.0.oldest_start(now_ms));
        let full_windows = elapsed_ms / config.window_ms.max(1);
        let min_full_windows = config.samples.saturating_sub(1) as u64;
        if full_windows < min_full_windows {
            elapsed_ms += (min_full_windows - full_windows) * config.window_ms;
        }
        sum / (elapsed_ms.max(1) as f64 / 1000.0)
    }
}

/// Windowed average (`Avg`): NaN when nothing was recorded in the windows, as Kafka.
#[derive(Debug, Clone)]
pub struct Avg(Samples);

impl Default for Avg {
    fn default() -> Self {
        Avg(Samples::new(Fold::Sum))
    }
}

impl Avg {
    pub fn record(&mut self, config: WindowConfig, value: f64, now_ms: u64) {
        self.0.record(config, value, now_ms);
    }

    pub fn measure(&mut self, config: WindowConfig, now_ms: u64) -> f64 {
        self.0.purge(config, now_ms);
        let events = self.0.events();
        if events == 0 {
            return f64::NAN;
        }
        self.0.samples.iter().map(|s| s.value).sum::<f64>() / events as f64
    }
}

/// Windowed maximum or minimum (`Max`, `Min`): NaN when nothing was recorded, as Kafka.
#[derive(Debug, Clone)]
pub struct Extreme(Samples);

impl Extreme {
    pub fn max() -> Self {
        Extreme(Samples::new(Fold::Max))
    }

    pub fn min() -> Self {
        Extreme(Samples::new(Fold::Min))
    }

    pub fn record(&mut self, config: WindowConfig, value: f64, now_ms: u64) {
        self.0.record(config, value, now_ms);
    }

    pub fn measure(&mut self, config: WindowConfig, now_ms: u64) -> f64 {
        self.0.purge(config, now_ms);
        if self.0.events() == 0 {
            return f64::NAN;
        }
        let values = self.0.samples.iter().map(|s| s.value);
        match self.0.fold {
            Fold::Min => values.fold(f64::INFINITY, f64::min),
            _ => values.fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// Average, maximum (and minimum) of the same values, the usual trio of a Java sensor.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub avg: Avg,
    pub max: Extreme,
    pub min: Extreme,
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution {
            avg: Avg::default(),
            max: Extreme::max(),
            min: Extreme::min(),
        }
    }
}

impl Distribution {
    pub fn record(&mut self, config: WindowConfig, value: f64, now_ms: u64) {
        self.avg.record(config, value, now_ms);
        self.max.record(config, value, now_ms);
        self.min.record(config, value, now_ms);
    }
}

/// The share of successes among outcomes in the windows (Kafka's `Frequencies` over the values
/// 1.0 = success and 0.0 = failure): 0 when nothing was recorded, as Kafka.
#[derive(Debug, Clone)]
pub struct Outcomes {
    successes: Samples,
    failures: Samples,
}

impl Default for Outcomes {
    fn default() -> Self {
        Outcomes {
            successes: Samples::new(Fold::Sum),
            failures: Samples::new(Fold::Sum),
        }
    }
}

impl Outcomes {
    pub fn record(&mut self, config: WindowConfig, success: bool, now_ms: u64) {
        let (hit, miss) = if success {
            (&mut self.successes, &mut self.failures)
        } else {
            (&mut self.failures, &mut self.successes)
        };
        hit.record(config, 1.0, now_ms);
        // Keeps both in step, so both forget the same windows.
        miss.record(config, 0.0, now_ms);
    }

    /// (success share, failure share), each in [0, 1].
    pub fn measure(&mut self, config: WindowConfig, now_ms: u64) -> (f64, f64) {
        self.successes.purge(config, now_ms);
        self.failures.purge(config, now_ms);
        let ok: f64 = self.successes.samples.iter().map(|s| s.value).sum();
        let failed: f64 = self.failures.samples.iter().map(|s| s.value).sum();
        let total = ok + failed;
        if total == 0.0 {
            return (0.0, 0.0);
        }
        (ok / total, failed / total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: WindowConfig = WindowConfig {
        window_ms: 30_000,
        samples: 2,
    };

    #[test]
    fn rate_counts_at_least_one_full_window_then_the_real_elapsed_time() {
        let mut rate = Rate::default();
        rate.record(CONFIG, 300.0, 0);
        // 1 s in: Kafka assumes (samples - 1) = 1 full window plus the elapsed second.
        assert!((rate.measure(CONFIG, 1_000) - 300.0 / 31.0).abs() < 1e-9);
        rate.record(CONFIG, 300.0, 40_000);
        // 40 s since the oldest sample: one full window already, no padding.
        assert!((rate.measure(CONFIG, 40_000) - 600.0 / 40.0).abs() < 1e-9);
    }

    #[test]
    fn old_samples_are_forgotten() {
        let mut avg = Avg::default();
        let mut max = Extreme::max();
        avg.record(CONFIG, 10.0, 0);
        max.record(CONFIG, 10.0, 0);
        avg.record(CONFIG, 20.0, 1_000);
        max.record(CONFIG, 20.0, 1_000);
        assert_eq!(avg.measure(CONFIG, 2_000), 15.0);
        assert_eq!(max.measure(CONFIG, 2_000), 20.0);
        // Two windows after the last event nothing is left.
        assert!(avg.measure(CONFIG, 61_000).is_nan());
        assert!(max.measure(CONFIG, 61_000).is_nan());
        let mut rate = Rate::default();
        rate.record(CONFIG, 5.0, 0);
        assert_eq!(rate.measure(CONFIG, 60_000), 0.0);
    }

    #[test]
    fn a_new_window_starts_after_window_ms() {
        let mut max = Extreme::max();
        max.record(CONFIG, 50.0, 0);
        max.record(CONFIG, 5.0, 31_000);
        // Both samples are still in the windows...
        assert_eq!(max.measure(CONFIG, 31_000), 50.0);
        // ...until the first one's last event is 60 s old.
        assert_eq!(max.measure(CONFIG, 60_000), 5.0);
        let mut min = Extreme::min();
        min.record(CONFIG, 5.0, 0);
        min.record(CONFIG, 50.0, 10);
        assert_eq!(min.measure(CONFIG, 20), 5.0);
    }

    #[test]
    fn outcomes_are_shares_of_the_windows() {
        let mut outcomes = Outcomes::default();
        assert_eq!(outcomes.measure(CONFIG, 0), (0.0, 0.0));
        outcomes.record(CONFIG, true, 0);
        outcomes.record(CONFIG, true, 10);
        outcomes.record(CONFIG, true, 20);
        outcomes.record(CONFIG, false, 30);
        assert_eq!(outcomes.measure(CONFIG, 40), (0.75, 0.25));
        assert_eq!(outcomes.measure(CONFIG, 100_000), (0.0, 0.0));
    }
}
