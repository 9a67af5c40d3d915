//! The files written for what the SMSC delivers: mobile-originated
//! messages in `incoming/`, delivery receipts in `report/`.

use super::alphabet::Alphabet;
use super::header::header_lines;
use crate::datetime::DateTime;
use crate::text::{self, Encoding};

/// A mobile-originated message, as written to `incoming/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// The sender (`source_addr`).
    pub from: String,
    /// The recipient (`destination_addr`).
    pub to: String,
    /// When the message arrived.
    pub received: DateTime,
    /// The encoding of `data` (from `data_coding`).
    pub encoding: Encoding,
    /// The user data without any UDH; parts already joined.
    pub data: Vec<u8>,
}

impl IncomingMessage {
    /// The file: `From:`, `To:`, `Received:`, `Alphabet:` (`GSM`, `ISO`,
    /// `UCS2` or `binary`, naming how it arrived), an empty line, and the
    /// body: the text as UTF-8, or for `binary` the data as received.
    pub fn to_file(&self) -> Vec<u8> {
        let alphabet = Alphabet::of_encoding(self.encoding);
        let received = self.received.to_string();
        let mut out = header_lines(
            &[
                ("From", &self.from),
                ("To", &self.to),
                ("Received", &received),
                ("Alphabet", alphabet.as_str()),
            ],
            false,
        );
        out.push(b'\n');
        match self.encoding {
            Encoding::Binary => out.extend_from_slice(&self.data),
            enc => out.extend_from_slice(text::decode(&self.data, enc).as_bytes()),
        }
        out
    }
}

/// A delivery receipt, as written to `report/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMessage {
    /// The receipt's sender (`source_addr`: the phone the message went to).
    pub from: String,
    /// The receipt's recipient (`destination_addr`: the original sender).
    pub to: String,
    /// When the receipt arrived.
    pub received: DateTime,
    /// The id of the message it reports on.
    pub message_id: String,
    /// The state word: `DELIVRD`, `UNDELIV`, `EXPIRED`, ...
    pub status: String,
    /// The error code as received (`000`); the line is left out if `None`.
    pub error: Option<String>,
    /// The receipt's done date; the line is left out if `None`.
    pub done_date: Option<DateTime>,
    /// The spool file the message was sent from, when known.
    pub original_file: Option<String>,
    /// The receipt text as received.
    pub text: String,
}

impl ReportMessage {
    /// The file: `From:`, `To:`, `Received:`, `Message_id:`, `Status:`,
    /// `Error:`, `Done_date:`, `Original_file:` (each of the last three only
    /// when known), an empty line, and the receipt text.
    pub fn to_file(&self) -> Vec<u8> {
        let received = self.received.to_string();
        let done = self.done_date.map(|d| d.to_string());
        let mut h: Vec<(&str, &str)> = vec![
            ("From", &self.from),
            ("To", &self.to),
            ("Received", &received),
            ("Message_id", &self.message_id),
            ("Status", &self.status),
        ];
        if let Some(e) = &self.error {
            h.push(("Error", e));
        }
        if let Some(d) = &done {
            h.push(("Done_date", d));
        }
        if let Some(o) = &self.original_file {
            h.push(("Original_file", o));
        }
        let mut out = header_lines(&h, false);
        out.push(b'\n');
        out.extend_from_slice(self.text.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_and_report_files() {
        let dt = DateTime::new(2024, 5, 1, 12, 0, 9).unwrap();
        let m = IncomingMessage {
            from: "4917".to_owned(),
            to: "1234\n".to_owned(),
            received: dt,
            encoding: Encoding::Ucs2,
            data: vec![0x04, 0x1F],
        };
        assert_eq!(
            m.to_file(),
            "From: 4917\nTo: 1234\nReceived: 2024-05-01 12:00:09\nAlphabet: UCS2\n\n\u{41F}"
                .as_bytes()
        );
        let r = ReportMessage {
            from: "4917".to_owned(),
            to: "ACME".to_owned(),
            received: dt,
            message_id: "abc".to_owned(),
            status: "DELIVRD".to_owned(),
            error: Some("000".to_owned()),
            done_date: Some(dt),
            original_file: Some("msg1".to_owned()),
            text: "id:abc stat:DELIVRD".to_owned(),
        };
        assert_eq!(
            String::from_utf8(r.to_file()).unwrap(),
            "From: 4917\nTo: ACME\nReceived: 2024-05-01 12:00:09\nMessage_id: abc\n\
             Status: DELIVRD\nError: 000\nDone_date: 2024-05-01 12:00:09\n\
             Original_file: msg1\n\nid:abc stat:DELIVRD"
        );
    }
}
