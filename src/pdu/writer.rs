//! Appending fields to an output buffer. Every value here already fits its
//! field (the types enforce it), so writing cannot fail.

use super::fields::{Address, COctet, ShortMessage, TimeString};

#[inline]
pub(crate) fn cstr<const N: usize>(out: &mut Vec<u8>, s: &COctet<N>) {
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

#[inline]
pub(crate) fn address<const N: usize>(out: &mut Vec<u8>, a: &Address<N>) {
    out.push(a.ton);
    out.push(a.npi);
    cstr(out, &a.addr);
}

#[inline]
pub(crate) fn time(out: &mut Vec<u8>, t: &TimeString) {
    cstr(out, t.inner());
}

#[inline]
pub(crate) fn short_message(out: &mut Vec<u8>, sm: &ShortMessage) {
    out.push(sm.len() as u8);
    out.extend_from_slice(sm.as_bytes());
}
