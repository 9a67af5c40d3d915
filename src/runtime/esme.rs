//! The blocking ESME handle and its worker-side links.
//!
//! ```no_run
//! use smpp::pdu::{Address, ShortMessage, SubmitSm};
//! use smpp::runtime::{Esme, EsmeConfig, Runtime};
//!
//! let rt = Runtime::new()?;
//! let esme = Esme::connect(&rt, EsmeConfig::new("127.0.0.1:2775", "smppclient1", "password"))?;
//! let resp = esme.submit(SubmitSm {
//!     dest: Address::new(1, 1, "447700900123").unwrap(),
//!     short_message: ShortMessage::new(b"hello").unwrap(),
//!     ..SubmitSm::default()
//! })?;
//! println!("message id {:?}", resp);
//! esme.unbind();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::channel::{EsmeCmd, EsmeEvent, EsmeShared, WorkerMsg};
use super::completion_handler::CompletionHandler;
use super::completions::Completions;
use super::esme_types::*;
use super::ids::{listen, resolve};
use super::requests::{Inbox, Reply, Submission, Waiter, ANSWER};
use super::sync::{Semaphore, Watch};
use super::threads::Runtime;
use crate::pdu::{
    Body, CancelSm, DataSm, MessageIdResp, Pdu, QuerySm, QuerySmResp, ReplaceSm, SubmitMulti,
    SubmitMultiResp, SubmitSm,
};
use crate::session::{BindMode, Throughput};
use crossbeam_channel::{bounded, Receiver};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Link {
    worker: usize,
    key: u64,
    shared: Arc<EsmeShared>,
}

/// An ESME: one or more bound links to an SMSC, usable from many threads.
pub struct Esme {
    rt: Runtime,
    links: Vec<Link>,
    next: AtomicUsize,
    /// Numbers the tickets of every link (their handlers' submits too).
    tickets: Arc<AtomicU64>,
    completions: Arc<Completions>,
    events: Receiver<EsmeEvent>,
    response_wait: Duration,
}

impl fmt::Debug for Esme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Esme")
            .field("links", &self.links.len())
            .finish()
    }
}

impl Esme {
    /// Connects and binds every link, waiting until all are bound.
    pub fn connect(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        resolve(&config.addr)?;
        Self::start(rt, config, None)
    }

    /// Listens on `config.addr` for an SMSC's outbind (checked against
    /// `outbind_password` and, if set, `outbind_system_id`), then binds as a receiver
    /// on that connection. Returns once bound. An outbind with the wrong
    /// credentials is hung up on; with `config.reconnect` set, the listener
    /// stays open for the next outbind, then and after the session ends.
    pub fn listen_outbind(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        let listener = listen(resolve(&config.addr)?)?;
        Self::start(rt, config, Some(listener))
    }

    /// Starts connecting and binding every link and returns at once: the
    /// links bind in the background, reconnecting with `config.reconnect`
    /// (the first attempt's failures included) until [`Esme::unbind`].
    /// Submits made before a link is bound wait for it in the link's
    /// queue. [`Esme::link_states`] says how each link is doing. Fails
    /// only when the TLS settings cannot be loaded.
    pub fn open(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        Self::spawn(rt, config, None)
    }

    /// As [`Esme::listen_outbind`], but returns as soon as the listener is
    /// open: the bind happens when the SMSC's outbind comes, as often as
    /// it comes (with `config.reconnect` set the listener stays open).
    pub fn open_outbind(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        let listener = listen(resolve(&config.addr)?)?;
        Self::spawn(rt, config, Some(listener))
    }

    /// As [`Esme::listen_outbind`], on a listener the caller bound (to
    /// learn the port of `127.0.0.1:0` before the SMSC needs it, say).
    /// `config.addr` is not used.
    pub fn listen_outbind_on(
        rt: &Runtime,
        listener: std::net::TcpListener,
        config: EsmeConfig,
    ) -> Result<Esme, EsmeError> {
        Self::start(rt, config, Some(listener))
    }

    fn start(
        rt: &Runtime,
        config: EsmeConfig,
        listener: Option<std::net::TcpListener>,
    ) -> Result<Esme, EsmeError> {
        let connect_timeout = config.connect_timeout;
        let esme = Self::spawn(rt, config, listener)?;
        let deadline = Instant::now() + connect_timeout;
        for link in &esme.links {
            let status = link.shared.status.wait_until(deadline, |s| {
                matches!(
                    s,
                    LinkStatus::Bound | LinkStatus::Refused(_) | LinkStatus::Closed
                )
            });
            match status {
                LinkStatus::Bound => {}
                LinkStatus::Refused(s) => {
                    esme.close_links();
                    return Err(EsmeError::BindRefused(s));
                }
                LinkStatus::Down(why) => {
                    esme.close_links();
                    return Err(EsmeError::Timeout(why));
                }
                other => {
                    esme.close_links();
                    let last = super::sync::lock(&link.shared.last_error).take();
                    return Err(EsmeError::Timeout(last.unwrap_or(format!("{other:?}"))));
                }
            }
        }
        Ok(esme)
    }

