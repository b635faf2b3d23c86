//! Datadog's headers `x-datadog-trace-id`, `-parent-id`, `-sampling-priority`, `-origin`
//! (docs/BEHAVIOUR.md §1.1–1.5, §1.7, §10; §12 #1–#3, #44). `x-datadog-tags` is [`super::dd_tags`].
//!
//! - Each header is read from its first field line, cut at its first `,` (a proxy may fold
//!   repeats into one line) and trimmed of OWS. Only the first [`MAX_VALUE_SCAN`] bytes are
//!   searched for that `,`: a longer value without one is taken as those bytes plus one,
//!   untrimmed (an invalid id, an origin too long to send), so a huge header costs bounded
//!   work.
//! - Trace id: strict `[0-9]{1,20}`, 1 ..= 2^64−1 — no sign, no inner space, no `_` (§12 #1). It
//!   is the low 64 bits of the trace id; `_dd.p.tid` carries the high half. Absent → no Datadog
//!   context; zero or invalid → an error value.
//! - Parent id: the same decimal; absent or `0` means "no parent" (Synthetics and RUM start
//!   traces that way, §12 #3); invalid text is an error (the context is dropped, as dd-trace-go,
//!   -py and -java do).
//! - Sampling priority: `-?[0-9]+` into `i32`; an invalid value keeps the ids, leaves the priority
//!   unset and reports it (§12 #2).
//! - Origin: any non-empty bytes, kept verbatim.
//!
//! Output, one encoder per header, each into a [`Writer`]: decimal ids, the priority, the origin
//! when non-empty: trimmed, sanitised (each character outside 0x20–0x7E, and each `,`, becomes
//! `_`; reported by [`EncodedOrigin::Written`]) and at most [`ORIGIN_MAX_LEN`] bytes (a longer
//! one is left out and reported, never cut).

use core::fmt;
use core::num::NonZeroU64;

use crate::error::BufferTooSmall;
use crate::format::{sanitized, Text};
use crate::id::{SamplingPriority, SpanId, TraceId};
use crate::wire::buf::Writer;
use crate::wire::{class, dec, list};

/// Bytes of a Datadog header searched for its first `,`.
pub const MAX_VALUE_SCAN: usize = list::SINGLE_VALUE_SCAN;

/// Longest origin written.
pub const ORIGIN_MAX_LEN: usize = 256;
/// Longest decimal id.
pub const ID_MAX_LEN: usize = dec::U64_MAX_LEN;
/// Longest priority.
pub const PRIORITY_MAX_LEN: usize = dec::I32_MAX_LEN;

/// The first field lines of the Datadog headers.
#[derive(Clone, Copy, Debug, Default)]
pub struct DatadogInput<'a> {
    /// `x-datadog-trace-id`.
    pub trace_id: Option<&'a [u8]>,
    /// `x-datadog-parent-id`.
    pub parent_id: Option<&'a [u8]>,
    /// `x-datadog-sampling-priority`.
    pub sampling_priority: Option<&'a [u8]>,
    /// `x-datadog-origin`.
    pub origin: Option<&'a [u8]>,
}

/// Decoded Datadog headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datadog<'a> {
    /// The low 64 bits of the trace id.
    pub trace_id_low: NonZeroU64,
    /// The parent span (`None`: no parent header, or `0`).
    pub parent_id: Option<SpanId>,
    /// The sampling priority, when present and valid.
    pub sampling_priority: Option<SamplingPriority>,
    /// A priority header was present but invalid.
    pub priority_invalid: bool,
    /// The origin, verbatim.
    pub origin: Option<&'a [u8]>,
}

/// Why the Datadog headers were rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DatadogError {
    /// `x-datadog-trace-id` is not `[0-9]{1,20}` within 64 bits.
    TraceId,
    /// `x-datadog-trace-id` is 0.
    ZeroTraceId,
    /// `x-datadog-parent-id` is not `[0-9]{1,20}` within 64 bits.
    ParentId,
    /// `x-datadog-sampling-priority` is not an integer (the ids are kept, §12 #2).
    SamplingPriority,
}

impl fmt::Display for DatadogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatadogError::TraceId => "x-datadog-trace-id: not a 64-bit decimal",
            DatadogError::ZeroTraceId => "x-datadog-trace-id: zero",
            DatadogError::ParentId => "x-datadog-parent-id: not a 64-bit decimal",
            DatadogError::SamplingPriority => {
                "x-datadog-sampling-priority: not an integer (ignored)"
            }
        })
    }
}

impl core::error::Error for DatadogError {}

/// The part of a single-valued header before its first `,`, trimmed (§12 #44): see
/// [`list::single_value`].
pub fn single(v: &[u8]) -> &[u8] {
    list::single_value(v)
}

