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

/// True when `v` can be sent as an HTTP field value exactly as it is (RFC 9110 §5.5): not empty,
/// only visible ASCII (0x21–0x7E), space and horizontal tab, and no white space at either end (a
/// reader would trim it, so the next hop would read something else). Every header tracewire
/// writes passes this check.
pub fn is_field_value(v: &[u8]) -> bool {
    let edges_ok = !matches!(v.first(), None | Some(b' ' | b'\t'))
        && !matches!(v.last(), None | Some(b' ' | b'\t'));
    // No early exit: a fold of one comparison per byte, which the compiler vectorises (a header
    // value is checked once per injection, and every byte of it is valid in the common case).
    edges_ok
        && v.iter().fold(true, |ok, &b| {
            ok & (b.wrapping_sub(0x20) < 0x5f || b == b'\t')
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_values() {
        for ok in [&b"a"[..], b"a b", b"a\tb", b"~!"] {
            assert!(super::is_field_value(ok), "{ok:?}");
        }
        for bad in [
            &b""[..],
            b" a",
            b"a ",
            b"\ta",
            b"a\r\nb",
            b"a\0",
            b"a\x7f",
            b"\xc3\xa9",
        ] {
            assert!(!super::is_field_value(bad), "{bad:?}");
        }
    }

    /// The vectorisable check agrees with the plain definition on every single byte, in the
    /// middle and at either end.
    #[test]
    fn field_value_check_matches_the_definition() {
        let plain = |v: &[u8]| {
            !v.is_empty()
                && !matches!(v[0], b' ' | b'\t')
                && !matches!(v[v.len() - 1], b' ' | b'\t')
                && v.iter().all(|&b| b == b'\t' || (0x20..=0x7e).contains(&b))
        };
        for b in 0..=255u8 {
            for v in [[b'a', b, b'z'], [b, b'a', b'z'], [b'a', b'z', b]] {
                assert_eq!(super::is_field_value(&v), plain(&v), "{v:?}");
            }
            assert_eq!(super::is_field_value(&[b]), plain(&[b]), "{b}");
            // Long enough for the vectorised loop, the byte in the middle.
            let mut long = [b'x'; 40];
            long[20] = b;
            assert_eq!(super::is_field_value(&long), plain(&long), "{b}");
        }
    }
}
