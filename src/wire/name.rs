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
#[inline]
pub fn eq_name(name: &[u8], lower: &str) -> bool {
    name.len() == lower.len() && name.eq_ignore_ascii_case(lower.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive() {
        assert!(eq_name(b"TraceParent", TRACEPARENT));
        assert!(eq_name(b"X-B3-TraceId", X_B3_TRACEID));
        assert!(!eq_name(b"traceparent2", TRACEPARENT));
        assert!(!eq_name(b"tracepar", TRACEPARENT));
    }
}