/// `parse(single(v))`, trying the value as it arrived first: a value that `parse` takes whole
/// (digits and a sign) holds no `,` or OWS, so cutting it would not change it (within
/// [`list::SINGLE_VALUE_SCAN`] bytes; a longer value is always cut first).
#[inline(always)]
fn number<T>(v: &[u8], parse: impl Fn(&[u8]) -> Option<T>) -> Option<T> {
    if v.len() <= list::SINGLE_VALUE_SCAN {
        if let Some(x) = parse(v) {
            return Some(x);
        }
    }
    parse(single(v))
}

/// Decodes the Datadog headers; `Ok(None)` when there is no trace id header.
///
/// ```
/// use tracewire::format::datadog::{self, DatadogError, DatadogInput};
///
/// let d = datadog::parse(&DatadogInput {
///     trace_id: Some(b"123"),
///     parent_id: Some(b"456, 789"), // folded repeats: the first value is read
///     sampling_priority: Some(b"2"),
///     origin: None,
/// }).unwrap().unwrap();
/// assert_eq!((d.trace_id_low.get(), d.parent_id.map(|p| p.get())), (123, Some(456)));
/// let bad = DatadogInput { trace_id: Some(b"+123"), ..Default::default() };
/// assert_eq!(datadog::parse(&bad), Err(DatadogError::TraceId));
/// ```
#[inline]
pub fn parse<'a>(input: &DatadogInput<'a>) -> Result<Option<Datadog<'a>>, DatadogError> {
    let Some(t) = input.trace_id else {
        return Ok(None);
    };
    let low = number(t, dec::parse_u64).ok_or(DatadogError::TraceId)?;
    let trace_id_low = NonZeroU64::new(low).ok_or(DatadogError::ZeroTraceId)?;
    let parent_id = match input.parent_id {
        None => None,
        Some(p) => SpanId::new(number(p, dec::parse_u64).ok_or(DatadogError::ParentId)?),
    };
    let (sampling_priority, priority_invalid) = match input.sampling_priority {
        None => (None, false),
        Some(p) => match number(p, dec::parse_i32) {
            Some(v) => (Some(SamplingPriority(v)), false),
            None => (None, true),
        },
    };
    let origin = input.origin.map(single).filter(|o| !o.is_empty());
    Ok(Some(Datadog {
        trace_id_low,
        parent_id,
        sampling_priority,
        priority_invalid,
        origin,
    }))
}

/// Writes `x-datadog-trace-id` into `out`: the low 64 bits of `trace` in decimal (at most
/// [`ID_MAX_LEN`] bytes), all or nothing. A trace id whose low half is zero cannot be sent in
/// Datadog's headers: the caller leaves them out (injection reports it).
///
/// The Datadog headers other than `x-datadog-tags` ([`super::dd_tags`]) each have an encoder
/// here: [`encode_trace_id`], [`encode_parent_id`], [`encode_priority`] and
/// [`encode_origin`].
///
/// ```
/// use tracewire::format::{datadog, Text};
/// use tracewire::wire::buf::Writer;
/// use tracewire::{SamplingPriority, SpanId, TraceId};
///
/// let mut buf = [0u8; datadog::ID_MAX_LEN];
/// let mut w = Writer::new(&mut buf);
/// datadog::encode_trace_id(TraceId::from_halves(7, 5).unwrap(), &mut w).unwrap();
/// assert_eq!(w.written(), b"5");
/// let mut buf = [0u8; datadog::ORIGIN_MAX_LEN];
/// let mut w = Writer::new(&mut buf);
/// let r = datadog::encode_origin(Text::plain(b"rum\r\nx-evil: 1"), &mut w);
/// assert_eq!(r, datadog::EncodedOrigin::Written { sanitized: true });
/// assert_eq!(w.written(), b"rum__x-evil: 1");
/// ```
pub fn encode_trace_id(trace: TraceId, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
    let mut b = [0u8; ID_MAX_LEN];
    out.push(dec::format_u64(trace.low(), &mut b))
}

/// Writes `x-datadog-parent-id` into `out`: `span` in decimal (at most [`ID_MAX_LEN`] bytes),
/// all or nothing.
pub fn encode_parent_id(span: SpanId, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
    let mut b = [0u8; ID_MAX_LEN];
    out.push(dec::format_u64(span.get(), &mut b))
}

/// Writes `x-datadog-sampling-priority` into `out` (at most [`PRIORITY_MAX_LEN`] bytes), all or
/// nothing.
pub fn encode_priority(p: SamplingPriority, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
    let mut b = [0u8; PRIORITY_MAX_LEN];
    out.push(dec::format_i32(p.0, &mut b))
}

