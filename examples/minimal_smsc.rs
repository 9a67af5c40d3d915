//! A minimal SMSC: one account, hexadecimal message ids, and a delivery
//! receipt half a second after each submit that asks for one.
//!
//! ```text
//! cargo run --example minimal_smsc -- [ADDR]
//! ```
//!
//! It listens on `127.0.0.1:2775` by default and accepts binds from
//! `smppclient1` / `password`; try it with `cargo run --example send_one`.
//! Ctrl-C unbinds every session and prints the totals.

use smpp::auth::constant_time_eq;
use smpp::datetime::DateTime;
use smpp::pdu::{Bind, COctet, CommandStatus, SubmitSm};
use smpp::receipt::{receipt_deliver_sm, MessageState};
use smpp::runtime::{Runtime, Smsc, SmscConfig, SmscContext, SmscHandler};
use smpp::session::BindMode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The application's side of the SMSC. Its methods run on the runtime's
/// worker threads, so they answer at once and never block.
struct Minimal {
    next_id: AtomicU64,
}

impl SmscHandler for Minimal {
    fn authenticate(&self, bind: &Bind, mode: BindMode) -> Result<(), CommandStatus> {
        if bind.system_id.as_bytes() != b"smppclient1" {
            return Err(CommandStatus::InvSysId);
        }
        if !constant_time_eq(bind.password.as_bytes(), b"password") {
            return Err(CommandStatus::InvPaswd);
        }
        println!("{} binds as {mode}", bind.system_id);
        Ok(())
    }

    fn submit_sm(
        &self,
        ctx: &mut SmscContext<'_>,
        sm: &SubmitSm,
    ) -> Result<COctet<65>, CommandStatus> {
        let id = format!("{:x}", self.next_id.fetch_add(1, Ordering::Relaxed));
        // registered_delivery 1 asks for a receipt in any case (2 only on
        // failure, and nothing fails here).
        if sm.registered_delivery & 0x03 == 1 {
            let now = DateTime::from_system_time(SystemTime::now());
            let receipt = receipt_deliver_sm(sm, &id, MessageState::Delivered, now, now);
            // Sent on the same session once the submit_sm_resp is out.
            ctx.deliver_after(Duration::from_millis(500), receipt);
        }
        COctet::try_from(id.as_str()).map_err(|_| CommandStatus::SysErr)
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("minimal_smsc: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:2775".to_string());
    let rt = Runtime::new()?;
    let handler = Minimal {
        next_id: AtomicU64::new(0x1000),
    };
    let smsc = Smsc::listen(&rt, &addr, SmscConfig::default(), handler)?;
    println!("listening on {} (Ctrl-C to stop)", smsc.local_addr());

    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])?;
    signals.forever().next();
    smsc.shutdown(Duration::from_secs(5));
    println!("{}", smsc.stats());
    Ok(())
}
