//! B3 propagation: the single header `b3` and the multi headers `x-b3-*`
//! (<https://github.com/openzipkin/b3-propagation>; docs/BEHAVIOUR.md §6; §12 #26–#31).
//!
//! Reading:
//! - ids are hex of either case (every Datadog tracer accepts uppercase), trimmed of OWS: a trace
//!   id of 1–32 digits (16 or 32 in practice), a span id of 1–16; a zero trace id is rejected, a
//!   zero span id is accepted as "no span id" (as dd-trace-rs and -py do);
//! - single header `{trace}-{span}[-{sampling}[-{parent}]]`: sampling `0` deny, `1` accept, `d`
//!   debug; the 4th field (parent) is parsed but never changes the sampling (§12 #28); a lone
//!   `0`, `1` or `d` is a sampling decision without ids (§12 #29);
//! - multi headers: `x-b3-traceid` gives the ids, `x-b3-spanid` optional, `x-b3-sampled`
//!   `0`/`1`, `x-b3-flags: 1` means debug and overrides `x-b3-sampled` (§12 #27, #31); a lone
//!   `x-b3-sampled` or `x-b3-flags` is a sampling decision without ids (§12 #29);
//!   `x-b3-parentspanid` is ignored (every tracer ignores it);
//! - a sampling value other than those (`true`, `2`, `xyz`) keeps the ids with the decision
//!   deferred and is reported ([`B3::sampling_invalid`], §12 #46, as dd-trace-rs, -py and -js
//!   do); an id that is not hex or is too long rejects the B3 context with an error value;
//! - every header is single-valued: its value is the part before its first `,` (a proxy may fold
//!   repeats into one line; the first wins, as the B3 specification says), trimmed; a value
//!   longer than [`MAX_INPUT_LEN`] bytes is rejected, and at most
//!   [`SINGLE_VALUE_SCAN`](list::SINGLE_VALUE_SCAN) bytes are searched for the `,`.
//!
//! Priorities: deny ⇄ ≤ 0, accept ⇄ 1, debug ⇄ ≥ 2 (the dd-trace-rs / -py mapping, the only one
//! that round-trips a user keep). Writing: a 16-digit trace id when the high half is zero, else
//! 32 (§12 #30); debug is `d` in the single header and `x-b3-flags: 1` without `x-b3-sampled`
//! in the multi headers.

use core::fmt;

use crate::error::BufferTooSmall;
use crate::id::{SamplingPriority, SpanId, TraceId};
use crate::wire::buf::{ArrayBuf, Writer};
use crate::wire::{hex, list, name};

/// Longest single header: 32 + 1 + 16 + 1 + 1 (+ 1 + 16 for a parent, never written).
pub const SINGLE_MAX_LEN: usize = 68;

/// Longest value read, whitespace included (single header or any multi header).
pub const MAX_INPUT_LEN: usize = 256;

/// The first value of `v` ([`list::single_value`]: cut at the first `,`, trimmed), or `None`
/// when it is longer than [`MAX_INPUT_LEN`].
fn bounded(v: &[u8]) -> Option<&[u8]> {
    let v = list::single_value(v);
    (v.len() <= MAX_INPUT_LEN).then_some(v)
}

/// A B3 sampling state (`None` is "defer").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SamplingState {
    /// `0`.
    Deny,
    /// `1`.
    Accept,
    /// `d` / `x-b3-flags: 1` (implies accept).
    Debug,
}

impl SamplingState {
    /// The Datadog priority: deny 0, accept 1, debug 2.
    pub const fn priority(self) -> SamplingPriority {
        match self {
            SamplingState::Deny => SamplingPriority::AUTO_REJECT,
            SamplingState::Accept => SamplingPriority::AUTO_KEEP,
            SamplingState::Debug => SamplingPriority::USER_KEEP,
        }
    }

    /// The state for a Datadog priority: ≤ 0 deny, 1 accept, ≥ 2 debug.
    pub const fn from_priority(p: SamplingPriority) -> Self {
        if p.0 <= 0 {
            SamplingState::Deny
        } else if p.0 == 1 {
            SamplingState::Accept
        } else {
            SamplingState::Debug
        }
    }

