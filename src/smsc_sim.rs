//! A simulated SMSC's behaviour, shared by `smsc-sim` and `smppd --demo`
//! (the module is named for the binary):
//! accounts, a message store that `query_sm`, `cancel_sm` and `replace_sm`
//! act on, receipts after a delay with a weighted mix of outcomes, and the
//! faults real SMSCs inflict on ESMEs (slow, lost and refused answers,
//! dropped connections).
//!
//! # The message store
//!
//! Every accepted submit_sm, data_sm and submit_multi gets an id (eight hex
//! digits) and an entry: ENROUTE until its receipt is due
//! ([`SimConfig::dlr_delay`] after the submit), then the outcome drawn from
//! [`SimConfig::dlr_mix`], with that moment as its final date. A message
//! with no receipt delay is final at once. A cancelled message is DELETED
//! and sends no receipt; a replaced one keeps its id, and its receipt shows
//! the new text. The store holds at most [`SimConfig::store_max`] messages:
//! the oldest final ones make room first; when every stored message is
//! still pending, new submits get ESME_RMSGQFUL (what an SMSC with a full
//! store answers).
//!
//! # Receipts
//!
//! A submit_sm or submit_multi gets its receipt as a deliver_sm, a data_sm
//! as a data_sm (SMPP 3.4 §4.7: the SMSC may deliver receipts by data_sm;
//! an ESME that speaks data_sm gets them the way it asked), with the
//! Appendix B text (in `message_payload` for a data_sm) and the
//! `receipted_message_id` and `message_state` TLVs. `registered_delivery`
//! 1 asks for every receipt, 2 for failures only. The receipt goes to the
//! session that submitted ([`DlrRoute::Same`]) or to another receiving
//! session of the same account ([`DlrRoute::Other`]); either way, when the
//! chosen session cannot take it (closed, or bound as transmitter) another
//! receiving session of the account gets it, as with an SMSC that queues
//! receipts per account. A receipt or MO message that finds no receiver
//! (the account's sessions all closed, or one closed with it queued or
//! unanswered) waits until a receiver of the account binds; an ESME that
//! was cut off gets it after it reconnects, possibly a second time.

use crate::auth::constant_time_eq;
use crate::datetime::{DateTime, SmppTime};
use crate::pdu::{
    Address, Bind, Body, COctet, CancelSm, CommandStatus, DataCoding, DataSm, DeliverSm,
    DestAddress, QuerySm, QuerySmResp, ReplaceSm, ShortMessage, SubmitMulti, SubmitMultiResp,
    SubmitSm, TimeString, Tlv, TlvTag, UnsuccessSme, ESM_TYPE_RECEIPT,
};
use crate::receipt::{receipt_text, receipt_text_head, receipt_tlvs, MessageState};
use crate::runtime::{SessionInfo, SmscContext, SmscHandler, SmscTimer};
use crate::session::{BindMode, CloseReason};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where receipts go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DlrRoute {
    /// The session that submitted the message.
    #[default]
    Same,
    /// Another receiving session of the same account (round robin), as
    /// SMSCs do when an account holds several binds; the submitting
    /// session when it is the account's only receiver.
    Other,
}

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Accounts that may bind: (system_id, password).
    pub accounts: Vec<(String, String)>,
    /// Receipts go out this long after a submit that asked for one; the
    /// message stays ENROUTE until then.
    pub dlr_delay: Duration,
    /// The receipts' outcomes and their weights (each message draws one);
    /// an empty mix means DELIVRD.
    pub dlr_mix: Vec<(MessageState, u32)>,
    /// Every Nth submit gets ESME_RSUBMITFAIL (0: never).
    pub reject_every: u64,
    /// Most messages the store holds.
    pub store_max: usize,
    /// Each submit's answer is held back this long.
    pub response_delay: Duration,
    /// Every Nth submit is never answered, and forgotten (0: never).
    pub no_response_every: u64,
    /// A session's connection is dropped, without unbind, right after the
    /// answer to its every Nth submit (0: never).
    pub close_every: u64,
    /// Destinations starting with one of these get ESME_RINVDSTADR (an
    /// `unsuccess_sme` in a submit_multi).
    pub reject_dest: Vec<String>,
    /// Where receipts go.
    pub dlr_route: DlrRoute,
    /// A submit to one of the simulator's own numbers (see
    /// [`is_own_number`]) comes back as an MO message.
    pub loopback: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: vec![("smppclient1".into(), "password".into())],
            dlr_delay: Duration::ZERO,
            dlr_mix: vec![(MessageState::Delivered, 1)],
            reject_every: 0,
            store_max: 100_000,
            response_delay: Duration::ZERO,
            no_response_every: 0,
            close_every: 0,
            reject_dest: Vec::new(),
            dlr_route: DlrRoute::Same,
            loopback: false,
        }
    }
}

/// Why a `--dlr-stat` mix could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MixError {
    /// A word that is not a receipt state.
    State(String),
    /// A weight that is not a whole number.
    Weight(String),
    /// No weight above zero.
    Empty,
}

impl std::fmt::Display for MixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MixError::State(s) => write!(f, "{s:?} is not a receipt state"),
            MixError::Weight(w) => write!(f, "{w:?} is not a weight (a whole number)"),
            MixError::Empty => f.write_str("no state has a weight above zero"),
        }
    }
}

impl std::error::Error for MixError {}

