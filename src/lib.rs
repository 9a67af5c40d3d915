//! # smpp: an SMPP 3.4 toolkit for programs without an async runtime
//!
//! This crate speaks SMPP 3.4 (plus the cheap SMPP 5.0 additions, such as the
//! `congestion_state` TLV) in both roles: as an ESME (the client that submits
//! messages) and as an SMSC (the server that accepts them).
//!
//! The layers, from the bottom up:
//!
//! - [`pdu`]: the wire codec. Every SMPP 3.4 PDU, typed TLVs, a framer that
//!   checks `command_length` before it buffers a body. Total over hostile
//!   input: bad bytes become a [`pdu::DecodeError`] that names the field and the
//!   `command_status` a peer must get, never a panic.
//! - [`text`]: message text. GSM 03.38, Latin-1 and UCS-2 encodings, choosing
//!   the cheapest `data_coding`, splitting long messages (UDH or SAR) and
//!   reassembling them.
//! - [`datetime`]: civil dates without a date crate, SMPP's 16-character
//!   absolute and relative time strings, and receipt dates.
//! - [`receipt`]: delivery receipt text (3.4 Appendix B), read leniently and
//!   written to the template, `message_state`, and message id matching.
//! - [`session`]: the sans-IO session state machine for both roles: binds,
//!   the operation matrix, the window, timers, throttling, unbind, outbind.
//!   Bytes and time in; bytes, events and the next deadline out.
//! - [`runtime`]: the threads (one mio reactor, N workers with timer
//!   wheels) and the blocking [`runtime::Esme`] and [`runtime::Smsc`]
//!   handles for programs with no async runtime.
//! - [`compose`]: submit_sm PDUs from a number and a text: addresses,
//!   the cheapest alphabet, parts, receipts, flash, validity.
//! - [`smsc_sim`]: a simulated SMSC's behaviour (accounts, ids, receipts), used
//!   by `smsc-sim` and `smppd --demo`.
//! - [`auth`]: constant-time credential comparison.
//! - [`timer`]: a hierarchical timer wheel that reads no clock; each worker
//!   keeps one, holding the next deadline of every session it owns.
//! - `tls` (cargo feature `tls`, on by default): SMPP over TLS with rustls,
//!   for both roles, driven inside the reactor.
//!
//! - `daemon` (cargo feature `daemon`, on by default): the `smppd` spool
//!   relay's modules, all in one folder so that the library's layers above
//!   never reach into them. A program that links only the protocol library
//!   turns the feature off with `default-features = false` and builds with
//!   `mio`, `crossbeam-channel`, `log` and `socket2` alone.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod compose;
#[cfg(feature = "daemon")]
pub mod daemon;
pub mod datetime;
pub mod pdu;
pub mod receipt;
pub mod runtime;
pub mod session;
pub mod smsc_sim;
pub mod text;
pub mod timer;
#[cfg(feature = "tls")]
pub mod tls;
