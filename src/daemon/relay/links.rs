//! What each link is doing, kept from the ESME's events: the operator's
//! log lines (each bind, each loss and recovery once, a failing connect
//! once per cause), the `STATUS=` line and what `smppd --status` shows.

use crate::daemon::config::Config;
use crate::session::BindMode;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

/// Which ESME a link belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// The `[smsc]` links the daemon dials.
    Smsc,
    /// The link an SMSC's outbind opens on the `[outbind]` listener.
    Outbind,
}

/// One link's state, as shown to the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewState {
    /// The first attempt is under way.
    Connecting,
    /// Bound.
    Bound,
    /// Not bound: why the last attempt (or session) ended, and how long
    /// until the next attempt (`None` for an outbind link, which waits
    /// for the SMSC).
    Down {
        /// The cause, such as `connection refused`.
        why: String,
        /// Until the next attempt.
        retry_in: Option<Duration>,
    },
    /// An outbind listener with no SMSC connected yet.
    Listening,
}

/// One link: its name, address and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkView {
    /// `link 1/2`, or `outbind`.
    pub name: String,
    /// `HOST:PORT` dialled, or the outbind listener's address.
    pub addr: String,
    /// The bind mode.
    pub mode: BindMode,
    /// What it is doing.
    pub state: ViewState,
}

/// Formats a delay as an operator reads it: `4 s`, `250 ms`.
pub(crate) struct Delay(pub(crate) Duration);

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            write!(f, "{} ms", d.as_millis())
        } else if d < Duration::from_secs(10) && d.subsec_millis() >= 50 && d.subsec_millis() < 950
        {
            write!(f, "{:.1} s", d.as_secs_f64())
        } else {
            write!(f, "{} s", d.as_secs_f64().round())
        }
    }
}