    /// Sends every link to its worker; binds happen in the background.
    fn spawn(
        rt: &Runtime,
        mut config: EsmeConfig,
        mut listener: Option<std::net::TcpListener>,
    ) -> Result<Esme, EsmeError> {
        let outbind = listener.is_some();
        if outbind {
            config.sessions = 1;
            config.mode = BindMode::Receiver;
        }
        let sessions = config.sessions.max(1);
        let tls_client = if outbind {
            None
        } else {
            super::tls::esme_client(&config)?
        };
        let tls_server = super::tls::esme_server(&config);
        let (events_tx, events) = bounded(config.event_capacity.max(1));
        // Room for every link's window at least: a reader that keeps up
        // never leaves a completion waiting on the worker.
        let room = config.session.window.max(1).saturating_mul(sessions);
        let completions = Arc::new(Completions::new(room.max(config.event_capacity).max(1)));
        let response_wait = config.session.response_timeout + Duration::from_secs(5);
        let tickets = Arc::new(AtomicU64::new(0));
        let mut links = Vec::new();
        for link in 0..sessions {
            let shared = Arc::new(EsmeShared {
                link,
                inbox: Inbox::default(),
                permits: Semaphore::new(config.session.window.max(1)),
                throttled: AtomicU64::new(0),
                status: Watch::new(LinkStatus::Connecting),
                events: events_tx.clone(),
                completions: completions.clone(),
                tickets: tickets.clone(),
                config: config.clone(),
                tls_client: tls_client.clone(),
                tls_server: tls_server.clone(),
                last_error: std::sync::Mutex::new(None),
            });
            let worker = rt.threads.pick_worker();
            let key = rt.threads.next_id();
            // Outbind links are one: the listener goes to it.
            let listen = listener.take();
            let cmd = EsmeCmd::Open {
                key,
                shared: shared.clone(),
                listen,
            };
            let _ = rt.threads.worker(worker).send(WorkerMsg::Esme(cmd));
            links.push(Link {
                worker,
                key,
                shared,
            });
        }
        Ok(Esme {
            rt: rt.clone(),
            links,
            next: AtomicUsize::new(0),
            tickets,
            completions,
            events,
            response_wait,
        })
    }

    fn close_links(&self) {
        for link in &self.links {
            let cmd = EsmeCmd::Unbind { key: link.key };
            let _ = self
                .rt
                .threads
                .worker(link.worker)
                .send(WorkerMsg::Esme(cmd));
        }
    }

