//! Strict decimal: `[0-9]{1,20}` for unsigned 64-bit values, `-?[0-9]{1,10}` for `i32`.
//!
//! No sign on unsigned values, no whitespace, no `_`: `str::parse` and `from_str_radix` accept a
//! leading `+`, which is why they are never used on wire bytes.

/// Parses `[0-9]{1,20}` into a `u64`; `None` on any other byte, on empty input and on overflow.
/// Leading zeros are allowed (every Datadog tracer accepts them).
///
/// ```
/// use tracewire::wire::dec;
///
/// assert_eq!(dec::parse_u64(b"18446744073709551615"), Some(u64::MAX));
/// assert_eq!(dec::parse_u64(b"18446744073709551616"), None);
/// assert_eq!(dec::parse_u64(b"+1"), None);
/// ```
#[inline]
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    // Eight digits at a time, then one at a time; 20 digits fit a u128 without overflow.
    let mut acc: u128 = 0;
    let mut chunks = s.chunks_exact(8);
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?);
        acc = acc
            .wrapping_mul(100_000_000)
            .wrapping_add(u128::from(eight_digits(word)?));
    }
    for &b in chunks.remainder() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc.wrapping_mul(10).wrapping_add(u128::from(d));
    }
    u64::try_from(acc).ok()
}

/// The value of eight ASCII digits (first digit in the low byte), or `None` if any byte is
/// not a digit.
#[inline(always)]
fn eight_digits(x: u64) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Every byte in 0x30..=0x39: high nibble 3, and adding 6 does not carry into the next.
    if x & (ONES * 0xf0) != ONES * 0x30
        || x.wrapping_add(ONES * 0x06) & (ONES * 0xf0) != ONES * 0x30
    {
        return None;
    }
    // Word arithmetic on bytes known to be digits: no byte carries, and `wrapping_*` keeps
    // the overflow checks of the no-panic proof out.
    let x = x.wrapping_sub(ONES * 0x30);
    // Combine neighbours: pairs, then quads, then the two halves.
    let x = x.wrapping_mul(10).wrapping_add(x >> 8) & 0x00ff_00ff_00ff_00ff;
    let x = x.wrapping_mul(100).wrapping_add(x >> 16) & 0x0000_ffff_0000_ffff;
    Some((x.wrapping_mul(10_000).wrapping_add(x >> 32) & 0xffff_ffff) as u32)
}

/// Parses `-?[0-9]+` into an `i32`; `None` on any other byte, on empty digits and on overflow.
// Out of line: called from several readers (twice by the Datadog one), it would otherwise be
// copied into each.
#[inline(never)]
pub fn parse_i32(s: &[u8]) -> Option<i32> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    // Leading zeros are digits like any other (`-?[0-9]+`); past them, at most 10 remain.
    let significant = digits
        .iter()
        .position(|&b| b != b'0')
        .map_or(&[][..], |i| digits.get(i..).unwrap_or_default());
    if significant.len() > 10 {
        return None;
    }
    let digits = if significant.is_empty() {
        digits
    } else {
        significant
    };
    let mut acc: i64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc.wrapping_mul(10).wrapping_add(i64::from(d));
    }
    let v = if neg { acc.wrapping_neg() } else { acc };
    i32::try_from(v).ok()
}

/// Largest number of bytes [`format_u64`] writes.
pub const U64_MAX_LEN: usize = 20;
/// Largest number of bytes [`format_i32`] writes.
pub const I32_MAX_LEN: usize = 11;

