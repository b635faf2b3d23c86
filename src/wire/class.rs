//! Byte classes: one 256-entry table, built at compile time, that says for every byte which of
//! the grammars' character sets it belongs to. Validating a run of bytes is then one load and one
//! test per byte instead of a chain of range comparisons.

/// A set of character classes (bit flags over [`CLASS`]).
pub type Class = u16;

/// W3C tracestate key characters: `a-z 0-9 _ - * / @`.
pub const TS_KEY: Class = 1 << 0;
/// First character of a tracestate key: `a-z 0-9`.
pub const TS_KEY_FIRST: Class = 1 << 1;
/// W3C tracestate value characters: 0x20–0x7E except `,` and `=`.
pub const TS_VALUE: Class = 1 << 2;
/// RFC 9110 `tchar` (baggage keys and property keys).
pub const TOKEN: Class = 1 << 3;
/// W3C baggage value characters as tracewire reads them: 0x20–0x7E except `,` and `;`.
pub const BAGGAGE_VALUE: Class = 1 << 4;
/// `x-datadog-tags` key characters: 0x21–0x7E except `,` and `=`.
pub const TAG_KEY: Class = 1 << 5;
/// `x-datadog-tags` value characters: 0x20–0x7E except `,`.
pub const TAG_VALUE: Class = 1 << 6;
/// Optional whitespace: space and horizontal tab.
pub const OWS: Class = 1 << 7;
/// Lowercase hexadecimal digits.
pub const HEX_LOWER: Class = 1 << 8;
/// Bytes the `dd=` member writes unchanged in a value: 0x20–0x7E except `,` `;` `~` `=`.
pub const DD_VALUE_SAFE: Class = 1 << 9;
/// Bytes the `dd=` member writes unchanged in a tag key: 0x21–0x7E except `,` `;` `:` `=` `~`.
pub const DD_KEY_SAFE: Class = 1 << 10;
/// W3C baggage member value characters as tracewire reads them: [`BAGGAGE_VALUE`] and the bytes
/// 0x80–0xFF (raw UTF-8, which every Datadog tracer but dd-trace-cpp accepts in a value).
pub const BAGGAGE_VALUE_RAW: Class = 1 << 11;

