//! Session states, bind modes, and the operation matrix: which PDUs each
//! side may send in each state.

use crate::pdu::CommandId;
use std::fmt;

/// Which end of the link a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The client: binds, submits, receives deliveries.
    Esme,
    /// The server: authenticates binds, accepts submits, delivers.
    Smsc,
}

impl Role {
    /// The other end.
    pub fn peer(self) -> Role {
        match self {
            Role::Esme => Role::Smsc,
            Role::Smsc => Role::Esme,
        }
    }
}

/// How an ESME binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindMode {
    /// Send only (`bind_transmitter`).
    Transmitter,
    /// Receive only (`bind_receiver`).
    Receiver,
    /// Both (`bind_transceiver`).
    Transceiver,
}

impl BindMode {
    /// The bind request's command id.
    pub fn command_id(self) -> CommandId {
        match self {
            BindMode::Transmitter => CommandId::BindTransmitter,
            BindMode::Receiver => CommandId::BindReceiver,
            BindMode::Transceiver => CommandId::BindTransceiver,
        }
    }

    /// The mode a bind request asks for.
    pub fn from_command_id(id: CommandId) -> Option<BindMode> {
        match id {
            CommandId::BindTransmitter | CommandId::BindTransmitterResp => {
                Some(BindMode::Transmitter)
            }
            CommandId::BindReceiver | CommandId::BindReceiverResp => Some(BindMode::Receiver),
            CommandId::BindTransceiver | CommandId::BindTransceiverResp => {
                Some(BindMode::Transceiver)
            }
            _ => None,
        }
    }

    /// The state a successful bind in this mode leads to.
    pub fn bound_state(self) -> State {
        match self {
            BindMode::Transmitter => State::BoundTx,
            BindMode::Receiver => State::BoundRx,
            BindMode::Transceiver => State::BoundTrx,
        }
    }

    /// The ESME may submit in this mode.
    pub fn can_submit(self) -> bool {
        self != BindMode::Receiver
    }

    /// The SMSC may deliver in this mode.
    pub fn can_receive(self) -> bool {
        self != BindMode::Transmitter
    }
}

impl fmt::Display for BindMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BindMode::Transmitter => "transmitter",
            BindMode::Receiver => "receiver",
            BindMode::Transceiver => "transceiver",
        })
    }
}

/// The session states of SMPP 3.4 §2.2, with 5.0's OUTBOUND and UNBOUND.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Connected, not bound.
    Open,
    /// The SMSC sent `outbind`; the ESME may now bind as a receiver.
    Outbound,
    /// Bound as a transmitter.
    BoundTx,
    /// Bound as a receiver.
    BoundRx,
    /// Bound as a transceiver.
    BoundTrx,
    /// `unbind` exchanged; the connection is about to close.
    Unbound,
    /// Finished: the session only reports why.
    Closed,
}

impl State {
    /// One of the three bound states.
    pub fn is_bound(self) -> bool {
        matches!(self, State::BoundTx | State::BoundRx | State::BoundTrx)
    }

    /// The bind mode of a bound state.
    pub fn bind_mode(self) -> Option<BindMode> {
        match self {
            State::BoundTx => Some(BindMode::Transmitter),
            State::BoundRx => Some(BindMode::Receiver),
            State::BoundTrx => Some(BindMode::Transceiver),
            _ => None,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Open => "OPEN",
            State::Outbound => "OUTBOUND",
            State::BoundTx => "BOUND_TX",
            State::BoundRx => "BOUND_RX",
            State::BoundTrx => "BOUND_TRX",
            State::Unbound => "UNBOUND",
            State::Closed => "CLOSED",
        })
    }
}

/// The operation matrix (5.0 §2.4, which settles 3.4's Table 2-1 where its
/// transcriptions disagree): may `sender` send the request `id` in `state`?
///
/// Responses are not listed: a response is valid when it answers an
/// outstanding request, whatever the state.
pub const fn may_send(sender: Role, state: State, id: CommandId) -> bool {
    use CommandId as C;
    use State as S;
    let tx = matches!(state, S::BoundTx | S::BoundTrx);
    let rx = matches!(state, S::BoundRx | S::BoundTrx);
    let bound = tx || rx;
    match (sender, id) {
        // enquire_link and generic_nack: any state but CLOSED (5.0).
        (_, C::EnquireLink) | (_, C::GenericNack) => !matches!(state, S::Closed),
        (_, C::Unbind) => bound,
        // Binds: OPEN, or OUTBOUND after an outbind.
        (Role::Esme, C::BindTransmitter) => matches!(state, S::Open),
        (Role::Esme, C::BindReceiver) | (Role::Esme, C::BindTransceiver) => {
            matches!(state, S::Open | S::Outbound)
        }
        // ESME operations: a transmitter or transceiver (query_sm and
        // cancel_sm per 5.0; replace_sm also in BOUND_TRX).
        (Role::Esme, C::SubmitSm)
        | (Role::Esme, C::SubmitMulti)
        | (Role::Esme, C::QuerySm)
        | (Role::Esme, C::CancelSm)
        | (Role::Esme, C::ReplaceSm)
        | (Role::Esme, C::DataSm) => tx,
        // SMSC operations towards a receiver or transceiver.
        (Role::Smsc, C::DeliverSm)
        | (Role::Smsc, C::DataSm)
        | (Role::Smsc, C::AlertNotification) => rx,
        (Role::Smsc, C::Outbind) => matches!(state, S::Open),
        _ => false,
    }
}
