//! The header block of a spool file: where it ends, and header lines as
//! the daemon writes them.

/// Where the header block of a file ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Where the first header line starts (3 after a UTF-8 BOM, else 0).
    pub(super) start: usize,
    /// Where the empty line starts, if there is one within the data.
    pub(super) separator: Option<usize>,
    /// Where the body starts (the data's length without a separator).
    pub(super) body: usize,
    /// Whether the first line ends in `\r\n`.
    pub(super) crlf: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(super) fn layout(data: &[u8]) -> Layout {
    let start = if data.starts_with(BOM) { BOM.len() } else { 0 };
    let mut crlf = false;
    let mut pos = start;
    let mut first = true;
    while let Some(nl) = data[pos..].iter().position(|&b| b == b'\n') {
        let end = pos + nl;
        let line = &data[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if first {
            crlf = end > pos && data[end - 1] == b'\r';
            first = false;
        }
        if line.is_empty() {
            return Layout {
                start,
                separator: Some(pos),
                body: end + 1,
                crlf,
            };
        }
        pos = end + 1;
    }
    Layout {
        start,
        separator: None,
        body: data.len(),
        crlf,
    }
}

/// A header value on one line: control characters become spaces, and the
/// ends are trimmed.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

pub(super) fn header_lines(headers: &[(&str, &str)], crlf: bool) -> Vec<u8> {
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(clean(value).as_bytes());
        out.extend_from_slice(eol);
    }
    out
}