/// Reads `STAT[:WEIGHT],...` (`DELIVRD:80,UNDELIV:15,EXPIRED:5`; a state
/// without a weight weighs 1, so a bare `DELIVRD` is every receipt).
pub fn parse_dlr_mix(text: &str) -> Result<Vec<(MessageState, u32)>, MixError> {
    let mut mix = Vec::new();
    for part in text.split(',') {
        let (word, weight) = match part.split_once(':') {
            Some((w, n)) => {
                let n: u32 = n
                    .trim()
                    .parse()
                    .map_err(|_| MixError::Weight(n.to_string()))?;
                (w, n)
            }
            None => (part, 1),
        };
        let state =
            MessageState::from_stat(word).ok_or_else(|| MixError::State(word.to_string()))?;
        if weight > 0 {
            mix.push((state, weight));
        }
    }
    if mix.is_empty() {
        return Err(MixError::Empty);
    }
    Ok(mix)
}

/// The simulator's own numbers, which [`SimConfig::loopback`] sends back as
/// MO messages: the UK's range for drama, +44 7700 900000 to 900999
/// (`447700900NNN`, `+447700900NNN` or `07700900NNN`), which no real phone
/// uses. `smsc-sim --mo-every-ms` sends from one of them too.
pub fn is_own_number(addr: &[u8]) -> bool {
    let digits = addr.strip_prefix(b"+").unwrap_or(addr);
    let rest = digits
        .strip_prefix(b"447700900")
        .or_else(|| digits.strip_prefix(b"07700900"));
    rest.is_some_and(|r| r.len() == 3 && r.iter().all(u8::is_ascii_digit))
}

/// Which PDU carries a message's receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    DeliverSm,
    DataSm,
}

/// One stored message.
#[derive(Debug)]
struct Entry {
    state: MessageState,
    /// When it became final.
    final_date: Option<DateTime>,
    submitted: DateTime,
    /// The state its receipt will report.
    outcome: MessageState,
    /// Its account (an index into [`SimConfig::accounts`]).
    account: usize,
    /// `registered_delivery`'s receipt bits.
    registered: u8,
    via: Via,
    service_type: COctet<6>,
    addrs: Addrs,
    /// submit_multi: its other accepted destinations.
    more: Vec<Address<21>>,
    data_coding: DataCoding,
    /// The receipt's `text:`.
    head: Vec<u8>,
}

impl Entry {
    /// Whether its receipt goes out: `registered_delivery` 1 always, 2 on
    /// failure.
    fn wants_receipt(&self) -> bool {
        match self.registered & 0x03 {
            0 => false,
            2 => self.outcome != MessageState::Delivered,
            _ => true,
        }
    }

    fn finish(&mut self, state: MessageState, now: DateTime) {
        self.state = state;
        self.final_date = Some(now);
    }
}

/// A message's originator and recipient: inline when they fit the 20
/// characters of submit_sm (every submit_sm and submit_multi, and most
/// data_sm), boxed otherwise, to keep entries small.
#[derive(Debug)]
enum Addrs {
    Short(Address<21>, Address<21>),
    Long(Box<(Address<65>, Address<65>)>),
}

impl Addrs {
    fn new(source: AddrRef<'_>, dest: AddrRef<'_>) -> Addrs {
        if source.bytes().len() <= 20 && dest.bytes().len() <= 20 {
            Addrs::Short(source.short(), dest.short())
        } else {
            Addrs::Long(Box::new((source.long(), dest.long())))
        }
    }

    fn source(&self) -> Address<65> {
        match self {
            Addrs::Short(s, _) => widen(s),
            Addrs::Long(b) => b.0,
        }
    }

    fn dest(&self) -> Address<65> {
        match self {
            Addrs::Short(_, d) => widen(d),
            Addrs::Long(b) => b.1,
        }
    }

    fn source_bytes(&self) -> &[u8] {
        match self {
            Addrs::Short(s, _) => s.addr.as_bytes(),
            Addrs::Long(b) => b.0.addr.as_bytes(),
        }
    }

    fn dest_bytes(&self) -> &[u8] {
        match self {
            Addrs::Short(_, d) => d.addr.as_bytes(),
            Addrs::Long(b) => b.1.addr.as_bytes(),
        }
    }
}

/// A part of the store, with its own lock (workers answer in parallel).
///
/// Its messages sit in a ring in id order: a submit appends at the back,
/// eviction (the oldest final message first, which is the oldest message
/// unless an older one is still pending) leaves a hole that the front
/// sheds. Both ends move in order, which keeps a store far larger than the
/// CPU caches cheap: a hash map of the same size cost a cache miss per
/// insert and per eviction.
#[derive(Debug, Default)]
struct Shard {
    /// Messages by id, ascending; `None` where one was evicted.
    slots: VecDeque<(u64, Option<Entry>)>,
    /// Messages held.
    live: usize,
    /// Final messages' ids, oldest final first: the order of eviction.
    finals: VecDeque<u64>,
}

impl Shard {
    fn position(&self, id: u64) -> Option<usize> {
        match self.slots.front() {
            Some(&(front, _)) if front == id => Some(0),
            _ => self.slots.binary_search_by_key(&id, |&(i, _)| i).ok(),
        }
    }

    fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    fn get(&self, id: u64) -> Option<&Entry> {
        self.slots.get(self.position(id)?)?.1.as_ref()
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Entry> {
        let i = self.position(id)?;
        self.slots.get_mut(i)?.1.as_mut()
    }

    fn insert(&mut self, id: u64, entry: Entry) {
        let slot = (id, Some(entry));
        match self.slots.back() {
            None => self.slots.push_back(slot),
            Some(&(last, _)) if last < id => self.slots.push_back(slot),
            // Ids are taken before the shard is locked: a thread sharing
            // this shard may come second with an earlier one.
            _ => match self.slots.binary_search_by_key(&id, |&(i, _)| i) {
                Ok(i) => {
                    if self.slots[i].1.is_some() {
                        self.live -= 1;
                    }
                    self.slots[i] = slot;
                }
                Err(i) => self.slots.insert(i, slot),
            },
        }
        self.live += 1;
    }

    fn remove(&mut self, id: u64) {
        if let Some(i) = self.position(id) {
            if self.slots[i].1.take().is_some() {
                self.live -= 1;
            }
        }
        while matches!(self.slots.front(), Some((_, None))) {
            self.slots.pop_front();
        }
    }

    /// Evicts its oldest final message: false when it has none.
    fn evict(&mut self) -> bool {
        match self.finals.pop_front() {
            Some(id) => {
                self.remove(id);
                true
            }
            None => false,
        }
    }

    /// Every stored message, with its id.
    fn entries_mut(&mut self) -> impl Iterator<Item = (u64, &mut Entry)> {
        self.slots
            .iter_mut()
            .filter_map(|(id, e)| e.as_mut().map(|e| (*id, e)))
    }
}

/// Shards, each with its own lock. Each worker thread stores into a shard
/// of its own, so threads share no lock and no written cache line per
/// submit (but the submit counter that numbers messages): the count
/// of stored messages only changes while the store fills, and once it is
/// full a submit evicts (in its own shard first) as it inserts.
#[derive(Debug)]
struct Store {
    shards: Vec<Mutex<Shard>>,
    /// Hands threads their shards, round robin.
    threads: AtomicUsize,
    /// Messages stored, in all shards.
    total: AtomicUsize,
    /// Most messages stored.
    max: usize,
}

/// Shards of a store; worker threads beyond this share them.
const SHARDS: usize = 16;

impl Store {
    fn new(max: usize) -> Store {
        let shards = (0..SHARDS).map(|_| Mutex::default()).collect();
        Store {
            shards,
            threads: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            max: max.max(1),
        }
    }

    /// Makes room for one more message in `own` (the caller's shard,
    /// locked): false when the store is full and every stored message is
    /// pending. The oldest final message of `own` goes first, else one of
    /// another shard (one not locked at the moment: waiting for it while
    /// holding `own` could deadlock).
    fn make_room(&self, own: &mut Shard, own_index: usize) -> bool {
        let admitted = self
            .total
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                (t < self.max).then_some(t + 1)
            })
            .is_ok();
        if admitted || own.evict() {
            return true;
        }
        self.shards.iter().enumerate().any(|(i, other)| {
            i != own_index
                && match other.try_lock() {
                    Ok(mut shard) => shard.evict(),
                    Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().evict(),
                    Err(std::sync::TryLockError::WouldBlock) => false,
                }
        })
    }

    /// The calling thread's shard, and its index.
    fn own_shard(&self) -> (std::sync::MutexGuard<'_, Shard>, usize) {
        thread_local! {
            static INDEX: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
        }
        let index = INDEX.with(|i| match i.get() {
            Some(i) => i,
            None => {
                let n = self.threads.fetch_add(1, Ordering::Relaxed);
                i.set(Some(n));
                n
            }
        });
        let index = index % self.shards.len();
        (crate::runtime::sync::lock(&self.shards[index]), index)
    }

    /// The shard holding message `id`, locked: the calling thread's own
    /// first (where its timers' messages are), then the others.
    fn shard_of(&self, id: u64) -> Option<std::sync::MutexGuard<'_, Shard>> {
        let (own, index) = self.own_shard();
        if own.contains(id) {
            return Some(own);
        }
        drop(own);
        self.shards
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != index)
            .map(|(_, s)| crate::runtime::sync::lock(s))
            .find(|s| s.contains(id))
    }
}

/// A bound session that may receive, for routing receipts and MO
/// messages.
#[derive(Debug)]
struct Receiver {
    id: u64,
    account: usize,
}

/// The simulator's [`SmscHandler`].
#[derive(Debug)]
pub struct SimHandler {
    config: SimConfig,
    /// Submits seen, for `no_response_every`.
    submits: AtomicU64,
    store: Store,
    /// Bound sessions that may receive.
    receivers: Mutex<Vec<Receiver>>,
    /// Deliveries waiting for a receiver of their account to bind (at
    /// most `store_max` in all; the oldest go first).
    held: Mutex<HashMap<usize, VecDeque<Body>>>,
    /// Round robin over an account's other receivers.
    turn: AtomicUsize,
    /// Cumulative weights of the receipt mix.
    mix: Vec<(u64, MessageState)>,
    /// Seeds the outcome draws (different each run).
    seed: u64,
}

/// An address of a request, borrowed: submit_sm-sized or data_sm-sized.
#[derive(Clone, Copy)]
enum AddrRef<'a> {
    Short(&'a Address<21>),
    Long(&'a Address<65>),
}

impl AddrRef<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            AddrRef::Short(a) => a.addr.as_bytes(),
            AddrRef::Long(a) => a.addr.as_bytes(),
        }
    }

    fn short(&self) -> Address<21> {
        match self {
            AddrRef::Short(a) => **a,
            AddrRef::Long(a) => narrow(a),
        }
    }

    fn long(&self) -> Address<65> {
        match self {
            AddrRef::Short(a) => widen(a),
            AddrRef::Long(a) => **a,
        }
    }
}

/// A submit of any kind, as the store sees it.
struct Submitted<'a> {
    service_type: COctet<6>,
    source: AddrRef<'a>,
    dest: AddrRef<'a>,
    more: Vec<Address<21>>,
    esm_class: u8,
    registered: u8,
    data_coding: DataCoding,
    payload: &'a [u8],
    via: Via,
}

