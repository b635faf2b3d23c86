//! Forward mode: each style's incoming headers read by the extraction rules and written again
//! with only the parent id replaced.

use super::extract::valid_context;
use super::inject::{
    dd_member_of, put_b3_multi, put_b3_single, put_baggage, put_datadog, put_traceparent,
    put_tracestate, stage_again, BaggageOut, InjectBuffers, InjectError, InjectReport, Out,
    Pending,
};
use super::Slots;
use crate::carrier::{CarrierError, Extract, InPlace, Inject, StripSet};
use crate::config::{Config, Style};
use crate::context::LastParent;
use crate::format::traceparent;
use crate::format::tracestate::TraceState;
use crate::format::{baggage, dd_member};
use crate::id::SpanId;

/// What [`forward`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ForwardReport {
    /// Headers handed to the carrier.
    pub headers: usize,
    /// Styles whose incoming headers were valid and were rewritten for the next hop.
    pub rewritten: usize,
    /// What was left out or changed on the way, as [`inject`](fn@super::inject) reports it.
    pub inject: InjectReport,
}

/// Forward mode, for proxies: for every configured inject style whose incoming headers are
/// valid, writes that style's headers for the next hop with only the parent id replaced by
/// `span`. Each style keeps its own incoming state (trace id, sampling decision, origin,
/// `_dd.p.*` tags; `traceparent` keeps its flags; the `dd=` member keeps its `p:`, which still
/// names the last Datadog span, and the other vendors' tracestate members go on) and `baggage`
/// is re-sent.
///
/// Everything forwarded is read and validated by the same rules as [`extract`](fn@super::extract) and written by
/// the same encoders as [`inject`](fn@super::inject), with the same limits: what forward passes on is exactly what
/// extraction accepts, and no byte that arrived invalid (a CR or LF in an origin, an over-long
/// `tracestate`, a malformed `_dd.p.tid`) is written. Invalid or absent styles write nothing;
/// X-Ray is not rewritten in this mode.
///
/// All or nothing, like [`inject`](fn@super::inject): the carrier sees no header unless all of
/// them fit. An [`InPlace`](crate::carrier::InPlace) carrier is written directly, with no
/// staging area on the stack; for any other, the headers are staged first, as
/// [`inject`](fn@super::inject) does (in [`SMALL_STAGE_LEN`](super::SMALL_STAGE_LEN) bytes on
/// the stack, and in [`STAGE_LEN`](super::STAGE_LEN) bytes on the heap with the `std` feature
/// only when they do not fit there; without it such a set is `Full`); [`forward_with`] takes
/// the staging area from the caller.
///
/// ```
/// use tracewire::carrier::Headers;
/// use tracewire::config::Config;
/// use tracewire::propagate;
/// use tracewire::SpanId;
///
/// let incoming = [
///     ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"),
///     ("tracestate", "congo=t61rcWkgMzE"),
/// ];
/// let mut out = Headers::<16, 1024>::new();
/// let r = propagate::forward(&incoming, SpanId::new(0x2a).unwrap(), &Config::new(), &mut out)
///     .unwrap();
/// assert_eq!(r.rewritten, 1);
/// // Only the parent changes; the flags (03) go on as they came.
/// assert_eq!(out.get("traceparent"),
///     Some(&b"00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-03"[..]));
/// assert_eq!(out.get("tracestate"), Some(&b"congo=t61rcWkgMzE"[..]));
/// ```
pub fn forward<C: Extract + ?Sized, I: Inject + ?Sized>(
    carrier: &C,
    span: SpanId,
    config: &Config,
    out: &mut I,
) -> Result<ForwardReport, InjectError> {
    let slots = Slots::collect(carrier);
    if let Some(r) = forward_direct(&slots, span, config, out) {
        return r;
    }
    match forward_staged_small(&slots, span, config, out) {
        Some(r) => r,
        None => forward_staged_large(&slots, span, config, out),
    }
}

/// The direct path of [`forward`] and [`forward_with`]: `None` when the carrier is not
/// [`InPlace`] or must be staged after all (it ran out of room and can free some by replacing
/// what it holds).
#[inline]
fn forward_direct<I: Inject + ?Sized>(
    slots: &Slots<'_>,
    span: SpanId,
    config: &Config,
    out: &mut I,
) -> Option<Result<ForwardReport, InjectError>> {
    let c = out.in_place()?;
    let r = forward_into(c, slots, span, config, StripSet::NONE);
    if stage_again(&r, out) {
        return None;
    }
    Some(r.map(|mut report| {
        report.inject.headers = report.headers;
        report
    }))
}