    fn parse(v: &[u8]) -> Option<Self> {
        match v {
            b"0" => Some(SamplingState::Deny),
            b"1" => Some(SamplingState::Accept),
            b"d" => Some(SamplingState::Debug),
            _ => None,
        }
    }
}

/// Decoded B3 headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct B3 {
    /// Trace id and span id (`None` for a sampling decision alone).
    pub ids: Option<(TraceId, Option<SpanId>)>,
    /// The sampling state (`None`: defer).
    pub sampling: Option<SamplingState>,
    /// The parent span id of the single header's 4th field.
    pub parent: Option<SpanId>,
    /// A sampling value arrived that is not one the specification allows (`true`, `2`, `xyz`):
    /// the ids are kept and the decision is deferred (§12 #46).
    pub sampling_invalid: bool,
}

/// Why B3 headers were rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum B3Error {
    /// The trace id is not 1–32 hex digits.
    TraceId,
    /// The trace id is zero.
    ZeroTraceId,
    /// The span id is not 1–16 hex digits.
    SpanId,
    /// The sampling state is not `0`, `1` or `d`.
    Sampling,
    /// The parent span id is not 1–16 hex digits.
    ParentId,
    /// Wrong number of `-` fields, or empty.
    Malformed,
}

impl fmt::Display for B3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            B3Error::TraceId => "b3: bad trace id",
            B3Error::ZeroTraceId => "b3: zero trace id",
            B3Error::SpanId => "b3: bad span id",
            B3Error::Sampling => "b3: bad sampling state",
            B3Error::ParentId => "b3: bad parent span id",
            B3Error::Malformed => "b3: malformed",
        })
    }
}

impl core::error::Error for B3Error {}

/// A whole header value (`x-b3-traceid`), read by [`bounded`]. A value that is 16 or 32 hex
/// digits alone has nothing to cut or trim: it is decoded as it arrived.
#[inline]
fn trace_id(v: &[u8]) -> Result<TraceId, B3Error> {
    let whole = match v.len() {
        32 => hex::decode_any_case_exact::<4>(v),
        16 => hex::decode_any_case_exact::<2>(v),
        _ => None,
    };
    if let Some(t) = whole {
        return TraceId::new(t).ok_or(B3Error::ZeroTraceId);
    }
    trace_id_field(bounded(v).ok_or(B3Error::TraceId)?)
}

/// A trace id already cut out of its value: trimmed, nothing else.
fn trace_id_field(v: &[u8]) -> Result<TraceId, B3Error> {
    let t = hex::decode_any_case(list::trim_ows(v)).ok_or(B3Error::TraceId)?;
    TraceId::new(t).ok_or(B3Error::ZeroTraceId)
}

/// A whole header value (`x-b3-spanid`), read by [`bounded`]; 16 hex digits alone are decoded
/// as they arrived.
fn span_id(v: &[u8], err: B3Error) -> Result<Option<SpanId>, B3Error> {
    if let Some(s) = hex::decode_any_case_exact::<2>(v) {
        return Ok(SpanId::new(s as u64));
    }
    span_id_field(bounded(v).ok_or(err)?, err)
}

/// A span id already cut out of its value: trimmed, nothing else.
fn span_id_field(v: &[u8], err: B3Error) -> Result<Option<SpanId>, B3Error> {
    let v = list::trim_ows(v);
    if v.len() > 16 {
        return Err(err);
    }
    hex::decode_any_case(v)
        .map(|s| SpanId::new(s as u64))
        .ok_or(err)
}

/// Parses the `b3` single header.
///
/// ```
/// use tracewire::format::b3::{self, SamplingState};
///
/// let b = b3::parse_single(b"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d").unwrap();
/// let (t, s) = b.ids.unwrap();
/// assert_eq!((t.low(), s.map(|s| s.get())), (0x64fe_8b2a_57d3_eff7, Some(0xe457_b5a2_e4d8_6bd1)));
/// assert_eq!(b.sampling, Some(SamplingState::Debug));
/// assert_eq!(b3::parse_single(b"0").unwrap().sampling, Some(SamplingState::Deny));
/// ```
pub fn parse_single(value: &[u8]) -> Result<B3, B3Error> {
    if let Some(b) = canonical_single(value) {
        return Ok(b);
    }
    parse_single_general(value)
}

