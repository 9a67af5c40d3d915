//! The `sent/` and `failed/` files: the original with `Sent:` and
//! `Message_id:`, or `Failed:` and `Fail_reason:`, inserted at the end of
//! its header block.

use super::header::{header_lines, layout};
use super::MAX_FILE_LEN;
use crate::datetime::DateTime;
use std::io::{self, Read, Write};

/// Copies `src` to `dst`, inserting `headers` at the end of the header
/// block: just before the empty line, or at the end of a file that has none
/// (after a line break if the last line lacks one). Only the first
/// [`MAX_FILE_LEN`] bytes are searched for the empty line; the rest is
/// copied as it is.
pub(crate) fn copy_inserting(
    src: &mut impl Read,
    dst: &mut impl Write,
    headers: &[(&str, &str)],
) -> io::Result<()> {
    let mut head = Vec::new();
    src.by_ref().take(MAX_FILE_LEN).read_to_end(&mut head)?;
    let l = layout(&head);
    let lines = header_lines(headers, l.crlf);
    if let Some(at) = l.separator {
        dst.write_all(&head[..at])?;
        dst.write_all(&lines)?;
        dst.write_all(&head[at..])?;
        io::copy(src, dst)?;
        return Ok(());
    }
    dst.write_all(&head)?;
    // Nothing but a byte order mark: the headers follow it directly.
    let mut last = head.get(l.start..).and_then(<[u8]>::last).copied();
    let mut buf = [0u8; 8192];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(&buf[..n])?;
        last = Some(buf[n - 1]);
    }
    if last.is_some_and(|b| b != b'\n') {
        dst.write_all(if l.crlf { b"\r\n" } else { b"\n" })?;
    }
    dst.write_all(&lines)
}

/// `original` with `headers` inserted at the end of its header block: just
/// before the empty line, or at the end of a file that has none (after a
/// line break if the last line lacks one). The new lines use the file's
/// line ending; the body is unchanged.
pub fn insert_headers(original: &[u8], headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len() + 64 * headers.len());
    let mut src = original;
    // Reading a slice and writing a Vec cannot fail.
    let _ = copy_inserting(&mut src, &mut out, headers);
    out
}

/// The headers a sent file gets: `Sent:` and one `Message_id:` per part.
pub fn sent_headers(sent: DateTime, message_ids: &[String]) -> Vec<(&'static str, String)> {
    let mut h = vec![("Sent", sent.to_string())];
    h.extend(message_ids.iter().map(|id| ("Message_id", id.clone())));
    h
}

/// The headers a failed file gets: `Failed:` and `Fail_reason:`.
pub fn failed_headers(failed: DateTime, reason: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Failed", failed.to_string()),
        ("Fail_reason", reason.to_owned()),
    ]
}

fn borrow<'a>(h: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    h.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// The `sent/` file for `original`: `Sent:` and the message ids inserted at
/// the end of the header block.
pub fn sent_file(original: &[u8], sent: DateTime, message_ids: &[String]) -> Vec<u8> {
    insert_headers(original, &borrow(&sent_headers(sent, message_ids)))
}

/// The `failed/` file for `original`: `Failed:` and `Fail_reason:` inserted
/// at the end of the header block.
pub fn failed_file(original: &[u8], failed: DateTime, reason: &str) -> Vec<u8> {
    insert_headers(original, &borrow(&failed_headers(failed, reason)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::spool::message::OutgoingMessage;

    #[test]
    fn inserting_headers() {
        let dt = DateTime::new(2024, 5, 1, 12, 0, 9).unwrap();
        let ids = ["a1".to_owned(), "b2".to_owned()];
        assert_eq!(
            sent_file(b"To: 1\nX: y\n\nbody\n\nmore", dt, &ids),
            b"To: 1\nX: y\nSent: 2024-05-01 12:00:09\nMessage_id: a1\nMessage_id: b2\n\nbody\n\nmore"
        );
        assert_eq!(
            failed_file(b"To: 1\r\n\r\nbody", dt, "bad\nreason"),
            b"To: 1\r\nFailed: 2024-05-01 12:00:09\r\nFail_reason: bad reason\r\n\r\nbody"
        );
        // No separator; last line with and without a newline.
        assert_eq!(
            failed_file(b"To: 1", dt, "r"),
            b"To: 1\nFailed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        assert_eq!(
            failed_file(b"To: 1\n", dt, "r"),
            b"To: 1\nFailed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        assert_eq!(
            failed_file(b"\xEF\xBB\xBF", dt, "r"),
            b"\xEF\xBB\xBFFailed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        // Empty header block, BOM kept.
        assert_eq!(
            failed_file(b"\xEF\xBB\xBF\nbody", dt, "r"),
            b"\xEF\xBB\xBFFailed: 2024-05-01 12:00:09\nFail_reason: r\n\nbody"
        );
        assert_eq!(
            failed_file(b"", dt, "r"),
            b"Failed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        // The result parses, with the new headers in place.
        let out = sent_file(b"To: 1\n\nhi", dt, &ids);
        let m = OutgoingMessage::parse(&out).unwrap();
        assert_eq!(m.header("Sent"), Some("2024-05-01 12:00:09"));
        assert_eq!(m.body, b"hi");
    }
}
