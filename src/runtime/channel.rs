//! What crosses between threads: the messages a worker takes (from the
//! reactor, from handles, from other workers) and the state a handle
//! shares with the worker-side of its links and sessions.

use super::completion_handler::CompletionHandler;
use super::completions::Completions;
use super::esme_types::{EsmeConfig, LinkStatus, Ticket};
use super::ids::{ConnId, ListenerId, Origin};
use super::requests::Inbox;
use super::smsc_types::{SessionInfo, SmscConfig, SmscHandler, SmscStats};
use super::socket::SharedSocket;
use super::sync::{Semaphore, Watch};
use super::tls::{ClientSetup, ServerSetup};
use crate::pdu::{Body, COctet, CommandStatus, Pdu};
use crate::receipt::Receipt;
use crate::session::{CloseReason, InboundId, Throughput};
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Messages to a worker.
pub(crate) enum WorkerMsg {
    /// A connection opened (accepted or dialed).
    Connected {
        conn: ConnId,
        peer: SocketAddr,
        origin: Origin,
        /// A plain TCP connection's socket, for the worker to write to
        /// itself; none for TLS.
        socket: Option<Arc<SharedSocket>>,
    },
    /// A dial failed.
    ConnectFailed {
        origin: Origin,
        error: std::io::Error,
    },
    /// Bytes arrived.
    Data {
        conn: ConnId,
        bytes: Vec<u8>,
        /// The connection's count of bytes not yet processed: subtract
        /// these once handled.
        unprocessed: Arc<AtomicUsize>,
    },
    /// The connection closed (EOF or error).
    Closed { conn: ConnId },
    /// A command from an ESME handle.
    Esme(EsmeCmd),
    /// A command from an SMSC handle.
    Smsc(SmscCmd),
    /// Stop.
    Shutdown,
}

/// A deliver_sm or data_sm from the SMSC, waiting for the application's
/// answer. Answer with [`Delivery::ack`] once it is safe (for example, once
/// it is on disk); dropping it unanswered leaves the SMSC to time out and
/// retry.
pub struct Delivery {
    /// The request.
    pub pdu: Pdu,
    /// The parsed receipt, if this is a delivery receipt (text parsed,
    /// `receipted_message_id` and `message_state` TLVs preferred).
    pub receipt: Option<Receipt>,
    /// The ticket of the submit_sm this receipt refers to, when this
    /// handle sent it with [`Esme::submit_async`](super::Esme::submit_async),
    /// asking for a receipt (`registered_delivery` not 0), and still
    /// remembers it (the last 100,000 message ids of each link).
    pub ticket: Option<Ticket>,
    pub(crate) answer: Option<(Sender<WorkerMsg>, u64, ConnId, InboundId)>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("pdu", &self.pdu)
            .field("receipt", &self.receipt.is_some())
            .field("ticket", &self.ticket)
            .finish()
    }
}

impl Delivery {
    /// Answers ESME_ROK.
    pub fn ack(mut self) {
        self.answer(CommandStatus::Ok);
    }

    /// Answers with an error status (ESME_RX_T_APPN: retry later;
    /// ESME_RX_R_APPN: rejected).
    pub fn nack(mut self, status: CommandStatus) {
        self.answer(status);
    }

    pub(crate) fn answer(&mut self, status: CommandStatus) {
        if let Some((tx, key, conn, inbound)) = self.answer.take() {
            let _ = tx.send(WorkerMsg::Esme(EsmeCmd::Answer {
                key,
                conn,
                inbound,
                status,
            }));
        }
    }
}

/// What an ESME tells the application.
#[derive(Debug)]
pub enum EsmeEvent {
    /// A link bound.
    Bound {
        /// Which link (0-based).
        link: usize,
    },
    /// A link lost its session; it reconnects after `delay` unless
    /// reconnecting is off. (A link made by [`Esme::listen_outbind`](super::Esme::listen_outbind) waits
    /// for the SMSC's next outbind instead; `delay` is zero.)
    Reconnecting {
        /// Which link.
        link: usize,
        /// Why the session ended.
        reason: CloseReason,
        /// When the next attempt starts.
        delay: Duration,
    },
    /// A link is closed for good.
    Closed {
        /// Which link.
        link: usize,
        /// Why.
        reason: CloseReason,
    },
    /// A mobile-originated message or a delivery receipt.
    Delivery(Delivery),
    /// An alert_notification.
    Alert(crate::pdu::AlertNotification),
}

