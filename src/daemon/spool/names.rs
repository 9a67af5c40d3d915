//! The names of files in the spool: which names and owner ids are usable,
//! the name a claimed file has in `checked/` (`NAME@@OWNER`), and the names
//! a result file may take in `sent/` or `failed/` (`NAME`, `NAME.1`, ...).

use super::records::crc32;
use std::fs;

/// How many `NAME.N` suffixes are tried for a result file, and how many
/// names for an incoming or report file, before giving up.
pub(super) const MAX_NAME_TRIES: u32 = 1000;

/// The longest owner id.
const MAX_OWNER_LEN: usize = 64;

/// Whether `name` may be used as a file name in the spool.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}

/// Whether an owner id is usable in file names: 1 to 64 of `A-Z a-z 0-9 . _ -`,
/// not starting with a dot.
pub fn valid_owner(owner: &str) -> bool {
    (1..=MAX_OWNER_LEN).contains(&owner.len())
        && !owner.starts_with('.')
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// This machine's host name made fit for an owner id, or `localhost`.
pub fn default_owner() -> String {
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let cleaned: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_OWNER_LEN)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "localhost".to_owned()
    } else {
        cleaned
    }
}

/// The longest file name most filesystems take, in bytes.
const MAX_NAME_LEN: usize = 255;

/// The first bytes of `name`, at most `max`, cut at a character boundary.
fn truncated(name: &str, max: usize) -> &str {
    let mut end = name.len().min(max);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The separator between a file's name and its owner in `checked/`.
const OWNER_SEP: &str = "@@";

/// The name under which `owner` holds `name` in `checked/`: `NAME@@OWNER`,
/// or for a name too long for that, `PREFIX~CRC@@OWNER` (CRC-32 of the
/// whole name; the progress log keeps the whole name).
pub(super) fn claim_key(name: &str, owner: &str) -> String {
    let plain = format!("{name}{OWNER_SEP}{owner}");
    if plain.len() <= MAX_NAME_LEN {
        return plain;
    }
    let room = MAX_NAME_LEN - OWNER_SEP.len() - owner.len() - 9;
    format!(
        "{}~{:08x}{OWNER_SEP}{owner}",
        truncated(name, room),
        crc32(name.as_bytes())
    )
}

/// The name and owner of a key in `checked/`; `None` for a name without an
/// owner (put there by hand).
pub(super) fn split_key(key: &str) -> Option<(&str, &str)> {
    let (name, owner) = key.rsplit_once(OWNER_SEP)?;
    (!name.is_empty() && valid_owner(owner)).then_some((name, owner))
}

/// The `n`th name for a result file: `NAME`, `NAME.1`, ...; the name is
/// shortened if the suffix would make it too long.
pub(super) fn result_name(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    let suffix = format!(".{n}");
    format!("{}{suffix}", truncated(name, MAX_NAME_LEN - suffix.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names() {
        assert_eq!(claim_key("abc", "host"), "abc@@host");
        assert_eq!(split_key("abc@@host"), Some(("abc", "host")));
        assert_eq!(split_key("a@@b@@host"), Some(("a@@b", "host")));
        assert_eq!(split_key("abc"), None);
        assert_eq!(split_key("@@host"), None);
        let long = "\u{E9}".repeat(120); // 240 bytes
        let k = claim_key(&long, "host");
        assert!(k.len() <= MAX_NAME_LEN && k.ends_with("@@host"));
        assert_eq!(split_key(&k).map(|(_, o)| o), Some("host"));
        assert_ne!(k, claim_key(&"\u{E9}".repeat(121), "host"));
        assert_eq!(result_name("abc", 0), "abc");
        assert_eq!(result_name("abc", 12), "abc.12");
        let r = result_name(&long, 3);
        assert!(r.len() <= MAX_NAME_LEN && r.ends_with(".3"));
    }

    #[test]
    fn owners_and_names() {
        assert!(valid_owner("host-1.example_a"));
        assert!(!valid_owner(""));
        assert!(!valid_owner(".x"));
        assert!(!valid_owner("a b"));
        assert!(!valid_owner(&"a".repeat(65)));
        assert!(valid_owner(&default_owner()));
        assert!(valid_name("msg 1"));
        assert!(!valid_name("../x"));
        assert!(!valid_name(".."));
        assert!(!valid_name(""));
    }
}
