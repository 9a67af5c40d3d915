//! A completion handler: outcomes taken on the worker, and submits made
//! from there, against a real SMSC and against a raw peer that answers only
//! when told.

use crate::raw_peer::RawListener;
use crate::support::*;
use crossbeam_channel::unbounded;
use smpp::pdu::Body;
use smpp::runtime::{Completion, Esme, LinkSubmitter, SubmitError, SubmitMode, Ticket};
use smpp::session::{BindMode, Throughput};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WINDOW: usize = 4;

#[test]
fn a_handler_keeps_the_window_full_until_the_count_is_sent() {
    const COUNT: usize = 2_000;
    let rt = runtime();
    let (smsc, _seen) = start_smsc(&rt, smsc_config(), None);
    let mut config = esme_config(smsc.local_addr(), BindMode::Transmitter);
    config.sessions = 2;
    let esme = Esme::connect(&rt, config).expect("binds");
    // The handler sends until COUNT submits in all have gone out (the
    // first 16 from here), then lets the windows drain.
    let done = chain_submits(&esme, COUNT - 16);
    // The application only starts: a window's worth on each link.
    let start = Instant::now();
    assert_eq!(fill_windows(&esme), 2 * 8, "two links, a window of 8 each");
    let mut tickets = BTreeSet::new();
    let mut sent_by_handler = 0;
    for _ in 0..COUNT {
        let (c, next, batch) = done.recv_timeout(WAIT).expect("the next outcome");
        // The batch's time: after the first submit, before its outcome
        // is seen here.
        assert!(start <= batch && batch <= Instant::now());
        assert!(c.outcome.is_ok(), "{:?}", c.outcome);
        assert!(tickets.insert(c.ticket), "{:?} twice", c.ticket);
        if let Some(next) = next {
            next.expect("the freed slot takes the next submit");
            sent_by_handler += 1;
        }
    }
    assert_eq!(sent_by_handler, COUNT - 16);
    assert_eq!(tickets.len(), COUNT);
    assert!(tickets.iter().all(|t| t.0 < COUNT as u64));
    assert_quiet(&done, Duration::from_millis(100), "the handler");
    // No outcome went to the queue, and a blocking call still answers
    // its caller.
    assert!(esme.completions().is_empty());
    esme.submit(submit_sm("blocking", 0))
        .expect("a blocking submit is answered");
    drop(done);
    esme.unbind();
}

/// A handler on a link held to a rate: a submit the session cannot send
/// at once waits, those behind it too, and all go out in the order they
/// were submitted, none refused.
#[test]
fn a_handler_on_a_rate_limited_link_sends_every_submit_in_order() {
    const COUNT: usize = 60;
    let rt = runtime();
    let (smsc, _seen) = start_smsc(&rt, smsc_config(), None);
    let mut config = esme_config(smsc.local_addr(), BindMode::Transmitter);
    // 4 at once, then one each 5 ms: most submits wait for the rate.
    config.session.throughput = Some(Throughput {
        per_second: 200,
        burst: 4,
    });
    let esme = Esme::connect(&rt, config).expect("binds");
    let done = chain_submits(&esme, COUNT - 8);
    assert_eq!(fill_windows(&esme), 8, "a window of 8");
    let mut answered = Vec::new();
    for _ in 0..COUNT {
        let (c, next, _) = done.recv_timeout(WAIT).expect("the next outcome");
        let pdu = c.outcome.expect("every submit is accepted");
        let id = u64::from_str_radix(&message_id(&pdu), 16).expect("a hex message id");
        answered.push((c.ticket, id));
        if let Some(next) = next {
            next.expect("the freed slot takes the next submit");
        }
    }
    assert_quiet(&done, Duration::from_millis(100), "the handler");
    // The SMSC numbers the submits of its one session as they come: in
    // ticket order, the numbers rise.
    answered.sort();
    assert!(
        answered.windows(2).all(|w| w[0].1 < w[1].1),
        "sent out of order: {answered:?}"
    );
    drop(done);
    esme.unbind();
}

/// What [`chain_submits`]' handler saw of each outcome: the outcome, the
/// submit it made in the slot freed (if the budget lasted), and the
/// batch's time.
type Chained = (Completion, Option<Result<Ticket, SubmitError>>, Instant);

/// Sets a handler that, for each outcome, submits one more while `budget`
/// lasts (each outcome frees a slot: the next submit takes it), and hands
/// what it saw out of the receiver.
fn chain_submits(esme: &Esme, budget: usize) -> crossbeam_channel::Receiver<Chained> {
    let budget = Arc::new(AtomicUsize::new(budget));
    let (done_tx, done) = unbounded();
    esme.set_completion_handler(|_link| {
        let (done_tx, budget) = (done_tx.clone(), budget.clone());
        move |c: Completion, link: &mut LinkSubmitter<'_>| {
            let take = budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            let next = take.then(|| link.submit(Body::SubmitSm(submit_sm("next", 0))));
            let _ = done_tx.send((c, next, link.now()));
        }
    });
    done
}

