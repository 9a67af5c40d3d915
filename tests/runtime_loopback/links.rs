//! Link upkeep: enquire_link, inactivity, unbind from either side, and
//! reconnecting after the SMSC goes away.

use crate::raw_peer::RawListener;
use crate::support::*;
use smpp::pdu::{Body, CommandId};
use smpp::runtime::{Esme, EsmeEvent, LinkState, Smsc, SubmitError, SubmitMode};
use smpp::session::{BindMode, CloseReason};
use std::time::{Duration, Instant};

#[test]
fn enquire_link_keeps_an_idle_link_bound() {
    let rt = runtime();
    let mut config = smsc_config();
    // The SMSC drops sessions silent for 600 ms and sends no enquire_link
    // itself: only the ESME's enquire_links keep the link up.
    config.session.inactivity_timeout = Some(Duration::from_millis(600));
    let (smsc, seen) = start_smsc(&rt, config, None);
    let mut esme_config = esme_config(smsc.local_addr(), BindMode::Transceiver);
    esme_config.session.enquire_link_interval = Some(Duration::from_millis(100));
    let esme = Esme::connect(&rt, esme_config).expect("binds");
    esme_event(&esme, WAIT, "bound", |e| match e {
        EsmeEvent::Bound { .. } => Some(()),
        _ => None,
    });

    assert_quiet(esme.events(), Duration::from_millis(1300), "ESME events");
    assert!(esme.is_bound());
    for s in seen.try_iter() {
        assert!(matches!(s, Seen::Bound(_)), "unexpected {s:?}");
    }
    assert_eq!(smsc.sessions().len(), 1);
    assert_eq!(
        message_id(&esme.submit(submit_sm("still", 0)).unwrap()),
        "a0"
    );
}

#[test]
fn smsc_closes_a_silent_link() {
    let rt = runtime();
    let mut config = smsc_config();
    config.session.inactivity_timeout = Some(Duration::from_millis(300));
    let (smsc, seen) = start_smsc(&rt, config, None);
    let mut esme_config = esme_config(smsc.local_addr(), BindMode::Transceiver);
    esme_config.session.enquire_link_interval = None;
    esme_config.reconnect = None;
    let esme = Esme::connect(&rt, esme_config).expect("binds");

    let reason = wait_for(&seen, WAIT, "the SMSC closing the session", |s| match s {
        Seen::Closed(_, reason) => Some(reason),
        _ => None,
    });
    assert_eq!(reason, CloseReason::Inactive);
    let reason = esme_event(&esme, WAIT, "the link closing", |e| match e {
        EsmeEvent::Closed { reason, .. } => Some(reason),
        _ => None,
    });
    // The SMSC sends unbind before it hangs up.
    assert!(
        matches!(reason, CloseReason::Unbound | CloseReason::TransportClosed),
        "{reason:?}"
    );
    assert!(!esme.is_bound());
}

