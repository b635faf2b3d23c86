//! Strict, fixed-width, table-driven hexadecimal.
//!
//! Wire ids are decoded with a 256-entry table: one lookup per byte, no branches on character
//! classes, and no `from_str_radix` (which accepts a leading `+`). Lowercase is the only case W3C
//! allows; [`decode_any_case`] exists for formats whose peers accept both (B3, X-Ray).

const INVALID: u8 = 0xff;

const fn table(upper: bool) -> [u8; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut j = 0;
    while j < 6 {
        t[b'a' as usize + j] = 10 + j as u8;
        if upper {
            t[b'A' as usize + j] = 10 + j as u8;
        }
        j += 1;
    }
    t
}

static LOWER: [u8; 256] = table(false);
static ANY: [u8; 256] = table(true);
const DIGITS: &[u8; 16] = b"0123456789abcdef";

#[inline]
fn decode_with(s: &[u8], t: &[u8; 256]) -> Option<u128> {
    if s.is_empty() || s.len() > 32 {
        return None;
    }
    // Whole words (16 and 32 digits, the usual id widths) eight digits at a time.
    if s.len() % 8 == 0 {
        let any_case = core::ptr::eq(t, &ANY);
        let mut acc: u128 = 0;
        for chunk in s.chunks_exact(8) {
            let word = u64::from_be_bytes(<[u8; 8]>::try_from(chunk).ok()?);
            acc = (acc << 32) | u128::from(swar8(word, any_case)?);
        }
        return Some(acc);
    }
    let mut acc: u128 = 0;
    let mut bad = 0u8;
    for &b in s {
        let v = t[b as usize];
        bad |= v;
        acc = (acc << 4) | u128::from(v & 0x0f);
    }
    // Every valid value is < 16, so bit 4..7 is set only by an INVALID entry.
    if bad & 0xf0 != 0 {
        None
    } else {
        Some(acc)
    }
}

/// Decodes 1 to 32 lowercase hex digits. Anything else (uppercase, sign, space, empty, too long)
/// is `None`.
#[inline]
pub fn decode(s: &[u8]) -> Option<u128> {
    decode_with(s, &LOWER)
}

