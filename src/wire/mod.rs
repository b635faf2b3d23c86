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
    // Eight bytes a step, the flags of every word gathered and looked at once at the end (a
    // header value is checked once per injection, and every byte of it is valid in the common
    // case): a value with a byte outside SP..`~` is then looked at byte by byte, where a tab is
    // allowed. The last word overlaps the one before it (checking a byte twice changes
    // nothing); a value shorter than a word is looked at byte by byte.
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut flags = 0u64;
    let mut i = 0usize;
    let mut word = |at: usize| match v.get(at..at.wrapping_add(8)).map(<[u8; 8]>::try_from) {
        Some(Ok(a)) => {
            let x = u64::from_le_bytes(a);
            // A byte below 0x20 (the borrow test is exact for whether any byte is below a bound
            // of at most 0x80), or one of 0x7f and above (adding one sets its high bit, or it
            // was set).
            flags |= (x.wrapping_sub(ONES * 0x20) & !x) | x.wrapping_add(ONES) | x;
            true
        }
        _ => false,
    };
    while word(i) {
        i = i.wrapping_add(8);
    }
    let whole = if i == 0 {
        false // shorter than a word
    } else {
        i == v.len() || word(v.len().wrapping_sub(8))
    };
    if whole && flags & HIGH == 0 {
        return edges_ok;
    }
    edges_ok && v.iter().all(|&b| b.wrapping_sub(0x20) < 0x5f || b == b'\t')
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

    /// The word-at-a-time check agrees with the plain definition on every single byte, in the
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
            // Every length up to three words and a half, the byte at every position (whole
            // words, the overlapping last word, values shorter than a word).
            for len in 1..=28 {
                for at in 0..len {
                    let mut v = [b'x'; 28];
                    v[at] = b;
                    let v = &v[..len];
                    assert_eq!(super::is_field_value(v), plain(v), "{v:?}");
                }
            }
            // Two bytes outside the range side by side (carries and borrows between them).
            for c in [0u8, 0x1f, 0x7f, 0x80, 0xff, b'\t', b' '] {
                let mut v = [b'x'; 16];
                v[6] = b;
                v[7] = c;
                v[8] = b;
                assert_eq!(super::is_field_value(&v), plain(&v), "{v:?}");
            }
        }
    }
}