/// Submits from the application without waiting until every window is
/// full; how many went.
fn fill_windows(esme: &Esme) -> usize {
    let mut started = 0;
    while esme
        .submit_async(Body::SubmitSm(submit_sm("first", 0)), SubmitMode::FailFast)
        .is_ok()
    {
        started += 1;
    }
    started
}

/// A bound ESME (window `WINDOW`) with a handler that, for each outcome,
/// tries two submits; what it saw comes out of the receiver.
#[allow(clippy::type_complexity)]
fn greedy_handler() -> (
    Esme,
    smpp::runtime::Runtime,
    RawListener,
    crate::raw_peer::RawConn,
    crossbeam_channel::Receiver<(Completion, [Result<Ticket, SubmitError>; 2])>,
) {
    let rt = runtime();
    let peer = RawListener::bind();
    let mut config = esme_config(peer.addr(), BindMode::Transmitter);
    config.session.window = WINDOW;
    config.session.response_timeout = Duration::from_secs(5);
    config.reconnect = None;
    let (esme, conn) = bind_to_raw_peer(&rt, &peer, config);
    let (seen_tx, seen) = unbounded();
    esme.set_completion_handler(move |_link| {
        let seen_tx = seen_tx.clone();
        move |c: Completion, link: &mut LinkSubmitter<'_>| {
            let tries = [
                link.submit(Body::SubmitSm(submit_sm("again", 0))),
                link.submit(Body::SubmitSm(submit_sm("again", 0))),
            ];
            let _ = seen_tx.send((c, tries));
        }
    });
    for _ in 0..WINDOW {
        esme.submit_async(Body::SubmitSm(submit_sm("first", 0)), SubmitMode::FailFast)
            .expect("a free slot");
    }
    (esme, rt, peer, conn, seen)
}

#[test]
fn a_handler_gets_each_outcome_with_its_slot_free_and_no_more() {
    let (esme, _rt, _peer, mut conn, seen) = greedy_handler();
    let submits = conn.take_submits(WINDOW);
    conn.answer_submit(&submits[0], "id0");
    let (c, tries) = seen.recv_timeout(WAIT).expect("the outcome");
    assert_eq!(message_id(c.outcome.as_ref().unwrap()), "id0");
    // One slot came back: one submit took it, the second found none.
    assert!(tries[0].is_ok(), "{tries:?}");
    assert_eq!(tries[1], Err(SubmitError::WindowFull));
    // Exactly that one went out, as soon as the handler returned.
    let next = conn.take_submits(1);
    assert!(conn.try_recv(Duration::from_millis(100)).is_none());
    assert_eq!(esme.in_flight(), WINDOW);
    // The application competes for the same slots.
    assert_eq!(
        esme.submit_async(Body::SubmitSm(submit_sm("app", 0)), SubmitMode::FailFast),
        Err(SubmitError::WindowFull)
    );
    conn.answer_submit(&next[0], "id4");
    let (c, _) = seen.recv_timeout(WAIT).expect("the outcome");
    assert_eq!(message_id(c.outcome.as_ref().unwrap()), "id4");
    assert!(esme.completions().is_empty());
}

#[test]
fn a_handler_on_a_lost_link_gets_every_outcome_and_its_submits_are_refused() {
    let (esme, _rt, _peer, mut conn, seen) = greedy_handler();
    conn.take_submits(WINDOW);
    drop(conn);
    for _ in 0..WINDOW {
        let (c, tries) = seen.recv_timeout(WAIT).expect("an outcome per submit");
        assert_eq!(
            c.outcome.unwrap_err(),
            SubmitError::LinkLost {
                maybe_delivered: true
            }
        );
        assert_eq!(
            tries,
            [Err(SubmitError::NotBound), Err(SubmitError::NotBound)]
        );
    }
    assert_quiet(&seen, Duration::from_millis(200), "the handler");
    assert_eq!(esme.in_flight(), 0, "every slot came back");
    assert!(esme.completions().is_empty());
}

#[test]
fn a_greedy_handler_leaves_a_slot_to_a_blocking_call() {
    let rt = runtime();
    let (smsc, _seen) = start_smsc(&rt, smsc_config(), None);
    let esme =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Transmitter)).expect("binds");
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done) = unbounded();
    let handler_stop = stop.clone();
    esme.set_completion_handler(move |_link| {
        let (done_tx, stop) = (done_tx.clone(), handler_stop.clone());
        move |c: Completion, link: &mut LinkSubmitter<'_>| {
            // Greedy: every slot it can get.
            while !stop.load(Ordering::SeqCst)
                && link.submit(Body::SubmitSm(submit_sm("again", 0))).is_ok()
            {}
            let _ = done_tx.send(c.outcome.is_ok());
        }
    });
    while esme
        .submit_async(Body::SubmitSm(submit_sm("first", 0)), SubmitMode::FailFast)
        .is_ok()
    {}
    // The handler keeps the window full from here on.
    for _ in 0..100 {
        assert!(done.recv_timeout(WAIT).expect("an outcome"));
    }
    // Blocking calls wait for a slot, and each gets the next one freed.
    for _ in 0..20 {
        esme.submit(submit_sm("blocking", 0))
            .expect("a slot is left to the waiting caller");
    }
    stop.store(true, Ordering::SeqCst);
    esme.unbind();
}