/// Decodes 1 to 32 hex digits of either case.
// Out of line: B3 and X-Ray read several ids each, and would otherwise carry a copy per id.
#[inline(never)]
pub fn decode_any_case(s: &[u8]) -> Option<u128> {
    decode_with(s, &ANY)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Eight hex digits (first digit in the high byte) as a 32-bit value, checked eight at a time:
/// every byte must be in `0-9` or `a-f` (or `A-F` too when `any_case`).
#[inline(always)]
fn swar8(x: u64, any_case: bool) -> Option<u32> {
    if !any_case {
        return swar8_lower(x);
    }
    // Fold case: set bit 5 of every byte whose bit 6 is set (`A-F` becomes `a-f`, `a-f` stays).
    // Bytes without bit 6 (digits among them) are unchanged, and no byte that is not a digit
    // or a letter `A-F`/`a-f` becomes one, so the lowercase check decides exactly.
    swar8_lower(x | ((x >> 1) & (ONES * 0x20)))
}

/// [`swar8`] for lowercase only, checked by re-encoding: decode every byte as if it were a
/// digit (`0-9` and `a-f` differ in bit 6), require each value to be at most 15, and compare
/// the lowercase encoding of those values with the input. Only valid input survives the
/// round trip, and it is cheaper than testing four byte ranges.
#[inline(always)]
fn swar8_lower(x: u64) -> Option<u32> {
    let letter = (x >> 6) & ONES;
    // Per byte at most 15 + 9: no carry crosses a byte in any sum below.
    let v = (x & (ONES * 0x0f)).wrapping_add(letter.wrapping_mul(9));
    if v.wrapping_add(ONES * 0x70) & HIGHS != 0 {
        return None;
    }
    let is_letter = (v.wrapping_add(ONES * 6) >> 4) & ONES;
    let encoded = v
        .wrapping_add(ONES * u64::from(b'0'))
        .wrapping_add(is_letter.wrapping_mul(u64::from(b'a' - b'0' - 10)));
    if encoded != x {
        return None;
    }
    let v = (v | (v >> 4)) & 0x00ff_00ff_00ff_00ff;
    let v = (v | (v >> 8)) & 0x0000_ffff_0000_ffff;
    Some((v | (v >> 16)) as u32)
}

/// Decodes exactly `8 * N` lowercase hex digits, eight at a time.
#[inline(always)]
fn decode_words<const N: usize>(s: &[u8]) -> Option<u128> {
    decode_words_case::<N>(s, false)
}

/// Decodes exactly `8 * N` hex digits (of either case when `any_case`), eight at a time.
#[inline(always)]
fn decode_words_case<const N: usize>(s: &[u8], any_case: bool) -> Option<u128> {
    if s.len() != 8 * N {
        return None;
    }
    let mut acc: u128 = 0;
    for chunk in s.chunks_exact(8) {
        let word = u64::from_be_bytes(<[u8; 8]>::try_from(chunk).ok()?);
        acc = (acc << 32) | u128::from(swar8(word, any_case)?);
    }
    Some(acc)
}

/// Decodes exactly `8 * N` hex digits of either case (8, 16, 24 or 32): for readers of
/// fixed-width ids, which get this small loop inline instead of a call to
/// [`decode_any_case`] (which takes any width).
#[inline(always)]
pub fn decode_any_case_exact<const N: usize>(s: &[u8]) -> Option<u128> {
    decode_words_case::<N>(s, true)
}

/// Decodes exactly 16 lowercase hex digits into a `u64`.
#[inline]
pub fn decode_u64(s: &[u8]) -> Option<u64> {
    decode_words::<2>(s).map(|v| v as u64)
}

/// Decodes exactly 32 lowercase hex digits into a `u128`.
#[inline]
pub fn decode_u128(s: &[u8]) -> Option<u128> {
    decode_words::<4>(s)
}

/// Decodes exactly 2 lowercase hex digits into a `u8`.
#[inline]
pub fn decode_u8(s: &[u8]) -> Option<u8> {
    let [hi, lo] = *s else {
        return None;
    };
    let (hi, lo) = (LOWER[usize::from(hi)], LOWER[usize::from(lo)]);
    // An INVALID entry has bits 4..7 set; valid digits never do.
    if (hi | lo) & 0xf0 != 0 {
        return None;
    }
    Some(hi << 4 | lo)
}

/// Writes `v` as exactly `out.len()` lowercase hex digits (the low `4 * out.len()` bits).
#[inline]
pub fn encode_into(mut v: u128, out: &mut [u8]) {
    for b in out.iter_mut().rev() {
        *b = DIGITS[(v & 0xf) as usize];
        v >>= 4;
    }
}

/// `v` as 8 lowercase hex digits, first digit in the high byte, computed eight at a time.
#[inline(always)]
fn swar_encode8(v: u32) -> u64 {
    // Spread the eight nibbles one per byte, then map 0-9 to '0'-'9' and 10-15 to 'a'-'f':
    // adding 6 carries into bit 4 exactly for the letters.
    let x = u64::from(v);
    let x = ((x & 0xffff_0000) << 16) | (x & 0xffff);
    let x = ((x & 0x0000_ff00_0000_ff00) << 8) | (x & 0x0000_00ff_0000_00ff);
    let x = ((x & 0x00f0_00f0_00f0_00f0) << 4) | (x & 0x000f_000f_000f_000f);
    let letters = (x.wrapping_add(ONES * 6) >> 4) & ONES;
    x.wrapping_add(ONES * u64::from(b'0'))
        .wrapping_add(letters.wrapping_mul(u64::from(b'a' - b'0' - 10)))
}

/// `v` as 16 lowercase hex digits.
#[inline]
pub fn encode_u64(v: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    let (hi, lo) = out.split_at_mut(8);
    hi.copy_from_slice(&swar_encode8((v >> 32) as u32).to_be_bytes());
    lo.copy_from_slice(&swar_encode8(v as u32).to_be_bytes());
    out
}

/// `v` as 32 lowercase hex digits.
#[inline]
pub fn encode_u128(v: u128) -> [u8; 32] {
    let mut out = [0u8; 32];
    let (hi, lo) = out.split_at_mut(16);
    hi.copy_from_slice(&encode_u64((v >> 64) as u64));
    lo.copy_from_slice(&encode_u64(v as u64));
    out
}

/// `v` as 2 lowercase hex digits.
#[inline]
pub fn encode_u8(v: u8) -> [u8; 2] {
    let mut out = [0u8; 2];
    encode_into(u128::from(v), &mut out);
    out
}

/// The uppercase hex digit for the low nibble of `n` (percent-encoding writes uppercase).
#[inline]
pub fn upper_digit(n: u8) -> u8 {
    b"0123456789ABCDEF"[(n & 0xf) as usize]
}

/// The value of one hex digit of either case.
#[inline]
pub fn digit_any_case(b: u8) -> Option<u8> {
    let v = ANY[b as usize];
    if v == INVALID {
        None
    } else {
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_lowercase_only() {
        assert_eq!(decode_u64(b"00f067aa0ba902b7"), Some(0x00f0_67aa_0ba9_02b7));
        assert_eq!(decode_u64(b"00F067AA0BA902B7"), None);
        assert_eq!(
            decode_any_case(b"00F067AA0BA902B7"),
            Some(0x00f0_67aa_0ba9_02b7)
        );
        assert_eq!(decode_u64(b"+0f067aa0ba902b7"), None);
        assert_eq!(decode_u64(b"00f067aa0ba902b"), None);
        assert_eq!(decode_u64(b" 0f067aa0ba902b7"), None);
        assert_eq!(decode(b""), None);
        assert_eq!(decode(&[b'0'; 33]), None);
        assert_eq!(
            decode_u128(b"4bf92f3577b34da6a3ce929d0e0e4736"),
            Some(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736)
        );
        assert_eq!(decode_u8(b"ff"), Some(255));
        assert_eq!(decode_u8(b"g0"), None);
    }

    #[test]
    fn every_byte_is_classified() {
        for b in 0u8..=255 {
            let lower = decode(&[b]).is_some();
            assert_eq!(
                lower,
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
                "{b}"
            );
            assert_eq!(
                decode_any_case(&[b]).is_some(),
                b.is_ascii_hexdigit(),
                "{b}"
            );
        }
    }

    #[test]
    fn word_decoder_agrees_with_the_table() {
        // Every byte value in every position of a 16-digit id, against the table decoder.
        let base = *b"0123456789abcdef";
        for pos in 0..16 {
            for b in 0u8..=255 {
                let mut s = base;
                s[pos] = b;
                assert_eq!(decode_u64(&s), decode(&s).map(|v| v as u64), "{s:?}");
            }
        }
        for v in [
            0u64,
            1,
            0xdead_beef,
            u64::MAX,
            0x0123_4567_89ab_cdef,
            0xa0a0_9f9f_0a0a_f9f9,
        ] {
            let mut t = [0u8; 16];
            encode_into(u128::from(v), &mut t);
            assert_eq!(encode_u64(v), t);
            assert_eq!(decode_u64(&encode_u64(v)), Some(v));
        }
        for len in [8, 16, 24, 32] {
            for pos in 0..len {
                for b in 0u8..=255 {
                    let mut s = *b"0123456789abcdefABCDEF0123456789";
                    s[pos] = b;
                    let s = &s[..len];
                    let naive = |upper: bool| {
                        s.iter().try_fold(0u128, |acc, &c| {
                            let d = match c {
                                b'0'..=b'9' => c - b'0',
                                b'a'..=b'f' => c - b'a' + 10,
                                b'A'..=b'F' if upper => c - b'A' + 10,
                                _ => return None,
                            };
                            Some(acc << 4 | u128::from(d))
                        })
                    };
                    assert_eq!(decode_any_case(s), naive(true), "{s:?}");
                    let exact = match len {
                        8 => decode_any_case_exact::<1>(s),
                        16 => decode_any_case_exact::<2>(s),
                        24 => decode_any_case_exact::<3>(s),
                        _ => decode_any_case_exact::<4>(s),
                    };
                    assert_eq!(exact, naive(true), "{s:?}");
                    assert_eq!(decode(s), naive(false), "{s:?}");
                }
            }
        }
        let big = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736u128;
        assert_eq!(decode_u128(&encode_u128(big)), Some(big));
    }

    #[test]
    fn encodes_fixed_width() {
        assert_eq!(&encode_u64(0xab), b"00000000000000ab");
        assert_eq!(&encode_u8(1), b"01");
        assert_eq!(&encode_u128(u128::MAX), b"ffffffffffffffffffffffffffffffff");
    }
}