impl fmt::Display for LinkView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            ViewState::Connecting => write!(f, "connecting to {}", self.addr),
            ViewState::Bound if self.name == "outbind" => {
                write!(f, "bound as receiver after an outbind on {}", self.addr)
            }
            ViewState::Bound => write!(f, "bound as {} to {}", self.mode, self.addr),
            ViewState::Listening => write!(f, "waiting for an outbind on {}", self.addr),
            ViewState::Down { why, retry_in } => {
                if self.name == "outbind" {
                    write!(f, "waiting for an outbind on {} (last: {why})", self.addr)
                } else {
                    write!(f, "connecting to {}: {why}", self.addr)?;
                    match retry_in {
                        Some(d) if !d.is_zero() => write!(f, ", retry in {}", Delay(*d)),
                        _ => f.write_str(", retrying now"),
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Record {
    bound: bool,
    ever_bound: bool,
    /// When the link was lost (bound before).
    lost_at: Option<Instant>,
    why: Option<String>,
    retry_at: Option<Instant>,
}

/// Every link's record.
pub(crate) struct Links {
    addr: String,
    mode: BindMode,
    smsc: Vec<Record>,
    outbind_addr: Option<String>,
    outbind: Record,
    /// The last connect failure cause logged (logged again only when it
    /// changes or a link binds in between).
    logged_failure: Option<String>,
    /// The last problem, with when it happened.
    pub(crate) last_error: Option<(SystemTime, String)>,
}

/// What a link event means for the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counted {
    pub(crate) bind: bool,
    pub(crate) reconnect: bool,
}

impl Links {
    pub(crate) fn new(config: &Config, smsc: bool) -> Links {
        let n = if smsc {
            config.smsc.sessions.max(1) as usize
        } else {
            0
        };
        Links {
            addr: format!("{}:{}", config.smsc.host, config.smsc.port),
            mode: config.smsc.bind,
            smsc: vec![Record::default(); n],
            outbind_addr: config.outbind.as_ref().map(|o| o.listen.to_string()),
            outbind: Record::default(),
            logged_failure: None,
            last_error: None,
        }
    }

    fn record(&mut self, side: Side, link: usize) -> Option<&mut Record> {
        match side {
            Side::Smsc => self.smsc.get_mut(link),
            Side::Outbind => Some(&mut self.outbind),
        }
    }

    fn link_name(&self, link: usize) -> String {
        format!("link {}/{}", link + 1, self.smsc.len())
    }

    /// A link bound: logs the bind (and the recovery, if it was lost).
    pub(crate) fn bound(&mut self, side: Side, link: usize) -> Counted {
        let now = Instant::now();
        let name = self.link_name(link);
        let (addr, mode) = (self.addr.clone(), self.mode);
        let outbind_addr = self.outbind_addr.clone().unwrap_or_default();
        let Some(rec) = self.record(side, link) else {
            return Counted::default();
        };
        let counted = Counted {
            bind: true,
            reconnect: rec.ever_bound,
        };
        let lost_for = rec.lost_at.take().map(|at| now - at);
        rec.bound = true;
        rec.ever_bound = true;
        rec.why = None;
        rec.retry_at = None;
        match (side, lost_for) {
            (Side::Outbind, _) => {
                log::info!(target: "smppd", "bound as receiver after an outbind on {outbind_addr}")
            }
            (Side::Smsc, Some(d)) => log::info!(
                target: "smppd",
                "bound as {mode} to {addr} ({name}): recovered after {} down",
                Delay(d)
            ),
            (Side::Smsc, None) => log::info!(target: "smppd", "bound as {mode} to {addr} ({name})"),
        }
        if side == Side::Smsc {
            self.logged_failure = None;
        }
        counted
    }

    /// A link lost its session, or an attempt failed; the next attempt is
    /// in `delay`. Logs a loss once, and a failing attempt once per cause.
    pub(crate) fn down(&mut self, side: Side, link: usize, why: String, delay: Duration) {
        let now = Instant::now();
        let name = self.link_name(link);
        let addr = self.addr.clone();
        let outbind_addr = self.outbind_addr.clone().unwrap_or_default();
        let logged_failure = self.logged_failure.clone();
        let Some(rec) = self.record(side, link) else {
            return;
        };
        let was_bound = std::mem::replace(&mut rec.bound, false);
        rec.why = Some(why.clone());
        rec.retry_at = (side == Side::Smsc).then(|| now + delay);
        match side {
            Side::Outbind => {
                if was_bound {
                    log::info!(
                        target: "smppd",
                        "outbind link on {outbind_addr} ended: {why}; waiting for the next outbind"
                    );
                }
            }
            Side::Smsc if was_bound => {
                rec.lost_at = Some(now);
                log::warn!(
                    target: "smppd",
                    "lost {name} to {addr}: {why}; reconnecting in {}",
                    Delay(delay)
                );
                self.logged_failure = Some(why.clone());
            }
            Side::Smsc => {
                if logged_failure.as_deref() == Some(why.as_str()) {
                    log::debug!("{name}: {addr}: {why}; retrying in {}", Delay(delay));
                } else {
                    log::warn!(
                        target: "smppd",
                        "cannot bind to {addr} ({name}): {why}; retrying in {} (logged again when the cause changes)",
                        Delay(delay)
                    );
                    self.logged_failure = Some(why.clone());
                }
            }
        }
        let what = match side {
            Side::Smsc => format!("{addr}: {why}"),
            Side::Outbind => format!("outbind on {outbind_addr}: {why}"),
        };
        if side == Side::Smsc || was_bound {
            self.last_error = Some((SystemTime::now(), what));
        }
    }

    /// Notes a problem for `--status`.
    pub(crate) fn error(&mut self, what: String) {
        self.last_error = Some((SystemTime::now(), what));
    }

    /// Links bound now (the `[smsc]` ones).
    pub(crate) fn bound_count(&self) -> usize {
        self.smsc.iter().filter(|r| r.bound).count()
    }

    /// Every link's view: the `[smsc]` links, then the outbind link.
    pub(crate) fn views(&self) -> Vec<LinkView> {
        let now = Instant::now();
        let mut v: Vec<LinkView> = self
            .smsc
            .iter()
            .enumerate()
            .map(|(i, r)| LinkView {
                name: self.link_name(i),
                addr: self.addr.clone(),
                mode: self.mode,
                state: match (&r.why, r.bound) {
                    (_, true) => ViewState::Bound,
                    (None, false) => ViewState::Connecting,
                    (Some(why), false) => ViewState::Down {
                        why: why.clone(),
                        retry_in: r.retry_at.map(|at| at.saturating_duration_since(now)),
                    },
                },
            })
            .collect();
        if let Some(addr) = &self.outbind_addr {
            v.push(LinkView {
                name: "outbind".to_owned(),
                addr: addr.clone(),
                mode: BindMode::Receiver,
                state: if self.outbind.bound {
                    ViewState::Bound
                } else {
                    ViewState::Listening
                },
            });
        }
        v
    }

    /// The one-line summary of the links: `bound 2/2 to HOST:PORT`,
    /// `connecting to HOST:PORT: connection refused, retry in 4 s`.
    pub(crate) fn summary(&self) -> String {
        let views = self.views();
        let (smsc, outbind): (Vec<_>, Vec<_>) = views.iter().partition(|v| v.name != "outbind");
        let mut parts = Vec::new();
        if !smsc.is_empty() {
            let bound = self.bound_count();
            let n = smsc.len();
            let first_down = smsc.iter().find(|v| v.state != ViewState::Bound);
            match first_down {
                None => parts.push(format!("bound {bound}/{n} to {}", self.addr)),
                Some(down) if bound == 0 => parts.push(down.to_string()),
                Some(down) => parts.push(format!(
                    "bound {bound}/{n} to {}; {}: {down}",
                    self.addr, down.name
                )),
            }
        }
        for o in outbind {
            parts.push(o.to_string());
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(sessions: u32) -> Config {
        let mut c = Config::parse(
            "[smsc]\nhost = \"10.0.0.1\"\nport = 2775\nsystem_id = \"s\"\npassword = \"p\"\n",
        )
        .unwrap();
        c.smsc.sessions = sessions;
        c
    }

    #[test]
    fn summary_follows_the_links() {
        let mut l = Links::new(&config(2), true);
        assert_eq!(l.summary(), "connecting to 10.0.0.1:2775");
        l.down(
            Side::Smsc,
            0,
            "connection refused".into(),
            Duration::from_secs(4),
        );
        let s = l.summary();
        assert!(
            s.starts_with("connecting to 10.0.0.1:2775: connection refused, retry in "),
            "{s}"
        );
        assert_eq!(
            l.bound(Side::Smsc, 0),
            Counted {
                bind: true,
                reconnect: false
            }
        );
        assert_eq!(l.bound_count(), 1);
        assert!(l
            .summary()
            .starts_with("bound 1/2 to 10.0.0.1:2775; link 2/2: connecting"));
        l.bound(Side::Smsc, 1);
        assert_eq!(l.summary(), "bound 2/2 to 10.0.0.1:2775");
        l.down(
            Side::Smsc,
            1,
            "connection closed".into(),
            Duration::from_millis(500),
        );
        assert!(l
            .last_error
            .as_ref()
            .unwrap()
            .1
            .contains("connection closed"));
        // Bound again after a loss: a reconnect.
        assert_eq!(
            l.bound(Side::Smsc, 1),
            Counted {
                bind: true,
                reconnect: true
            }
        );
    }

    #[test]
    fn delays_read_well() {
        assert_eq!(Delay(Duration::from_millis(250)).to_string(), "250 ms");
        assert_eq!(Delay(Duration::from_millis(4000)).to_string(), "4 s");
        assert_eq!(Delay(Duration::from_millis(1500)).to_string(), "1.5 s");
        assert_eq!(Delay(Duration::from_secs(30)).to_string(), "30 s");
    }
}
