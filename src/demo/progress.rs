//! A live progress line for `strait demo`, and the summary printed when it ends.
//!
//! On a terminal the line is redrawn in place (`\r`) at most [`TTY_REDRAW`] apart:
//!
//! ```text
//! 120,000 / 200,000 records (60%) | 84,210 rec/s | 17.3 MB/s | lag 3,456 | 1.4 s
//! ```
//!
//! When stdout is not a terminal (CI logs, a pipe) it prints a plain line every
//! [`PLAIN_INTERVAL`] instead, so logs stay readable. No dependencies: ANSI "erase to end of
//! line" is the only escape used, and only on a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Minimum time between two redraws on a terminal.
pub const TTY_REDRAW: Duration = Duration::from_millis(200);
/// Minimum time between two plain lines when stdout is not a terminal.
pub const PLAIN_INTERVAL: Duration = Duration::from_secs(2);

/// What the demo did, for the final summary.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Records that reached the sink.
    pub records: u64,
    /// Files the sink wrote.
    pub files: u64,
    /// Bytes the sink wrote.
    pub bytes: u64,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Where the output went (a directory, a URL), if worth telling.
    pub destination: Option<String>,
}

impl Summary {
    pub fn new(records: u64, files: u64, bytes: u64, elapsed: Duration) -> Self {
        Self {
            records,
            files,
            bytes,
            elapsed,
            destination: None,
        }
    }

    pub fn with_destination(mut self, destination: impl Into<String>) -> Self {
        self.destination = Some(destination.into());
        self
    }
}

/// A throttled progress reporter. `update` may be called as often as convenient (per batch);
/// it draws only when a redraw is due. Shareable between tasks (`&self` everywhere).
pub struct Progress {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").finish_non_exhaustive()
    }
}

struct Inner {
    out: Box<dyn Write + Send>,
    tty: bool,
    total: Option<u64>,
    start: Instant,
    last_draw: Option<Instant>,
    /// Sample the rates are measured from: (time, records out, bytes out).
    window_start: (Instant, u64, u64),
    /// Rates from the last completed window, so the line does not flicker between redraws.
    rates: (f64, f64),
    drawn_line: bool,
}

impl Progress {
    /// Reports to stdout; `total` is the number of records expected, if known.
    pub fn new(total: Option<u64>) -> Self {
        let tty = std::io::stdout().is_terminal();
        Self::with_writer(total, Box::new(std::io::stdout()), tty)
    }

    /// Reports to `out`, redrawing in place when `tty` (used by tests and for stderr).
    pub fn with_writer(total: Option<u64>, out: Box<dyn Write + Send>, tty: bool) -> Self {
        let now = Instant::now();
        Self {
            inner: Mutex::new(Inner {
                out,
                tty,
                total,
                start: now,
                last_draw: None,
                window_start: (now, 0, 0),
                rates: (0.0, 0.0),
                drawn_line: false,
            }),
        }
    }

    /// New counters (cumulative since start): records produced into the topic, records the
    /// sink has taken, bytes the sink has written.
    pub fn update(&self, records_in: u64, records_out: u64, bytes_out: u64) {
        let mut p = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let every = if p.tty { TTY_REDRAW } else { PLAIN_INTERVAL };
        if p.last_draw.is_some_and(|t| now.duration_since(t) < every) {
            return;
        }
        // Rates over the last window of at least one second (or since start), not since the
        // beginning: the line should show what is happening now.
        let (t0, r0, b0) = p.window_start;
        let dt = now.duration_since(t0).as_secs_f64();
        if dt > 0.0 {
            p.rates = (
                records_out.saturating_sub(r0) as f64 / dt,
                bytes_out.saturating_sub(b0) as f64 / dt,
            );
        }
        if dt >= 1.0 {
            p.window_start = (now, records_out, bytes_out);
        }
        p.last_draw = Some(now);
        let line = p.line(records_in, records_out, now);
        let tty = p.tty;
        // Write errors (closed stdout) must not stop the demo: progress is best effort.
        let _ = if tty {
            write!(p.out, "\r{line}\x1b[K")
        } else {
            writeln!(p.out, "{line}")
        };
        let _ = p.out.flush();
        p.drawn_line = tty;
    }