    /// Takes a window permit on some link.
    fn permit(&self, mode: SubmitMode) -> Result<&Link, SubmitError> {
        let n = self.links.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            let link = &self.links[(start + i) % n];
            if link.shared.permits.try_acquire() {
                return Ok(link);
            }
        }
        match mode {
            SubmitMode::FailFast => Err(SubmitError::WindowFull),
            SubmitMode::Wait(d) => {
                let link = &self.links[start % n];
                if link.shared.permits.acquire_until(Instant::now() + d) {
                    Ok(link)
                } else {
                    Err(SubmitError::WindowFull)
                }
            }
        }
    }

    /// Puts a request in its link's inbox; the first of a batch tells the
    /// worker, which takes the whole batch at once.
    fn dispatch(&self, link: &Link, reply: Reply, body: Body) {
        let announce = link.shared.inbox.put(Submission {
            body,
            reply,
            sent: false,
        });
        if !announce {
            return;
        }
        let cmd = EsmeCmd::Submitted {
            key: link.key,
            shared: link.shared.clone(),
        };
        if self
            .rt
            .threads
            .worker(link.worker)
            .send(WorkerMsg::Esme(cmd))
            .is_err()
        {
            // The runtime is gone: nobody is left to read a completion it
            // could not take.
            for sub in link.shared.inbox.take_all() {
                link.shared.permits.release();
                let _ = sub
                    .reply
                    .send(&link.shared.completions, Err(SubmitError::NotBound));
            }
        }
    }

    /// Submits and waits for the response (a submit_sm_resp with status 0;
    /// any other status is [`SubmitError::Status`]).
    pub fn submit(&self, submit: SubmitSm) -> Result<Pdu, SubmitError> {
        self.request(Body::SubmitSm(submit), SubmitMode::Wait(self.response_wait))
    }

    /// Sends any request this side may send (submit_sm, submit_multi,
    /// data_sm, query_sm, cancel_sm, replace_sm) and waits for its response.
    pub fn request(&self, body: Body, mode: SubmitMode) -> Result<Pdu, SubmitError> {
        let link = self.permit(mode)?;
        let slot = ANSWER.with(Arc::clone);
        self.dispatch(link, Reply::Wait(Waiter(Some(slot.clone()))), body);
        slot.take()
    }

    /// Sends a data_sm and waits for its data_sm_resp: the message id.
    pub fn data_sm(&self, data: DataSm) -> Result<MessageIdResp, SubmitError> {
        match self.typed(Body::DataSm(data))? {
            Body::DataSmResp(r) => Ok(r),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Sends a submit_multi and waits for its response: the message id
    /// and the destinations the SMSC refused.
    pub fn submit_multi(&self, multi: SubmitMulti) -> Result<SubmitMultiResp, SubmitError> {
        match self.typed(Body::SubmitMulti(multi))? {
            Body::SubmitMultiResp(r) => Ok(r),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Asks for a message's state (query_sm). An unknown message is
    /// [`SubmitError::Status`] with ESME_RQUERYFAIL.
    pub fn query_sm(&self, query: QuerySm) -> Result<QuerySmResp, SubmitError> {
        match self.typed(Body::QuerySm(query))? {
            Body::QuerySmResp(r) => Ok(r),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Cancels a pending message (cancel_sm). A message that is unknown or
    /// already final is [`SubmitError::Status`] with ESME_RCANCELFAIL.
    pub fn cancel_sm(&self, cancel: CancelSm) -> Result<(), SubmitError> {
        match self.typed(Body::CancelSm(cancel))? {
            Body::CancelSmResp => Ok(()),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Replaces a pending message (replace_sm). A message that is unknown
    /// or already final is [`SubmitError::Status`] with ESME_RREPLACEFAIL.
    pub fn replace_sm(&self, replace: ReplaceSm) -> Result<(), SubmitError> {
        match self.typed(Body::ReplaceSm(replace))? {
            Body::ReplaceSmResp => Ok(()),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    fn typed(&self, body: Body) -> Result<Body, SubmitError> {
        self.request(body, SubmitMode::Wait(self.response_wait))
            .map(|pdu| pdu.body)
    }

    /// Sends a request without waiting: the outcome arrives on
    /// [`Esme::completions`] with the returned ticket. With
    /// [`SubmitMode::Wait`] this blocks only while the window is full, so
    /// one thread can keep every window slot busy.
    ///
    /// Backpressure: a request holds a window slot of its link until its
    /// completion is in the [`Completions`] queue. That queue is bounded
    /// ([`EsmeConfig::event_capacity`], at least every link's window);
    /// when the application leaves it full, further completions wait on
    /// the worker, in order,
    /// each still holding its slot, so the window empties: with
    /// [`SubmitMode::Wait`] this call then blocks (up to the wait) and
    /// fails with [`SubmitError::WindowFull`], with
    /// [`SubmitMode::FailFast`] it fails at once. Nothing is dropped, and
    /// no runtime thread blocks on the application.
    ///
    /// The window is one setting per link ([`Esme::tune`] changes it). The
    /// handle holds it as the capacity of the link's slots, which a
    /// calling thread takes (and waits for) without asking the worker; the
    /// link's session holds the same requests again once they are on the
    /// wire, to match their responses, and never refuses one for want of
    /// room, since a request goes to it only with a slot.
    pub fn submit_async(&self, body: Body, mode: SubmitMode) -> Result<Ticket, SubmitError> {
        let link = self.permit(mode)?;
        let ticket = Ticket(self.tickets.fetch_add(1, Ordering::Relaxed));
        self.dispatch(link, Reply::ticket(ticket, &body), body);
        Ok(ticket)
    }

    /// Outcomes of [`Esme::submit_async`], in a bounded queue: read it,
    /// or submits stop for want of window slots (see
    /// [`Esme::submit_async`]). Each worker hands over a batch of
    /// outcomes at once; [`Completions::take_all`] takes them the same way.
    pub fn completions(&self) -> &Completions {
        &self.completions
    }

    /// Hands the outcomes of each link's [`Esme::submit_async`] calls to a
    /// handler that `make` builds for it (given the link's number), run on
    /// the worker that runs the link, instead of to
    /// [`Esme::completions`]. The handler may submit again on its link
    /// ([`LinkSubmitter`](super::LinkSubmitter)): a window kept full with no application thread
    /// between a response and the next request.
    ///
    /// A link's handler takes every outcome its worker hands out from the
    /// moment it has the handler: those of the submits made after this
    /// call, and those still waiting for room in the queue; outcomes
    /// already in the queue stay there. Blocking calls still answer their
    /// callers. Calling it again replaces the handlers.
    ///
    /// A handler sees each slot come back before any other thread, but,
    /// like every submit that does not wait, it leaves one to each thread
    /// waiting for a slot on its link ([`SubmitMode::Wait`]): a handler
    /// that submits again for every outcome does not starve blocking
    /// calls. It must not block: a handler that waits (on a full bounded channel,
    /// say) stops its worker and every session on it.
    pub fn set_completion_handler<H: CompletionHandler>(&self, mut make: impl FnMut(usize) -> H) {
        for link in &self.links {
            let cmd = EsmeCmd::Handler {
                key: link.key,
                handler: Box::new(make(link.shared.link)),
            };
            let _ = self
                .rt
                .threads
                .worker(link.worker)
                .send(WorkerMsg::Esme(cmd));
        }
    }

    /// Deliveries, receipts and link changes.
    pub fn events(&self) -> &Receiver<EsmeEvent> {
        &self.events
    }

    /// Every link is bound now.
    pub fn is_bound(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.shared.status.get() == LinkStatus::Bound)
    }

    /// Requests in flight or queued on all links.
    pub fn in_flight(&self) -> usize {
        self.links.iter().map(|l| l.shared.permits.in_use()).sum()
    }

    /// Unbinds every link gracefully (outstanding requests get their
    /// responses first, within the drain timeout) and waits until they are
    /// closed.
    pub fn unbind(&self) {
        self.close_links();
        let c = &self.links[0].shared.config.session;
        let deadline = Instant::now() + c.drain_timeout + c.unbind_timeout + Duration::from_secs(1);
        for link in &self.links {
            link.shared.status.wait_until(deadline, |s| {
                matches!(s, LinkStatus::Closed | LinkStatus::Refused(_))
            });
        }
    }
}

impl Esme {
    /// How each link is doing now, in link order.
    pub fn link_states(&self) -> Vec<LinkState> {
        self.links
            .iter()
            .map(|l| match l.shared.status.get() {
                LinkStatus::Connecting => LinkState::Connecting,
                LinkStatus::Bound => LinkState::Bound,
                LinkStatus::Down(why) => LinkState::Down(why),
                LinkStatus::Refused(s) => LinkState::Refused(s),
                LinkStatus::Closed => LinkState::Closed,
            })
            .collect()
    }

    /// Changes the window (per link) and the throughput limit (per link;
    /// `None`: unlimited) of the running links and of those they reconnect
    /// with. A smaller window takes effect as the requests out complete.
    pub fn tune(&self, window: usize, throughput: Option<Throughput>) {
        let window = window.max(1);
        for link in &self.links {
            link.shared.permits.resize(window);
            let cmd = EsmeCmd::Tune {
                key: link.key,
                window,
                throughput,
            };
            let _ = self
                .rt
                .threads
                .worker(link.worker)
                .send(WorkerMsg::Esme(cmd));
        }
    }

    /// How many requests the SMSC answered ESME_RTHROTTLED (the links
    /// pause and send them again), over all links.
    pub fn throttled(&self) -> u64 {
        self.links
            .iter()
            .map(|l| l.shared.throttled.load(Ordering::Relaxed))
            .sum()
    }

    /// The address the links dial (or, for an outbind link, listen on).
    pub fn addr(&self) -> &str {
        &self.links[0].shared.config.addr
    }

    /// As [`Esme::unbind`], but gives up at `deadline`: links still open
    /// then are closed without waiting for the SMSC (their requests fail
    /// with [`SubmitError::LinkLost`]). `true` if every link unbound in
    /// time.
    pub fn unbind_until(&self, deadline: Instant) -> bool {
        self.close_links();
        let closed = |s: &LinkStatus| matches!(s, LinkStatus::Closed | LinkStatus::Refused(_));
        let mut forgotten = Vec::new();
        for link in &self.links {
            if !closed(&link.shared.status.wait_until(deadline, closed)) {
                let cmd = EsmeCmd::Forget { key: link.key };
                let _ = self
                    .rt
                    .threads
                    .worker(link.worker)
                    .send(WorkerMsg::Esme(cmd));
                forgotten.push(link);
            }
        }
        // The worker closes a forgotten link at once; waiting for that
        // keeps the drop of this handle from waiting again.
        let moment = Instant::now() + Duration::from_millis(200);
        for link in &forgotten {
            link.shared.status.wait_until(moment, closed);
        }
        forgotten.is_empty()
    }
}

impl Drop for Esme {
    fn drop(&mut self) {
        if self
            .links
            .iter()
            .any(|l| l.shared.status.get() != LinkStatus::Closed)
        {
            self.unbind();
        }
        for link in &self.links {
            let cmd = EsmeCmd::Forget { key: link.key };
            let _ = self
                .rt
                .threads
                .worker(link.worker)
                .send(WorkerMsg::Esme(cmd));
        }
    }
}
