//! Loopback tests of the runtime: a real [`smpp::runtime::Smsc`] (or a
//! scripted raw peer where the SMSC must misbehave) and a real
//! [`smpp::runtime::Esme`] on 127.0.0.1, with timers short enough that
//! every test ends in a few seconds.

mod raw_peer;
mod support;

mod binds;
mod deliveries;
mod handler;
mod links;
mod outbind;
mod window;