/// [`forward`] staged in [`SMALL_STAGE_LEN`](super::SMALL_STAGE_LEN) bytes, in a frame of its
/// own; `None` when the headers did not fit there (the carrier was not asked anything).
#[inline(never)]
fn forward_staged_small<I: Inject + ?Sized>(
    slots: &Slots<'_>,
    span: SpanId,
    config: &Config,
    out: &mut I,
) -> Option<Result<ForwardReport, InjectError>> {
    let mut bufs = InjectBuffers::<{ super::SMALL_STAGE_LEN }>::with_capacity();
    match encode_forward(&mut bufs, slots, span, config) {
        Err(InjectError::Carrier(CarrierError::Full)) => None,
        Err(e) => Some(Err(e)),
        Ok((pending, mut report)) => Some(pending.commit(out).map(|n| {
            report.headers = n;
            report.inject.headers = n;
            report
        })),
    }
}

/// [`forward`] staged in [`STAGE_LEN`](super::STAGE_LEN) bytes on the heap (with the `std`
/// feature; `Full` without it), in a frame of its own.
#[inline(never)]
fn forward_staged_large<I: Inject + ?Sized>(
    slots: &Slots<'_>,
    span: SpanId,
    config: &Config,
    out: &mut I,
) -> Result<ForwardReport, InjectError> {
    let mut stage = super::inject::large_stage()?;
    let (pending, mut report) = encode_forward_over(stage.as_mut(), slots, span, config)?;
    report.headers = pending.commit(out)?;
    report.inject.headers = report.headers;
    Ok(report)
}

/// [`forward`] with caller-provided buffers.
pub fn forward_with<const N: usize, C: Extract + ?Sized, I: Inject + ?Sized>(
    bufs: &mut InjectBuffers<N>,
    carrier: &C,
    span: SpanId,
    config: &Config,
    out: &mut I,
) -> Result<ForwardReport, InjectError> {
    let slots = Slots::collect(carrier);
    if let Some(r) = forward_direct(&slots, span, config, out) {
        return r;
    }
    let (pending, mut report) = encode_forward(bufs, &slots, span, config)?;
    report.headers = pending.commit(out)?;
    report.inject.headers = report.headers;
    Ok(report)
}

/// Every header forward mode writes for `s`, staged in `bufs`.
pub(super) fn encode_forward<'b, const N: usize>(
    bufs: &'b mut InjectBuffers<N>,
    s: &Slots<'_>,
    span: SpanId,
    config: &Config,
) -> Result<(Pending<'b>, ForwardReport), InjectError> {
    encode_forward_over(&mut bufs.stage, s, span, config)
}

/// [`encode_forward`] into any staging area.
#[inline(always)]
fn encode_forward_over<'b>(
    stage: &'b mut [u8],
    s: &Slots<'_>,
    span: SpanId,
    config: &Config,
) -> Result<(Pending<'b>, ForwardReport), InjectError> {
    let mut pending = Pending::over(stage);
    let report = forward_into(&mut pending, s, span, config, StripSet::NONE)?;
    Ok((pending, report))
}