/// The shape tracers write, `{32 or 16 hex digits}-{16 hex digits}[-{0|1|d}]` with nothing
/// around it, read at fixed offsets. `None` for anything else, or when an id is zero: then
/// [`parse_single_general`] decides. For a value of this shape the general reader gives the
/// same result (no `,` or OWS to cut, the same fields and decoders; the tests compare the two).
#[inline]
fn canonical_single(v: &[u8]) -> Option<B3> {
    let trace_len = match v.len() {
        49 | 51 => 32,
        33 | 35 => 16,
        _ => return None,
    };
    let (trace, rest) = v.split_at_checked(trace_len)?;
    let [b'-', rest @ ..] = rest else {
        return None;
    };
    let (span, rest) = rest.split_at_checked(16)?;
    let sampling = match rest {
        [] => None,
        [b'-', s] => Some(SamplingState::parse(core::slice::from_ref(s))?),
        _ => return None,
    };
    let trace = match trace_len {
        32 => hex::decode_any_case_exact::<4>(trace),
        _ => hex::decode_any_case_exact::<2>(trace),
    };
    let trace_id = TraceId::new(trace?)?;
    let span_id = SpanId::new(hex::decode_any_case_exact::<2>(span)? as u64);
    Some(B3 {
        ids: Some((trace_id, span_id)),
        sampling,
        parent: None,
        sampling_invalid: false,
    })
}

/// [`parse_single`] for any value.
fn parse_single_general(value: &[u8]) -> Result<B3, B3Error> {
    let v = bounded(value).ok_or(B3Error::Malformed)?;
    if v.len() > SINGLE_MAX_LEN {
        return Err(B3Error::Malformed);
    }
    let mut parts = list::Split::new(v, b'-');
    let first = parts.next().unwrap_or_default();
    let Some(second) = parts.next() else {
        // A sampling decision alone.
        let s = SamplingState::parse(first).ok_or(B3Error::Malformed)?;
        return Ok(B3 {
            ids: None,
            sampling: Some(s),
            parent: None,
            sampling_invalid: false,
        });
    };
    // The fields of a value already cut at its first `,` and bounded: each is only trimmed
    // (what `bounded` would do to it, without scanning for a `,` again).
    let t = trace_id_field(first)?;
    let s = span_id_field(second, B3Error::SpanId)?;
    let raw_sampling = parts.next();
    let sampling = raw_sampling.and_then(SamplingState::parse);
    let parent = match parts.next() {
        None => None,
        Some(p) => span_id_field(p, B3Error::ParentId)?,
    };
    if parts.next().is_some() {
        return Err(B3Error::Malformed);
    }
    Ok(B3 {
        ids: Some((t, s)),
        sampling,
        parent,
        sampling_invalid: raw_sampling.is_some() && sampling.is_none(),
    })
}

/// The first field lines of the multi headers.
#[derive(Clone, Copy, Debug, Default)]
pub struct B3MultiInput<'a> {
    /// `x-b3-traceid`.
    pub trace_id: Option<&'a [u8]>,
    /// `x-b3-spanid`.
    pub span_id: Option<&'a [u8]>,
    /// `x-b3-sampled`.
    pub sampled: Option<&'a [u8]>,
    /// `x-b3-flags`.
    pub flags: Option<&'a [u8]>,
    /// `x-b3-parentspanid`: parsed into [`B3::parent`] when given, never used for sampling
    /// (no tracer uses it on extraction).
    pub parent_span_id: Option<&'a [u8]>,
}