/// What [`encode_origin`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EncodedOrigin {
    /// Empty once trimmed: no header (nothing written).
    Absent,
    /// Longer than [`ORIGIN_MAX_LEN`] once sanitised, or longer than the writer's room: no
    /// header (nothing written).
    Dropped,
    /// Written.
    Written {
        /// Some byte was replaced: what was written differs from the origin as given.
        sanitized: bool,
    },
}

/// Writes the `x-datadog-origin` value for `origin` into `w` (at most [`ORIGIN_MAX_LEN`]
/// bytes), or nothing ([`EncodedOrigin`] says which).
///
/// Origin sanitisation: a byte outside 0x20–0x7E (one `_` per UTF-8 character) or a `,` (a
/// reader cuts the header there) becomes `_`, so a CR, LF or NUL from an untrusted carrier never
/// reaches a header line. Trimmed first: readers trim. A longer origin is left out, never cut.
pub fn encode_origin(origin: Text<'_>, w: &mut Writer<'_>) -> EncodedOrigin {
    let o = origin.trimmed();
    if o.is_empty() {
        return EncodedOrigin::Absent;
    }
    // The usual origin has nothing to replace: written as it decodes (`~` decodes to `=`,
    // which needs no replacing either), one byte per byte.
    let raw = o.raw();
    if class::span_printable_except(raw, b',', b',') == raw.len() {
        if raw.len() > ORIGIN_MAX_LEN || o.write_decoded(w).is_err() {
            return EncodedOrigin::Dropped;
        }
        return EncodedOrigin::Written { sanitized: false };
    }
    let mut n = 0usize;
    sanitized(o, 0x20, b",", false, |_| n = n.saturating_add(1));
    if n > ORIGIN_MAX_LEN {
        return EncodedOrigin::Dropped;
    }
    let start = w.len();
    let mut full = false;
    sanitized(o, 0x20, b",", false, |b| full |= w.push_byte(b).is_err());
    if full {
        w.truncate(start);
        return EncodedOrigin::Dropped;
    }
    let written = w.written().get(start..).unwrap_or(&[]);
    EncodedOrigin::Written {
        sanitized: !o.eq_bytes(written),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn dd(
        t: &str,
        p: Option<&str>,
        s: Option<&str>,
        o: Option<&str>,
    ) -> Result<Option<Datadog<'static>>, DatadogError> {
        let leak = |v: &str| -> &'static [u8] {
            std::boxed::Box::leak(v.as_bytes().to_vec().into_boxed_slice())
        };
        parse(&DatadogInput {
            trace_id: Some(leak(t)),
            parent_id: p.map(leak),
            sampling_priority: s.map(leak),
            origin: o.map(leak),
        })
    }

    #[test]
    fn trace_id_is_strict() {
        assert_eq!(
            dd("123", Some("5"), None, None)
                .unwrap()
                .unwrap()
                .trace_id_low
                .get(),
            123
        );
        assert_eq!(
            dd("00123", None, None, None)
                .unwrap()
                .unwrap()
                .trace_id_low
                .get(),
            123
        );
        assert_eq!(
            dd("18446744073709551615", None, None, None)
                .unwrap()
                .unwrap()
                .trace_id_low
                .get(),
            u64::MAX
        );
        assert_eq!(
            dd("0", Some("1"), None, None),
            Err(DatadogError::ZeroTraceId)
        );
        for bad in [
            "18446744073709551616",
            "+123",
            "-1",
            "1_000",
            "12a",
            "1 2",
            "",
        ] {
            assert_eq!(
                dd(bad, Some("1"), None, None),
                Err(DatadogError::TraceId),
                "{bad}"
            );
        }
        assert!(
            dd(" 123 ", None, None, None).is_ok(),
            "OWS around the value is stripped"
        );
        assert_eq!(parse(&DatadogInput::default()), Ok(None));
    }

    #[test]
    fn parent_zero_or_missing_means_root() {
        assert_eq!(
            dd("1", None, None, Some("synthetics"))
                .unwrap()
                .unwrap()
                .parent_id,
            None
        );
        assert_eq!(
            dd("1", Some("0"), None, None).unwrap().unwrap().parent_id,
            None
        );
        assert_eq!(
            dd("1", Some("abc"), None, None),
            Err(DatadogError::ParentId)
        );
    }

    #[test]
    fn invalid_priority_keeps_ids() {
        let d = dd("1", Some("2"), Some("1.0"), None).unwrap().unwrap();
        assert_eq!(d.sampling_priority, None);
        assert!(d.priority_invalid);
        assert_eq!(
            dd("1", Some("2"), Some("-2"), None)
                .unwrap()
                .unwrap()
                .sampling_priority,
            Some(SamplingPriority(-2))
        );
    }

    #[test]
    fn numbers_read_whole_are_what_the_cut_value_reads() {
        let long_zeros = std::format!("{}1", "0".repeat(list::SINGLE_VALUE_SCAN + 10));
        for v in [
            "12",
            " 12",
            "12 ",
            "1,2",
            "-1",
            "-1,2",
            "",
            ",",
            "0012",
            long_zeros.as_str(),
        ] {
            let v = v.as_bytes();
            assert_eq!(
                number(v, dec::parse_u64),
                dec::parse_u64(single(v)),
                "{v:?}"
            );
            assert_eq!(
                number(v, dec::parse_i32),
                dec::parse_i32(single(v)),
                "{v:?}"
            );
        }
        // Read whole, the long value would be 1; cut at the scan limit first, it is 0.
        assert_eq!(number(long_zeros.as_bytes(), dec::parse_i32), Some(0));
    }

    proptest::proptest! {
        #[test]
        fn number_is_parse_of_single(v in "[ \t]{0,1}-?[0-9]{0,22}[ \t,]{0,2}[-0-9a]{0,3}") {
            let v = v.as_bytes();
            proptest::prop_assert_eq!(number(v, dec::parse_u64), dec::parse_u64(single(v)));
            proptest::prop_assert_eq!(number(v, dec::parse_i32), dec::parse_i32(single(v)));
        }
    }

    #[test]
    fn single_values_cut_at_comma() {
        let d = dd("1,2", Some("3"), Some("2,1"), Some("synthetics;=web,z"))
            .unwrap()
            .unwrap();
        assert_eq!(d.trace_id_low.get(), 1);
        assert_eq!(d.sampling_priority, Some(SamplingPriority(2)));
        assert_eq!(d.origin, Some(&b"synthetics;=web"[..]));
    }

    #[test]
    fn encodes_headers() {
        fn each(f: impl FnOnce(&mut Writer<'_>) -> bool) -> Option<Vec<u8>> {
            let mut b = [0u8; ORIGIN_MAX_LEN];
            let mut w = Writer::new(&mut b);
            f(&mut w).then(|| w.written().to_vec())
        }
        let t = TraceId::from_halves(0x4bf9_2f35_77b3_4da6, 11803532876627986230).unwrap();
        let s = SpanId::new(67667974448284343).unwrap();
        assert_eq!(
            each(|w| encode_trace_id(t, w).is_ok()).unwrap(),
            b"11803532876627986230"
        );
        assert_eq!(
            each(|w| encode_parent_id(s, w).is_ok()).unwrap(),
            b"67667974448284343"
        );
        assert_eq!(
            each(|w| encode_priority(SamplingPriority(-1), w).is_ok()).unwrap(),
            b"-1"
        );
        let origin = |o: &[u8], tilde: bool| {
            let mut b = [0u8; ORIGIN_MAX_LEN];
            let mut w = Writer::new(&mut b);
            let text = if tilde {
                Text::tilde_escaped(o)
            } else {
                Text::plain(o)
            };
            let r = encode_origin(text, &mut w);
            (r, w.written().to_vec())
        };
        assert_eq!(
            origin(b"a~b", true),
            (EncodedOrigin::Written { sanitized: false }, b"a=b".to_vec())
        );
        assert_eq!(
            origin(&[b'o'; 300], false),
            (EncodedOrigin::Dropped, Vec::new())
        );
        assert_eq!(origin(b"  ", false), (EncodedOrigin::Absent, Vec::new()));
        assert_eq!(
            origin(b"rum\r\nx-evil: 1", false),
            (
                EncodedOrigin::Written { sanitized: true },
                b"rum__x-evil: 1".to_vec()
            ),
            "no header injection through the origin"
        );
        assert_eq!(
            origin(b" rum\xff,\xc3\xa9 ", false),
            (
                EncodedOrigin::Written { sanitized: true },
                b"rum___".to_vec()
            )
        );
        // Too little room: nothing written, by every encoder.
        let mut b = [0u8; 4];
        let mut w = Writer::new(&mut b);
        assert!(encode_trace_id(t, &mut w).is_err() && w.is_empty());
        assert!(encode_parent_id(s, &mut w).is_err() && w.is_empty());
        assert!(encode_priority(SamplingPriority(i32::MIN), &mut w).is_err() && w.is_empty());
        assert_eq!(
            encode_origin(Text::plain(b"synthetics"), &mut w),
            EncodedOrigin::Dropped
        );
        assert!(w.is_empty());
    }
}