/// Writes every header forward mode writes for `s` into `c`, all or nothing.
pub(super) fn forward_into(
    c: &mut dyn InPlace,
    s: &Slots<'_>,
    span: SpanId,
    config: &Config,
    strip: StripSet,
) -> Result<ForwardReport, InjectError> {
    let mut report = ForwardReport::default();
    let mut out = Out::new(c);
    let styles = config.inject;
    let valid = |style| {
        if styles.contains(style) {
            valid_context(style, s, config)
        } else {
            None
        }
    };
    if let Some(c) = valid(Style::TraceContext) {
        report.rewritten = report.rewritten.saturating_add(1);
        let tp = traceparent::Traceparent {
            version: 0,
            trace_id: c.trace_id,
            parent_id: span,
            flags: c.trace_flags,
        };
        put_traceparent(&tp, &mut out);
        // The `dd=` member is written again from what extraction read of it, its `p:` kept;
        // without one, none is added. The other members go on as validated.
        let has_member = c.tracestate.as_ref().and_then(TraceState::dd).is_some();
        let parent = match c.last_parent_id {
            Some(LastParent::Raw(r)) => r,
            _ => &[],
        };
        let mut member_buf = [0u8; dd_member::MAX_LEN];
        let own = if has_member {
            dd_member_of(&c, parent, &mut member_buf, &mut report.inject)
        } else {
            None
        };
        put_tracestate(own, c.tracestate.as_ref(), &mut out);
    }
    if let Some(c) = valid(Style::Datadog) {
        report.rewritten = report.rewritten.saturating_add(1);
        put_datadog(&c, span, config, &mut out, &mut report.inject);
    }
    // A style that is not built is never valid; the constant guard keeps its writer unlinked.
    if let Some(c) = valid(Style::B3Single).filter(|_| Style::B3Single.is_built()) {
        report.rewritten = report.rewritten.saturating_add(1);
        put_b3_single(&c, span, &mut out);
    }
    if let Some(c) = valid(Style::B3Multi).filter(|_| Style::B3Multi.is_built()) {
        report.rewritten = report.rewritten.saturating_add(1);
        put_b3_multi(&c, span, &mut out);
    }
    if styles.contains(Style::Baggage) && !s.baggage.is_empty() {
        let limits = super::baggage_limits(config);
        if let Ok(b) = baggage::parse(&s.baggage, limits) {
            report.inject.baggage_dropped =
                put_baggage(BaggageOut::Extracted(&b), config, &mut out);
        }
    }
    report.inject.refused = out.refused;
    report.headers = out.finish(strip)?;
    Ok(report)
}

#[cfg(test)]
mod forward_tests {
    use super::*;
    use crate::carrier::Headers;
    use crate::format::dd_tags::PropagationError;
    use crate::propagate::extract;