/// Parses the multi headers; `Ok(None)` when neither `x-b3-traceid` nor a sampling header
/// arrived. A lone `x-b3-sampled` or `x-b3-flags` is a sampling decision without ids (§12 #29),
/// like a lone `b3: 0`.
///
/// ```
/// use tracewire::format::b3::{self, B3MultiInput, SamplingState};
///
/// let b = b3::parse_multi(&B3MultiInput {
///     trace_id: Some(b"463ac35c9f6413ad"),
///     span_id: Some(b"a2fb4a1d1a96d312"),
///     sampled: Some(b"1"),
///     ..Default::default()
/// }).unwrap().unwrap();
/// assert_eq!(b.sampling, Some(SamplingState::Accept));
/// assert!(b3::parse_multi(&B3MultiInput::default()).unwrap().is_none());
/// ```
#[inline]
pub fn parse_multi(input: &B3MultiInput<'_>) -> Result<Option<B3>, B3Error> {
    // `x-b3-sampled` `0`/`1` (anything else: deferred, and said so); `x-b3-flags: 1` is debug.
    // A value that is exactly `0` or `1` is read as it arrived (nothing to cut or trim).
    let sampled = match input.sampled {
        Some(v @ (b"0" | b"1")) => Some(Some(v)),
        other => other.map(bounded),
    };
    let (mut sampling, sampling_invalid) = match sampled {
        None => (None, false),
        Some(Some(b"0")) => (Some(SamplingState::Deny), false),
        Some(Some(b"1")) => (Some(SamplingState::Accept), false),
        Some(_) => (None, true),
    };
    if input.flags == Some(b"1") || input.flags.and_then(bounded) == Some(b"1") {
        sampling = Some(SamplingState::Debug);
    }
    let Some(t) = input.trace_id else {
        return match (sampling, sampling_invalid) {
            (Some(s), _) => Ok(Some(B3 {
                ids: None,
                sampling: Some(s),
                parent: None,
                sampling_invalid: false,
            })),
            (None, true) => Err(B3Error::Sampling),
            (None, false) => Ok(None),
        };
    };
    let t = trace_id(t)?;
    let s = match input.span_id {
        None => None,
        Some(s) => span_id(s, B3Error::SpanId)?,
    };
    let parent = match input.parent_span_id {
        None => None,
        Some(p) => span_id(p, B3Error::ParentId)?,
    };
    Ok(Some(B3 {
        ids: Some((t, s)),
        sampling,
        parent,
        sampling_invalid,
    }))
}

/// Longest `x-b3-traceid` written: 32 hex digits (16 when the high half is zero).
pub const TRACE_ID_MAX_LEN: usize = 32;

/// Length of `x-b3-spanid` as written: 16 hex digits.
pub const SPAN_ID_LEN: usize = 16;

/// Writes the single header's value into `out` (at most [`SINGLE_MAX_LEN`] bytes): `Err`, and
/// nothing written, when it has less room.
///
/// ```
/// use tracewire::format::b3::{self, SamplingState};
/// use tracewire::wire::buf::Writer;
/// use tracewire::{SpanId, TraceId};
///
/// let mut buf = [0u8; b3::SINGLE_MAX_LEN];
/// let mut w = Writer::new(&mut buf);
/// b3::encode_single(TraceId::new(1).unwrap(), SpanId::new(2).unwrap(), Some(SamplingState::Accept),
///     &mut w).unwrap();
/// assert_eq!(w.written(), b"0000000000000001-0000000000000002-1");
/// ```
pub fn encode_single(
    trace: TraceId,
    span: SpanId,
    sampling: Option<SamplingState>,
    out: &mut Writer<'_>,
) -> Result<(), BufferTooSmall> {
    let mut b = ArrayBuf::new();
    assemble_single(trace, span, sampling, &mut b);
    out.push(b.as_bytes())
}

/// [`encode_single`]'s value, assembled in `b` (injection hands it to the carrier from there).
#[inline]
pub(crate) fn assemble_single(
    trace: TraceId,
    span: SpanId,
    sampling: Option<SamplingState>,
    b: &mut ArrayBuf<SINGLE_MAX_LEN>,
) {
    b.clear();
    let t = trace.to_hex();
    let _ = b.push(trace_digits(trace, &t));
    let _ = b.push_byte(b'-');
    let _ = b.push(&span.to_hex());
    let _ = b.push(match sampling {
        None => b"",
        Some(SamplingState::Deny) => b"-0",
        Some(SamplingState::Accept) => b"-1",
        Some(SamplingState::Debug) => b"-d",
    });
}

/// The digits of `x-b3-traceid` and of the single header's trace id: 16 when the high half is
/// zero, else 32 (§12 #30), from `hex` (`trace.to_hex()`).
fn trace_digits(trace: TraceId, hex: &[u8; 32]) -> &[u8] {
    if trace.high() == 0 {
        &hex[16..]
    } else {
        hex
    }
}

