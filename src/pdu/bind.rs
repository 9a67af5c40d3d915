//! Session management bodies: the three binds, their responses, outbind.

use super::error::{DecodeError, EncodeError, Field};
use super::fields::COctet;
use super::reader::Reader;
use super::tlv::{Tlv, TlvTag, Tlvs};
use super::writer;
use std::fmt;

/// `bind_transmitter`, `bind_receiver` and `bind_transceiver` (3.4 §4.1).
/// `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Bind {
    /// Who is binding (the account name).
    pub system_id: COctet<16>,
    /// The account's password.
    pub password: COctet<9>,
    /// The kind of ESME (often empty).
    pub system_type: COctet<13>,
    /// 0x34 for SMPP 3.4; below 0x34, the ESME does not take TLVs.
    pub interface_version: u8,
    /// TON of `address_range`.
    pub addr_ton: u8,
    /// NPI of `address_range`.
    pub addr_npi: u8,
    /// Addresses served by this ESME (a regular expression, usually empty).
    pub address_range: COctet<41>,
}

impl fmt::Debug for Bind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bind")
            .field("system_id", &self.system_id)
            .field("password", &"<hidden>")
            .field("system_type", &self.system_type)
            .field(
                "interface_version",
                &format_args!("0x{:02X}", self.interface_version),
            )
            .field("addr_ton", &self.addr_ton)
            .field("addr_npi", &self.addr_npi)
            .field("address_range", &self.address_range)
            .finish()
    }
}

impl Bind {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let bind = Bind {
            system_id: r.cstr(Field::SystemId)?,
            password: r.cstr(Field::Password)?,
            system_type: r.cstr(Field::SystemType)?,
            interface_version: r.u8(Field::InterfaceVersion)?,
            addr_ton: r.u8(Field::AddrTon)?,
            addr_npi: r.u8(Field::AddrNpi)?,
            address_range: r.cstr(Field::AddressRange)?,
        };
        // 3.4 binds carry no TLVs; a 5.0 peer's are skipped if well formed.
        Tlvs::decode(r)?;
        Ok(bind)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        writer::cstr(out, &self.system_id);
        writer::cstr(out, &self.password);
        writer::cstr(out, &self.system_type);
        out.extend_from_slice(&[self.interface_version, self.addr_ton, self.addr_npi]);
        writer::cstr(out, &self.address_range);
    }
}

/// The response to a bind: the SMSC's id, and `sc_interface_version` when
/// the SMSC takes TLVs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BindResp {
    /// The SMSC's id.
    pub system_id: COctet<16>,
    /// TLVs (`sc_interface_version`).
    pub tlvs: Tlvs,
}

impl BindResp {
    /// A response naming `system_id` and announcing SMPP 3.4.
    pub fn new(system_id: COctet<16>) -> Self {
        let mut tlvs = Tlvs::new();
        tlvs.push(Tlv::u8(TlvTag::ScInterfaceVersion, 0x34));
        BindResp { system_id, tlvs }
    }

    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BindResp {
            system_id: r.cstr(Field::SystemId)?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.system_id);
        self.tlvs.encode(out)
    }
}

/// `outbind`: the SMSC, connected to a listening ESME, asks it to bind as a
/// receiver. `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Outbind {
    /// The SMSC's id.
    pub system_id: COctet<16>,
    /// The password the ESME checks.
    pub password: COctet<9>,
}

impl fmt::Debug for Outbind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbind")
            .field("system_id", &self.system_id)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Outbind {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let outbind = Outbind {
            system_id: r.cstr(Field::SystemId)?,
            password: r.cstr(Field::Password)?,
        };
        Tlvs::decode(r)?;
        Ok(outbind)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        writer::cstr(out, &self.system_id);
        writer::cstr(out, &self.password);
    }
}
