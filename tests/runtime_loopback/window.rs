//! A full window: failing fast, waiting, and waking when a response frees a
//! slot. The raw peer takes submits and answers only when told.

use crate::raw_peer::{RawConn, RawListener};
use crate::support::*;
use smpp::pdu::Body;
use smpp::runtime::{Esme, SubmitError, SubmitMode};
use smpp::session::BindMode;
use std::time::{Duration, Instant};

const WINDOW: usize = 4;

/// A bound ESME with `WINDOW` submits outstanding at the raw peer. The ESME
/// comes first so that it is dropped last, after the peer hung up (it does
/// not wait out the drain timeout then).
fn fill_window() -> (
    Esme,
    smpp::runtime::Runtime,
    RawListener,
    RawConn,
    Vec<smpp::pdu::Pdu>,
) {
    fill_window_with(4096)
}

/// As [`fill_window`], with this room for events and completions.
fn fill_window_with(
    event_capacity: usize,
) -> (
    Esme,
    smpp::runtime::Runtime,
    RawListener,
    RawConn,
    Vec<smpp::pdu::Pdu>,
) {
    let rt = runtime();
    let peer = RawListener::bind();
    let mut config = esme_config(peer.addr(), BindMode::Transmitter);
    config.session.window = WINDOW;
    config.session.response_timeout = Duration::from_secs(5);
    config.event_capacity = event_capacity;
    let (esme, mut conn) = bind_to_raw_peer(&rt, &peer, config);
    for i in 0..WINDOW {
        esme.submit_async(
            Body::SubmitSm(submit_sm(&format!("m{i}"), 0)),
            SubmitMode::FailFast,
        )
        .expect("a window slot is free");
    }
    let submits = conn.take_submits(WINDOW);
    assert_eq!(esme.in_flight(), WINDOW);
    (esme, rt, peer, conn, submits)
}

#[test]
fn fail_fast_refuses_when_the_window_is_full() {
    let (esme, _rt, _peer, mut conn, submits) = fill_window();
    let more = Body::SubmitSm(submit_sm("more", 0));
    assert_eq!(
        esme.submit_async(more.clone(), SubmitMode::FailFast)
            .unwrap_err(),
        SubmitError::WindowFull
    );
    assert_eq!(
        esme.request(more.clone(), SubmitMode::FailFast)
            .unwrap_err(),
        SubmitError::WindowFull
    );
    // Nothing more went out.
    assert!(conn.try_recv(Duration::from_millis(100)).is_none());
    // One answer frees one slot.
    conn.answer_submit(&submits[0], "x0");
    let done = esme.completions().recv_timeout(WAIT).expect("completion");
    assert!(done.outcome.is_ok());
    esme.submit_async(more.clone(), SubmitMode::FailFast)
        .expect("the freed slot");
    assert_eq!(
        esme.submit_async(more, SubmitMode::FailFast).unwrap_err(),
        SubmitError::WindowFull
    );
    conn.take_submits(1);
}

