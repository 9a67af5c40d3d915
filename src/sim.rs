//! A simulated SMSC's behaviour, shared by `smsc-sim` and `smppd --demo`:
//! accounts, message ids, receipts after a delay, rejecting every Nth
//! submit.

use crate::auth::constant_time_eq;
use crate::datetime::DateTime;
use crate::pdu::{Bind, COctet, CommandStatus, SubmitSm};
use crate::receipt::{receipt_deliver_sm, MessageState};
use crate::runtime::{SmscContext, SmscHandler};
use crate::session::BindMode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Accounts that may bind: (system_id, password).
    pub accounts: Vec<(String, String)>,
    /// Receipts go out this long after a submit that asked for one.
    pub dlr_delay: Duration,
    /// The state receipts report.
    pub dlr_state: MessageState,
    /// Every Nth submit_sm gets ESME_RSUBMITFAIL (0: never).
    pub reject_every: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: vec![("smppclient1".into(), "password".into())],
            dlr_delay: Duration::ZERO,
            dlr_state: MessageState::Delivered,
            reject_every: 0,
        }
    }
}

/// The simulator's [`SmscHandler`].
#[derive(Debug)]
pub struct SimHandler {
    config: SimConfig,
    next_id: AtomicU64,
}

impl SimHandler {
    /// A simulator with these settings.
    pub fn new(config: SimConfig) -> SimHandler {
        SimHandler {
            config,
            next_id: AtomicU64::new(1),
        }
    }
}

impl SmscHandler for SimHandler {
    fn authenticate(&self, bind: &Bind, mode: BindMode) -> Result<(), CommandStatus> {
        let id = bind.system_id.as_bytes();
        let Some((_, password)) = self
            .config
            .accounts
            .iter()
            .find(|(a, _)| a.as_bytes() == id)
        else {
            log::warn!("bind as {mode} by unknown system_id {}", bind.system_id);
            return Err(CommandStatus::InvSysId);
        };
        if !constant_time_eq(bind.password.as_bytes(), password.as_bytes()) {
            log::warn!("bind as {mode} by {} with a wrong password", bind.system_id);
            return Err(CommandStatus::InvPaswd);
        }
        Ok(())
    }

    fn submit_sm(
        &self,
        ctx: &mut SmscContext<'_>,
        sm: &SubmitSm,
    ) -> Result<COctet<65>, CommandStatus> {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        if self.config.reject_every > 0 && n % self.config.reject_every == 0 {
            return Err(CommandStatus::SubmitFail);
        }
        let id = format!("{n:08x}");
        if sm.registered_delivery & 0x03 != 0 {
            let now = DateTime::from_system_time(SystemTime::now());
            let receipt = receipt_deliver_sm(sm, &id, self.config.dlr_state, now, now);
            ctx.deliver_after(self.config.dlr_delay, receipt);
        }
        Ok(COctet::try_from(id.as_str()).unwrap_or_default())
    }
}