impl SimHandler {
    /// A simulator with these settings.
    pub fn new(config: SimConfig) -> SimHandler {
        let mut total = 0u64;
        let mut mix = Vec::new();
        for &(state, w) in &config.dlr_mix {
            if w > 0 {
                total += u64::from(w);
                mix.push((total, state));
            }
        }
        if mix.is_empty() {
            mix.push((1, MessageState::Delivered));
        }
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x5EED, |d| d.as_nanos() as u64);
        SimHandler {
            store: Store::new(config.store_max),
            config,
            submits: AtomicU64::new(0),
            receivers: Mutex::new(Vec::new()),
            held: Mutex::new(HashMap::new()),
            turn: AtomicUsize::new(0),
            mix,
            seed,
        }
    }

    /// Draws a receipt outcome for message `n`.
    fn outcome(&self, n: u64) -> MessageState {
        let total = self.mix.last().map_or(1, |&(t, _)| t);
        let r = splitmix64(self.seed ^ n) % total;
        self.mix
            .iter()
            .find(|&&(t, _)| r < t)
            .map_or(MessageState::Delivered, |&(_, s)| s)
    }

    fn rejected_dest(&self, addr: &[u8]) -> bool {
        self.config
            .reject_dest
            .iter()
            .any(|p| addr.starts_with(p.as_bytes()))
    }

    /// The faults and answer timing every kind of submit shares: whether
    /// this one is answered at all, late, or followed by a dropped
    /// connection. `None`: never answered, and forgotten; else the
    /// submit's number (from 1, over all sessions).
    fn plan_answer(&self, ctx: &mut SmscContext<'_>) -> Option<u64> {
        if self.config.close_every > 0 && ctx.submits % self.config.close_every == 0 {
            // Also when this submit is left unanswered: the connection
            // drops after it all the same.
            ctx.close_after_response();
        }
        let n = self.submits.fetch_add(1, Ordering::Relaxed) + 1;
        if self.config.no_response_every > 0 && n % self.config.no_response_every == 0 {
            log::debug!("submit {n}: left unanswered");
            ctx.no_response();
            return None;
        }
        if !self.config.response_delay.is_zero() {
            ctx.respond_after(self.config.response_delay);
        }
        Some(n)
    }

    /// The account a session bound as.
    fn account_of(&self, session: &SessionInfo) -> usize {
        self.config
            .accounts
            .iter()
            .position(|(a, _)| *a == session.system_id)
            .unwrap_or(usize::MAX)
    }

    /// Stores an accepted message and schedules its receipt; its id.
    /// `k` is the submit's number (for `reject_every` and the outcome
    /// draw).
    fn accept(
        &self,
        ctx: &mut SmscContext<'_>,
        k: u64,
        m: Submitted<'_>,
    ) -> Result<COctet<65>, CommandStatus> {
        if self.config.reject_every > 0 && k % self.config.reject_every == 0 {
            return Err(CommandStatus::SubmitFail);
        }
        let now = wall_time(ctx.now());
        let loop_back = self.config.loopback && is_own_number(m.dest.bytes());
        let mo = loop_back.then(|| mo_message(&m));
        let mut entry = Entry {
            state: MessageState::Enroute,
            final_date: None,
            submitted: now,
            outcome: self.outcome(k),
            account: self.account_of(ctx.session),
            registered: m.registered,
            via: m.via,
            service_type: m.service_type,
            addrs: Addrs::new(m.source, m.dest),
            more: m.more,
            data_coding: m.data_coding,
            // Only a receipt shows it (a replace_sm asking for one sets it).
            head: if m.registered & 0x03 != 0 {
                receipt_text_head(m.payload, m.esm_class, m.data_coding)
            } else {
                Vec::new()
            },
        };
        let immediate = self.config.dlr_delay.is_zero();
        if immediate {
            entry.finish(entry.outcome, now);
        }
        let account = entry.account;
        let wants_receipt = immediate && entry.wants_receipt();
        let (n, receipts) = {
            // This thread's shard: ids are taken from it, so threads share
            // no lock and no cache line here.
            let (mut shard, index) = self.store.own_shard();
            if !self.store.make_room(&mut shard, index) {
                log::warn!("message store full of pending messages: submit refused");
                return Err(CommandStatus::MsgQFul);
            }
            let n = k;
            let receipts = if wants_receipt {
                build_receipts(&message_id(n), &entry)
            } else {
                Vec::new()
            };
            shard.insert(n, entry);
            if immediate {
                shard.finals.push_back(n);
            }
            (n, receipts)
        };
        if immediate {
            for body in receipts {
                self.route(ctx, account, body, self.config.dlr_route);
            }
        } else {
            ctx.timer(self.config.dlr_delay, n);
        }
        if let Some(body) = mo {
            // An MO goes to one receiver of the account: this session when
            // it may receive.
            self.route(ctx, account, body, DlrRoute::Same);
        }
        Ok(message_id_field(n))
    }

    /// Sends `body` from a request's handler to where `route` says.
    fn route(&self, ctx: &mut SmscContext<'_>, account: usize, body: Body, route: DlrRoute) {
        match self.target(Some(ctx.session), ctx.session.id, account, route) {
            Some(s) if s == ctx.session.id => ctx.send_after(Duration::ZERO, body),
            Some(s) => ctx.send_to(s, Duration::ZERO, body),
            None => self.hold(account, body),
        }
    }

    /// Where a delivery for `origin`'s account goes: `origin` itself when
    /// it is open and may receive and the route is `Same`; else another
    /// receiving session of the account (round robin); else `origin` if it
    /// may receive.
    fn target(
        &self,
        open: Option<&SessionInfo>,
        origin: u64,
        account: usize,
        route: DlrRoute,
    ) -> Option<u64> {
        let here = open
            .filter(|s| s.mode.is_some_and(BindMode::can_receive))
            .map(|s| s.id);
        if route == DlrRoute::Same && here.is_some() {
            return here;
        }
        let receivers = crate::runtime::sync::lock(&self.receivers);
        let count = receivers
            .iter()
            .filter(|r| r.account == account && r.id != origin)
            .count();
        if count == 0 {
            return here;
        }
        let k = self.turn.fetch_add(1, Ordering::Relaxed) % count;
        receivers
            .iter()
            .filter(|r| r.account == account && r.id != origin)
            .nth(k)
            .map(|r| r.id)
    }

    /// Keeps a delivery until a receiver of `account` binds.
    fn hold(&self, account: usize, body: Body) {
        let mut held = crate::runtime::sync::lock(&self.held);
        let total: usize = held.values().map(VecDeque::len).sum();
        let queue = held.entry(account).or_default();
        if total >= self.config.store_max {
            queue.pop_front();
            log::warn!("too many deliveries held for absent receivers: the oldest is dropped");
        }
        queue.push_back(body);
    }

    /// Looks a message up for query_sm, cancel_sm, replace_sm: its number,
    /// when the id is one of ours.
    fn number(id: &COctet<65>) -> Option<u64> {
        let text = id.to_str()?;
        if text.is_empty() || text.len() > 16 {
            return None;
        }
        u64::from_str_radix(text, 16).ok()
    }

    /// Whether a request's `source` names the message's originator (an
    /// empty source matches any).
    fn same_source<const N: usize>(entry: &Entry, source: &Address<N>) -> bool {
        source.addr.is_empty() || entry.addrs.source_bytes() == source.addr.as_bytes()
    }
}