pub(crate) struct EsmeShared {
    pub(crate) link: usize,
    /// Requests on their way to the worker.
    pub(crate) inbox: Inbox,
    /// The window's slots, as the application's threads take them: its
    /// capacity is the window in force ([`Esme::tune`](super::Esme::tune)
    /// may change it). The session's window holds the same requests once
    /// on the wire; see [`Esme::submit_async`](super::Esme::submit_async).
    pub(crate) permits: Semaphore,
    /// Requests the SMSC answered ESME_RTHROTTLED (sent again after the
    /// pause).
    pub(crate) throttled: AtomicU64,
    pub(crate) status: Watch<LinkStatus>,
    pub(crate) events: Sender<EsmeEvent>,
    /// Where [`Esme::submit_async`](super::Esme::submit_async)'s outcomes go
    /// (unless the link has a completion handler).
    pub(crate) completions: Arc<Completions>,
    /// The handle's ticket numbers, shared by its links.
    pub(crate) tickets: Arc<AtomicU64>,
    pub(crate) config: EsmeConfig,
    /// TLS for the dials, or for the outbind listener.
    pub(crate) tls_client: Option<ClientSetup>,
    pub(crate) tls_server: Option<ServerSetup>,
    /// Why the last connect failed: what [`Esme::connect`](super::Esme::connect) reports when
    /// the link closes for good before it bound.
    pub(crate) last_error: std::sync::Mutex<Option<String>>,
}

/// Commands from handles to the worker that owns the link.
pub(crate) enum EsmeCmd {
    Open {
        key: u64,
        shared: Arc<EsmeShared>,
        listen: Option<std::net::TcpListener>,
    },
    /// The link's inbox has requests (see [`Inbox`]).
    Submitted {
        key: u64,
        shared: Arc<EsmeShared>,
    },
    Answer {
        key: u64,
        conn: ConnId,
        inbound: InboundId,
        status: CommandStatus,
    },
    Unbind {
        key: u64,
    },
    /// New window and throughput for the link's session and the next ones.
    Tune {
        key: u64,
        window: usize,
        throughput: Option<Throughput>,
    },
    /// From now on the link's outcomes go to this handler.
    Handler {
        key: u64,
        handler: Box<dyn CompletionHandler>,
    },
    /// The handle is gone: drop the link's state (aborting a session that
    /// is somehow still open).
    Forget {
        key: u64,
    },
}

pub(crate) struct SmscShared {
    pub(crate) handler: Box<dyn SmscHandler>,
    pub(crate) config: SmscConfig,
    pub(crate) stats: SmscStats,
    pub(crate) sessions: Mutex<HashMap<u64, (usize, SessionInfo)>>,
    pub(crate) live: AtomicUsize,
    /// Every worker's channel, to hand a delivery to the worker that owns
    /// its session.
    pub(crate) workers: Vec<Sender<WorkerMsg>>,
}

/// Commands from the SMSC handle to workers.
pub(crate) enum SmscCmd {
    Register {
        id: ListenerId,
        shared: Arc<SmscShared>,
    },
    Deliver {
        conn: ConnId,
        body: Box<Body>,
        shared: Arc<SmscShared>,
    },
    Outbind {
        addr: SocketAddr,
        /// Unique among the runtime's dials.
        dial: u64,
        outbind: OutbindDial,
        tls: Option<ClientSetup>,
    },
    UnbindAll {
        shared: Arc<SmscShared>,
    },
    Forget {
        id: ListenerId,
    },
}

/// An outbind on its way: whose, and the credentials it carries.
pub(crate) struct OutbindDial {
    pub(crate) shared: Arc<SmscShared>,
    /// `None`: the SMSC's own `system_id`.
    pub(crate) system_id: Option<COctet<16>>,
    pub(crate) password: COctet<9>,
}
