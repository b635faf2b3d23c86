//! Strict decimal: `[0-9]{1,20}` for unsigned 64-bit values, `-?[0-9]{1,10}` for `i32`.
//!
//! No sign on unsigned values, no whitespace, no `_`: `str::parse` and `from_str_radix` accept a
//! leading `+`, which is why they are never used on wire bytes.

/// Parses `[0-9]{1,20}` into a `u64`; `None` on any other byte, on empty input and on overflow.
/// Leading zeros are allowed (every Datadog tracer accepts them).
#[inline]
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut acc: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(acc)
}

/// Parses `-?[0-9]+` into an `i32`; `None` on any other byte, on empty digits and on overflow.
#[inline]
pub fn parse_i32(s: &[u8]) -> Option<i32> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 11 {
        return None;
    }
    let mut acc: i64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc * 10 + i64::from(d);
    }
    let v = if neg { -acc } else { acc };
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
        start -= 2;
    }
    // `v` is now one digit, or 0 after an even number of digits.
    if v > 0 || start == U64_MAX_LEN {
        if let Some(slot) = start.checked_sub(1).and_then(|s| buf.get_mut(s)) {
            *slot = b'0' + v as u8;
            start -= 1;
        }
    }
    buf.get(start..).unwrap_or(&[])
}

/// Formats `v` in decimal into `buf`, returning the written bytes (a suffix of `buf`).
#[inline]
pub fn format_i32(v: i32, buf: &mut [u8; I32_MAX_LEN]) -> &[u8] {
    let mut mag = v.unsigned_abs();
    let mut used = 0;
    let mut slots = buf.iter_mut().rev();
    for slot in slots.by_ref() {
        *slot = b'0' + (mag % 10) as u8;
        mag /= 10;
        used += 1;
        if mag == 0 {
            break;
        }
    }
    if v < 0 {
        if let Some(slot) = slots.next() {
            *slot = b'-';
            used += 1;
        }
    }
    buf.get(I32_MAX_LEN - used..).unwrap_or(&[])
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
    }
}
