//! The one pass over a carrier: the raw slots of every header a style reads.

use crate::carrier::Extract;
use crate::wire::list::Fields;
use crate::wire::name;

/// The raw header slots one pass over a carrier collects: the first value of every
/// single-valued header a style reads, and every field line of the list headers. An extracted
/// context, its links and its baggage point into them (see [`extract`](super::extract)), so a
/// caller keeps them beside the result.
#[derive(Clone, Copy, Debug)]
pub struct Slots<'a> {
    /// First `traceparent`.
    pub traceparent: Option<&'a [u8]>,
    /// How many `traceparent` field lines arrived (more than one is invalid).
    pub traceparent_count: u16,
    /// Every `tracestate` line.
    pub tracestate: Fields<'a>,
    /// First `x-datadog-trace-id`.
    pub dd_trace_id: Option<&'a [u8]>,
    /// First `x-datadog-parent-id`.
    pub dd_parent_id: Option<&'a [u8]>,
    /// First `x-datadog-sampling-priority`.
    pub dd_sampling_priority: Option<&'a [u8]>,
    /// First `x-datadog-origin`.
    pub dd_origin: Option<&'a [u8]>,
    /// Every `x-datadog-tags` line.
    pub dd_tags: Fields<'a>,
    /// First `b3`.
    pub b3: Option<&'a [u8]>,
    /// First `x-b3-traceid`.
    pub b3_trace_id: Option<&'a [u8]>,
    /// First `x-b3-spanid`.
    pub b3_span_id: Option<&'a [u8]>,
    /// First `x-b3-sampled`.
    pub b3_sampled: Option<&'a [u8]>,
    /// First `x-b3-flags`.
    pub b3_flags: Option<&'a [u8]>,
    /// First `x-amzn-trace-id`.
    pub xray: Option<&'a [u8]>,
    /// Every `baggage` line.
    pub baggage: Fields<'a>,
}

/// Keeps a field line of a list header unless it is blank. Only its first 4 KiB are looked at:
/// a longer line is kept, and the list parser's own bound on the bytes it reads applies.
fn push_line<'a>(f: &mut Fields<'a>, v: &'a [u8]) {
    const LOOK: usize = 4096;
    let head = v.get(..LOOK).unwrap_or(v);
    if v.len() > LOOK || !crate::wire::list::trim_ows(head).is_empty() {
        f.push(v);
    }
}

impl Default for Slots<'_> {
    fn default() -> Self {
        Slots::new()
    }
}

fn first<'a>(slot: &mut Option<&'a [u8]>, v: &'a [u8]) {
    if slot.is_none() {
        *slot = Some(v);
    }
}

impl<'a> Slots<'a> {
    /// No header seen yet. `const`: a result can be declared beside them at no cost.
    pub const fn new() -> Self {
        Slots {
            traceparent: None,
            traceparent_count: 0,
            tracestate: Fields::EMPTY,
            dd_trace_id: None,
            dd_parent_id: None,
            dd_sampling_priority: None,
            dd_origin: None,
            dd_tags: Fields::EMPTY,
            b3: None,
            b3_trace_id: None,
            b3_span_id: None,
            b3_sampled: None,
            b3_flags: None,
            xray: None,
            baggage: Fields::EMPTY,
        }
    }

    /// Forgets every header seen: every slot marked empty (the lines of a list are behind its
    /// count, which is all that is reset).
    #[inline]
    pub fn clear(&mut self) {
        self.traceparent = None;
        self.traceparent_count = 0;
        self.tracestate.clear();
        self.dd_trace_id = None;
        self.dd_parent_id = None;
        self.dd_sampling_priority = None;
        self.dd_origin = None;
        self.dd_tags.clear();
        self.b3 = None;
        self.b3_trace_id = None;
        self.b3_span_id = None;
        self.b3_sampled = None;
        self.b3_flags = None;
        self.xray = None;
        self.baggage.clear();
    }

    /// Collects the slots in one pass (names matched by length, then ASCII-case-insensitively).
    pub fn collect<C: Extract + ?Sized>(carrier: &'a C) -> Self {
        let mut s = Slots::new();
        carrier.for_each_header(|n, v| s.offer(n, v));
        s
    }

    /// Offers one header to the slots.
    #[inline]
    pub fn offer(&mut self, n: &[u8], v: &'a [u8]) {
        use name::*;
        let eq = name::eq_name;
        match n.len() {
            2 if eq(n, B3) => first(&mut self.b3, v),
            // An empty field line contributes nothing to a combined list (RFC 9110 §5.3).
            7 if eq(n, BAGGAGE) => push_line(&mut self.baggage, v),
            10 if eq(n, TRACESTATE) => push_line(&mut self.tracestate, v),
            10 if eq(n, X_B3_FLAGS) => first(&mut self.b3_flags, v),
            11 if eq(n, TRACEPARENT) => {
                first(&mut self.traceparent, v);
                self.traceparent_count = self.traceparent_count.saturating_add(1);
            }
            11 if eq(n, X_B3_SPANID) => first(&mut self.b3_span_id, v),
            12 if eq(n, X_B3_TRACEID) => first(&mut self.b3_trace_id, v),
            12 if eq(n, X_B3_SAMPLED) => first(&mut self.b3_sampled, v),
            14 if eq(n, X_DATADOG_TAGS) => push_line(&mut self.dd_tags, v),
            15 if eq(n, X_AMZN_TRACE_ID) => first(&mut self.xray, v),
            16 if eq(n, X_DATADOG_ORIGIN) => first(&mut self.dd_origin, v),
            18 if eq(n, X_DATADOG_TRACE_ID) => first(&mut self.dd_trace_id, v),
            19 if eq(n, X_DATADOG_PARENT_ID) => first(&mut self.dd_parent_id, v),
            27 if eq(n, X_DATADOG_SAMPLING_PRIORITY) => first(&mut self.dd_sampling_priority, v),
            _ => {}
        }
    }
}