const fn build() -> [Class; 256] {
    let mut t = [0; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c: Class = 0;
        let printable = b >= 0x20 && b <= 0x7e;
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            c |= TS_KEY | TS_KEY_FIRST;
        }
        if matches!(b, b'_' | b'-' | b'*' | b'/' | b'@') {
            c |= TS_KEY;
        }
        if printable && b != b',' && b != b'=' {
            c |= TS_VALUE;
        }
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
        {
            c |= TOKEN;
        }
        if printable && b != b',' && b != b';' {
            c |= BAGGAGE_VALUE | BAGGAGE_VALUE_RAW;
        }
        if b >= 0x80 {
            c |= BAGGAGE_VALUE_RAW;
        }
        if printable && b != b' ' && b != b',' && b != b'=' {
            c |= TAG_KEY;
        }
        if printable && b != b',' {
            c |= TAG_VALUE;
        }
        if b == b' ' || b == b'\t' {
            c |= OWS;
        }
        if b.is_ascii_digit() || (b >= b'a' && b <= b'f') {
            c |= HEX_LOWER;
        }
        if printable && !matches!(b, b',' | b';' | b'~' | b'=') {
            c |= DD_VALUE_SAFE;
        }
        if printable && !matches!(b, b' ' | b',' | b';' | b':' | b'=' | b'~') {
            c |= DD_KEY_SAFE;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// The class of every byte.
pub static CLASS: [Class; 256] = build();

/// True when `b` is in any of the classes `c`.
#[inline(always)]
pub fn is(b: u8, c: Class) -> bool {
    CLASS[usize::from(b)] & c != 0
}

/// True when every byte of `s` is in class `c` (true for an empty `s`).
#[inline]
pub fn all(s: &[u8], c: Class) -> bool {
    s.iter().all(|&b| is(b, c))
}

/// The first position at or after `i` whose byte is not in class `c` (or `s.len()`). For
/// cursor-style parsers that keep one index into the item.
#[inline(always)]
pub fn skip(s: &[u8], mut i: usize, c: Class) -> usize {
    while let Some(&b) = s.get(i) {
        if !is(b, c) {
            break;
        }
        i += 1;
    }
    i
}

/// Number of leading bytes of `s` in class `c`.
// Kept out of line: inlined into a parser, the loop picks up one induction variable per
// slice the caller derives from the result, and costs twice as much per byte.
#[inline(never)]
pub fn span(s: &[u8], c: Class) -> usize {
    s.iter().position(|&b| !is(b, c)).unwrap_or(s.len())
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// True when some byte of `x` is zero (the classic SWAR test; exact as to *whether*).
#[inline(always)]
const fn has_zero(x: u64) -> bool {
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

/// True when some byte of the 8-byte word `x` is outside 0x20–0x7E or equals `d1` or `d2`.
#[inline(always)]
const fn word_has_stop(x: u64, d1: u8, d2: u8) -> bool {
    // A byte below 0x20: subtracting 0x20 borrows into its high bit (bytes with the high bit
    // already set are caught by the second test).
    let low = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    // A byte above 0x7E: adding 1 reaches 0x80, or its high bit is already set.
    let high = (x.wrapping_add(ONES) | x) & HIGHS;
    low != 0 || high != 0 || has_zero(x ^ (ONES * d1 as u64)) || has_zero(x ^ (ONES * d2 as u64))
}

/// Number of leading bytes of `s` that are printable ASCII (0x20–0x7E) other than `d1` and
/// `d2`: what every list value grammar here allows, found eight bytes at a time.
#[inline]
pub fn span_printable_except(s: &[u8], d1: u8, d2: u8) -> usize {
    let mut done = 0usize;
    let mut chunks = s.chunks_exact(8);
    for chunk in chunks.by_ref() {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        if word_has_stop(u64::from_le_bytes(bytes), d1, d2) {
            break;
        }
        done = done.wrapping_add(8);
    }
    let rest = s.get(done..).unwrap_or_default();
    done.wrapping_add(
        rest.iter()
            .position(|&b| !(0x20..=0x7e).contains(&b) || b == d1 || b == d2)
            .unwrap_or(rest.len()),
    )
}

/// Position of the first `needle` in `s`, found eight bytes at a time.
#[inline]
pub fn find(s: &[u8], needle: u8) -> Option<usize> {
    let mut done = 0usize;
    let pattern = ONES * u64::from(needle);
    for chunk in s.chunks_exact(8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        if has_zero(u64::from_le_bytes(bytes) ^ pattern) {
            break;
        }
        done = done.wrapping_add(8);
    }
    // `done` and `i` count bytes of `s`: their sum is at most its length.
    let rest = s.get(done..)?;
    rest.iter()
        .position(|&b| b == needle)
        .map(|i| done.wrapping_add(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_match_the_grammars() {
        for b in 0..=255u8 {
            let printable = (0x20..=0x7e).contains(&b);
            assert_eq!(
                is(b, TS_KEY),
                b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-*/@".contains(&b)
            );
            assert_eq!(is(b, TS_VALUE), printable && b != b',' && b != b'=');
            assert_eq!(is(b, BAGGAGE_VALUE), printable && b != b',' && b != b';');
            assert_eq!(
                is(b, BAGGAGE_VALUE_RAW),
                (printable && b != b',' && b != b';') || b >= 0x80
            );
            assert_eq!(
                is(b, TAG_KEY),
                printable && b != b' ' && b != b',' && b != b'='
            );
            assert_eq!(is(b, TAG_VALUE), printable && b != b',');
            assert_eq!(is(b, OWS), b == b' ' || b == b'\t');
            assert_eq!(is(b, HEX_LOWER), b"0123456789abcdef".contains(&b));
            assert_eq!(is(b, DD_VALUE_SAFE), printable && !b",;~=".contains(&b));
            assert_eq!(is(b, DD_KEY_SAFE), printable && !b" ,;:=~".contains(&b));
            assert_eq!(
                is(b, TOKEN),
                b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
            );
        }
        assert_eq!(span(b"abc=1", TS_KEY), 3);
        for len in 0..40 {
            for at in 0..=len {
                for stop in [b',', b'=', 0x1f, 0x7f, 0x80, 0xff, 0x00, b'\t'] {
                    let mut v = [b'a'; 40];
                    for (i, b) in v.iter_mut().enumerate() {
                        *b = b" ~!09azAZ:;"[i % 11];
                    }
                    if let Some(b) = v.get_mut(at) {
                        *b = stop;
                    }
                    let s = &v[..len];
                    let naive = s.iter().position(|&b| !is(b, TS_VALUE)).unwrap_or(len);
                    assert_eq!(span_printable_except(s, b',', b'='), naive, "{s:?}");
                    assert_eq!(find(s, stop), s.iter().position(|&b| b == stop));
                }
            }
        }
        assert_eq!(span(b"abc", TS_KEY), 3);
        assert!(all(b"", TS_KEY));
    }
}