#[test]
fn unanswered_enquire_link_declares_the_link_dead() {
    let rt = runtime();
    let peer = RawListener::bind();
    let mut config = esme_config(peer.addr(), BindMode::Transceiver);
    config.session.enquire_link_interval = Some(Duration::from_millis(100));
    // Long enough for a loaded machine to answer in time.
    config.session.response_timeout = Duration::from_millis(500);
    config.session.enquire_link_max_missed = 2;
    let (esme, mut conn) = bind_to_raw_peer(&rt, &peer, config);

    // Answered, enquire_link repeats on the idle link.
    let deadline = Instant::now() + 10 * WAIT;
    while conn.enquire_links < 3 {
        assert!(
            Instant::now() < deadline,
            "{} enquire_links",
            conn.enquire_links
        );
        assert!(conn.try_recv(Duration::from_millis(50)).is_none());
    }
    assert!(esme.is_bound());

    // Unanswered, the link is declared dead and the ESME hangs up.
    let started = Instant::now();
    assert!(conn.closed_within(WAIT), "the ESME hangs up");
    let reason = esme_event(&esme, WAIT, "the link dropping", |e| match e {
        EsmeEvent::Reconnecting { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, CloseReason::LinkDead);
    // Far below the 30 s defaults: the short settings were used.
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(peer);
}

#[test]
fn smsc_shutdown_unbinds_every_session() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let mut once = esme_config(smsc.local_addr(), BindMode::Transmitter);
    once.reconnect = None;
    let once = Esme::connect(&rt, once).expect("binds");
    let again =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Transceiver)).expect("binds");

    // Every session answers the unbind, so shutdown returns long before
    // its limit.
    let started = Instant::now();
    smsc.shutdown(Duration::from_secs(60));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(smsc.sessions().is_empty());
    let mut closed = 0;
    for s in seen.try_iter() {
        if let Seen::Closed(info, reason) = s {
            assert_eq!(info.system_id, SYSTEM_ID);
            assert_eq!(reason, CloseReason::Unbound);
            closed += 1;
        }
    }
    assert_eq!(closed, 2);

    let reason = esme_event(&once, WAIT, "the link closing", |e| match e {
        EsmeEvent::Closed { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, CloseReason::Unbound);
    let reason = esme_event(&again, WAIT, "the link reconnecting", |e| match e {
        EsmeEvent::Reconnecting { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, CloseReason::Unbound);

    // A closed link refuses submits at once, and keeps refusing them: no
    // window slot is lost on the way.
    for _ in 0..session_config().window + 2 {
        assert_eq!(
            once.submit_async(Body::SubmitSm(submit_sm("late", 0)), SubmitMode::FailFast)
                .and_then(|_| once.completions().recv_timeout(WAIT).unwrap().outcome)
                .unwrap_err(),
            SubmitError::NotBound
        );
    }
    assert_eq!(
        once.submit(submit_sm("late", 0)).unwrap_err(),
        SubmitError::NotBound
    );
    assert_eq!(once.in_flight(), 0);
}

#[test]
fn peer_unbind_returns_outstanding_submits_as_link_lost() {
    let rt = runtime();
    let peer = RawListener::bind();
    let mut config = esme_config(peer.addr(), BindMode::Transceiver);
    config.reconnect = None;
    let (esme, mut conn) = bind_to_raw_peer(&rt, &peer, config);

    let tickets: Vec<_> = (0..3)
        .map(|i| {
            esme.submit_async(
                Body::SubmitSm(submit_sm(&format!("m{i}"), 0)),
                SubmitMode::FailFast,
            )
            .unwrap()
        })
        .collect();
    conn.take_submits(3);
    conn.send_request(Body::Unbind);
    let resp = conn.recv(WAIT);
    assert_eq!(resp.command_id(), CommandId::UnbindResp);

    let mut lost = Vec::new();
    for _ in 0..3 {
        let done = esme.completions().recv_timeout(WAIT).expect("completion");
        assert_eq!(
            done.outcome.unwrap_err(),
            SubmitError::LinkLost {
                maybe_delivered: true
            }
        );
        lost.push(done.ticket);
    }
    lost.sort();
    assert_eq!(lost, tickets);
    let reason = esme_event(&esme, WAIT, "the link closing", |e| match e {
        EsmeEvent::Closed { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, CloseReason::Unbound);
    assert_eq!(esme.in_flight(), 0);
}

#[test]
fn local_unbind_waits_for_outstanding_responses() {
    let rt = runtime();
    let peer = RawListener::bind();
    let config = esme_config(peer.addr(), BindMode::Transceiver);
    let (esme, mut conn) = bind_to_raw_peer(&rt, &peer, config);

    for i in 0..3 {
        esme.submit_async(
            Body::SubmitSm(submit_sm(&format!("m{i}"), 0)),
            SubmitMode::FailFast,
        )
        .unwrap();
    }
    let submits = conn.take_submits(3);
    std::thread::scope(|s| {
        let unbinding = s.spawn(|| esme.unbind());
        // No unbind while responses are outstanding.
        assert!(conn.try_recv(Duration::from_millis(250)).is_none());
        // New submits are refused while the link drains.
        let late = esme
            .submit_async(Body::SubmitSm(submit_sm("late", 0)), SubmitMode::FailFast)
            .unwrap();
        for (i, submit) in submits.iter().enumerate() {
            conn.answer_submit(submit, &format!("id{i}"));
        }
        let unbind = conn.recv(WAIT);
        assert_eq!(unbind.command_id(), CommandId::Unbind);
        conn.respond(&unbind, Body::UnbindResp);
        let deadline = Instant::now() + WAIT;
        while !unbinding.is_finished() {
            assert!(Instant::now() < deadline, "unbind returns");
            std::thread::sleep(Duration::from_millis(5));
        }

        let mut answered = 0;
        for _ in 0..4 {
            let done = esme.completions().recv_timeout(WAIT).expect("completion");
            if done.ticket == late {
                assert_eq!(done.outcome.unwrap_err(), SubmitError::NotBound);
            } else {
                assert!(done.outcome.is_ok());
                answered += 1;
            }
        }
        assert_eq!(answered, 3);
    });
    assert!(conn.closed_within(WAIT));
    let reason = esme_event(&esme, WAIT, "the link closing", |e| match e {
        EsmeEvent::Closed { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, CloseReason::Unbound);
    assert_eq!(
        esme.submit(submit_sm("after", 0)).unwrap_err(),
        SubmitError::NotBound
    );
}

#[test]
fn reconnects_after_the_smsc_restarts_on_the_same_port() {
    let rt = runtime();
    let smsc_rt = runtime();
    let (smsc, _seen) = start_smsc(&smsc_rt, smsc_config(), None);
    let addr = smsc.local_addr();
    let esme = Esme::connect(&rt, esme_config(addr, BindMode::Transceiver)).expect("binds");
    assert_eq!(
        message_id(&esme.submit(submit_sm("before", 0)).unwrap()),
        "a0"
    );
    esme_event(&esme, WAIT, "bound", |e| match e {
        EsmeEvent::Bound { link: 0 } => Some(()),
        _ => None,
    });

    // Kill the SMSC: its runtime stops and every connection drops.
    drop(smsc);
    drop(smsc_rt);
    let reason = esme_event(&esme, WAIT, "the link dropping", |e| match e {
        EsmeEvent::Reconnecting { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, CloseReason::TransportClosed);
    assert!(!esme.is_bound());
    // Submitted while the SMSC is down: it waits for the next session.
    let queued = esme
        .submit_async(Body::SubmitSm(submit_sm("queued", 0)), SubmitMode::FailFast)
        .unwrap();
    assert!(esme
        .completions()
        .recv_timeout(Duration::from_millis(200))
        .is_err());

    // A new SMSC on the same port.
    let smsc_rt = runtime();
    let (handler, _seen) = TestHandler::new(None);
    let smsc = Smsc::listen(&smsc_rt, &addr.to_string(), smsc_config(), handler)
        .expect("the port is free again");
    esme_event(&esme, WAIT, "the link binding again", |e| match e {
        EsmeEvent::Bound { link: 0 } => Some(()),
        EsmeEvent::Reconnecting { .. } => None,
        other => panic!("unexpected {other:?}"),
    });
    assert!(esme.is_bound());
    let done = esme.completions().recv_timeout(WAIT).expect("completion");
    assert_eq!(done.ticket, queued);
    assert_eq!(message_id(&done.outcome.unwrap()), "a0");
    assert_eq!(
        message_id(&esme.submit(submit_sm("after", 0)).unwrap()),
        "a1"
    );
    assert_eq!(smsc.sessions().len(), 1);
}

#[test]
fn in_flight_submits_are_lost_when_the_peer_dies_and_the_link_recovers() {
    let rt = runtime();
    let peer = RawListener::bind();
    let addr = peer.addr();
    let (esme, mut conn) = bind_to_raw_peer(&rt, &peer, esme_config(addr, BindMode::Transceiver));

    let tickets: Vec<_> = (0..2)
        .map(|i| {
            esme.submit_async(
                Body::SubmitSm(submit_sm(&format!("m{i}"), 0)),
                SubmitMode::FailFast,
            )
            .unwrap()
        })
        .collect();
    conn.take_submits(2);
    // The peer dies with both submits unanswered.
    drop(conn);
    drop(peer);
    let mut lost = Vec::new();
    for _ in 0..2 {
        let done = esme.completions().recv_timeout(WAIT).expect("completion");
        assert_eq!(
            done.outcome.unwrap_err(),
            SubmitError::LinkLost {
                maybe_delivered: true
            }
        );
        lost.push(done.ticket);
    }
    lost.sort();
    assert_eq!(lost, tickets);
    assert_eq!(esme.in_flight(), 0);

    let smsc_rt = runtime();
    let (handler, _seen) = TestHandler::new(None);
    let _smsc = Smsc::listen(&smsc_rt, &addr.to_string(), smsc_config(), handler)
        .expect("the port is free again");
    esme_event(&esme, WAIT, "the link binding again", |e| match e {
        EsmeEvent::Bound { .. } => Some(()),
        _ => None,
    });
    assert_eq!(
        message_id(&esme.submit(submit_sm("after", 0)).unwrap()),
        "a0"
    );
}

#[test]
fn throttled_submits_are_sent_again_after_the_pause() {
    let rt = runtime();
    let mut config = smsc_config();
    // Two submits at once, then one every 50 ms.
    config.session.inbound_rate = Some(smpp::session::Throughput {
        per_second: 20,
        burst: 2,
    });
    let (smsc, seen) = start_smsc(&rt, config, None);
    let mut esme_config = esme_config(smsc.local_addr(), BindMode::Transmitter);
    esme_config.session.throttle_backoff_min = Duration::from_millis(20);
    esme_config.session.throttle_backoff_max = Duration::from_millis(100);
    let esme = Esme::connect(&rt, esme_config).expect("binds");
    let started = Instant::now();
    let mut tickets: Vec<_> = (0..8)
        .map(|i| {
            esme.submit_async(
                Body::SubmitSm(submit_sm(&format!("m{i}"), 0)),
                SubmitMode::FailFast,
            )
            .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    let mut done_tickets = Vec::new();
    for _ in 0..8 {
        let done = esme.completions().recv_timeout(WAIT).expect("completion");
        ids.push(message_id(&done.outcome.expect("accepted in the end")));
        done_tickets.push(done.ticket);
    }
    tickets.sort();
    done_tickets.sort();
    assert_eq!(done_tickets, tickets);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each accepted once: {ids:?}");
    // The SMSC's rate paced them: six above the burst at 20 a second.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    let handled = seen
        .try_iter()
        .filter(|s| matches!(s, Seen::Submit(_)))
        .count();
    assert_eq!(handled, 8, "throttled submits never reach the handler");
}

/// `Esme::open` returns at once while nobody listens, says why the link is
/// down (`connection refused`), holds a submit until the SMSC appears on
/// that port, and `unbind_until` closes it within its time.
#[test]
fn open_binds_in_the_background_once_the_smsc_listens() {
    let rt = runtime();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let t0 = Instant::now();
    let mut config = esme_config(port, BindMode::Transceiver);
    config.session.window = 1;
    // Esme::connect would wait this long for a bind that cannot come.
    config.connect_timeout = Duration::from_secs(60);
    let esme = Esme::open(&rt, config).expect("opens");
    assert!(t0.elapsed() < Duration::from_secs(20), "open waited");
    let deadline = Instant::now() + WAIT;
    while esme.link_states() != vec![LinkState::Down("connection refused".into())] {
        assert!(
            Instant::now() < deadline,
            "link states {:?}",
            esme.link_states()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let ticket = esme
        .submit_async(
            Body::SubmitSm(submit_sm("queued while down", 0)),
            SubmitMode::FailFast,
        )
        .expect("queued");
    let (handler, _seen) = TestHandler::new(None);
    let _smsc = Smsc::listen(&rt, &port.to_string(), smsc_config(), handler).expect("listens");
    esme_event(&esme, WAIT, "bound", |e| match e {
        EsmeEvent::Bound { .. } => Some(()),
        _ => None,
    });
    assert_eq!(esme.link_states(), vec![LinkState::Bound]);
    let done = esme.completions().recv_timeout(WAIT).expect("a completion");
    assert_eq!(done.ticket, ticket);
    assert!(done.outcome.is_ok(), "{:?}", done.outcome);
    // A larger window live: eight submits may be out at once (with the
    // window of 1 the second would find it full).
    esme.tune(8, None);
    let tickets: Vec<_> = (0..8)
        .map(|i| {
            esme.submit_async(
                Body::SubmitSm(submit_sm(&format!("m{i}"), 0)),
                SubmitMode::FailFast,
            )
            .expect("a window slot")
        })
        .collect();
    for _ in &tickets {
        let c = esme.completions().recv_timeout(WAIT).expect("a completion");
        assert!(c.outcome.is_ok(), "{:?}", c.outcome);
    }
    assert!(esme.unbind_until(Instant::now() + WAIT));
    assert_eq!(esme.link_states(), vec![LinkState::Closed]);
}