/// Ids are eight or more hex digits.
/// The id as the response carries it, without going through a String.
fn message_id_field(n: u64) -> COctet<65> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = ((64 - n.leading_zeros()).div_ceil(4) as usize).max(8);
    let mut buf = [0u8; 16];
    for (i, b) in buf[..digits].iter_mut().rev().enumerate() {
        *b = HEX[((n >> (4 * i)) & 0xF) as usize];
    }
    COctet::new(&buf[..digits]).unwrap_or_default()
}

/// The time now, to the second; the calendar conversion is done once a
/// second per thread.
fn now() -> DateTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    date_of(secs)
}

/// The wall-clock time, to the second, of `at` (a worker's batch time, as
/// [`SmscContext::now`] gives it): the system clock is read at most once a
/// second per thread, against which `at` is placed by the monotonic clock.
/// The submits of a batch share its time, and so its answer.
fn wall_time(at: Instant) -> DateTime {
    thread_local! {
        static ANCHOR: std::cell::Cell<Option<(Instant, Duration)>> = const { std::cell::Cell::new(None) };
        static LAST: std::cell::Cell<Option<(Instant, DateTime)>> = const { std::cell::Cell::new(None) };
    }
    if let Some((last, date)) = LAST.get() {
        if last == at {
            return date;
        }
    }
    let (mono, wall) = ANCHOR.with(|anchor| match anchor.get() {
        Some((mono, wall)) if at.saturating_duration_since(mono) < Duration::from_secs(1) => {
            (mono, wall)
        }
        _ => {
            let wall = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let mono = Instant::now();
            anchor.set(Some((mono, wall)));
            (mono, wall)
        }
    });
    // A batch taken just before the anchor was read is placed before it.
    let since_epoch = match at.checked_duration_since(mono) {
        Some(later) => wall + later,
        None => wall.saturating_sub(mono - at),
    };
    let date = date_of(since_epoch.as_secs());
    LAST.set(Some((at, date)));
    date
}

/// The calendar date of `secs` since the epoch; converted once a second per
/// thread.
fn date_of(secs: u64) -> DateTime {
    thread_local! {
        static LAST: std::cell::Cell<Option<(u64, DateTime)>> = const { std::cell::Cell::new(None) };
    }
    LAST.with(|last| match last.get() {
        Some((s, t)) if s == secs => t,
        _ => {
            let t = DateTime::from_unix(secs as i64);
            last.set(Some((secs, t)));
            t
        }
    })
}

fn message_id(n: u64) -> String {
    format!("{n:08x}")
}

/// A final date in SMPP's absolute form, in UTC.
fn final_date(t: DateTime) -> TimeString {
    let time = SmppTime::Absolute {
        utc: t,
        tenths: 0,
        offset_quarters: 0,
    };
    TimeString::new(&time.format()).unwrap_or_default()
}

/// splitmix64: a fast, well-mixed hash of a counter, for outcome draws.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn narrow(a: &Address<65>) -> Address<21> {
    Address {
        ton: a.ton,
        npi: a.npi,
        addr: COctet::new(a.addr.as_bytes()).unwrap_or_default(),
    }
}

fn widen<const N: usize>(a: &Address<N>) -> Address<65> {
    Address {
        ton: a.ton,
        npi: a.npi,
        addr: COctet::new(a.addr.as_bytes()).unwrap_or_default(),
    }
}

/// The receipts of a final message: one per destination, addresses
/// swapped, as deliver_sm or data_sm.
fn build_receipts(id: &str, e: &Entry) -> Vec<Body> {
    let done = e.final_date.unwrap_or(e.submitted);
    let text = receipt_text(id, e.outcome, e.submitted, done, &e.head);
    let source = e.addrs.source();
    std::iter::once(e.addrs.dest())
        .chain(e.more.iter().map(widen))
        .map(|dest| {
            let tlvs = receipt_tlvs(id, e.outcome);
            match e.via {
                Via::DeliverSm => {
                    let mut short = text.clone();
                    short.truncate(ShortMessage::MAX);
                    Body::DeliverSm(DeliverSm {
                        source: narrow(&dest),
                        dest: narrow(&source),
                        esm_class: ESM_TYPE_RECEIPT,
                        short_message: ShortMessage::new(&short).unwrap_or_default(),
                        tlvs,
                        ..DeliverSm::default()
                    })
                }
                Via::DataSm => {
                    let mut tlvs = tlvs;
                    tlvs.push(Tlv::octets(TlvTag::MessagePayload, text.clone()));
                    Body::DataSm(DataSm {
                        source: dest,
                        dest: source,
                        esm_class: ESM_TYPE_RECEIPT,
                        tlvs,
                        ..DataSm::default()
                    })
                }
            }
        })
        .collect()
}