    /// Ends the live line and prints the summary.
    pub fn finish(&self, summary: &Summary) {
        let mut p = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if p.drawn_line {
            let _ = write!(p.out, "\r\x1b[K");
            p.drawn_line = false;
        }
        let _ = writeln!(p.out, "{}", summary_line(summary));
        let _ = p.out.flush();
    }
}

impl Inner {
    fn line(&self, records_in: u64, records_out: u64, now: Instant) -> String {
        let done = match self.total {
            Some(total) if total > 0 => format!(
                "{} / {} records ({:.0}%)",
                thousands(records_out),
                thousands(total),
                100.0 * records_out as f64 / total as f64
            ),
            _ => format!("{} records", thousands(records_out)),
        };
        format!(
            "{done} | {} rec/s | {}/s | lag {} | {}",
            thousands(self.rates.0 as u64),
            bytes(self.rates.1 as u64),
            thousands(records_in.saturating_sub(records_out)),
            duration(now.duration_since(self.start))
        )
    }
}

/// `200,000 records -> 4 files, 41.2 MB in 3.2 s (62,305 records/s, 12.8 MB/s)`.
pub fn summary_line(s: &Summary) -> String {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let files = if s.files == 1 { "file" } else { "files" };
    let mut line = format!(
        "done: {} records -> {} {files}, {} in {} ({} records/s, {}/s)",
        thousands(s.records),
        thousands(s.files),
        bytes(s.bytes),
        duration(s.elapsed),
        thousands((s.records as f64 / secs) as u64),
        bytes((s.bytes as f64 / secs) as u64)
    );
    if let Some(dest) = &s.destination {
        line.push_str(&format!(", in {dest}"));
    }
    line
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Decimal (SI) units, as throughput is usually quoted: `41.2 MB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `850 ms`, `3.2 s`, `2m 05s`.
fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let s = d.as_secs();
        format!("{}m {:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buf {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(41_200_000), "41.2 MB");
        assert_eq!(duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(duration(Duration::from_millis(3_210)), "3.2 s");
        assert_eq!(duration(Duration::from_secs(125)), "2m 05s");
    }

    #[test]
    fn tty_redraws_in_place_and_throttles() {
        let buf = Buf::default();
        let p = Progress::with_writer(Some(200), Box::new(buf.clone()), true);
        p.update(100, 50, 5_000);
        p.update(150, 60, 6_000); // within TTY_REDRAW: skipped
        let text = buf.text();
        assert!(text.starts_with("\r50 / 200 records (25%) | "), "{text:?}");
        assert!(text.contains("lag 50"), "{text:?}");
        assert_eq!(text.matches('\r').count(), 1);
        p.finish(&Summary::new(200, 2, 41_200_000, Duration::from_secs(2)));
        let text = buf.text();
        assert!(
            text.ends_with("\r\x1b[Kdone: 200 records -> 2 files, 41.2 MB in 2.0 s (100 records/s, 20.6 MB/s)\n"),
            "{text:?}"
        );
    }

    #[test]
    fn plain_output_has_no_escapes() {
        let buf = Buf::default();
        let p = Progress::with_writer(None, Box::new(buf.clone()), false);
        p.update(10, 10, 100);
        p.finish(&Summary::new(10, 1, 100, Duration::from_millis(500)).with_destination("./out"));
        let text = buf.text();
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
        assert!(text.starts_with("10 records | "), "{text:?}");
        assert!(
            text.ends_with("-> 1 file, 100 B in 500 ms (20 records/s, 200 B/s), in ./out\n"),
            "{text:?}"
        );
    }
}
