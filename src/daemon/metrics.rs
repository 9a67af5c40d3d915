//! The daemon's counters and gauges, written as a Prometheus textfile.
//!
//! [`Metrics`] is shared between threads (`Arc<Metrics>`): counting is a
//! relaxed atomic add. Every so often the daemon calls
//! [`Metrics::write_textfile`], which renders the text exposition format
//! (with `# HELP` and `# TYPE` lines) and replaces the file atomically (a
//! hidden temporary file in the same directory, fsync, rename, directory
//! fsync), so node_exporter's textfile collector never reads half a file.
//!
//! ```
//! use smpp::daemon::metrics::{Counter, Gauge, Metrics};
//!
//! let m = Metrics::new().with_label("instance", "host1-smppd");
//! m.inc(Counter::Sent);
//! m.set(Gauge::SpoolBacklog, 12);
//! let text = m.render();
//! assert!(text.contains("smppd_messages_sent_total{instance=\"host1-smppd\"} 1\n"));
//! assert!(text.contains("# TYPE smppd_spool_backlog gauge\n"));
//! ```

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A count that only goes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// Files accepted by the SMSC and moved to `sent/`.
    Sent,
    /// Message parts accepted by the SMSC.
    PartsSent,
    /// Files moved to `failed/`.
    Failed,
    /// Transient failures that were retried.
    Retried,
    /// Mobile-originated messages written to `incoming/`.
    Received,
    /// Delivery receipts written to `report/`.
    Receipts,
    /// `ESME_RTHROTTLED` responses received.
    Throttled,
    /// Successful binds.
    Binds,
    /// Reconnects after a lost or failed connection.
    Reconnects,
}

/// A value that goes up and down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gauge {
    /// Requests awaiting a response, over all binds.
    WindowInUse,
    /// Files waiting in `outgoing/`.
    SpoolBacklog,
    /// 1 while the daemon runs (0 is written as it stops).
    Up,
    /// Links to the SMSC bound now.
    BoundLinks,
    /// Links to the SMSC configured (`sessions`).
    Links,
    /// Age in seconds of the oldest file waiting in `outgoing/` (0 when
    /// none waits).
    OldestWaitingSeconds,
}

impl Counter {
    /// Every counter, in the order they are written.
    pub const ALL: [Counter; 9] = [
        Counter::Sent,
        Counter::PartsSent,
        Counter::Failed,
        Counter::Retried,
        Counter::Received,
        Counter::Receipts,
        Counter::Throttled,
        Counter::Binds,
        Counter::Reconnects,
    ];

    /// The metric name.
    pub fn name(self) -> &'static str {
        self.info().0
    }

    fn info(self) -> (&'static str, &'static str) {
        match self {
            Counter::Sent => (
                "smppd_messages_sent_total",
                "Files accepted by the SMSC and moved to sent/.",
            ),
            Counter::PartsSent => (
                "smppd_parts_sent_total",
                "Message parts accepted by the SMSC.",
            ),
            Counter::Failed => ("smppd_messages_failed_total", "Files moved to failed/."),
            Counter::Retried => (
                "smppd_messages_retried_total",
                "Transient failures (throttling, timeouts, lost links) that were retried.",
            ),
            Counter::Received => (
                "smppd_messages_received_total",
                "Mobile-originated messages written to incoming/.",
            ),
            Counter::Receipts => (
                "smppd_receipts_received_total",
                "Delivery receipts written to report/.",
            ),
            Counter::Throttled => (
                "smppd_throttled_total",
                "ESME_RTHROTTLED responses received.",
            ),
            Counter::Binds => ("smppd_binds_total", "Successful binds."),
            Counter::Reconnects => (
                "smppd_reconnects_total",
                "Reconnects after a lost or failed connection.",
            ),
        }
    }
}

impl Gauge {
    /// Every gauge, in the order they are written.
    pub const ALL: [Gauge; 6] = [
        Gauge::WindowInUse,
        Gauge::SpoolBacklog,
        Gauge::Up,
        Gauge::BoundLinks,
        Gauge::Links,
        Gauge::OldestWaitingSeconds,
    ];

