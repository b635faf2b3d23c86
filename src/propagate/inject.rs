//! Injection: every configured style encoded into fixed buffers, then handed to the carrier
//! all or nothing.

use crate::carrier::{CarrierError, Inject, Remove, StripSet};
use crate::config::{Config, Style};
use crate::context::SpanContext;
use crate::format::baggage::{self, Baggage};
use crate::format::datadog;
use crate::format::dd_member;
use crate::format::dd_tags::{self, PropagationError};
use crate::format::traceparent;
use crate::format::tracestate::{self, TraceState};
use crate::format::{b3, xray};
use crate::id::{SpanId, TraceFlags};
use crate::wire::buf::{ArrayBuf, Writer};
use crate::wire::list::Fields;
use crate::wire::name;

/// Baggage to inject.
#[derive(Clone, Copy, Debug, Default)]
pub enum BaggageOut<'a> {
    /// None.
    #[default]
    None,
    /// Re-send extracted baggage: members are written as they arrived (already valid), within
    /// the configured limits.
    Extracted(&'a Baggage<'a>),
    /// Local items (`key`, decoded `value`), percent-encoded on output.
    Pairs(&'a [(&'a str, &'a str)]),
}

/// What injection left out or changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InjectReport {
    /// `x-datadog-tags` was not written for this reason (`_dd.propagation_error` on the span).
    pub tags_error: Option<PropagationError>,
    /// The origin held bytes a header cannot carry and was written sanitised (see
    /// [`format::datadog`](crate::format::datadog) and [`format::xray`](crate::format::xray)).
    pub origin_sanitized: bool,
    /// The origin was too long for a header or the `dd=` member and was left out there.
    pub origin_dropped: bool,
    /// No `x-datadog-*` header was written: the trace id's low 64 bits are zero, which
    /// `x-datadog-trace-id` cannot carry (every Datadog tracer reads `0` as invalid), so the
    /// next hop would have rejected them or continued another trace.
    pub datadog_unrepresentable: bool,
    /// Encoded values that were not valid header values and were not written: always 0 unless
    /// tracewire has a bug (the property tests and the fuzzers check that it stays 0).
    pub refused: usize,
    /// Baggage members not written (limits, or keys that are not tokens).
    pub baggage_dropped: usize,
    /// Headers written.
    pub headers: usize,
}

/// Why nothing was injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectError {
    /// The carrier refused the headers (nothing was set when it implements `reserve`).
    Carrier(CarrierError),
}

impl core::fmt::Display for InjectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InjectError::Carrier(e) => write!(f, "injection failed: {e}"),
        }
    }
}

impl core::error::Error for InjectError {}

/// Longest `x-datadog-origin` written.
pub const ORIGIN_MAX_LEN: usize = 256;

/// Every buffer one injection encodes into (about 14 KiB: baggage is the largest).
///
/// [`InjectBuffers::new`] is `const`, so the buffers can sit in a `static` instead of on a small
/// task stack:
///
/// ```
/// use std::sync::Mutex;
/// use tracewire::carrier::Headers;
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut, InjectBuffers};
/// use tracewire::{SpanId, TraceId};
///
/// static BUFS: Mutex<InjectBuffers> = Mutex::new(InjectBuffers::new());
///
/// let ctx = SpanContext::new(TraceId::new(1).unwrap(), SpanId::new(2));
/// let mut out = Headers::<16, 1024>::new();
/// let mut bufs = BUFS.lock().unwrap();
/// propagate::inject_with(&mut bufs, Some(&ctx), BaggageOut::None, &Config::new(), &mut out)
///     .unwrap();
/// assert_eq!(out.get("x-datadog-parent-id"), Some(&b"2"[..]));
/// ```
pub struct InjectBuffers {
    pub(super) traceparent: [u8; traceparent::LEN],
    pub(super) tracestate: [u8; tracestate::MAX_ENCODED_LEN],
    pub(super) dd_member: ArrayBuf<{ dd_member::MAX_LEN }>,
    pub(super) datadog: datadog::DatadogOut,
    pub(super) dd_tags: [u8; dd_tags::MAX_LEN],
    pub(super) b3: ArrayBuf<{ b3::SINGLE_MAX_LEN }>,
    pub(super) b3multi: b3::MultiOut,
    pub(super) xray: ArrayBuf<{ xray::MAX_LEN }>,
    pub(super) baggage: [u8; crate::config::Limits::BAGGAGE_BYTES_MAX],
}

