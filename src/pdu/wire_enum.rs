//! `wire_enum!`: a C-like enum over a wire integer with a lossless catch-all.
//!
//! Every value the wire can carry maps to a variant: the named ones, or the
//! catch-all that keeps the raw number (smoltcp's `enum_with_unknown!` shape).
//! Converting back always gives the exact integer that was read.

/// Declares `enum $name { $variant, ..., $other($ty) }` with `From<$ty>` both
/// ways and a `name()` that returns the spec's name for the named variants.
macro_rules! wire_enum {
    (
        $(#[$attr:meta])*
        pub enum $name:ident($ty:ty) {
            $(
                $(#[$vattr:meta])*
                $variant:ident = $value:literal => $text:literal,
            )+
        }
        other: $(#[$oattr:meta])* $other:ident
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vattr])*
                $variant,
            )+
            $(#[$oattr])*
            $other($ty),
        }

        impl From<$ty> for $name {
            #[inline]
            fn from(value: $ty) -> Self {
                match value {
                    $($value => $name::$variant,)+
                    other => $name::$other(other),
                }
            }
        }

        impl From<$name> for $ty {
            #[inline]
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => $value,)+
                    $name::$other(other) => other,
                }
            }
        }

        impl $name {
            /// The spec's name of this value, or `None` for a value the
            /// crate does not know.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $($name::$variant => Some($text),)+
                    $name::$other(_) => None,
                }
            }
        }
    };
}

pub(crate) use wire_enum;