/// The MO message a loopback submit comes back as: from the number it was
/// sent to, to its sender, with its text.
fn mo_message(m: &Submitted<'_>) -> Body {
    match m.via {
        Via::DeliverSm => {
            let (short, tlvs) = match ShortMessage::new(m.payload) {
                Ok(s) => (s, crate::pdu::Tlvs::new()),
                Err(_) => {
                    let mut t = crate::pdu::Tlvs::new();
                    t.push(Tlv::octets(TlvTag::MessagePayload, m.payload.to_vec()));
                    (ShortMessage::default(), t)
                }
            };
            Body::DeliverSm(DeliverSm {
                source: m.dest.short(),
                dest: m.source.short(),
                esm_class: m.esm_class & crate::pdu::ESM_UDHI,
                data_coding: m.data_coding,
                short_message: short,
                tlvs,
                ..DeliverSm::default()
            })
        }
        Via::DataSm => {
            let mut tlvs = crate::pdu::Tlvs::new();
            tlvs.push(Tlv::octets(TlvTag::MessagePayload, m.payload.to_vec()));
            Body::DataSm(DataSm {
                source: m.dest.long(),
                dest: m.source.long(),
                esm_class: m.esm_class & crate::pdu::ESM_UDHI,
                data_coding: m.data_coding,
                tlvs,
                ..DataSm::default()
            })
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
        let Some(k) = self.plan_answer(ctx) else {
            return Err(CommandStatus::SysErr);
        };
        if self.rejected_dest(sm.dest.addr.as_bytes()) {
            return Err(CommandStatus::InvDstAdr);
        }
        self.accept(
            ctx,
            k,
            Submitted {
                service_type: sm.service_type,
                source: AddrRef::Short(&sm.source),
                dest: AddrRef::Short(&sm.dest),
                more: Vec::new(),
                esm_class: sm.esm_class,
                registered: sm.registered_delivery,
                data_coding: sm.data_coding,
                payload: sm.payload(),
                via: Via::DeliverSm,
            },
        )
    }

    fn data_sm(&self, ctx: &mut SmscContext<'_>, d: &DataSm) -> Result<COctet<65>, CommandStatus> {
        let Some(k) = self.plan_answer(ctx) else {
            return Err(CommandStatus::SysErr);
        };
        if self.rejected_dest(d.dest.addr.as_bytes()) {
            return Err(CommandStatus::InvDstAdr);
        }
        self.accept(
            ctx,
            k,
            Submitted {
                service_type: d.service_type,
                source: AddrRef::Long(&d.source),
                dest: AddrRef::Long(&d.dest),
                more: Vec::new(),
                esm_class: d.esm_class,
                registered: d.registered_delivery,
                data_coding: d.data_coding,
                payload: d.tlvs.message_payload().unwrap_or_default(),
                via: Via::DataSm,
            },
        )
    }

    fn submit_multi(
        &self,
        ctx: &mut SmscContext<'_>,
        m: &SubmitMulti,
    ) -> Result<SubmitMultiResp, CommandStatus> {
        let Some(k) = self.plan_answer(ctx) else {
            return Err(CommandStatus::SysErr);
        };
        let mut accepted = Vec::new();
        let mut unsuccess = Vec::new();
        for dest in &m.dests {
            match dest {
                DestAddress::Sme(a) if self.rejected_dest(a.addr.as_bytes()) => {
                    unsuccess.push(UnsuccessSme {
                        dest: *a,
                        error_status: CommandStatus::InvDstAdr,
                    });
                }
                DestAddress::Sme(a) => accepted.push(*a),
                DestAddress::DistributionList(name) => {
                    // The simulator holds no distribution lists.
                    unsuccess.push(UnsuccessSme {
                        dest: Address {
                            ton: 0,
                            npi: 0,
                            addr: COctet::new(name.as_bytes()).unwrap_or_default(),
                        },
                        error_status: CommandStatus::InvDlName,
                    });
                }
            }
        }
        if accepted.is_empty() {
            // No destination left: nothing to store or deliver.
            return Err(CommandStatus::InvDstAdr);
        }
        let first = accepted.remove(0);
        let message_id = self.accept(
            ctx,
            k,
            Submitted {
                service_type: m.service_type,
                source: AddrRef::Short(&m.source),
                dest: AddrRef::Short(&first),
                more: accepted,
                esm_class: m.esm_class,
                registered: m.registered_delivery,
                data_coding: m.data_coding,
                payload: match m.tlvs.message_payload() {
                    Some(p) if m.short_message.is_empty() => p,
                    _ => m.short_message.as_bytes(),
                },
                via: Via::DeliverSm,
            },
        )?;
        Ok(SubmitMultiResp {
            message_id,
            unsuccess,
            ..SubmitMultiResp::default()
        })
    }

    fn query_sm(
        &self,
        _ctx: &mut SmscContext<'_>,
        q: &QuerySm,
    ) -> Result<QuerySmResp, CommandStatus> {
        let n = Self::number(&q.message_id).ok_or(CommandStatus::QueryFail)?;
        let shard = self.store.shard_of(n).ok_or(CommandStatus::QueryFail)?;
        let e = shard
            .get(n)
            .filter(|e| Self::same_source(e, &q.source))
            .ok_or(CommandStatus::QueryFail)?;
        Ok(QuerySmResp {
            message_id: q.message_id,
            final_date: e.final_date.map_or(TimeString::EMPTY, final_date),
            message_state: e.state.as_u8(),
            error_code: u8::from(
                e.state.is_final()
                    && !matches!(e.state, MessageState::Delivered | MessageState::Deleted),
            ),
            ..QuerySmResp::default()
        })
    }

    fn cancel_sm(&self, ctx: &mut SmscContext<'_>, c: &CancelSm) -> Result<(), CommandStatus> {
        let now = wall_time(ctx.now());
        if !c.message_id.is_empty() {
            let n = Self::number(&c.message_id).ok_or(CommandStatus::CancelFail)?;
            let mut shard = self.store.shard_of(n).ok_or(CommandStatus::CancelFail)?;
            let e = shard
                .get_mut(n)
                .filter(|e| !e.state.is_final() && Self::same_source(e, &c.source))
                .ok_or(CommandStatus::CancelFail)?;
            e.finish(MessageState::Deleted, now);
            shard.finals.push_back(n);
            return Ok(());
        }
        // An empty id: every pending message from `source` to `dest` (and
        // of `service_type`, when given).
        let mut cancelled = 0;
        for shard in &self.store.shards {
            let mut shard = crate::runtime::sync::lock(shard);
            let mut done = Vec::new();
            for (n, e) in shard.entries_mut() {
                let matches = !e.state.is_final()
                    && e.addrs.source_bytes() == c.source.addr.as_bytes()
                    && e.addrs.dest_bytes() == c.dest.addr.as_bytes()
                    && (c.service_type.is_empty() || e.service_type == c.service_type);
                if matches {
                    e.finish(MessageState::Deleted, now);
                    done.push(n);
                }
            }
            cancelled += done.len();
            shard.finals.extend(done);
        }
        if cancelled == 0 {
            return Err(CommandStatus::CancelFail);
        }
        Ok(())
    }

    fn replace_sm(&self, _ctx: &mut SmscContext<'_>, r: &ReplaceSm) -> Result<(), CommandStatus> {
        let n = Self::number(&r.message_id).ok_or(CommandStatus::ReplaceFail)?;
        let mut shard = self.store.shard_of(n).ok_or(CommandStatus::ReplaceFail)?;
        let e = shard
            .get_mut(n)
            .filter(|e| !e.state.is_final() && Self::same_source(e, &r.source))
            .ok_or(CommandStatus::ReplaceFail)?;
        let text = match r.tlvs.message_payload() {
            Some(p) if r.short_message.is_empty() => p,
            _ => r.short_message.as_bytes(),
        };
        e.head = receipt_text_head(text, 0, e.data_coding);
        e.registered = r.registered_delivery;
        Ok(())
    }

    fn timer(&self, ctx: &mut SmscTimer<'_>, token: u64) {
        let n = token;
        let (account, receipts) = {
            let Some(mut shard) = self.store.shard_of(n) else {
                return;
            };
            let Some(e) = shard.get_mut(n) else {
                return;
            };
            if e.state.is_final() {
                // Cancelled: no receipt.
                return;
            }
            let now = now();
            e.finish(e.outcome, now);
            let receipts = if e.wants_receipt() {
                build_receipts(&message_id(n), e)
            } else {
                Vec::new()
            };
            let account = e.account;
            shard.finals.push_back(n);
            (account, receipts)
        };
        for body in receipts {
            match self.target(ctx.session, ctx.origin, account, self.config.dlr_route) {
                Some(s) => ctx.send_to(s, Duration::ZERO, body),
                None => self.hold(account, body),
            }
        }
    }

    fn ready(&self, ctx: &mut SmscTimer<'_>) {
        let Some(session) = ctx.session else { return };
        if !session.mode.is_some_and(BindMode::can_receive) {
            return;
        }
        let account = self.account_of(session);
        let waiting = crate::runtime::sync::lock(&self.held).remove(&account);
        for body in waiting.into_iter().flatten() {
            ctx.send_to(session.id, Duration::ZERO, body);
        }
    }

    fn undelivered(&self, ctx: &mut SmscTimer<'_>, body: Body) {
        if ctx.session.is_some() {
            // The ESME is there but did not answer: it is not sent again.
            log::debug!("session {}: a delivery went unanswered", ctx.origin);
            return;
        }
        // Its session closed first: to another receiver of the account,
        // or kept until one binds (as an SMSC keeps receipts for an
        // account that is away).
        let account = crate::runtime::sync::lock(&self.receivers)
            .iter()
            .find(|r| r.id == ctx.origin)
            .map(|r| r.account);
        let Some(account) = account else { return };
        match self.target(None, ctx.origin, account, DlrRoute::Same) {
            Some(s) => ctx.send_to(s, Duration::ZERO, body),
            None => self.hold(account, body),
        }
    }

    fn bound(&self, session: &SessionInfo) {
        if session.mode.is_some_and(BindMode::can_receive) {
            let account = self.account_of(session);
            crate::runtime::sync::lock(&self.receivers).push(Receiver {
                id: session.id,
                account,
            });
        }
    }

    fn closed(&self, session: &SessionInfo, _reason: CloseReason) {
        crate::runtime::sync::lock(&self.receivers).retain(|r| r.id != session.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(state: MessageState) -> Entry {
        Entry {
            state,
            final_date: None,
            submitted: DateTime::from_unix(0),
            outcome: MessageState::Delivered,
            account: 0,
            registered: 0,
            via: Via::DeliverSm,
            service_type: COctet::default(),
            addrs: Addrs::Short(Address::default(), Address::default()),
            more: Vec::new(),
            data_coding: DataCoding::SmscDefault,
            head: Vec::new(),
        }
    }

    #[test]
    fn a_batch_time_is_placed_on_the_wall_clock() {
        let wall = |d: DateTime| d.to_unix();
        let start = Instant::now();
        let before = wall(now());
        // Now, an earlier batch (before this thread's anchor), and later.
        let at_now = wall(wall_time(start));
        let earlier = wall(wall_time(start - Duration::from_secs(5)));
        let later = wall(wall_time(start + Duration::from_secs(3)));
        let after = wall(now());
        assert!(
            (before..=after).contains(&at_now),
            "{before} {at_now} {after}"
        );
        assert!((before - 6..=after - 4).contains(&earlier), "{earlier}");
        assert!((before + 2..=after + 4).contains(&later), "{later}");
        // The last time asked is remembered; another one is placed afresh.
        let later_again = wall(wall_time(start + Duration::from_secs(3)));
        assert_eq!(later_again, later);
        let now_again = wall(wall_time(start));
        assert!((before..=after).contains(&now_again), "{now_again}");
    }

    #[test]
    fn the_oldest_final_message_goes_first_and_the_front_follows() {
        let store = Store::new(3);
        let mut s = crate::runtime::sync::lock(&store.shards[0]);
        for id in 1..=3 {
            assert!(store.make_room(&mut s, 0));
            s.insert(id, entry(MessageState::Enroute));
        }
        // All pending: no room, in this shard or another.
        assert!(!store.make_room(&mut s, 0));
        // 2 becomes final first: it is evicted, 1 stays, the ring keeps the
        // hole until 1 goes.
        s.get_mut(2).unwrap().state = MessageState::Delivered;
        s.finals.push_back(2);
        assert!(store.make_room(&mut s, 0));
        s.insert(4, entry(MessageState::Enroute));
        assert!(s.get(2).is_none());
        assert!(s.get(1).is_some() && s.get(3).is_some() && s.get(4).is_some());
        assert_eq!((s.live, s.slots.len()), (3, 4));
        s.finals.push_back(1);
        assert!(store.make_room(&mut s, 0));
        assert!(s.get(1).is_none());
        assert_eq!((s.slots.len(), s.live), (2, 2));
        assert_eq!(store.total.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_full_store_evicts_from_another_shard() {
        let store = Store::new(1);
        {
            let mut a = crate::runtime::sync::lock(&store.shards[0]);
            assert!(store.make_room(&mut a, 0));
            a.insert(7, entry(MessageState::Delivered));
            a.finals.push_back(7);
        }
        let mut b = crate::runtime::sync::lock(&store.shards[1]);
        assert!(store.make_room(&mut b, 1));
        assert_eq!(crate::runtime::sync::lock(&store.shards[0]).live, 0);
    }

    #[test]
    fn ids_inserted_out_of_order_are_found() {
        let mut s = Shard::default();
        s.insert(9, entry(MessageState::Enroute));
        s.insert(5, entry(MessageState::Enroute));
        s.insert(13, entry(MessageState::Enroute));
        assert!(s.get(5).is_some() && s.get(9).is_some() && s.get(13).is_some());
        assert!(s.get(1).is_none() && s.get(17).is_none());
        let ids: Vec<u64> = s.entries_mut().map(|(id, _)| id).collect();
        assert_eq!(ids, [5, 9, 13]);
        s.remove(5);
        s.remove(9);
        assert_eq!((s.slots.len(), s.live), (1, 1));
        s.insert(1, entry(MessageState::Enroute));
        assert!(s.get(1).is_some() && s.get(13).is_some());
        assert_eq!(s.live, 2);
    }

    /// Every message is found where it was stored, whichever thread
    /// stored it.
    #[test]
    fn messages_are_found_across_threads() {
        let store = Store::new(100);
        std::thread::scope(|scope| {
            for t in 0..3u64 {
                let store = &store;
                scope.spawn(move || {
                    let (mut s, index) = store.own_shard();
                    assert!(store.make_room(&mut s, index));
                    s.insert(100 + t, entry(MessageState::Enroute));
                });
            }
        });
        for t in 0..3u64 {
            assert!(store.shard_of(100 + t).is_some(), "{t}");
        }
        assert!(store.shard_of(99).is_none());
    }

    #[test]
    fn dlr_mix_reads_weights() {
        assert_eq!(
            parse_dlr_mix("DELIVRD:80,UNDELIV:15,EXPIRED:5").unwrap(),
            [
                (MessageState::Delivered, 80),
                (MessageState::Undeliverable, 15),
                (MessageState::Expired, 5)
            ]
        );
        assert_eq!(
            parse_dlr_mix("DELIVRD").unwrap(),
            [(MessageState::Delivered, 1)]
        );
        assert!(matches!(parse_dlr_mix("NOPE"), Err(MixError::State(_))));
        assert!(matches!(
            parse_dlr_mix("DELIVRD:x"),
            Err(MixError::Weight(_))
        ));
        assert_eq!(parse_dlr_mix("DELIVRD:0"), Err(MixError::Empty));
    }

    #[test]
    fn id_field_matches_the_text_id() {
        for n in [0, 1, 0xabc, 0xffff_ffff, 0x1_0000_0000, u64::MAX] {
            assert_eq!(message_id_field(n).to_string(), message_id(n));
        }
    }

    #[test]
    fn own_numbers_are_the_drama_range() {
        for n in ["447700900000", "+447700900999", "07700900123"] {
            assert!(is_own_number(n.as_bytes()), "{n}");
        }
        for n in [
            "447700901000",
            "4477009001234",
            "44770090012",
            "447700900a12",
        ] {
            assert!(!is_own_number(n.as_bytes()), "{n}");
        }
    }
}