    /// The metric name.
    pub fn name(self) -> &'static str {
        self.info().0
    }

    fn info(self) -> (&'static str, &'static str) {
        match self {
            Gauge::WindowInUse => (
                "smppd_window_in_use",
                "Requests awaiting a response, over all binds.",
            ),
            Gauge::SpoolBacklog => ("smppd_spool_backlog", "Files waiting in outgoing/."),
            Gauge::Up => ("smppd_up", "1 while the daemon runs."),
            Gauge::BoundLinks => ("smppd_bound_links", "Links to the SMSC bound now."),
            Gauge::Links => ("smppd_links", "Links to the SMSC configured."),
            Gauge::OldestWaitingSeconds => (
                "smppd_oldest_waiting_seconds",
                "Age of the oldest file waiting in outgoing/, 0 when none waits.",
            ),
        }
    }
}

/// The upper bounds (seconds) of the submit-to-response latency buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A histogram of durations with [`LATENCY_BUCKETS`] (plus `+Inf`).
#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket (not cumulative); the last one is `+Inf`.
    counts: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&top| secs <= top)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// The daemon's metrics; see the [module docs](self).
#[derive(Debug, Default)]
pub struct Metrics {
    counters: [AtomicU64; Counter::ALL.len()],
    gauges: [AtomicU64; Gauge::ALL.len()],
    latency: Histogram,
    /// `{name="value",...}`, or empty.
    labels: String,
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Metrics {
    /// All zero, no labels.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Adds a label to every sample, such as `instance`. `name` must be a
    /// valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`); others are ignored.
    pub fn with_label(mut self, name: &str, value: &str) -> Metrics {
        let valid = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            let pair = format!("{name}=\"{}\"", escape_label(value));
            self.labels = match self.labels.strip_suffix('}') {
                Some(start) => format!("{start},{pair}}}"),
                None => format!("{{{pair}}}"),
            };
        }
        self
    }

    fn counter(&self, c: Counter) -> &AtomicU64 {
        &self.counters[c as usize]
    }

    fn gauge_cell(&self, g: Gauge) -> &AtomicU64 {
        &self.gauges[g as usize]
    }

    /// Adds one.
    pub fn inc(&self, c: Counter) {
        self.add(c, 1);
    }

    /// Adds `n`.
    pub fn add(&self, c: Counter, n: u64) {
        self.counter(c).fetch_add(n, Ordering::Relaxed);
    }

    /// Sets a gauge.
    pub fn set(&self, g: Gauge, value: u64) {
        self.gauge_cell(g).store(value, Ordering::Relaxed);
    }

    /// A counter's value.
    pub fn get(&self, c: Counter) -> u64 {
        self.counter(c).load(Ordering::Relaxed)
    }

    /// A gauge's value.
    pub fn gauge(&self, g: Gauge) -> u64 {
        self.gauge_cell(g).load(Ordering::Relaxed)
    }

    /// Records one submit-to-response time.
    pub fn observe_latency(&self, d: Duration) {
        self.latency.observe(d);
    }