/// `"00" "01" … "99"`: two decimal digits per table entry.
const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Formats `v` in decimal into `buf`, returning the written digits (a suffix of `buf`).
#[inline]
pub fn format_u64(mut v: u64, buf: &mut [u8; U64_MAX_LEN]) -> &[u8] {
    // Two digits per step from the right. 20 slots always hold a u64; `get` keeps every access
    // free of panic paths.
    let mut start = U64_MAX_LEN;
    while v >= 10 {
        let pair = PAIRS.get((v % 100) as usize).copied().unwrap_or_default();
        v /= 100;
        let Some(slot) = start.checked_sub(2).and_then(|s| buf.get_mut(s..start)) else {
            break;
        };
        slot.copy_from_slice(&pair);
        start = start.saturating_sub(2);
    }
    // `v` is now one digit, or 0 after an even number of digits.
    if v > 0 || start == U64_MAX_LEN {
        if let Some(slot) = start.checked_sub(1).and_then(|s| buf.get_mut(s)) {
            *slot = b'0'.wrapping_add(v as u8);
            start = start.saturating_sub(1);
        }
    }
    buf.get(start..).unwrap_or(&[])
}

/// Formats `v` in decimal into `buf`, returning the written bytes (a suffix of `buf`).
#[inline]
pub fn format_i32(v: i32, buf: &mut [u8; I32_MAX_LEN]) -> &[u8] {
    let mut mag = v.unsigned_abs();
    let mut used = 0usize;
    let mut slots = buf.iter_mut().rev();
    for slot in slots.by_ref() {
        *slot = b'0'.wrapping_add((mag % 10) as u8);
        mag /= 10;
        used = used.saturating_add(1);
        if mag == 0 {
            break;
        }
    }
    if v < 0 {
        if let Some(slot) = slots.next() {
            *slot = b'-';
            used = used.saturating_add(1);
        }
    }
    buf.get(I32_MAX_LEN.saturating_sub(used)..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn parse_u64_is_strict() {
        assert_eq!(parse_u64(b"123"), Some(123));
        assert_eq!(parse_u64(b"00123"), Some(123));
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(parse_u64(b"000000000000000000001"), None);
        for bad in [&b"+123"[..], b"-1", b" 123", b"123 ", b"1_000", b"12a", b""] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parse_i32_takes_minus_only() {
        assert_eq!(parse_i32(b"-2"), Some(-2));
        assert_eq!(parse_i32(b"2"), Some(2));
        assert_eq!(parse_i32(b"-2147483648"), Some(i32::MIN));
        assert_eq!(parse_i32(b"2147483648"), None);
        for bad in [&b"+1"[..], b"-", b"", b"1.0", b"abc", b"--1", b" 1"] {
            assert_eq!(parse_i32(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn word_parser_agrees_with_digits() {
        for len in 1..=20usize {
            for pos in 0..len {
                for b in 0u8..=255 {
                    let mut v = *b"12345678901234567890";
                    v[pos] = b;
                    let s = &v[..len];
                    let naive = std::str::from_utf8(s)
                        .ok()
                        .filter(|t| t.bytes().all(|c| c.is_ascii_digit()))
                        .and_then(|t| t.parse::<u64>().ok());
                    assert_eq!(parse_u64(s), naive, "{s:?}");
                }
            }
        }
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(parse_u64(b"00000000000000000001"), Some(1));
    }

    #[test]
    fn format_round_trips() {
        let mut b = [0; U64_MAX_LEN];
        assert_eq!(format_u64(0, &mut b), b"0");
        assert_eq!(format_u64(u64::MAX, &mut b), b"18446744073709551615");
        let mut v = 1u64;
        for _ in 0..64 {
            for x in [v - 1, v, v + 1, v.wrapping_mul(10), v.wrapping_mul(10) - 1] {
                let expect = std::format!("{x}");
                assert_eq!(format_u64(x, &mut b), expect.as_bytes());
            }
            v = v.wrapping_mul(3) + 1;
        }
        let mut c = [0; I32_MAX_LEN];
        assert_eq!(format_i32(i32::MIN, &mut c), b"-2147483648");
        assert_eq!(format_i32(-1, &mut c), b"-1");
        assert_eq!(format_i32(42, &mut c), b"42");
        assert_eq!(parse_i32(b"-0000000000001"), Some(-1));
        assert_eq!(parse_i32(b"000000000000000"), Some(0));
        assert_eq!(parse_i32(b"00000000002147483647"), Some(i32::MAX));
        assert_eq!(parse_i32(b"2147483648"), None);
        assert_eq!(parse_i32(b"-"), None);
    }
}