/// Writes `x-b3-traceid` into `out` (at most [`TRACE_ID_MAX_LEN`] bytes), all or nothing.
///
/// The multi headers are `x-b3-traceid` ([`encode_trace_id`]), `x-b3-spanid`
/// ([`encode_span_id`]) and, when there is a sampling decision, the header
/// [`sampling_header`] names.
///
/// ```
/// use tracewire::format::b3::{self, SamplingState};
/// use tracewire::wire::buf::Writer;
/// use tracewire::{SpanId, TraceId};
///
/// let mut buf = [0u8; b3::TRACE_ID_MAX_LEN];
/// let mut w = Writer::new(&mut buf);
/// b3::encode_trace_id(TraceId::new(1).unwrap(), &mut w).unwrap();
/// assert_eq!(w.written(), b"0000000000000001");
/// assert_eq!(b3::sampling_header(SamplingState::Debug), ("x-b3-flags", &b"1"[..]));
/// ```
pub fn encode_trace_id(trace: TraceId, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
    out.push(trace_digits(trace, &trace.to_hex()))
}

/// Writes `x-b3-spanid` into `out` ([`SPAN_ID_LEN`] bytes), all or nothing.
pub fn encode_span_id(span: SpanId, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
    out.push(&span.to_hex())
}

/// The multi header that carries a sampling decision, and its value: `x-b3-sampled: 0` or `1`,
/// or for debug `x-b3-flags: 1` (without `x-b3-sampled`).
pub const fn sampling_header(s: SamplingState) -> (&'static str, &'static [u8]) {
    match s {
        SamplingState::Deny => (name::X_B3_SAMPLED, b"0"),
        SamplingState::Accept => (name::X_B3_SAMPLED, b"1"),
        SamplingState::Debug => (name::X_B3_FLAGS, b"1"),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn the_canonical_shape_reads_as_the_general_reader_reads_it() {
        for v in [
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
            "80F198EE56343BA864FE8B2A57D3EFF7-E457B5A2E4D86BD1-d",
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1",
            "64fe8b2a57d3eff7-e457b5a2e4d86bd1-0",
            "64fe8b2a57d3eff7-0000000000000000",
        ] {
            let b = canonical_single(v.as_bytes()).unwrap();
            assert_eq!(Ok(b), parse_single_general(v.as_bytes()), "{v}");
        }
        // Not the shape (or a zero trace id, or a sampling value to report): the general
        // reader decides.
        for v in [
            "00000000000000000000000000000000-e457b5a2e4d86bd1-1",
            "64fe8b2a57d3eff7-e457b5a2e4d86bd1-x",
            "64fe8b2a57d3eff7-e457b5a2e4d86bd1-1-",
            " 64fe8b2a57d3eff7-e457b5a2e4d86bd1",
            "64fe8b2a57d3eff7-e457b5a2e4d86bd1,x",
            "64fe8b2a57d3eff7xe457b5a2e4d86bd1-1",
            "64fe8b2a57d3eff7-e457b5a2e4d86bdg-1",
        ] {
            assert_eq!(canonical_single(v.as_bytes()), None, "{v}");
        }
    }

    proptest::proptest! {
        #[test]
        fn multi_values_read_whole_as_when_cut(
            t in "[ ]?[0-9a-fA-F,]{0,33}[ \t]?",
            sp in "[ ]?[0-9a-fA-F,]{0,17}[ \t]?",
        ) {
            let (t, sp) = (t.as_bytes(), sp.as_bytes());
            let general_t = bounded(t).ok_or(B3Error::TraceId).and_then(trace_id_field);
            proptest::prop_assert_eq!(trace_id(t), general_t);
            let general_s = bounded(sp)
                .ok_or(B3Error::SpanId)
                .and_then(|v| span_id_field(v, B3Error::SpanId));
            proptest::prop_assert_eq!(span_id(sp, B3Error::SpanId), general_s);
        }

        #[test]
        fn canonical_single_agrees_with_the_general_reader(
            v in "([0-9a-fA-F]{16}|[0-9a-fA-F]{32}|0{16}|0{32}|[0-9a-g -]{16})[-x][0-9a-fA-F,]{16}(-[01dx ])?"
        ) {
            if let Some(b) = canonical_single(v.as_bytes()) {
                proptest::prop_assert_eq!(Ok(b), parse_single_general(v.as_bytes()));
            }
        }
    }

    fn ids(b: &B3) -> (u128, u64) {
        let (t, s) = b.ids.unwrap();
        (t.get(), s.map_or(0, SpanId::get))
    }

    #[test]
    fn single_forms() {
        let b =
            parse_single(b"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90")
                .unwrap();
        assert_eq!(
            ids(&b),
            (
                0x80f1_98ee_5634_3ba8_64fe_8b2a_57d3_eff7,
                0xe457_b5a2_e4d8_6bd1
            )
        );
        assert_eq!(b.sampling, Some(SamplingState::Accept));
        assert_eq!(b.parent, SpanId::new(0x05e3_ac9a_4f6e_3b90));
        assert_eq!(
            parse_single(b"80f198ee56343ba8-00f067aa0ba902b7-0-05e3ac9a4f6e3b90")
                .unwrap()
                .sampling,
            Some(SamplingState::Deny)
        );
        assert_eq!(
            parse_single(b"80f198ee56343ba8-00f067aa0ba902b7-d")
                .unwrap()
                .sampling,
            Some(SamplingState::Debug)
        );
        assert_eq!(
            parse_single(b"80f198ee56343ba8-00f067aa0ba902b7")
                .unwrap()
                .sampling,
            None
        );
        assert_eq!(
            parse_single(b"80F198EE56343BA8-00F067AA0BA902B7").map(|b| ids(&b)),
            Ok((0x80f1_98ee_5634_3ba8, 0x00f0_67aa_0ba9_02b7))
        );
    }

    #[test]
    fn decision_alone() {
        for (v, s) in [
            ("0", SamplingState::Deny),
            ("1", SamplingState::Accept),
            ("d", SamplingState::Debug),
        ] {
            let b = parse_single(v.as_bytes()).unwrap();
            assert_eq!((b.ids, b.sampling), (None, Some(s)));
        }
    }

    #[test]
    fn single_rejects() {
        for bad in [
            "",
            "xyz",
            "0000000000000000-1-1",
            "nothex-1-1",
            "000000000000000000000000000000001-1-1",
            "80f198ee56343ba8-00000000000000001-1",
            "a-b-1-c-e",
            "0-0-1",
        ] {
            assert!(parse_single(bad.as_bytes()).is_err(), "{bad}");
        }
        let zero_span = parse_single(b"80f198ee56343ba8-0000000000000000-1").unwrap();
        assert_eq!(zero_span.ids.unwrap().1, None);
    }

    #[test]
    fn unknown_sampling_values_defer_the_decision() {
        // §12 #46: the ids are kept, the decision is deferred, and it is said.
        for bad in ["x", "true", "2", "01"] {
            let v = std::format!("80f198ee56343ba8-00f067aa0ba902b7-{bad}");
            let b = parse_single(v.as_bytes()).unwrap();
            assert_eq!(
                (ids(&b), b.sampling),
                ((0x80f1_98ee_5634_3ba8, 0x00f0_67aa_0ba9_02b7), None)
            );
            assert!(b.sampling_invalid, "{bad}");
        }
        let b = parse_single(b"80f198ee56343ba8-00f067aa0ba902b7-1").unwrap();
        assert!(!b.sampling_invalid);
        // A lone value that is no sampling state has nothing to keep.
        assert_eq!(parse_single(b"true"), Err(B3Error::Malformed));
    }

    #[test]
    fn multi_forms() {
        let m = |t: Option<&'static str>,
                 s: Option<&'static str>,
                 sa: Option<&'static str>,
                 f: Option<&'static str>| {
            parse_multi(&B3MultiInput {
                trace_id: t.map(str::as_bytes),
                span_id: s.map(str::as_bytes),
                sampled: sa.map(str::as_bytes),
                flags: f.map(str::as_bytes),
                parent_span_id: None,
            })
        };
        assert_eq!(
            m(None, Some("1"), None, None),
            Ok(None),
            "a span id alone is nothing"
        );
        // A lone x-b3-sampled or x-b3-flags is a decision without ids (§12 #29; the B3 spec's
        // `X-B3-Sampled: 0` alone).
        for (sa, f, want) in [
            (Some("0"), None, SamplingState::Deny),
            (Some("1"), None, SamplingState::Accept),
            (None, Some("1"), SamplingState::Debug),
            (Some("0"), Some("1"), SamplingState::Debug),
        ] {
            let b = m(None, None, sa, f).unwrap().unwrap();
            assert_eq!((b.ids, b.sampling), (None, Some(want)));
        }
        assert_eq!(m(None, None, Some("yes"), None), Err(B3Error::Sampling));
        let b = m(Some("   abc   "), Some(" def  "), Some("     0  "), None)
            .unwrap()
            .unwrap();
        assert_eq!(
            (ids(&b), b.sampling),
            ((0xabc, 0xdef), Some(SamplingState::Deny))
        );
        assert_eq!(
            m(Some("abc"), Some("def"), Some("1"), Some("1"))
                .unwrap()
                .unwrap()
                .sampling,
            Some(SamplingState::Debug)
        );
        // §12 #46: other values keep the ids, defer the decision, and say so.
        for bad in ["true", "99999999999999999999999999", "2"] {
            let b = m(Some("abc"), Some("def"), Some(bad), None)
                .unwrap()
                .unwrap();
            assert_eq!(
                (ids(&b), b.sampling, b.sampling_invalid),
                ((0xabc, 0xdef), None, true),
                "{bad}"
            );
        }
        assert_eq!(
            m(Some("0xdeadbeef"), Some("def"), None, None),
            Err(B3Error::TraceId)
        );
        assert_eq!(
            m(
                Some("abc"),
                Some("ffffffffffffffffffffffffffffff"),
                None,
                None
            ),
            Err(B3Error::SpanId)
        );
        assert_eq!(
            m(Some("0"), Some("0"), Some("1"), None),
            Err(B3Error::ZeroTraceId)
        );
    }

    #[test]
    fn priority_mapping_round_trips() {
        for p in [-1, 0, 1, 2] {
            let s = SamplingState::from_priority(SamplingPriority(p));
            assert_eq!(s.priority().0, p.clamp(0, 2));
        }
    }

    #[test]
    fn encoding() {
        let t64 = TraceId::new(0x80f1_98ee_5634_3ba8).unwrap();
        let t128 = TraceId::new(0x80f1_98ee_5634_3ba8_64fe_8b2a_57d3_eff7).unwrap();
        let s = SpanId::new(0x00f0_67aa_0ba9_02b7).unwrap();
        let single = |t, st| {
            let mut b = [0u8; SINGLE_MAX_LEN];
            let mut w = Writer::new(&mut b);
            encode_single(t, s, st, &mut w).unwrap();
            std::string::String::from_utf8(w.written().to_vec()).unwrap()
        };
        assert_eq!(single(t64, None), "80f198ee56343ba8-00f067aa0ba902b7");
        assert_eq!(
            single(t128, Some(SamplingState::Debug)),
            "80f198ee56343ba864fe8b2a57d3eff7-00f067aa0ba902b7-d"
        );
        // 51 bytes of room hold the longest value written; one byte less, nothing is written.
        let mut b = [0u8; 51];
        let mut w = Writer::new(&mut b);
        assert!(encode_single(t128, s, Some(SamplingState::Accept), &mut w).is_ok());
        let mut w = Writer::new(&mut b[..50]);
        assert!(encode_single(t128, s, Some(SamplingState::Accept), &mut w).is_err());
        assert!(w.is_empty());
        let mut b = [0u8; TRACE_ID_MAX_LEN];
        let mut w = Writer::new(&mut b);
        encode_trace_id(t128, &mut w).unwrap();
        assert_eq!(w.written(), b"80f198ee56343ba864fe8b2a57d3eff7");
        let mut w = Writer::new(&mut b);
        encode_trace_id(t64, &mut w).unwrap();
        assert_eq!(w.written(), b"80f198ee56343ba8");
        let mut b = [0u8; SPAN_ID_LEN];
        let mut w = Writer::new(&mut b);
        encode_span_id(s, &mut w).unwrap();
        assert_eq!(w.written(), b"00f067aa0ba902b7");
        assert!(encode_span_id(s, &mut w).is_err(), "no room left");
        assert_eq!(w.len(), SPAN_ID_LEN);
        assert_eq!(
            sampling_header(SamplingState::Deny),
            ("x-b3-sampled", &b"0"[..])
        );
        assert_eq!(
            sampling_header(SamplingState::Accept),
            ("x-b3-sampled", &b"1"[..])
        );
        assert_eq!(
            sampling_header(SamplingState::Debug),
            ("x-b3-flags", &b"1"[..])
        );
    }
}