    // Names the B3 or X-Ray styles: needs the features that build them.
    #[cfg(all(feature = "b3", feature = "xray"))]
    #[test]
    fn rewrites_only_the_parent() {
        let incoming = [
            (
                "traceparent",
                "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-future",
            ),
            ("tracestate", "dd=s:2;p:00f067aa0ba902b7"),
            ("tracestate", "congo=t61rcWkgMzE"),
            ("x-datadog-trace-id", "11803532876627986230"),
            ("x-datadog-parent-id", "67667974448284343"),
            ("x-datadog-sampling-priority", "2"),
            ("x-datadog-tags", "_dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6"),
            (
                "b3",
                "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-d-0000000000000001",
            ),
            ("baggage", "user.id=amy"),
        ];
        let cfg = Config::new().with_styles(crate::config::StyleSet::from_styles(&Style::ALL));
        let mut out = Headers::<16, 2048>::new();
        let r = forward(&incoming, SpanId::new(0x2a).unwrap(), &cfg, &mut out).unwrap();
        assert_eq!(r.rewritten, 3);
        let get = |n| out.get(n).map(|v| core::str::from_utf8(v).unwrap());
        assert_eq!(
            get("traceparent"),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-03")
        );
        assert_eq!(
            get("tracestate"),
            Some("dd=s:2;p:00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
        assert_eq!(get("x-datadog-parent-id"), Some("42"));
        assert_eq!(
            get("x-datadog-tags"),
            Some("_dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6")
        );
        assert_eq!(
            get("b3"),
            Some("4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-d")
        );
        assert_eq!(get("baggage"), Some("user.id=amy"));
    }

    #[test]
    fn a_tid_that_names_another_high_half_is_inconsistent() {
        // §12 #49: the traceparent's id is kept and the disagreement reported.
        let tp = "00-640cfd8d00000000abcdefab12345678-000000003ade68b1-01";
        for (ts, error, value) in [
            (
                "dd=s:1;t.tid:640cfd8d0000ffff",
                Some(PropagationError::InconsistentTid),
                Some(&b"640cfd8d0000ffff"[..]),
            ),
            (
                "dd=s:1;t.tid:XYZ",
                Some(PropagationError::MalformedTid),
                Some(&b"XYZ"[..]),
            ),
            ("dd=s:1;t.tid:640cfd8d00000000", None, None),
        ] {
            let h = [("traceparent", tp), ("tracestate", ts)];
            let mut slots = Slots::new();
            let ex = extract(&h, &Config::new(), &mut slots);
            let c = ex.context.unwrap();
            assert_eq!(c.trace_id.high(), 0x640c_fd8d_0000_0000, "{ts}");
            assert_eq!(c.propagation_error, error, "{ts}");
            let tag = c.propagation_error_tag();
            assert_eq!(tag.map(|e| e.error), error, "{ts}");
            assert_eq!(tag.and_then(|e| e.value), value, "{ts}");
        }
    }

    #[test]
    fn a_zero_p_is_kept_in_the_same_trace_merge() {
        // §12 #45: `p:0000000000000000` is a `p` value like any other.
        let h = [
            ("x-datadog-trace-id", "7277407061855694839"),
            ("x-datadog-parent-id", "5678"),
            (
                "traceparent",
                "00-000000000000000064fe8b2a57d3eff7-00f067aa0ba902b7-01",
            ),
            ("tracestate", "dd=s:1;p:0000000000000000"),
        ];
        let mut slots = Slots::new();
        let c = extract(&h, &Config::new(), &mut slots).context.unwrap();
        assert_eq!(c.span_id, SpanId::new(0x00f0_67aa_0ba9_02b7));
        assert_eq!(c.last_parent_id, Some(LastParent::Raw(b"0000000000000000")));
        // Without a `p`, the Datadog parent stands in.
        let h = [h[0], h[1], h[2], ("tracestate", "dd=s:1")];
        let mut slots = Slots::new();
        let c = extract(&h, &Config::new(), &mut slots).context.unwrap();
        assert_eq!(c.last_parent_id, SpanId::new(5678).map(LastParent::Id));
    }

    #[test]
    fn empty_field_lines_contribute_nothing() {
        let h = [
            ("baggage", "a=1"),
            ("baggage", " "),
            ("baggage", "b=2"),
            ("x-datadog-trace-id", "1"),
            ("x-datadog-tags", ""),
            ("x-datadog-tags", "_dd.p.x=y"),
        ];
        let mut slots = Slots::new();
        let ex = extract(&h, &Config::new(), &mut slots);
        assert_eq!(ex.baggage.map(|b| b.len()), Some(2));
        assert!(ex.context.unwrap().propagation_error.is_none());
        assert!(ex.context.unwrap().tags.get(b"x").is_some());
    }

    #[test]
    fn invalid_styles_write_nothing_and_a_full_carrier_gets_nothing() {
        let incoming = [
            (
                "traceparent",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            ),
            ("x-datadog-trace-id", "abc"),
        ];
        let mut out = Headers::<16, 2048>::new();
        let r = forward(&incoming, SpanId::new(1).unwrap(), &Config::new(), &mut out).unwrap();
        assert_eq!((r.rewritten, out.len()), (0, 0));
        let ok = [
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("baggage", "a=1"),
        ];
        let mut tiny = Headers::<1, 2048>::new();
        assert!(forward(&ok, SpanId::new(1).unwrap(), &Config::new(), &mut tiny).is_err());
        assert!(tiny.is_empty());
    }

    /// A staging area smaller than the headers is [`CarrierError::Full`] before the carrier is
    /// asked anything, and leaves the carrier as it was; one large enough does the job.
    #[test]
    fn a_small_staging_area_is_all_or_nothing_in_the_proxy_paths() {
        extern crate std;
        use crate::carrier::{CarrierError, Inject, StripSet};
        use crate::propagate::{continue_in_place, forward_in_place, InjectBuffers};
        let config = Config::new();
        let strip = StripSet::for_config(&config);
        let fill = |h: &mut Headers<16, 4096>| {
            h.set(
                "traceparent",
                b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            .unwrap();
            h.set("tracestate", b"dd=s:1;p:00f067aa0ba902b7,congo=t61rcWkgMzE")
                .unwrap();
        };
        let span = SpanId::new(0x2a).unwrap();
        let mut req = Headers::<16, 4096>::new();
        fill(&mut req);
        let before: std::vec::Vec<_> = req.iter().map(|(n, v)| (n, v.to_vec())).collect();
        let mut small = InjectBuffers::<64>::with_capacity();
        let full = Err(InjectError::Carrier(CarrierError::Full));
        assert_eq!(
            forward_in_place(&mut small, &mut req, span, &config, strip).map(|r| r.headers),
            full
        );
        assert_eq!(
            continue_in_place(&mut small, &mut req, &config, strip, |_| span)
                .map(|c| c.inject.headers),
            full
        );
        let after: std::vec::Vec<_> = req.iter().map(|(n, v)| (n, v.to_vec())).collect();
        assert_eq!(before, after);
        let mut enough = InjectBuffers::<1024>::with_capacity();
        let done = continue_in_place(&mut enough, &mut req, &config, strip, |_| span).unwrap();
        assert_eq!(done.span_id, Some(span));
        assert_eq!(
            req.get("traceparent"),
            Some(&b"00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-01"[..])
        );
    }
}
