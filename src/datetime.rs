//! Civil dates and the three time formats SMPP traffic uses, without a date crate.
//!
//! Three pieces live here:
//!
//! - [`DateTime`]: a proleptic Gregorian civil time (year 0 to 9999, no zone,
//!   no sub-second part). [`DateTime::from_unix`] and [`DateTime::to_unix`]
//!   convert to and from Unix seconds with Howard Hinnant's `civil_from_days`
//!   and `days_from_civil`. Its [`Display`](fmt::Display) form,
//!   `YYYY-MM-DD HH:MM:SS`, is the format of the spool, and
//!   [`DateTime::parse_spool`] reads it back.
//! - [`SmppTime`]: the 16-character `YYMMDDhhmmsstnnp` strings of
//!   `schedule_delivery_time`, `validity_period` and `final_date`, absolute or
//!   relative (`p` = `R`). [`SmppTime::parse`] checks every field and names
//!   the bad one in a [`TimeError`]; [`SmppTime::expires_at`] turns either
//!   form into Unix seconds.
//! - [`format_receipt_date`] and [`parse_receipt_date`]: the `YYMMDDhhmm`
//!   dates of delivery receipt text (see [`crate::receipt`]).
//!
//! ```
//! use smpp::datetime::{DateTime, SmppTime};
//!
//! // Absolute: 10:30 local time, one hour (4 quarter-hours) ahead of UTC.
//! let t = SmppTime::parse(b"230415103000004+").unwrap();
//! let now = DateTime::parse_spool("2023-04-15 09:00:00").unwrap().to_unix();
//! let expiry = DateTime::from_unix(t.expires_at(now));
//! assert_eq!(expiry.to_string(), "2023-04-15 09:30:00");
//!
//! // Relative: one hour and a half from "now".
//! let t = SmppTime::parse(b"000000013000000R").unwrap();
//! assert_eq!(t.expires_at(now) - now, 90 * 60);
//! assert_eq!(t.to_string(), "000000013000000R");
//! ```
//!
//! Nothing here reads the clock; pass [`std::time::SystemTime::now`] through
//! [`DateTime::from_system_time`] when you need the current time. Nothing here
//! panics: out-of-range inputs saturate or are rejected, as each item says.

use std::error::Error;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECS_PER_DAY: i64 = 86_400;

/// Unix seconds of `0000-01-01 00:00:00`, the earliest [`DateTime`].
const MIN_UNIX: i64 = -62_167_219_200;
/// Unix seconds of `9999-12-31 23:59:59`, the latest [`DateTime`].
const MAX_UNIX: i64 = 253_402_300_799;