impl InjectBuffers {
    /// Fresh buffers. `const`, so they can live in a `static` (behind the lock of your choice)
    /// rather than on a small task stack.
    pub const fn new() -> Self {
        InjectBuffers {
            traceparent: [0; traceparent::LEN],
            tracestate: [0; tracestate::MAX_ENCODED_LEN],
            dd_member: ArrayBuf::new(),
            datadog: datadog::DatadogOut::new(),
            dd_tags: [0; dd_tags::MAX_LEN],
            b3: ArrayBuf::new(),
            b3multi: b3::MultiOut::new(),
            xray: ArrayBuf::new(),
            baggage: [0; crate::config::Limits::BAGGAGE_BYTES_MAX],
        }
    }
}

impl Default for InjectBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// Up to 16 encoded headers, ready to hand to the carrier.
pub(super) struct Pending<'b> {
    items: [(&'static str, &'b [u8]); 16],
    len: usize,
    /// Values an encoder produced that are not valid field values (a tracewire bug; never
    /// written).
    pub(super) refused: usize,
}

impl<'b> Pending<'b> {
    pub(super) fn new() -> Self {
        Pending {
            items: [("", &[]); 16],
            len: 0,
            refused: 0,
        }
    }

    /// Queues a header. Every encoder writes valid field values; this check is the last line
    /// of defence that keeps any byte outside VCHAR / SP / HTAB (and a value with white space
    /// at an edge) from ever reaching a carrier, whatever an encoder did.
    pub(super) fn add(&mut self, name: &'static str, v: &'b [u8]) {
        if !crate::wire::is_field_value(v) {
            self.refused = self.refused.saturating_add(1);
            return;
        }
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (name, v);
            self.len = self.len.saturating_add(1);
        }
    }

    fn as_slice(&self) -> &[(&'static str, &'b [u8])] {
        self.items.get(..self.len).unwrap_or(&[])
    }

    /// Hands the headers to `carrier`, all or nothing ([`Inject::prepare`] first).
    pub(super) fn commit<I: Inject + ?Sized>(&self, carrier: &mut I) -> Result<usize, InjectError> {
        self.commit_with(carrier, |_| {})
    }

    /// [`Pending::commit`], removing the headers of `strip` once the carrier has said it can
    /// take the new ones (so an error removes nothing either).
    pub(super) fn commit_stripped<I: Inject + Remove + ?Sized>(
        &self,
        carrier: &mut I,
        strip: StripSet,
    ) -> Result<usize, InjectError> {
        self.commit_with(carrier, |c| strip.strip(c))
    }

    pub(super) fn commit_with<I: Inject + ?Sized>(
        &self,
        carrier: &mut I,
        before_set: impl FnOnce(&mut I),
    ) -> Result<usize, InjectError> {
        let items = self.as_slice();
        carrier.prepare(items).map_err(InjectError::Carrier)?;
        before_set(carrier);
        for (n, v) in items {
            carrier.set(n, v).map_err(InjectError::Carrier)?;
        }
        Ok(items.len())
    }
}

/// Injects `ctx` (and `baggage`) in every configured style into `carrier`.
///
/// `ctx.span_id` is the span the next hop continues (usually a fresh local child); a context
/// without one injects no trace headers. Baggage is injected even without a context (§8.6).
///
/// ```
/// use tracewire::carrier::Headers;
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut};
/// use tracewire::{SamplingPriority, SpanId, TraceId};
///
/// // A new root span of your own: ids from your random source, a decision from your sampler.
/// let mut root = SpanContext::new(TraceId::new(0x64).unwrap(), SpanId::new(0x2a));
/// root.sampling_priority = Some(SamplingPriority::AUTO_KEEP);
/// let mut out = Headers::<16, 1024>::new();
/// let items = [("user.id", "amy")];
/// let r = propagate::inject(Some(&root), BaggageOut::Pairs(&items), &Config::new(), &mut out)
///     .unwrap();
/// assert_eq!(r.headers, 6);
/// assert_eq!(out.get("x-datadog-trace-id"), Some(&b"100"[..]));
/// assert_eq!(out.get("baggage"), Some(&b"user.id=amy"[..]));
/// ```
pub fn inject<I: Inject + ?Sized>(
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    let mut bufs = InjectBuffers::new();
    inject_with(&mut bufs, ctx, baggage, config, carrier)
}

