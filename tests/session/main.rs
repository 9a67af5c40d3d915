//! Scripted tests of the sans-IO session, one protocol scenario each: the
//! peer's PDUs go in at a virtual time, and the PDUs written, the events
//! and the state are checked exactly.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod bind;
mod malformed;
mod matrix;
mod outbind;
mod stats;
mod termination;
mod throttle;
mod timers;
mod window;
