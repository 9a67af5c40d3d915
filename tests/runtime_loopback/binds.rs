//! Binding in each mode, submitting, and what each mode refuses.

use crate::support::*;
use smpp::pdu::{Body, CommandId, CommandStatus};
use smpp::runtime::{Esme, EsmeError, SubmitError, SubmitMode};
use smpp::session::{BindMode, SessionError, State};

/// Binds in `mode` to a fresh SMSC and checks what the SMSC recorded.
fn bind(mode: BindMode) -> (smpp::runtime::Runtime, smpp::runtime::Smsc, Esme) {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let esme = Esme::connect(&rt, esme_config(smsc.local_addr(), mode)).expect("binds");
    assert!(esme.is_bound());
    let info = wait_for(&seen, WAIT, "bound callback", |s| match s {
        Seen::Bound(info) => Some(info),
        _ => None,
    });
    assert_eq!(info.system_id, SYSTEM_ID);
    assert_eq!(info.mode, Some(mode));
    let sessions = smsc.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].mode, Some(mode));
    assert_eq!(sessions[0].id, info.id);
    (rt, smsc, esme)
}

fn submit_and_get_ids(esme: &Esme) {
    let first = esme.submit(submit_sm("hello", 0)).expect("submit answered");
    assert_eq!(first.status, CommandStatus::Ok);
    assert_eq!(message_id(&first), "a0");
    // The asynchronous path: the ticket comes back with the response.
    let ticket = esme
        .submit_async(Body::SubmitSm(submit_sm("again", 0)), SubmitMode::FailFast)
        .expect("a window slot is free");
    let done = esme
        .completions()
        .recv_timeout(WAIT)
        .expect("completion in time");
    assert_eq!(done.ticket, ticket);
    assert_eq!(message_id(&done.outcome.expect("answered")), "a1");
    assert_eq!(esme.in_flight(), 0);
}

#[test]
fn transmitter_binds_and_submits() {
    let (_rt, smsc, esme) = bind(BindMode::Transmitter);
    submit_and_get_ids(&esme);
    assert_eq!(
        smsc.stats()
            .submit_sm
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[test]
fn transceiver_binds_and_submits() {
    let (_rt, _smsc, esme) = bind(BindMode::Transceiver);
    submit_and_get_ids(&esme);
}

#[test]
fn receiver_binds_and_refuses_submits() {
    let (_rt, smsc, esme) = bind(BindMode::Receiver);
    let refused = SubmitError::Refused(SessionError::InvalidState {
        command_id: CommandId::SubmitSm,
        state: State::BoundRx,
    });
    assert_eq!(esme.submit(submit_sm("nope", 0)).unwrap_err(), refused);
    let ticket = esme
        .submit_async(Body::SubmitSm(submit_sm("nope", 0)), SubmitMode::FailFast)
        .expect("a window slot is free");
    let done = esme.completions().recv_timeout(WAIT).expect("completion");
    assert_eq!(done.ticket, ticket);
    assert_eq!(done.outcome.unwrap_err(), refused);
    // Refusals give their window slot back.
    assert_eq!(esme.in_flight(), 0);
    assert_eq!(
        smsc.stats()
            .submit_sm
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[test]
fn wrong_password_fails_fast_without_retrying() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let mut config = esme_config(smsc.local_addr(), BindMode::Transceiver);
    config.bind.password = "wrong".try_into().unwrap();
    config.connect_timeout = std::time::Duration::from_secs(10);
    let started = std::time::Instant::now();
    match Esme::connect(&rt, config) {
        Err(EsmeError::BindRefused(CommandStatus::InvPaswd)) => {}
        other => panic!("expected ESME_RINVPASWD, got {other:?}"),
    }
    assert!(
        started.elapsed() < WAIT,
        "refusal took {:?}",
        started.elapsed()
    );
    // One attempt only: bad credentials do not get better by retrying.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        smsc.stats()
            .sessions
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert!(seen.try_iter().all(|s| !matches!(s, Seen::Bound(_))));
}

#[test]
fn two_links_bind_and_share_the_submits() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let mut config = esme_config(smsc.local_addr(), BindMode::Transmitter);
    config.sessions = 2;
    let esme = Esme::connect(&rt, config).expect("both links bind");
    assert_eq!(smsc.sessions().len(), 2);
    for i in 0..4 {
        esme.submit(submit_sm(&format!("m{i}"), 0))
            .expect("answered");
    }
    let mut on = std::collections::HashSet::new();
    for s in seen.try_iter() {
        if let Seen::Submit(session) = s {
            on.insert(session);
        }
    }
    assert_eq!(on.len(), 2, "both links carry submits");
}

#[test]
fn session_limit_refuses_connections_above_it() {
    let rt = runtime();
    let mut config = smsc_config();
    config.max_sessions = 1;
    let (smsc, _seen) = start_smsc(&rt, config, None);
    let _first =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Transmitter)).expect("binds");
    let mut second = esme_config(smsc.local_addr(), BindMode::Transmitter);
    second.connect_timeout = std::time::Duration::from_millis(400);
    match Esme::connect(&rt, second) {
        Err(EsmeError::Timeout(_)) => {}
        other => panic!("expected no bind, got {other:?}"),
    }
    assert_eq!(smsc.sessions().len(), 1);
}
