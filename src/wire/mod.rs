//! Bytes only, no format knowledge: strict hex and decimal, list scanning with OWS rules,
//! percent-coding, bounded writers and header-name matching.

pub mod buf;
pub mod class;
pub mod dec;
pub mod hex;
pub mod list;
pub mod name;
pub mod pct;

/// Writes bytes for `Debug`: printable ASCII as is, everything else escaped.
pub(crate) fn fmt_bytes(b: &[u8], f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    use core::fmt::Write;
    f.write_char('"')?;
    for &c in b {
        if (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\' {
            f.write_char(char::from(c))?;
        } else {
            write!(f, "\\x{c:02x}")?;
        }
    }
    f.write_char('"')
}