/// Two-digit years below this are 20YY, the others 19YY (the Wireshark rule).
const CENTURY_PIVOT: u8 = 38;

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
/// `days_from_civil`). Total: any inputs give a value without overflow as long
/// as `y` stays within a few hundred billion years.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let m = i64::from(m);
    let d = i64::from(d);
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400; // [0, 399]
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`). Returns (year, month 1-12, day 1-31).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = (if z >= 0 { z } else { z - 146_096 }) / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Both values are in small ranges by construction.
    (y, m as u32, d as u32)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A civil date and time of day, to the second, in the proleptic Gregorian
/// calendar.
///
/// Unless a function says otherwise the value is UTC. The fields are public,
/// so a value can be out of range (month 13, February 30); such a value never
/// makes anything panic, but [`DateTime::to_unix`] and the formatters give
/// unspecified results for it. Build checked values with [`DateTime::new`].
///
/// The derived ordering is chronological for valid values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    /// Year, 0 to 9999.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to 28, 29, 30 or 31.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59 (leap seconds are not represented).
    pub second: u8,
}

impl DateTime {
    /// The Unix epoch, `1970-01-01 00:00:00`.
    pub const UNIX_EPOCH: DateTime = DateTime {
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
    };

    /// A checked constructor: `None` unless the year is at most 9999, the day
    /// exists in that month (leap years included) and the time of day is
    /// within `00:00:00`..=`23:59:59`.
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let dt = DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        };
        dt.is_valid().then_some(dt)
    }

    /// Whether every field is in range, as [`DateTime::new`] checks.
    pub fn is_valid(&self) -> bool {
        self.year <= 9999
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && u32::from(self.day) <= days_in_month(i64::from(self.year), u32::from(self.month))
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// The UTC civil time `secs` seconds after the Unix epoch (negative is
    /// before it).
    ///
    /// Saturates: values before `0000-01-01 00:00:00` give that instant, values
    /// after `9999-12-31 23:59:59` give that one.
    pub fn from_unix(secs: i64) -> DateTime {
        let secs = secs.clamp(MIN_UNIX, MAX_UNIX);
        let days = secs.div_euclid(SECS_PER_DAY);
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // After the clamp the year is 0..=9999 and the rest are small.
        DateTime {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
        }
    }

    /// Seconds since the Unix epoch of this value, read as UTC.
    pub fn to_unix(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        );
        days * SECS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The UTC civil time of a [`SystemTime`], rounded down to the second and
    /// saturated like [`DateTime::from_unix`].
    pub fn from_system_time(t: SystemTime) -> DateTime {
        let secs = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                // Round towards the past: 0.5 s before the epoch is second -1.
                let extra = i64::from(d.subsec_nanos() > 0);
                (-whole).saturating_sub(extra)
            }
        };
        DateTime::from_unix(secs)
    }

    /// Parses the spool format written by [`Display`](fmt::Display):
    /// exactly `YYYY-MM-DD HH:MM:SS`, every field zero-padded, and the value
    /// must pass [`DateTime::is_valid`].
    pub fn parse_spool(s: &str) -> Option<DateTime> {
        let b = s.as_bytes();
        if b.len() != 19
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b' '
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let year = digits(&b[0..4])?;
        DateTime::new(
            u16::try_from(year).ok()?,
            digits2(&b[5..7])?,
            digits2(&b[8..10])?,
            digits2(&b[11..13])?,
            digits2(&b[14..16])?,
            digits2(&b[17..19])?,
        )
    }

    /// This time shifted by `secs` seconds, saturated like
    /// [`DateTime::from_unix`].
    fn shifted(&self, secs: i64) -> DateTime {
        DateTime::from_unix(self.to_unix().saturating_add(secs))
    }
}

impl fmt::Display for DateTime {
    /// `YYYY-MM-DD HH:MM:SS`, the spool format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The value of a run of ASCII decimal digits, `None` if any byte is not a
/// digit or the run is empty or longer than 9.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Two ASCII digits as a `u8`.
fn digits2(b: &[u8]) -> Option<u8> {
    match b {
        [h, l] if h.is_ascii_digit() && l.is_ascii_digit() => Some((h - b'0') * 10 + (l - b'0')),
        _ => None,
    }
}

/// Writes `v % 100` as two ASCII digits.
fn put2(out: &mut [u8], v: u8) {
    let v = v % 100;
    if let [h, l, ..] = out {
        *h = b'0' + v / 10;
        *l = b'0' + v % 10;
    }
}

fn full_year(yy: u8) -> u16 {
    if yy < CENTURY_PIVOT {
        2000 + u16::from(yy)
    } else {
        1900 + u16::from(yy)
    }
}

/// Why a 16-character SMPP time string was rejected.
///
/// Positions are 0-based byte offsets into the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeError {
    /// The string is not 16 bytes long.
    Length(usize),
    /// A byte that must be a decimal digit is not one.
    NotDigit {
        /// Offset of the offending byte.
        position: usize,
    },
    /// The month (`MM`, positions 2-3) is not 01 to 12.
    Month(u8),
    /// The day (`DD`, positions 4-5) does not exist in that month.
    Day(u8),
    /// The hour (`hh`, positions 6-7) is not below 24.
    Hour(u8),
    /// The minute (`mm`, positions 8-9) is not below 60.
    Minute(u8),
    /// The second (`ss`, positions 10-11) is not below 60.
    Second(u8),
    /// The quarter-hour offset (`nn`, positions 13-14) is above 48.
    Offset(u8),
    /// The last byte (`p`) is not `+`, `-` or `R`.
    Direction(u8),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Length(n) => write!(f, "SMPP time is {n} bytes long, expected 16"),
            TimeError::NotDigit { position } => {
                write!(f, "SMPP time has a non-digit at offset {position}")
            }
            TimeError::Month(v) => write!(f, "SMPP time month {v:02} is not 01-12"),
            TimeError::Day(v) => write!(f, "SMPP time day {v:02} does not exist in that month"),
            TimeError::Hour(v) => write!(f, "SMPP time hour {v:02} is not 00-23"),
            TimeError::Minute(v) => write!(f, "SMPP time minute {v:02} is not 00-59"),
            TimeError::Second(v) => write!(f, "SMPP time second {v:02} is not 00-59"),
            TimeError::Offset(v) => {
                write!(f, "SMPP time UTC offset {v:02} quarter-hours is above 48")
            }
            TimeError::Direction(b) => {
                write!(
                    f,
                    "SMPP time ends in byte 0x{b:02x}, expected '+', '-' or 'R'"
                )
            }
        }
    }
}

impl Error for TimeError {}

/// A parsed `schedule_delivery_time`, `validity_period` or `final_date`
/// (SMPP 3.4 §7.1.1, SMPP 5.0 §4.7.23).
///
/// The NULL (empty) value of those fields is not represented here; model it as
/// `Option<SmppTime>` in the PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmppTime {
    /// `YYMMDDhhmmsstnn+` or `…nn-`: a point in time.
    Absolute {
        /// The instant in UTC; the local time on the wire minus the offset.
        utc: DateTime,
        /// Tenths of a second, 0 to 9.
        tenths: u8,
        /// How far the sender's local time is ahead of UTC, in quarter-hours,
        /// -48 to 48 (negative for a `-` suffix).
        offset_quarters: i8,
    },
    /// `YYMMDDhhmmss000R`: an offset from the MC's current time. Each field is
    /// two digits, 0 to 99; the fields are not range-checked against each
    /// other (`000000720000000R` is 72 hours).
    Relative {
        /// Calendar years.
        years: u8,
        /// Calendar months.
        months: u8,
        /// Days.
        days: u8,
        /// Hours.
        hours: u8,
        /// Minutes.
        minutes: u8,
        /// Seconds.
        seconds: u8,
    },
}

impl SmppTime {
    /// Parses exactly 16 bytes (no trailing NUL) of `YYMMDDhhmmsstnnp`.
    ///
    /// For an absolute time the local fields are range-checked (the day
    /// against the length of that month), `YY` below 38 means 20YY and
    /// anything else 19YY, and the result is converted to UTC: local time
    /// minus `nn` quarter-hours for `+`, plus for `-`.
    ///
    /// For a relative time (`p` = `R`) the six fields may be any two digits;
    /// `t` and `nn` must be digits and are ignored (the spec says they are
    /// zero).
    pub fn parse(s: &[u8]) -> Result<SmppTime, TimeError> {
        let b: &[u8; 16] = s.try_into().map_err(|_| TimeError::Length(s.len()))?;
        if let Some(position) = b[..15].iter().position(|c| !c.is_ascii_digit()) {
            return Err(TimeError::NotDigit { position });
        }
        let f = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let (yy, mo, dd, hh, mi, ss) = (f(0), f(2), f(4), f(6), f(8), f(10));
        let sign: i8 = match b[15] {
            b'R' => {
                return Ok(SmppTime::Relative {
                    years: yy,
                    months: mo,
                    days: dd,
                    hours: hh,
                    minutes: mi,
                    seconds: ss,
                })
            }
            b'+' => 1,
            b'-' => -1,
            other => return Err(TimeError::Direction(other)),
        };
        if !(1..=12).contains(&mo) {
            return Err(TimeError::Month(mo));
        }
        if hh >= 24 {
            return Err(TimeError::Hour(hh));
        }
        if mi >= 60 {
            return Err(TimeError::Minute(mi));
        }
        if ss >= 60 {
            return Err(TimeError::Second(ss));
        }
        let nn = f(13);
        if nn > 48 {
            return Err(TimeError::Offset(nn));
        }
        let local = DateTime::new(full_year(yy), mo, dd, hh, mi, ss).ok_or(TimeError::Day(dd))?;
        // nn <= 48, so this fits an i8.
        let offset_quarters = sign * nn as i8;
        Ok(SmppTime::Absolute {
            utc: local.shifted(-i64::from(offset_quarters) * 900),
            tenths: b[12] - b'0',
            offset_quarters,
        })
    }

    /// The 16-byte wire form, without the NUL terminator.
    ///
    /// An absolute time is written in the sender's local time (`utc` plus the
    /// offset), with `+` for a zero offset. Only the last two digits of the
    /// local year are written, so a year outside 1938..=2037 does not read
    /// back as itself. Out-of-range field values are written modulo 100
    /// (modulo 10 for `tenths`) rather than rejected.
    pub fn format(&self) -> [u8; 16] {
        let mut out = [b'0'; 16];
        match *self {
            SmppTime::Absolute {
                utc,
                tenths,
                offset_quarters,
            } => {
                let local = utc.shifted(i64::from(offset_quarters) * 900);
                put2(&mut out[0..], (local.year % 100) as u8);
                put2(&mut out[2..], local.month);
                put2(&mut out[4..], local.day);
                put2(&mut out[6..], local.hour);
                put2(&mut out[8..], local.minute);
                put2(&mut out[10..], local.second);
                out[12] = b'0' + tenths % 10;
                put2(&mut out[13..], offset_quarters.unsigned_abs());
                out[15] = if offset_quarters < 0 { b'-' } else { b'+' };
            }
            SmppTime::Relative {
                years,
                months,
                days,
                hours,
                minutes,
                seconds,
            } => {
                put2(&mut out[0..], years);
                put2(&mut out[2..], months);
                put2(&mut out[4..], days);
                put2(&mut out[6..], hours);
                put2(&mut out[8..], minutes);
                put2(&mut out[10..], seconds);
                out[15] = b'R';
            }
        }
        out
    }

    /// A relative time for `d`, in days, hours, minutes and seconds (years and
    /// months stay zero because their length depends on the calendar).
    ///
    /// Sub-second parts are dropped. Returns `None` when `d` is longer than
    /// the largest such value, 99 days 23:59:59.
    pub fn relative_from_duration(d: Duration) -> Option<SmppTime> {
        let secs = d.as_secs();
        let days = u8::try_from(secs / 86_400).ok().filter(|&n| n <= 99)?;
        let rem = secs % 86_400;
        // Each value below is under 60 or 24.
        Some(SmppTime::Relative {
            years: 0,
            months: 0,
            days,
            hours: (rem / 3600) as u8,
            minutes: (rem / 60 % 60) as u8,
            seconds: (rem % 60) as u8,
        })
    }

    /// The Unix time this value stands for, given the current time.
    ///
    /// An absolute time ignores `now_unix` and its tenths. A relative time
    /// first adds its years and months to the UTC calendar date of
    /// `now_unix`, clamping the day to the end of a shorter month (January 31
    /// plus one month is February 28 or 29), then adds its days, hours,
    /// minutes and seconds as fixed lengths. The result saturates at the
    /// limits of `i64`.
    pub fn expires_at(&self, now_unix: i64) -> i64 {
        match *self {
            SmppTime::Absolute { utc, .. } => utc.to_unix(),
            SmppTime::Relative {
                years,
                months,
                days,
                hours,
                minutes,
                seconds,
            } => {
                let day_count = now_unix.div_euclid(SECS_PER_DAY);
                let sod = now_unix.rem_euclid(SECS_PER_DAY);
                let (y, m, d) = civil_from_days(day_count);
                let total_months =
                    y * 12 + i64::from(m - 1) + i64::from(years) * 12 + i64::from(months);
                let ny = total_months.div_euclid(12);
                // rem_euclid(12) is 0..=11.
                let nm = total_months.rem_euclid(12) as u32 + 1;
                let nd = d.min(days_in_month(ny, nm));
                let fixed = i64::from(days) * SECS_PER_DAY
                    + i64::from(hours) * 3600
                    + i64::from(minutes) * 60
                    + i64::from(seconds);
                days_from_civil(ny, nm, nd)
                    .saturating_mul(SECS_PER_DAY)
                    .saturating_add(sod)
                    .saturating_add(fixed)
            }
        }
    }
}

impl fmt::Display for SmppTime {
    /// The 16 characters of [`SmppTime::format`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.format() {
            fmt::Write::write_char(f, char::from(b))?;
        }
        Ok(())
    }
}

/// The `YYMMDDhhmm` form of a delivery receipt's `submit date:` and
/// `done date:` fields. The century and the seconds are dropped.
pub fn format_receipt_date(dt: &DateTime) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}",
        dt.year % 100,
        dt.month,
        dt.day,
        dt.hour,
        dt.minute
    )
}

/// Parses a receipt date: `YYMMDDhhmm` (10 digits, the 3.4 template),
/// `YYMMDDhhmmss` (12) or `YYYYMMDDhhmmss` (14), as some MCs send.
///
/// Two-digit years below 38 are 20YY, the others 19YY. The value must pass
/// [`DateTime::is_valid`]. No surrounding whitespace is accepted. The zone is
/// whatever the MC used, usually its local time; the template does not say.
pub fn parse_receipt_date(s: &str) -> Option<DateTime> {
    let b = s.as_bytes();
    let (year, rest) = match b.len() {
        10 | 12 => (full_year(digits2(b.get(0..2)?)?), b.get(2..)?),
        14 => (u16::try_from(digits(b.get(0..4)?)?).ok()?, b.get(4..)?),
        _ => return None,
    };
    let second = match rest.get(8..10) {
        Some(ss) => digits2(ss)?,
        None => 0,
    };
    DateTime::new(
        year,
        digits2(rest.get(0..2)?)?,
        digits2(rest.get(2..4)?)?,
        digits2(rest.get(4..6)?)?,
        digits2(rest.get(6..8)?)?,
        second,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dt(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> DateTime {
        DateTime::new(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn unix_known_values() {
        assert_eq!(DateTime::from_unix(0), DateTime::UNIX_EPOCH);
        assert_eq!(DateTime::UNIX_EPOCH.to_unix(), 0);
        // 2000-02-29 12:34:56 UTC.
        assert_eq!(
            DateTime::from_unix(951_827_696),
            dt(2000, 2, 29, 12, 34, 56)
        );
        assert_eq!(dt(2000, 2, 29, 12, 34, 56).to_unix(), 951_827_696);
        assert_eq!(DateTime::from_unix(-1), dt(1969, 12, 31, 23, 59, 59));
        assert_eq!(dt(2038, 1, 19, 3, 14, 8).to_unix(), 1 << 31);
        assert_eq!(dt(0, 1, 1, 0, 0, 0).to_unix(), MIN_UNIX);
        assert_eq!(dt(9999, 12, 31, 23, 59, 59).to_unix(), MAX_UNIX);
    }

    #[test]
    fn from_unix_saturates() {
        assert_eq!(DateTime::from_unix(i64::MIN), dt(0, 1, 1, 0, 0, 0));
        assert_eq!(DateTime::from_unix(i64::MAX), dt(9999, 12, 31, 23, 59, 59));
    }

    #[test]
    fn to_unix_of_invalid_fields_does_not_panic() {
        let bad = DateTime {
            year: u16::MAX,
            month: 0,
            day: 255,
            hour: 255,
            minute: 255,
            second: 255,
        };
        assert!(!bad.is_valid());
        let _ = bad.to_unix();
        let _ = bad.to_string();
        let _ = format_receipt_date(&bad);
    }

    #[test]
    fn system_time_rounds_down() {
        let t = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(DateTime::from_system_time(t).to_unix(), 1);
        let t = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(DateTime::from_system_time(t).to_unix(), -1);
    }

    #[test]
    fn new_checks_month_lengths() {
        assert!(DateTime::new(2024, 2, 29, 0, 0, 0).is_some());
        assert!(DateTime::new(2023, 2, 29, 0, 0, 0).is_none());
        assert!(DateTime::new(1900, 2, 29, 0, 0, 0).is_none());
        assert!(DateTime::new(2023, 4, 31, 0, 0, 0).is_none());
        assert!(DateTime::new(2023, 13, 1, 0, 0, 0).is_none());
        assert!(DateTime::new(2023, 1, 1, 24, 0, 0).is_none());
        assert!(DateTime::new(10000, 1, 1, 0, 0, 0).is_none());
    }

    #[test]
    fn spool_format() {
        let d = dt(2023, 4, 5, 6, 7, 8);
        assert_eq!(d.to_string(), "2023-04-05 06:07:08");
        assert_eq!(DateTime::parse_spool("2023-04-05 06:07:08"), Some(d));
        for bad in [
            "",
            "2023-04-05 06:07:08 ",
            "2023-04-05T06:07:08",
            "2023-04-31 06:07:08",
            "2023-4-05 06:07:08x",
            "+023-04-05 06:07:08",
            "2023-04-05 06:07:6x",
            "2023-04-05 06:07:\u{e9}",
        ] {
            assert_eq!(DateTime::parse_spool(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parse_reference_examples() {
        let t = SmppTime::parse(b"230415103000004+").unwrap();
        assert_eq!(
            t,
            SmppTime::Absolute {
                utc: dt(2023, 4, 15, 9, 30, 0),
                tenths: 0,
                offset_quarters: 4
            }
        );
        let t = SmppTime::parse(b"230415103000008-").unwrap();
        assert_eq!(
            t,
            SmppTime::Absolute {
                utc: dt(2023, 4, 15, 12, 30, 0),
                tenths: 0,
                offset_quarters: -8
            }
        );
        assert_eq!(
            SmppTime::parse(b"020610233429000R").unwrap(),
            SmppTime::Relative {
                years: 2,
                months: 6,
                days: 10,
                hours: 23,
                minutes: 34,
                seconds: 29
            }
        );
        assert_eq!(
            SmppTime::parse(b"000007000000000R")
                .unwrap()
                .expires_at(1000),
            1000 + 7 * 86_400
        );
    }

    #[test]
    fn parse_century_and_day_change() {
        // 37 is 2037, 38 is 1938.
        let t = SmppTime::parse(b"371231230000000+").unwrap();
        assert!(matches!(t, SmppTime::Absolute { utc, .. } if utc.year == 2037));
        let t = SmppTime::parse(b"380101000000000+").unwrap();
        assert!(matches!(t, SmppTime::Absolute { utc, .. } if utc.year == 1938));
        // Local 00:15 on 1 March 2024, 12 h ahead: UTC is 12:15 on 29 February.
        let t = SmppTime::parse(b"240301001500348+").unwrap();
        assert!(
            matches!(t, SmppTime::Absolute { utc, tenths: 3, offset_quarters: 48 }
                if utc == dt(2024, 2, 29, 12, 15, 0))
        );
    }

    #[test]
    fn parse_errors_name_the_field() {
        let cases: [(&[u8], TimeError); 12] = [
            (b"", TimeError::Length(0)),
            (b"230415103000004+\0", TimeError::Length(17)),
            (b"2304151030000 4+", TimeError::NotDigit { position: 13 }),
            (b"x30415103000004+", TimeError::NotDigit { position: 0 }),
            (b"231315103000004+", TimeError::Month(13)),
            (b"230015103000004+", TimeError::Month(0)),
            (b"230231103000004+", TimeError::Day(31)),
            (b"230400103000004+", TimeError::Day(0)),
            (b"230415243000004+", TimeError::Hour(24)),
            (b"230415106000004+", TimeError::Minute(60)),
            (b"230415103060004+", TimeError::Second(60)),
            (b"230415103000049+", TimeError::Offset(49)),
        ];
        for (input, want) in cases {
            assert_eq!(SmppTime::parse(input), Err(want), "{input:?}");
        }
        assert_eq!(
            SmppTime::parse(b"230415103000004r"),
            Err(TimeError::Direction(b'r'))
        );
        assert_eq!(
            TimeError::Month(13).to_string(),
            "SMPP time month 13 is not 01-12"
        );
    }

    #[test]
    fn format_writes_local_time() {
        let t = SmppTime::Absolute {
            utc: dt(2023, 4, 15, 12, 30, 0),
            tenths: 7,
            offset_quarters: -8,
        };
        assert_eq!(&t.format(), b"230415103000708-");
        assert_eq!(t.to_string(), "230415103000708-");
        let zero = SmppTime::parse(b"230415103000000-").unwrap();
        assert_eq!(&zero.format(), b"230415103000000+");
    }

    #[test]
    fn relative_from_duration_limits() {
        let t = SmppTime::relative_from_duration(Duration::from_secs(2 * 86_400 + 3_725)).unwrap();
        assert_eq!(t.to_string(), "000002010205000R");
        let max = Duration::from_secs(100 * 86_400 - 1);
        assert_eq!(
            SmppTime::relative_from_duration(max).unwrap().to_string(),
            "000099235959000R"
        );
        assert_eq!(
            SmppTime::relative_from_duration(max + Duration::from_secs(1)),
            None
        );
        assert_eq!(SmppTime::relative_from_duration(Duration::MAX), None);
    }

    #[test]
    fn expires_at_calendar_months() {
        let now = dt(2024, 1, 31, 10, 0, 0).to_unix();
        let one_month = SmppTime::parse(b"000100000000000R").unwrap();
        assert_eq!(
            DateTime::from_unix(one_month.expires_at(now)),
            dt(2024, 2, 29, 10, 0, 0)
        );
        // 1 year 11 months lands on 2025-12-31; the fixed part then crosses
        // into the next year.
        let t = SmppTime::parse(b"011101010101000R").unwrap();
        assert_eq!(
            DateTime::from_unix(t.expires_at(now)),
            dt(2026, 1, 1, 11, 1, 1)
        );
        // Saturates instead of overflowing.
        let far = SmppTime::parse(b"999999999999000R").unwrap();
        assert_eq!(far.expires_at(i64::MAX), i64::MAX);
        assert!(far.expires_at(i64::MIN) > i64::MIN);
    }

    #[test]
    fn receipt_dates() {
        let d = dt(2023, 4, 15, 10, 30, 0);
        assert_eq!(format_receipt_date(&d), "2304151030");
        assert_eq!(parse_receipt_date("2304151030"), Some(d));
        assert_eq!(
            parse_receipt_date("230415103045"),
            Some(dt(2023, 4, 15, 10, 30, 45))
        );
        assert_eq!(
            parse_receipt_date("19990415103045"),
            Some(dt(1999, 4, 15, 10, 30, 45))
        );
        assert_eq!(
            parse_receipt_date("9904151030"),
            Some(dt(1999, 4, 15, 10, 30, 0))
        );
        for bad in [
            "",
            "230415103",
            "23041510300",
            "2304151030 ",
            "2313151030",
            "230415103060",
            "2304151o30",
            "2023041510304",
            "+3041510304",
        ] {
            assert_eq!(parse_receipt_date(bad), None, "{bad:?}");
        }
    }

    fn any_datetime() -> impl Strategy<Value = DateTime> {
        (MIN_UNIX..=MAX_UNIX).prop_map(DateTime::from_unix)
    }

    proptest! {
        #[test]
        fn unix_round_trip(secs in MIN_UNIX..=MAX_UNIX) {
            let d = DateTime::from_unix(secs);
            prop_assert!(d.is_valid());
            prop_assert_eq!(d.to_unix(), secs);
        }

        #[test]
        fn spool_round_trip(d in any_datetime()) {
            prop_assert_eq!(DateTime::parse_spool(&d.to_string()), Some(d));
        }

        #[test]
        fn smpp_time_parse_never_panics(s in proptest::collection::vec(any::<u8>(), 0..20)) {
            let _ = SmppTime::parse(&s);
        }

        #[test]
        fn smpp_time_round_trip(
            secs in dt(1938, 1, 2, 0, 0, 0).to_unix()..dt(2037, 12, 31, 0, 0, 0).to_unix(),
            tenths in 0u8..10,
            offset_quarters in -48i8..=48,
        ) {
            let t = SmppTime::Absolute { utc: DateTime::from_unix(secs), tenths, offset_quarters };
            prop_assert_eq!(SmppTime::parse(&t.format()), Ok(t));
        }

        #[test]
        fn relative_round_trip(f in proptest::array::uniform6(0u8..100)) {
            let t = SmppTime::Relative {
                years: f[0], months: f[1], days: f[2], hours: f[3], minutes: f[4], seconds: f[5],
            };
            prop_assert_eq!(SmppTime::parse(&t.format()), Ok(t));
        }

        #[test]
        fn receipt_date_round_trip(
            secs in dt(1938, 1, 1, 0, 0, 0).to_unix()..dt(2038, 1, 1, 0, 0, 0).to_unix(),
        ) {
            let d = DateTime { second: 0, ..DateTime::from_unix(secs) };
            prop_assert_eq!(parse_receipt_date(&format_receipt_date(&d)), Some(d));
        }
    }
}
