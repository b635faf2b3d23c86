//! Percent-coding (RFC 3986 §2.1) into caller storage, as W3C Baggage uses it.
//!
//! Decoding: `%XX` (either case) becomes the byte; a `%` not followed by two hex digits is kept
//! as is; `+` is a literal `+` (docs/BEHAVIOUR.md §12 #36, #37). The decoded bytes are then made valid
//! UTF-8 by replacing each invalid sequence with U+FFFD (W3C Baggage), so a decoded value of
//! `n` input bytes needs at most [`decoded_max_len`]`(n)` bytes.
//!
//! Encoding: every byte outside the caller's safe set becomes `%XX` (uppercase hex).

use crate::error::BufferTooSmall;
use crate::wire::buf::Writer;
use crate::wire::hex;

/// A set of bytes written as themselves.
#[derive(Clone, Copy)]
pub struct SafeSet([bool; 256]);

impl SafeSet {
    /// The set of ASCII letters, digits and the bytes of `extra`.
    pub const fn alnum_and(extra: &[u8]) -> SafeSet {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = c.is_ascii_alphanumeric();
            b += 1;
        }
        let mut i = 0;
        while i < extra.len() {
            t[extra[i] as usize] = true;
            i = i.saturating_add(1);
        }
        SafeSet(t)
    }

    /// True when `b` is written as itself.
    #[inline]
    pub const fn contains(&self, b: u8) -> bool {
        self.0[b as usize]
    }
}

/// Worst-case decoded length of `n` input bytes (an invalid byte becomes a 3-byte U+FFFD).
pub const fn decoded_max_len(n: usize) -> usize {
    n.saturating_mul(3)
}

/// Length of `src` once encoded with `safe`.
pub fn encoded_len(src: &[u8], safe: &SafeSet) -> usize {
    src.iter().fold(0usize, |n, &b| {
        n.saturating_add(if safe.contains(b) { 1 } else { 3 })
    })
}

/// Appends `src` percent-encoded; all or nothing.
pub fn encode(src: &[u8], safe: &SafeSet, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
    if out.remaining() < encoded_len(src, safe) {
        return Err(BufferTooSmall);
    }
    for &b in src {
        if safe.contains(b) {
            out.push_byte(b)?;
        } else {
            out.push(&[b'%', hex::upper_digit(b >> 4), hex::upper_digit(b)])?;
        }
    }
    Ok(())
}

/// Iterates the percent-decoded bytes of `src`.
fn raw_decoded(src: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut i = 0;
    core::iter::from_fn(move || {
        let b = *src.get(i)?;
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                src.get(i.wrapping_add(1))
                    .copied()
                    .and_then(hex::digit_any_case),
                src.get(i.wrapping_add(2))
                    .copied()
                    .and_then(hex::digit_any_case),
            ) {
                i = i.saturating_add(3);
                return Some(h << 4 | l);
            }
        }
        i = i.saturating_add(1);
        Some(b)
    })
}

/// True when `src`, percent-decoded (`%XX` of either case; no UTF-8 repair), is `want`:
/// a comparison without a copy.
pub fn decoded_eq(src: &[u8], want: &[u8]) -> bool {
    raw_decoded(src).eq(want.iter().copied())
}

/// What [`decode`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeReport {
    /// Invalid UTF-8 sequences replaced by U+FFFD.
    pub replaced: usize,
}

/// Appends the percent-decoded, UTF-8-repaired form of `src`; all or nothing.
///
/// ```
/// use tracewire::wire::buf::Writer;
/// use tracewire::wire::pct;
///
/// let mut buf = [0u8; 16];
/// let mut w = Writer::new(&mut buf);
/// let r = pct::decode(b"a%20b+%zz%FF", &mut w).unwrap();
/// // `+` is literal, a bad escape stays, an invalid UTF-8 byte becomes U+FFFD.
/// assert_eq!(w.written(), "a b+%zz\u{fffd}".as_bytes());
/// assert_eq!(r.replaced, 1);
/// ```
pub fn decode(src: &[u8], out: &mut Writer<'_>) -> Result<DecodeReport, BufferTooSmall> {
    let start = out.len();
    let r = decode_inner(src, out);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

fn decode_inner(src: &[u8], out: &mut Writer<'_>) -> Result<DecodeReport, BufferTooSmall> {
    let mut report = DecodeReport::default();
    let mut pending = [0u8; 4];
    let mut have = 0usize;
    let mut need = 0usize;
    let replacement = "\u{fffd}".as_bytes();
    for b in raw_decoded(src) {
        if have > 0 {
            if let (true, Some(slot)) = ((0x80..0xc0).contains(&b), pending.get_mut(have)) {
                *slot = b;
                have = have.saturating_add(1);
                if have == need {
                    let seq = pending.get(..have).unwrap_or(&[]);
                    match core::str::from_utf8(seq) {
                        Ok(_) => out.push(seq)?,
                        Err(_) => {
                            out.push(replacement)?;
                            report.replaced = report.replaced.saturating_add(1);
                        }
                    }
                    have = 0;
                }
                continue;
            }
            out.push(replacement)?;
            report.replaced = report.replaced.saturating_add(1);
            have = 0;
        }
        match b {
            0x00..=0x7f => out.push_byte(b)?,
            0xc2..=0xdf => (need, have, pending[0]) = (2, 1, b),
            0xe0..=0xef => (need, have, pending[0]) = (3, 1, b),
            0xf0..=0xf4 => (need, have, pending[0]) = (4, 1, b),
            _ => {
                out.push(replacement)?;
                report.replaced = report.replaced.saturating_add(1);
            }
        }
    }
    if have > 0 {
        out.push(replacement)?;
        report.replaced = report.replaced.saturating_add(1);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn dec(s: &[u8]) -> String {
        let mut b = [0u8; 256];
        let mut w = Writer::new(&mut b);
        decode(s, &mut w).unwrap();
        String::from_utf8(w.written().to_vec()).unwrap()
    }

    #[test]
    fn decoding_rules() {
        assert_eq!(dec(b"Am%C3%A9lie"), "Am\u{e9}lie");
        assert_eq!(dec(b"DF%2028"), "DF 28");
        assert_eq!(dec(b"a+b"), "a+b");
        assert_eq!(dec(b"100%"), "100%");
        assert_eq!(dec(b"%zz%4"), "%zz%4");
        assert_eq!(dec(b"%e9t%C3%A9"), "\u{fffd}t\u{e9}");
        assert_eq!(dec(b"%F0%9F%98%80"), "\u{1f600}");
        assert_eq!(dec(b"%ED%A0%80"), "\u{fffd}", "surrogates are not UTF-8");
        assert_eq!(dec(b"%C3"), "\u{fffd}");
    }

    #[test]
    fn encoding_rules() {
        let safe = SafeSet::alnum_and(b"-._~");
        let mut b = [0u8; 64];
        let mut w = Writer::new(&mut b);
        encode("a b%\u{e9}".as_bytes(), &safe, &mut w).unwrap();
        assert_eq!(w.written(), b"a%20b%25%C3%A9");
        let mut small = [0u8; 4];
        let mut w = Writer::new(&mut small);
        assert!(encode(b"a b", &safe, &mut w).is_err());
        assert!(w.is_empty());
    }

    #[test]
    fn decode_failure_writes_nothing() {
        let mut b = [0u8; 3];
        let mut w = Writer::new(&mut b);
        assert!(decode(b"abcd", &mut w).is_err());
        assert!(w.is_empty());
    }
}