/// [`inject`] with caller-provided buffers (to keep them off a small stack).
///
/// ```
/// use tracewire::carrier::HeaderBlockWriter;
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut, InjectBuffers};
/// use tracewire::{SpanId, TraceId};
///
/// // The ~14 KiB of encoding buffers come from the caller (a static, the heap), not the stack.
/// let mut bufs = Box::new(InjectBuffers::new());
/// let ctx = SpanContext::new(TraceId::new(1).unwrap(), SpanId::new(2));
/// let mut buf = [0u8; 512];
/// let mut w = HeaderBlockWriter::new(&mut buf);
/// propagate::inject_with(&mut bufs, Some(&ctx), BaggageOut::None, &Config::new(), &mut w).unwrap();
/// assert!(w.written().starts_with(b"x-datadog-trace-id: 1\r\nx-datadog-parent-id: 2\r\n"));
/// ```
pub fn inject_with<I: Inject + ?Sized>(
    bufs: &mut InjectBuffers,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    let (pending, mut report) = encode_inject(bufs, ctx, baggage, config);
    report.headers = pending.commit(carrier)?;
    Ok(report)
}

/// [`inject_with`] that first removes the headers of `strip` from `carrier` (usually
/// [`StripSet::for_config`]), so that no stale trace header of the incoming request travels on
/// next to the fresh ones. All or nothing: when the carrier cannot take the new headers
/// ([`Inject::prepare`], asked before anything is removed), nothing is removed either.
///
/// ```
/// use tracewire::carrier::{Headers, Inject, StripSet};
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut, InjectBuffers};
/// use tracewire::{SpanId, TraceId};
///
/// let mut h = Headers::<16, 1024>::new();
/// h.set("b3", b"1-2-1").unwrap(); // from another trace
/// let ctx = SpanContext::new(TraceId::new(7).unwrap(), SpanId::new(8));
/// let config = Config::new();
/// let mut bufs = InjectBuffers::new();
/// propagate::inject_replacing(&mut bufs, Some(&ctx), BaggageOut::None, &config,
///     StripSet::for_config(&config), &mut h).unwrap();
/// assert!(h.get("b3").is_none() && h.get("traceparent").is_some());
/// ```
pub fn inject_replacing<I: Inject + Remove + ?Sized>(
    bufs: &mut InjectBuffers,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    strip: StripSet,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    let (pending, mut report) = encode_inject(bufs, ctx, baggage, config);
    report.headers = pending.commit_stripped(carrier, strip)?;
    Ok(report)
}

/// Every header [`inject`] writes, encoded into `bufs`: what is queued borrows only `bufs`, so
/// the context (and the carrier it borrows) may go before the headers are handed over.
pub(super) fn encode_inject<'b>(
    bufs: &'b mut InjectBuffers,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
) -> (Pending<'b>, InjectReport) {
    let mut report = InjectReport::default();
    let mut pending = Pending::new();
    let InjectBuffers {
        traceparent: tp_buf,
        tracestate: ts_buf,
        dd_member: member_buf,
        datadog: dd_buf,
        dd_tags: tags_buf,
        b3: b3_buf,
        b3multi: b3m_buf,
        xray: xray_buf,
        baggage: bag_buf,
    } = bufs;

    let trace = ctx.and_then(|c| c.span_id.map(|s| (c, s)));
    if let Some((c, span)) = trace {
        let styles = config.inject;
        if styles.contains(Style::Datadog) {
            put_datadog(c, span, config, dd_buf, tags_buf, &mut pending, &mut report);
        }
        if styles.contains(Style::TraceContext) {
            let tp = traceparent::Traceparent {
                version: 0,
                trace_id: c.trace_id,
                parent_id: span,
                flags: TraceFlags(u8::from(c.is_sampled())),
            };
            pending.add(name::TRACEPARENT, tp.encode(tp_buf));
            let span_hex = span.to_hex();
            let mut p = ArrayBuf::<64>::new();
            let parent: &[u8] = match c.last_parent_id {
                Some(lp) => {
                    let mut w = Writer::new(p.spare());
                    let n = if lp.write(&mut w).is_ok() { w.len() } else { 0 };
                    p.commit(n);
                    if n == 0 {
                        &span_hex
                    } else {
                        p.as_bytes()
                    }
                }
                None => &span_hex,
            };
            let own = dd_member_of(c, parent, member_buf, &mut report);
            put_tracestate(own, c.tracestate.as_ref(), ts_buf, &mut pending);
        }
        if styles.contains(Style::B3Single) {
            put_b3_single(c, span, b3_buf, &mut pending);
        }
        if styles.contains(Style::B3Multi) {
            put_b3_multi(c, span, b3m_buf, &mut pending);
        }
        if styles.contains(Style::XRay) {
            let r = xray::encode(c.trace_id, span, c.sampling_priority, c.origin, xray_buf);
            report.origin_sanitized |= r.origin_sanitized;
            report.origin_dropped |= r.origin_dropped;
            pending.add(name::X_AMZN_TRACE_ID, xray_buf.as_bytes());
        }
    }

    if config.inject.contains(Style::Baggage) {
        report.baggage_dropped = put_baggage(baggage, config, bag_buf, &mut pending);
    }
    report.refused = pending.refused;
    (pending, report)
}

