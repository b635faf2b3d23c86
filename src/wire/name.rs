//! Header names: every name tracewire reads or writes, lowercase, and ASCII-case-insensitive
//! matching (length first, then bytes).

/// `traceparent` (W3C Trace Context).
pub const TRACEPARENT: &str = "traceparent";
/// `tracestate` (W3C Trace Context).
pub const TRACESTATE: &str = "tracestate";
/// `x-datadog-trace-id`.
pub const X_DATADOG_TRACE_ID: &str = "x-datadog-trace-id";
/// `x-datadog-parent-id`.
pub const X_DATADOG_PARENT_ID: &str = "x-datadog-parent-id";
/// `x-datadog-sampling-priority`.
pub const X_DATADOG_SAMPLING_PRIORITY: &str = "x-datadog-sampling-priority";
/// `x-datadog-origin`.
pub const X_DATADOG_ORIGIN: &str = "x-datadog-origin";
/// `x-datadog-tags`.
pub const X_DATADOG_TAGS: &str = "x-datadog-tags";
/// `b3` (B3 single header).
pub const B3: &str = "b3";
/// `x-b3-traceid`.
pub const X_B3_TRACEID: &str = "x-b3-traceid";
/// `x-b3-spanid`.
pub const X_B3_SPANID: &str = "x-b3-spanid";
/// `x-b3-parentspanid`.
pub const X_B3_PARENTSPANID: &str = "x-b3-parentspanid";
/// `x-b3-sampled`.
pub const X_B3_SAMPLED: &str = "x-b3-sampled";
/// `x-b3-flags`.
pub const X_B3_FLAGS: &str = "x-b3-flags";
/// `x-amzn-trace-id` (AWS X-Ray).
pub const X_AMZN_TRACE_ID: &str = "x-amzn-trace-id";
/// `baggage` (W3C Baggage).
pub const BAGGAGE: &str = "baggage";

/// Every header name tracewire reads or writes.
pub const ALL: [&str; 15] = [
    X_DATADOG_TRACE_ID,
    X_DATADOG_PARENT_ID,
    X_DATADOG_SAMPLING_PRIORITY,
    X_DATADOG_ORIGIN,
    X_DATADOG_TAGS,
    TRACEPARENT,
    TRACESTATE,
    B3,
    X_B3_TRACEID,
    X_B3_SPANID,
    X_B3_PARENTSPANID,
    X_B3_SAMPLED,
    X_B3_FLAGS,
    X_AMZN_TRACE_ID,
    BAGGAGE,
];

/// True when `name` equals `lower` ignoring ASCII case. `lower` must be lowercase.
///
/// Names of eight bytes or more are compared eight bytes at a time (the last word overlapping
/// the one before): a byte of `name` matches a letter of `lower` when it equals it with bit
/// 0x20 set (exactly the two cases of that letter), and any other byte only when equal.
#[inline]
pub fn eq_name(name: &[u8], lower: &str) -> bool {
    let lower = lower.as_bytes();
    if name.len() != lower.len() {
        return false;
    }
    if name.len() < 8 {
        return name
            .iter()
            .zip(lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b);
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at.saturating_add(8))
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let eq_at = |at: usize| match (word(name, at), word(lower, at)) {
        (Some(a), Some(b)) => a | letter_mask(b) == b,
        _ => false,
    };
    let mut at = 0usize;
    while at.saturating_add(8) < name.len() {
        if !eq_at(at) {
            return false;
        }
        at = at.saturating_add(8);
    }
    eq_at(name.len().saturating_sub(8))
}

/// 0x20 in every byte of `w` that is a lowercase ASCII letter, 0 elsewhere.
#[inline(always)]
const fn letter_mask(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = ONES * 0x80;
    let h = w & !HIGHS;
    let ge_a = h.wrapping_add(ONES * (0x80 - b'a' as u64));
    let gt_z = h.wrapping_add(ONES * (0x80 - b'z' as u64 - 1));
    ((ge_a & !gt_z & !w & HIGHS) >> 2) & (ONES * 0x20)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn case_insensitive() {
        assert!(eq_name(b"TraceParent", TRACEPARENT));
        assert!(eq_name(b"X-B3-TraceId", X_B3_TRACEID));
        assert!(!eq_name(b"traceparent2", TRACEPARENT));
        assert!(!eq_name(b"tracepar", TRACEPARENT));
        for n in ALL {
            let upper = n.to_ascii_uppercase();
            assert!(eq_name(upper.as_bytes(), n));
            assert!(eq_name(n.as_bytes(), n));
            for i in 0..n.len() {
                for b in 0u8..=255 {
                    let mut v = n.as_bytes().to_vec();
                    v[i] = b;
                    let expect = b.to_ascii_lowercase() == n.as_bytes()[i];
                    assert_eq!(eq_name(&v, n), expect, "{n} {i} {b}");
                }
            }
        }
    }
}
