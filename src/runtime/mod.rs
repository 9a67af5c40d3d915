//! The runtime: one I/O thread, N worker threads, and the blocking
//! [`Esme`] and [`Smsc`] handles that programs use.
//!
//! ```text
//!  application threads          I/O thread                worker threads (N)
//!  (blocking API calls)  <->  mio::Poll reactor   <->   sessions (sans-IO state machines)
//!    Esme / Smsc handles       sockets, accept,          + one timer wheel per worker
//!    crossbeam channels        read/write buffers        enquire_link, response, bind,
//!                              (no protocol logic)       unbind timers, throttling
//! ```
//!
//! - The reactor reads every byte that has arrived on a connection and hands
//!   the batch to the worker that owns the connection, in one bounded
//!   channel message; it writes what the workers send back. It never blocks:
//!   a full channel stops reading that socket.
//! - A session lives on one worker for its whole life, so no lock guards it.
//!   There is one worker per CPU the reactor leaves free, by default
//!   ([`RuntimeConfig::workers`]).
//!   The worker feeds it bytes and time, answers the whole batch into one
//!   buffer and writes it to the socket itself (plain TCP, while the
//!   reactor holds none of that connection's output); the reactor writes
//!   the rest, and TLS, woken at most once per batch. Responses are matched on
//!   the worker, never behind application work.
//! - Application threads talk to workers over channels: an [`Esme`] submit
//!   takes a window permit (waiting for one, or failing fast), goes into
//!   its link's inbox (the first of a batch tells the worker, which takes
//!   the whole batch), and its outcome comes back in the caller's reply
//!   slot ([`Esme::request`]) or on [`Esme::completions`].
//!
//! The thread count does not grow with the number of sessions.
//!
//! # Channels and backpressure
//!
//! Every channel and queue is bounded; none of the runtime's threads waits
//! on the application.
//!
//! | channel | room | when it is full |
//! |---|---|---|
//! | reactor → worker (bytes, connection news) | [`RuntimeConfig::channel_capacity`] | the reactor holds the message and stops reading that connection |
//! | handles and workers → reactor (writes, closes, dials) | 4096 commands | the sender wakes the reactor and waits for room (the reactor waits on no one) |
//! | worker → [`Esme::events`] | [`EsmeConfig::event_capacity`] | a delivery is answered ESME_RX_T_APPN (the SMSC retries later) |
//! | worker → [`Esme::completions`] (a [`Completions`] queue: a batch at a time, one lock and at most one wake-up) | the event capacity, at least every link's window | the completion waits on the worker holding its window slot, so submits wait or fail with [`SubmitError::WindowFull`] |
//!
//! A request waiting for a window slot blocks only its caller
//! ([`SubmitMode::Wait`]) or fails at once ([`SubmitMode::FailFast`]).
//!
//! # Layers
//!
//! The code reads one way: application handle → channel → worker →
//! session → reactor. Each module uses only those below it:
//!
//! | module | holds | uses |
//! |---|---|---|
//! | `esme`, `smsc` | the handles [`Esme`] and [`Smsc`] | `threads`, `channel`, and the leaves |
//! | `threads` | [`Runtime`]: starts the reactor and the workers | `worker`, `reactor`, `channel` |
//! | `worker` | a worker's loop: routes messages, timers and session events to a role | `esme_links`, `smsc_sessions`, `sessions`, `reactor`, `channel` |
//! | `esme_links`, `smsc_sessions` | the role logic (ESME links; the SMSC handler's side), given the worker only as `Sessions` | `sessions`, `reactor`, `channel`, the leaves |
//! | `sessions` | `Sessions`: a worker's sessions (the sans-IO [`crate::session::Session`]), timer wheel, dials, listeners and its way to the reactor | `reactor`, `channel`, the leaves |
//! | `reactor` | the I/O thread | `channel`, `ids`, `tls` |
//! | `channel` | what crosses threads: worker messages, the state a handle shares with its links and sessions, [`Delivery`] | the leaves |
//! | `requests` | a request's way to the worker (the link's inbox) and its answer's way back | `completions`, the leaves |
//! | `completions` | [`Completions`], the queue of async outcomes | `esme_types`, `sync` |
//! | `completion_handler` | [`CompletionHandler`]: outcomes taken on the worker, and [`LinkSubmitter`], its way to submit again | `requests`, `esme_types`, `sync` |
//! | leaves: `esme_types`, `smsc_types`, `ids`, `tls`, `socket`, `sync`, `idmap` | settings, errors, outcomes, the handler trait; connection ids; TLS set-up; the socket a worker writes to; locks | nothing above |
//!
//! # Sending messages: an ESME
//!
//! Start a [`Runtime`] once, connect an [`Esme`] (it returns once bound),
//! then submit from any thread. [`Esme::submit`] waits for the response;
//! [`Esme::submit_async`] returns a [`Ticket`] at once and the response
//! arrives on [`Esme::completions`]. Deliveries (MO messages and receipts)
//! and link changes arrive on [`Esme::events`]; a receipt names the ticket
//! of the submit it reports on. Acknowledge each [`Delivery`] once it is
//! safe to.
//!
//! ```no_run
//! use smpp::pdu::{Address, Body, ShortMessage, SubmitSm};
//! use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime, SubmitMode};
//! use std::time::Duration;
//!
//! let rt = Runtime::new()?;
//! let esme = Esme::connect(&rt, EsmeConfig::new("127.0.0.1:2775", "smppclient1", "password"))?;
//! let submit = SubmitSm {
//!     dest: Address::new(1, 1, "447700900123")?,
//!     short_message: ShortMessage::new(b"hello")?,
//!     registered_delivery: 1,
//!     ..SubmitSm::default()
//! };
//! let ticket = esme.submit_async(Body::SubmitSm(submit), SubmitMode::Wait(Duration::from_secs(5)))?;
//! let response = esme.completions().recv()?.outcome?;
//! println!("accepted: {:?}", response.body);
//! while let Ok(event) = esme.events().recv_timeout(Duration::from_secs(30)) {
//!     if let EsmeEvent::Delivery(d) = event {
//!         let mine = d.ticket == Some(ticket);
//!         if let (true, Some(receipt)) = (mine, &d.receipt) {
//!             println!("message {} is {:?}", receipt.id, receipt.stat);
//!         }
//!         d.ack();
//!         if mine {
//!             break;
//!         }
//!     }
//! }
//! esme.unbind();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To keep a window full at the highest rate, let the worker take the
//! outcomes: [`Esme::set_completion_handler`] gives each link a
//! [`CompletionHandler`] that runs where the response was matched and
//! submits the next request from there ([`LinkSubmitter::submit`]), so no
//! application thread is woken between a response and the next request
//! (`smpp-bench` runs this way).
//!
//! A lost link reconnects with backoff ([`EsmeConfig::reconnect`]); a
//! submit that was on the wire when it went comes back as
//! [`SubmitError::LinkLost`]` { maybe_delivered: true }`. To take an SMSC's
//! outbind instead of dialing, use [`Esme::listen_outbind`].
//!
//! # Serving ESMEs: an SMSC
//!
//! Implement [`SmscHandler`] (check binds, answer submits with a message
//! id) and [`Smsc::listen`]. The handler runs on the worker threads, next
//! to the sessions: it must answer at once and never block. It can
//! schedule deliver_sm on the session, such as a receipt, with
//! [`SmscContext::deliver_after`]; [`Smsc::deliver`] sends one from any
//! thread.
//!
//! ```no_run
//! use smpp::datetime::DateTime;
//! use smpp::pdu::{Bind, COctet, CommandStatus, SubmitSm};
//! use smpp::receipt::{receipt_deliver_sm, MessageState};
//! use smpp::runtime::{Runtime, Smsc, SmscConfig, SmscContext, SmscHandler};
//! use smpp::session::BindMode;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::time::{Duration, SystemTime};
//!
//! struct Handler(AtomicU64);
//!
//! impl SmscHandler for Handler {
//!     fn authenticate(&self, bind: &Bind, _mode: BindMode) -> Result<(), CommandStatus> {
//!         let ok = smpp::auth::constant_time_eq(bind.password.as_bytes(), b"password");
//!         if ok { Ok(()) } else { Err(CommandStatus::InvPaswd) }
//!     }
//!
//!     fn submit_sm(
//!         &self,
//!         ctx: &mut SmscContext<'_>,
//!         sm: &SubmitSm,
//!     ) -> Result<COctet<65>, CommandStatus> {
//!         let id = format!("{:x}", self.0.fetch_add(1, Ordering::Relaxed));
//!         if sm.registered_delivery & 0x03 == 1 {
//!             let now = DateTime::from_system_time(SystemTime::now());
//!             let receipt = receipt_deliver_sm(sm, &id, MessageState::Delivered, now, now);
//!             ctx.deliver_after(Duration::from_secs(1), receipt);
//!         }
//!         COctet::try_from(id.as_str()).map_err(|_| CommandStatus::SysErr)
//!     }
//! }
//!
//! let rt = Runtime::new()?;
//! let smsc = Smsc::listen(&rt, "127.0.0.1:2775", SmscConfig::default(), Handler(AtomicU64::new(1)))?;
//! println!("listening on {}", smsc.local_addr());
//! // ... until it is time to stop:
//! smsc.shutdown(Duration::from_secs(5));
//! println!("{}", smsc.stats());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Complete programs: `examples/send_one.rs` and `examples/minimal_smsc.rs`
//! (`cargo run --example minimal_smsc`, then `cargo run --example
//! send_one` in another terminal).

mod channel;
mod completion_handler;
mod completions;
mod esme;
mod esme_links;
mod esme_types;
mod idmap;
mod ids;
mod reactor;
mod requests;
mod sessions;
mod smsc;
mod smsc_sessions;
mod smsc_types;
mod socket;
pub(crate) mod sync;
mod threads;
mod tls;
mod worker;

pub use channel::{Delivery, EsmeEvent};
pub use completion_handler::{CompletionHandler, LinkSubmitter};
pub use completions::Completions;
pub use esme::Esme;
pub use esme_types::{
    describe_io_error, Completion, EsmeConfig, EsmeError, LinkState, Reconnect, SubmitError,
    SubmitMode, Ticket,
};
pub use smsc::Smsc;
pub use smsc_types::{
    SessionInfo, SmscConfig, SmscContext, SmscHandler, SmscSchedule, SmscStats, SmscTimer,
};
pub use threads::{Runtime, RuntimeConfig};
