//! The SMSC side: listen, authenticate binds, handle submits, deliver.
//!
//! The application implements [`SmscHandler`]; its methods run on the
//! worker threads, next to the sessions, so answering a submit costs no
//! thread hop. A handler that must do slow work should answer quickly with
//! an id and do the work elsewhere.
//!
//! ```no_run
//! use smpp::pdu::{Bind, COctet, CommandStatus, SubmitSm};
//! use smpp::runtime::{Runtime, Smsc, SmscConfig, SmscContext, SmscHandler};
//! use smpp::session::BindMode;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! struct Accept(AtomicU64);
//!
//! impl SmscHandler for Accept {
//!     fn authenticate(&self, bind: &Bind, _mode: BindMode) -> Result<(), CommandStatus> {
//!         if bind.password.as_bytes() == b"secret" { Ok(()) } else { Err(CommandStatus::InvPaswd) }
//!     }
//!     fn submit_sm(&self, _ctx: &mut SmscContext<'_>, _sm: &SubmitSm) -> Result<COctet<65>, CommandStatus> {
//!         let id = self.0.fetch_add(1, Ordering::Relaxed);
//!         Ok(COctet::try_from(format!("{id:x}").as_str()).unwrap())
//!     }
//! }
//!
//! let rt = Runtime::new()?;
//! let smsc = Smsc::listen(&rt, "127.0.0.1:2775", SmscConfig::default(), Accept(AtomicU64::new(1)))?;
//! println!("listening on {}", smsc.local_addr());
//! # Ok::<(), std::io::Error>(())
//! ```

use super::channel::{OutbindDial, SmscCmd, SmscShared, WorkerMsg};
use super::ids::{conn_of, listen, resolve, ListenerId};
use super::reactor::ReactorCmd;
use super::smsc_types::*;
use super::sync::lock;
use super::threads::Runtime;
use crate::pdu::CommandStatus;
use crate::pdu::{Body, COctet, DeliverSm};
use crate::session::BindMode;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An SMSC: a listener and its sessions.
pub struct Smsc {
    rt: Runtime,
    shared: Arc<SmscShared>,
    listener: ListenerId,
    addr: SocketAddr,
}

impl fmt::Debug for Smsc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smsc").field("addr", &self.addr).finish()
    }
}

impl Smsc {
    /// Listens on `addr` (port 0 picks a free port: see
    /// [`Smsc::local_addr`]).
    pub fn listen(
        rt: &Runtime,
        addr: &str,
        config: SmscConfig,
        handler: impl SmscHandler,
    ) -> std::io::Result<Smsc> {
        let listener = listen(resolve(addr)?)?;
        let local = listener.local_addr()?;
        let max_conns = config.max_sessions.max(1);
        let tls = super::tls::smsc_server(&config);
        let shared = Arc::new(SmscShared {
            handler: Box::new(handler),
            config,
            stats: SmscStats::default(),
            sessions: Mutex::new(HashMap::new()),
            live: AtomicUsize::new(0),
            workers: (0..rt.workers())
                .map(|w| rt.threads.worker(w).clone())
                .collect(),
        });
        let id = ListenerId(rt.threads.next_id());
        for w in 0..rt.workers() {
            let cmd = SmscCmd::Register {
                id,
                shared: shared.clone(),
            };
            let _ = rt.threads.worker(w).send(WorkerMsg::Smsc(cmd));
        }
        rt.threads.reactor(ReactorCmd::Listen {
            listener,
            id,
            max_conns,
            worker: None,
            tls,
        });
        Ok(Smsc {
            rt: rt.clone(),
            shared,
            listener: id,
            addr: local,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Totals.
    pub fn stats(&self) -> &SmscStats {
        &self.shared.stats
    }

    /// The sessions now open.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        let mut v: Vec<SessionInfo> = lock(&self.shared.sessions)
            .values()
            .map(|(_, i)| i.clone())
            .collect();
        v.sort_by_key(|i| i.id);
        v
    }

    /// Sends a deliver_sm (MO or receipt) on a session bound as receiver or
    /// transceiver. Queued while the session's window is full.
    pub fn deliver(&self, session: u64, deliver: DeliverSm) -> Result<(), CommandStatus> {
        let worker = match lock(&self.shared.sessions).get(&session) {
            Some((w, info)) if info.mode.is_some_and(BindMode::can_receive) => *w,
            Some(_) => return Err(CommandStatus::InvBndSts),
            None => return Err(CommandStatus::BindFail),
        };
        let conn = conn_of(session);
        let cmd = SmscCmd::Deliver {
            conn,
            body: Box::new(Body::DeliverSm(deliver)),
            shared: self.shared.clone(),
        };
        self.rt
            .threads
            .worker(worker)
            .send(WorkerMsg::Smsc(cmd))
            .map_err(|_| CommandStatus::SysErr)
    }

    /// Connects to an ESME listening at `addr`, sends outbind with this
    /// SMSC's `system_id` and `password`, then serves its bind_receiver
    /// like any other bind.
    pub fn outbind(&self, addr: &str, password: &str) -> std::io::Result<()> {
        self.start_outbind(addr, None, password)
    }

    /// As [`Smsc::outbind`], with `system_id` in the outbind instead of
    /// this SMSC's own. An [`crate::runtime::Esme::listen_outbind`] ESME,
    /// like most simulators, expects its account's credentials
    /// (`system_id` and password) in the outbind. The session's
    /// bind_receiver_resp then carries `system_id` too.
    pub fn outbind_as(&self, addr: &str, system_id: &str, password: &str) -> std::io::Result<()> {
        let system_id = COctet::try_from(system_id).map_err(invalid_input)?;
        self.start_outbind(addr, Some(system_id), password)
    }

    fn start_outbind(
        &self,
        addr: &str,
        system_id: Option<COctet<16>>,
        password: &str,
    ) -> std::io::Result<()> {
        let tls = super::tls::smsc_client(&self.shared.config, addr)?;
        let addr = resolve(addr)?;
        let password = COctet::try_from(password).map_err(invalid_input)?;
        let worker = self.rt.threads.pick_worker();
        let cmd = SmscCmd::Outbind {
            addr,
            dial: self.rt.threads.next_id(),
            outbind: OutbindDial {
                shared: self.shared.clone(),
                system_id,
                password,
            },
            tls,
        };
        let _ = self.rt.threads.worker(worker).send(WorkerMsg::Smsc(cmd));
        Ok(())
    }

    /// Stops accepting, unbinds every session, and waits (at most
    /// `timeout`) for them to close.
    pub fn shutdown(&self, timeout: Duration) {
        self.rt
            .threads
            .reactor(ReactorCmd::Unlisten { id: self.listener });
        for w in 0..self.rt.workers() {
            let cmd = SmscCmd::UnbindAll {
                shared: self.shared.clone(),
            };
            let _ = self.rt.threads.worker(w).send(WorkerMsg::Smsc(cmd));
        }
        let deadline = Instant::now() + timeout;
        while self.shared.live.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Smsc {
    fn drop(&mut self) {
        self.rt
            .threads
            .reactor(ReactorCmd::Unlisten { id: self.listener });
        for w in 0..self.rt.workers() {
            let cmd = SmscCmd::Forget { id: self.listener };
            let _ = self.rt.threads.worker(w).send(WorkerMsg::Smsc(cmd));
        }
    }
}

fn invalid_input(e: crate::pdu::FieldError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
}
