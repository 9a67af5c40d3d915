//! Session settings: window, timers, throttling and limits.

use crate::pdu::{COctet, DEFAULT_MAX_PDU_LEN};
use std::time::Duration;

/// How a session behaves. `SessionConfig::default()` gives settings that
/// suit most SMSCs; change the fields you need.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Most requests this side may have waiting for a response (default 64).
    pub window: usize,
    /// Largest PDU accepted from the peer (default 64 KiB).
    pub max_pdu_len: usize,
    /// Send `enquire_link` once the link has been idle this long (default
    /// 30 s; `None`: never).
    pub enquire_link_interval: Option<Duration>,
    /// Declare the link dead after this many unanswered `enquire_link`s in a
    /// row (default 3).
    pub enquire_link_max_missed: u32,
    /// How long a request waits for its response (default 30 s).
    pub response_timeout: Duration,
    /// Close the session after hearing nothing from the peer this long
    /// (default `None`; SMSCs often set a few minutes).
    pub inactivity_timeout: Option<Duration>,
    /// How long the ESME waits for a bind response, and how long the SMSC
    /// waits for a bind after the connection opens (default 10 s).
    pub bind_timeout: Duration,
    /// How long to wait for `unbind_resp` (default 5 s).
    pub unbind_timeout: Duration,
    /// How long a local unbind waits for outstanding responses before it
    /// sends `unbind` anyway (default 10 s).
    pub drain_timeout: Duration,
    /// Outgoing message rate limit (default `None`: unlimited).
    pub throughput: Option<Throughput>,
    /// After ESME_RTHROTTLED, pause all sending for this long, doubling on
    /// each further throttle up to `throttle_backoff_max` (default 250 ms).
    pub throttle_backoff_min: Duration,
    /// Longest throttling pause (default 8 s).
    pub throttle_backoff_max: Duration,
    /// As SMSC: inbound message requests per second per session above which
    /// the session answers ESME_RTHROTTLED (default `None`: unlimited).
    pub inbound_rate: Option<Throughput>,
    /// Inbound requests waiting for the application's answer above which
    /// the session answers ESME_RMSGQFUL (default 1024).
    pub max_inbound_pending: usize,
    /// Close after this many undecodable PDUs in a row (default 5).
    pub max_bad_pdus: u32,
    /// As SMSC: the `system_id` in bind responses and outbinds (default
    /// "smppd").
    pub system_id: COctet<16>,
    /// The interface version announced in binds (default 0x34).
    pub interface_version: u8,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            window: 64,
            max_pdu_len: DEFAULT_MAX_PDU_LEN,
            enquire_link_interval: Some(Duration::from_secs(30)),
            enquire_link_max_missed: 3,
            response_timeout: Duration::from_secs(30),
            inactivity_timeout: None,
            bind_timeout: Duration::from_secs(10),
            unbind_timeout: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(10),
            throughput: None,
            throttle_backoff_min: Duration::from_millis(250),
            throttle_backoff_max: Duration::from_secs(8),
            inbound_rate: None,
            max_inbound_pending: 1024,
            max_bad_pdus: 5,
            system_id: COctet::new(b"smppd").unwrap_or_default(),
            interface_version: crate::pdu::SMPP_VERSION_34,
        }
    }
}

/// A token-bucket rate: `per_second` tokens a second, at most `burst` saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throughput {
    /// Sustained rate, messages per second (at least 1).
    pub per_second: u32,
    /// Largest burst (at least 1).
    pub burst: u32,
}

impl Throughput {
    /// `per_second` a second with a burst of the same size.
    pub fn per_second(per_second: u32) -> Throughput {
        Throughput {
            per_second,
            burst: per_second.max(1),
        }
    }
}
