//! The `smppd` daemon: a relay between a smstools3-compatible spool
//! directory and an SMSC, built on the library's [`runtime`](crate::runtime).
//!
//! Everything here sits behind the cargo feature `daemon`; nothing outside
//! this folder imports from it. The modules, from the files up:
//!
//! - [`spool`]: the spool on disk: message files, atomic claims, durable
//!   result files, per-part progress that survives a crash.
//! - [`config`]: the configuration file (TOML, read with `serde`).
//! - [`relay`]: the relay itself: files out to the SMSC, deliveries and
//!   receipts in, and [`relay::run`], the service loop the `smppd` binary
//!   calls.
//! - [`notify`]: the systemd notification protocol (`READY=1`, watchdog).
//! - [`metrics`]: counters written as a Prometheus textfile.
//! - [`logging`]: the binaries' logger, whose filter SIGHUP can replace.

pub mod config;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod relay;
pub mod spool;
