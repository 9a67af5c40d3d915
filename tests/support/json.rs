//! The peer scripts print one-line JSON objects, read with `serde_json`.
//! Index a [`Json`] value (`out["bind"]["system_id"]`, `out["parts"][0]`;
//! a missing member is `null`); [`Member`] adds two accessors that panic
//! naming the member and showing the object.

pub(crate) use serde_json::Value as Json;

/// A member that must be there, of the right type.
pub(crate) trait Member {
    /// The string member `key`, or a panic naming it.
    fn str(&self, key: &str) -> &str;
    /// The unsigned integer member `key`, or a panic naming it.
    fn u64(&self, key: &str) -> u64;
}

impl Member for Json {
    fn str(&self, key: &str) -> &str {
        self[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: not a string in {self}"))
    }

    fn u64(&self, key: &str) -> u64 {
        self[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: not a number in {self}"))
    }
}