#[test]
fn wait_gives_up_after_its_deadline() {
    let (esme, _rt, _peer, _conn, _submits) = fill_window();
    let started = Instant::now();
    assert_eq!(
        esme.submit_async(
            Body::SubmitSm(submit_sm("more", 0)),
            SubmitMode::Wait(Duration::from_millis(300))
        )
        .unwrap_err(),
        SubmitError::WindowFull
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    assert_eq!(esme.in_flight(), WINDOW);
}

#[test]
fn wait_takes_the_slot_a_response_frees() {
    let (esme, _rt, _peer, mut conn, submits) = fill_window();
    std::thread::scope(|s| {
        let waiting = s.spawn(|| {
            let started = Instant::now();
            let ticket = esme.submit_async(
                Body::SubmitSm(submit_sm("more", 0)),
                SubmitMode::Wait(Duration::from_secs(3)),
            );
            (ticket, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        assert!(!waiting.is_finished(), "the submit waits for a slot");
        conn.answer_submit(&submits[2], "x2");
        let (ticket, waited) = waiting.join().unwrap();
        let ticket = ticket.expect("the freed slot");
        assert!(waited >= Duration::from_millis(190), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
        // The waiting submit goes out and is answered in turn.
        let more = conn.recv(WAIT);
        conn.answer_submit(&more, "x4");
        let mut seen = Vec::new();
        for _ in 0..2 {
            let done = esme.completions().recv_timeout(WAIT).expect("completion");
            seen.push((done.ticket, message_id(&done.outcome.unwrap())));
        }
        assert!(seen.contains(&(ticket, "x4".to_string())), "{seen:?}");
    });
    assert_eq!(esme.in_flight(), WINDOW - 1);
}

/// Polls `done` until it holds. The bound only stops a broken build from
/// hanging: far above what a loaded machine takes.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + 10 * WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The completions queue full (room for [`ROOM`], the event capacity)
/// and a window of answered submits waiting on the worker behind it, the
/// application having read none; how many were sent.
fn fill_completions() -> (Esme, smpp::runtime::Runtime, RawListener, RawConn, usize) {
    let (esme, rt, peer, mut conn, submits) = fill_window_with(ROOM);
    let mut pending = submits;
    let mut sent = WINDOW;
    loop {
        for (i, submit) in pending.iter().enumerate() {
            conn.answer_submit(submit, &format!("x{}", sent - WINDOW + i));
        }
        if sent >= ROOM + WINDOW {
            break;
        }
        // The answered requests gave their slots back once their
        // completions were in the queue.
        eventually("the completions", || {
            esme.completions().len() == sent.min(ROOM)
        });
        eventually("free slots", || esme.in_flight() == 0);
        for i in 0..WINDOW {
            esme.submit_async(
                Body::SubmitSm(submit_sm(&format!("m{}", sent + i), 0)),
                SubmitMode::FailFast,
            )
            .expect("a window slot is free");
        }
        pending = conn.take_submits(WINDOW);
        sent += WINDOW;
    }
    eventually("a full queue", || esme.completions().len() == ROOM);
    (esme, rt, peer, conn, sent)
}

/// Room in the completions queue in these tests (the event capacity).
const ROOM: usize = 64;

#[test]
fn unread_completions_hold_their_window_slots_and_none_is_lost() {
    let (esme, _rt, _peer, _conn, sent) = fill_completions();
    // The queue is full: the last four completions wait on the worker,
    // each holding its slot, so submits stop.
    assert_eq!(esme.completions().len(), ROOM);
    assert_eq!(esme.in_flight(), WINDOW);
    assert_eq!(
        esme.submit_async(Body::SubmitSm(submit_sm("more", 0)), SubmitMode::FailFast)
            .unwrap_err(),
        SubmitError::WindowFull
    );
    // Room for one: the first waiting completion moves in and frees its
    // slot.
    let first = esme.completions().recv().unwrap();
    eventually("a waiting completion", || {
        esme.completions().len() == ROOM && esme.in_flight() == WINDOW - 1
    });
    // Every outcome arrives, in order.
    let mut tickets = vec![first.ticket.0];
    while tickets.len() < sent {
        let done = esme.completions().recv_timeout(WAIT).expect("completion");
        assert!(done.outcome.is_ok());
        tickets.push(done.ticket.0);
    }
    assert_eq!(tickets, (0..sent as u64).collect::<Vec<_>>());
    eventually("every slot back", || esme.in_flight() == 0);
}

#[test]
fn completions_waiting_for_room_survive_a_forced_unbind() {
    let (esme, _rt, _peer, _conn, sent) = fill_completions();
    // One read makes room for one of the completions waiting on the
    // worker: once it has moved in, the other answers are on the worker
    // too, waiting for room.
    let first = esme.completions().recv().unwrap();
    eventually("a waiting completion", || {
        esme.completions().len() == ROOM && esme.in_flight() == WINDOW - 1
    });
    // The peer never answers the unbind: the link is given up at once,
    // with its last completions still waiting for room.
    assert!(!esme.unbind_until(Instant::now()));
    eventually("the link closed", || {
        esme.link_states() == [smpp::runtime::LinkState::Closed]
    });
    let mut tickets = vec![first.ticket.0];
    while tickets.len() < sent {
        let done = esme.completions().recv_timeout(WAIT).expect("completion");
        assert!(
            done.outcome.is_ok(),
            "{} of {sent}: {:?}",
            tickets.len(),
            done.outcome
        );
        tickets.push(done.ticket.0);
    }
    assert_eq!(tickets, (0..sent as u64).collect::<Vec<_>>());
    assert_eq!(esme.in_flight(), 0);
}