    /// How many submit-to-response times were recorded.
    pub fn latency_count(&self) -> u64 {
        self.latency
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The labels with one more pair, `{...,name="value"}`.
    fn labels_with(&self, name: &str, value: &str) -> String {
        let pair = format!("{name}=\"{value}\"");
        match self.labels.strip_suffix('}') {
            Some(start) => format!("{start},{pair}}}"),
            None => format!("{{{pair}}}"),
        }
    }

    /// The text exposition format: for each metric a `# HELP` line, a
    /// `# TYPE` line and the sample (a histogram: its buckets, sum and
    /// count).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut write = |name: &str, help: &str, kind: &str, value: u64| {
            // Writing to a String cannot fail.
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{} {value}\n",
                self.labels
            );
        };
        for c in Counter::ALL {
            let (name, help) = c.info();
            write(name, help, "counter", self.get(c));
        }
        for g in Gauge::ALL {
            let (name, help) = g.info();
            write(name, help, "gauge", self.gauge(g));
        }
        let name = "smppd_submit_latency_seconds";
        let _ = write!(
            out,
            "# HELP {name} Time from a submit_sm to its response.\n# TYPE {name} histogram\n"
        );
        let mut cumulative = 0;
        for (i, count) in self.latency.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = LATENCY_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |top| top.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{} {cumulative}",
                self.labels_with("le", &le)
            );
        }
        let sum = self.latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = write!(
            out,
            "{name}_sum{labels} {sum}\n{name}_count{labels} {cumulative}\n",
            labels = self.labels
        );
        out
    }

    /// Renders and replaces `path` atomically and durably.
    pub fn write_textfile(&self, path: &Path) -> io::Result<()> {
        crate::daemon::spool::replace_file(path, self.render().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges() {
        let m = Metrics::new();
        m.inc(Counter::Sent);
        m.add(Counter::PartsSent, 3);
        m.set(Gauge::WindowInUse, 7);
        m.set(Gauge::WindowInUse, 5);
        assert_eq!(m.get(Counter::Sent), 1);
        assert_eq!(m.get(Counter::PartsSent), 3);
        assert_eq!(m.get(Counter::Failed), 0);
        assert_eq!(m.gauge(Gauge::WindowInUse), 5);
        let text = m.render();
        assert!(text.starts_with(
            "# HELP smppd_messages_sent_total Files accepted by the SMSC and moved to sent/.\n\
             # TYPE smppd_messages_sent_total counter\n\
             smppd_messages_sent_total 1\n"
        ));
        assert!(text.contains("smppd_parts_sent_total 3\n"));
        assert!(text.contains("# TYPE smppd_window_in_use gauge\nsmppd_window_in_use 5\n"));
        // Every metric has HELP, TYPE and one sample; the histogram its
        // buckets, +Inf, sum and count.
        assert_eq!(
            text.lines().count(),
            3 * (Counter::ALL.len() + Gauge::ALL.len()) + 2 + LATENCY_BUCKETS.len() + 3
        );
        for c in Counter::ALL {
            assert!(c.name().ends_with("_total"));
        }
    }

    #[test]
    fn latency_histogram() {
        let m = Metrics::new().with_label("instance", "a");
        m.observe_latency(Duration::from_micros(800));
        m.observe_latency(Duration::from_millis(30));
        m.observe_latency(Duration::from_secs(20));
        let text = m.render();
        assert!(text.contains("# TYPE smppd_submit_latency_seconds histogram\n"));
        assert!(
            text.contains("smppd_submit_latency_seconds_bucket{instance=\"a\",le=\"0.001\"} 1\n")
        );
        assert!(
            text.contains("smppd_submit_latency_seconds_bucket{instance=\"a\",le=\"0.025\"} 1\n")
        );
        assert!(
            text.contains("smppd_submit_latency_seconds_bucket{instance=\"a\",le=\"0.05\"} 2\n")
        );
        assert!(text.contains("smppd_submit_latency_seconds_bucket{instance=\"a\",le=\"10\"} 2\n"));
        assert!(
            text.contains("smppd_submit_latency_seconds_bucket{instance=\"a\",le=\"+Inf\"} 3\n")
        );
        assert!(text.contains("smppd_submit_latency_seconds_sum{instance=\"a\"} 20.0308\n"));
        assert!(text.contains("smppd_submit_latency_seconds_count{instance=\"a\"} 3\n"));
        assert_eq!(m.latency_count(), 3);
    }

    #[test]
    fn labels() {
        let m = Metrics::new()
            .with_label("instance", "a\"b\\c\nd")
            .with_label("bad-name", "x")
            .with_label("smsc", "s1");
        assert!(m
            .render()
            .contains("smppd_binds_total{instance=\"a\\\"b\\\\c\\nd\",smsc=\"s1\"} 0\n"));
    }

    #[test]
    fn textfile_is_replaced() {
        let dir = std::env::temp_dir().join(format!("smpp-metrics-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("smppd.prom");
        let m = Metrics::new();
        m.write_textfile(&path).unwrap();
        m.inc(Counter::Failed);
        m.write_textfile(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, m.render());
        assert!(text.contains("smppd_messages_failed_total 1\n"));
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