/// `x-datadog-*` headers for `c` with parent `span`.
pub(super) fn put_datadog<'b>(
    c: &SpanContext<'_>,
    span: SpanId,
    config: &Config,
    dd_buf: &'b mut datadog::DatadogOut,
    tags_buf: &'b mut [u8; dd_tags::MAX_LEN],
    pending: &mut Pending<'b>,
    report: &mut InjectReport,
) {
    if c.trace_id.low() == 0 {
        report.datadog_unrepresentable = true;
        return;
    }
    datadog::encode(c.trace_id, span, c.sampling_priority, c.origin, dd_buf);
    report.origin_sanitized |= dd_buf.origin_sanitized();
    report.origin_dropped |= dd_buf.origin_dropped();
    let max = config.x_datadog_tags_max_len();
    let mut w = Writer::new(tags_buf);
    match dd_tags::encode(
        c.decision_maker,
        c.trace_id.high(),
        c.tags.iter(),
        max,
        &mut w,
    ) {
        Ok(_) => {}
        Err(e) => report.tags_error = Some(e.into()),
    }
    let tags = w.into_written();
    dd_buf.for_each(|n, v| pending.add(n, v));
    if !tags.is_empty() {
        pending.add(name::X_DATADOG_TAGS, tags);
    }
}

/// The `dd=` member for `c` with `p:` = `parent` (none when `parent` is empty).
pub(super) fn dd_member_of<'b>(
    c: &SpanContext<'_>,
    parent: &[u8],
    member_buf: &'b mut ArrayBuf<{ dd_member::MAX_LEN }>,
    report: &mut InjectReport,
) -> Option<&'b [u8]> {
    let r = dd_member::encode(
        c.sampling_priority,
        c.origin,
        parent,
        c.decision_maker,
        c.tags.iter(),
        member_buf,
    );
    report.origin_dropped |= r.origin_dropped;
    if member_buf.is_empty() {
        None
    } else {
        Some(member_buf.as_bytes())
    }
}

/// `tracestate`: `own` first, then the other vendors' valid members of `rest`.
pub(super) fn put_tracestate<'b>(
    own: Option<&[u8]>,
    rest: Option<&TraceState<'_>>,
    ts_buf: &'b mut [u8; tracestate::MAX_ENCODED_LEN],
    pending: &mut Pending<'b>,
) {
    let empty = TraceState::new(Fields::EMPTY);
    let rest = rest.unwrap_or(&empty);
    let mut w = Writer::new(ts_buf);
    if tracestate::encode(own, b"dd", rest, &mut w).is_ok() && !w.is_empty() {
        pending.add(name::TRACESTATE, w.into_written());
    }
}

/// `b3` for `c` with span `span`.
pub(super) fn put_b3_single<'b>(
    c: &SpanContext<'_>,
    span: SpanId,
    b3_buf: &'b mut ArrayBuf<{ b3::SINGLE_MAX_LEN }>,
    pending: &mut Pending<'b>,
) {
    let sampling = c.sampling_priority.map(b3::SamplingState::from_priority);
    b3::encode_single(c.trace_id, span, sampling, b3_buf);
    pending.add(name::B3, b3_buf.as_bytes());
}

/// `x-b3-*` for `c` with span `span`.
pub(super) fn put_b3_multi<'b>(
    c: &SpanContext<'_>,
    span: SpanId,
    b3m_buf: &'b mut b3::MultiOut,
    pending: &mut Pending<'b>,
) {
    let sampling = c.sampling_priority.map(b3::SamplingState::from_priority);
    b3::encode_multi(c.trace_id, span, sampling, b3m_buf);
    b3m_buf.for_each(|n, v| pending.add(n, v));
}

/// `baggage`; returns the members left out.
pub(super) fn put_baggage<'b>(
    baggage: BaggageOut<'_>,
    config: &Config,
    bag_buf: &'b mut [u8; crate::config::Limits::BAGGAGE_BYTES_MAX],
    pending: &mut Pending<'b>,
) -> usize {
    let limits = super::baggage_limits(config);
    let mut w = Writer::new(bag_buf);
    let dropped = match baggage {
        BaggageOut::None => 0,
        BaggageOut::Extracted(b) => baggage::encode_raw(b, limits, &mut w),
        BaggageOut::Pairs(p) => baggage::encode(
            p.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
            limits,
            &mut w,
        )
        .map_or(p.len(), |r| r.dropped),
    };
    if !w.is_empty() {
        pending.add(name::BAGGAGE, w.into_written());
    }
    dropped
}
