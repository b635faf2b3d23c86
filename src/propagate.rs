//! Extraction and injection across styles: Datadog's propagation semantics (docs/BEHAVIOUR.md §5, §8.6,
//! §9, §10; defaults of §12 #23–25, #29, #44).
//!
//! **Extraction** ([`extract`]) makes one pass over the carrier and keeps the slots of every
//! header any style reads (single-valued headers: the first occurrence; `tracestate`, `baggage`
//! and `x-datadog-tags`: every field line, up to [`MAX_FIELDS`](crate::wire::list::MAX_FIELDS)).
//! One rule for folded values (§10, §12 #44): a single-valued header (`x-datadog-trace-id`,
//! `-parent-id`, `-sampling-priority`, `-origin`, `b3`, `x-b3-*`) is read up to its first `,`
//! ([`single_value`](crate::wire::list::single_value)); `traceparent`, which must arrive once, is
//! invalid when a `,` shows two values folded into one line, as when it arrives on two lines;
//! `x-amzn-trace-id` has no `,` in its grammar and is read whole.
//! Each configured style then decodes its slots independently into `Absent`, a valid
//! [`SpanContext`], or an error; an error never stops the other styles (§12 #24). The first valid
//! context is the primary one (or, with extract-first, the only one looked at). A later
//! `tracecontext` context with the same 128-bit trace id lends its tracestate and, when its parent
//! differs, its parent id plus `_dd.parent_id` (§5.3); every other valid context with a different
//! trace id becomes a `terminated_context` span link (§5.4). Then the behaviour applies (§5.7):
//! `continue` keeps the primary, `restart` turns it into a single `propagation_behavior_extract`
//! link and keeps the baggage, `ignore` drops everything. Baggage is extracted beside the trace
//! styles and never becomes a context (§8.6).
//!
//! **Injection** ([`inject`]) encodes every configured style into fixed buffers on the stack
//! first; only when the carrier accepts all of them ([`Inject::prepare`]) does it call
//! [`Inject::set`], with lowercase names. Every value handed to a carrier is a valid field value
//! (visible ASCII, space and tab, no white space at the edges; origins are sanitised, tags that
//! cannot be written are skipped and reported). A style that cannot be encoded (for example the tags header over its
//! limit) is left out and reported, as Datadog's tracers do; a carrier that is too small gets
//! nothing at all.
//!
//! **Forward mode** ([`forward`]), for proxies, reads each style's incoming headers by the
//! extraction rules and writes them again for the next hop with only the parent id replaced, by
//! the injection encoders and within their limits.

use crate::carrier::{CarrierError, Extract, Inject, Remove, StripSet};
use crate::config::{Behavior, Config, Style};
use crate::context::{LastParent, PropagationErrorTag, SpanContext, Tags};
use crate::format::baggage::{self, Baggage, BaggageError};
use crate::format::datadog::{self, DatadogError, DatadogInput};
use crate::format::dd_member;
use crate::format::dd_tags::{self, PropagationError, Tid};
use crate::format::traceparent::{self, TraceparentError};
use crate::format::tracestate::{self, TraceState};
use crate::format::{b3, xray, Text};
use crate::id::{SamplingPriority, SpanId, TraceFlags, TraceId};
use crate::wire::buf::{ArrayBuf, Writer};
use crate::wire::list::Fields;
use crate::wire::name;

mod proxy;
pub use proxy::{continue_block, continue_in_place, forward_in_place, Continued};

/// The raw header slots one pass over a carrier collects.
#[derive(Clone, Copy, Debug, Default)]
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

fn first<'a>(slot: &mut Option<&'a [u8]>, v: &'a [u8]) {
    if slot.is_none() {
        *slot = Some(v);
    }
}

impl<'a> Slots<'a> {
    /// Collects the slots in one pass (names matched by length, then ASCII-case-insensitively).
    pub fn collect<C: Extract + ?Sized>(carrier: &'a C) -> Self {
        let mut s = Slots::default();
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

/// Why a style's headers were rejected (or, in [`Status::ValidIgnoring`], what was ignored).
/// `Display` says which header and what was wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StyleError {
    /// Datadog headers.
    Datadog(DatadogError),
    /// `traceparent`.
    Traceparent(TraceparentError),
    /// More than one `traceparent`: several field lines, or values folded into one line with
    /// `,`.
    DuplicateTraceparent,
    /// B3 single or multi.
    B3(b3::B3Error),
    /// X-Ray.
    XRay(xray::XRayError),
}

impl core::fmt::Display for StyleError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StyleError::Datadog(e) => write!(f, "{e}"),
            StyleError::Traceparent(e) => write!(f, "{e}"),
            StyleError::DuplicateTraceparent => {
                f.write_str("traceparent: more than one (several lines, or values folded with ',')")
            }
            StyleError::B3(e) => write!(f, "{e}"),
            StyleError::XRay(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for StyleError {}

/// What one style found. `Display` reads as a sentence (`valid`, `invalid: traceparent: ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not looked at (extract-first stopped earlier).
    Skipped,
    /// None of its headers arrived.
    Absent,
    /// A valid context.
    Valid,
    /// A valid context, but one part of the headers was not read and is ignored: a sampling
    /// value outside the specification (B3 `true`, an `x-datadog-sampling-priority` that is no
    /// integer). The ids are kept and the decision is left to the local sampler (§12 #2, #46).
    ValidIgnoring(StyleError),
    /// Only a sampling decision, no ids (a lone `b3: 0`).
    DecisionOnly,
    /// Its headers were rejected.
    Invalid(StyleError),
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Status::Skipped => f.write_str("skipped (extract-first: an earlier style was valid)"),
            Status::Absent => f.write_str("absent"),
            Status::Valid => f.write_str("valid"),
            Status::ValidIgnoring(e) => write!(f, "valid, ignoring {e}"),
            Status::DecisionOnly => f.write_str("a sampling decision without ids"),
            Status::Invalid(e) => write!(f, "invalid: {e}"),
        }
    }
}

/// What each style found, in configured order.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    entries: [(Style, Status); 6],
    len: u8,
    /// Baggage: `None` when absent or not configured.
    pub baggage: Option<Result<(), BaggageError>>,
}

impl Report {
    fn push(&mut self, style: Style, status: Status) {
        if let Some(e) = self.entries.get_mut(usize::from(self.len)) {
            *e = (style, status);
            self.len = self.len.saturating_add(1);
        }
    }

    /// `(style, status)` for every trace-context style tried, in order.
    pub fn entries(&self) -> &[(Style, Status)] {
        &self.entries[..usize::from(self.len)]
    }

    /// The status of `style`, if it is configured.
    pub fn status(&self, style: Style) -> Option<Status> {
        self.entries()
            .iter()
            .find(|(s, _)| *s == style)
            .map(|(_, st)| *st)
    }
}

/// Why a span link was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkReason {
    /// A valid context of another trace arrived beside the continued one (§5.4).
    TerminatedContext,
    /// The behaviour is `restart`: the new trace links to the incoming one (§5.7).
    PropagationBehaviorExtract,
}

impl LinkReason {
    /// The `reason` attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            LinkReason::TerminatedContext => "terminated_context",
            LinkReason::PropagationBehaviorExtract => "propagation_behavior_extract",
        }
    }
}

/// A span link to a context that is not continued: only what a link records (§5.4).
#[derive(Clone, Copy, Debug)]
pub struct SpanLink<'a> {
    /// The linked trace.
    pub trace_id: TraceId,
    /// The linked span.
    pub span_id: Option<SpanId>,
    /// Its sampling decision.
    pub sampling_priority: Option<SamplingPriority>,
    /// The style it came from (`context_headers` attribute).
    pub style: Style,
    /// The `reason` attribute.
    pub reason: LinkReason,
    tracestate: Option<TraceState<'a>>,
}

impl<'a> SpanLink<'a> {
    /// The link to `ctx`, extracted in `style`.
    pub fn new(ctx: &SpanContext<'a>, style: Style, reason: LinkReason) -> Self {
        SpanLink {
            trace_id: ctx.trace_id,
            span_id: ctx.span_id,
            sampling_priority: ctx.sampling_priority,
            style,
            reason,
            tracestate: if style == Style::TraceContext {
                ctx.tracestate
            } else {
                None
            },
        }
    }

    /// The link's W3C flags: 1 when kept, 0 when dropped, `None` when no decision was made.
    pub fn flags(&self) -> Option<u8> {
        self.sampling_priority.map(|p| u8::from(p.is_keep()))
    }

    /// The raw tracestate of a `tracecontext` context (other styles carry none).
    pub fn tracestate(&self) -> Option<&TraceState<'a>> {
        self.tracestate.as_ref()
    }
}

/// Most span links one extraction yields: one per context style (Datadog, tracecontext, B3
/// single, B3 multi, X-Ray) but the one continued; under `restart` there is only one.
pub const MAX_LINKS: usize = 4;

/// Up to one link per configured context style other than the continued one.
#[derive(Clone, Copy, Debug, Default)]
///
/// ```
/// use tracewire::config::{Config, Style, StyleSet};
/// use tracewire::propagate::{self, LinkReason};
///
/// let h = [("b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1"), ("x-datadog-trace-id", "5")];
/// let config = Config::new().with_styles(StyleSet::from_styles(&[Style::Datadog, Style::B3Single]));
/// let ex = propagate::extract(&h, &config);
/// let link = ex.links.iter().next().unwrap();
/// assert_eq!((link.style, link.reason), (Style::B3Single, LinkReason::TerminatedContext));
/// assert_eq!(link.flags(), Some(1));
/// ```
pub struct Links<'a> {
    items: [Option<SpanLink<'a>>; MAX_LINKS],
    len: u8,
}

impl<'a> Links<'a> {
    fn push(&mut self, l: SpanLink<'a>) {
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = Some(l);
            self.len = self.len.saturating_add(1);
        }
    }

    /// The links in style order.
    pub fn iter(&self) -> impl Iterator<Item = &SpanLink<'a>> {
        self.items.iter().flatten()
    }

    /// Number of links.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The result of [`extract`], borrowing from the carrier.
#[derive(Clone, Copy, Debug)]
pub struct Extracted<'a> {
    /// The context to continue (`None` for a new trace: nothing valid arrived, or the behaviour
    /// is `restart` or `ignore`).
    pub context: Option<SpanContext<'a>>,
    /// The style the continued context came from (also set under `restart`, for the link).
    pub style: Option<Style>,
    /// Span links for the first span.
    pub links: Links<'a>,
    /// Incoming baggage (kept under `restart`, dropped under `ignore`).
    pub baggage: Option<Baggage<'a>>,
    /// A sampling decision that arrived without ids (`b3: 0`), when no style gave a context.
    pub decision_only: Option<SamplingPriority>,
    /// What each style found.
    pub report: Report,
}

impl<'a> Extracted<'a> {
    /// The incoming baggage, to re-send with [`inject`] (`BaggageOut::None` when none arrived).
    ///
    /// ```
    /// use tracewire::config::Config;
    /// use tracewire::propagate;
    ///
    /// let h = [("baggage", "user.id=amy")];
    /// let ex = propagate::extract(&h, &Config::new());
    /// assert!(matches!(ex.baggage_out(), propagate::BaggageOut::Extracted(b) if b.len() == 1));
    /// ```
    pub fn baggage_out(&self) -> BaggageOut<'_> {
        self.baggage
            .as_ref()
            .map_or(BaggageOut::None, BaggageOut::Extracted)
    }
}

// One candidate lives on the stack per style for the duration of `extract`; without `alloc`
// there is nothing to box it into, and the size is that of the context it carries.
#[allow(clippy::large_enum_variant)]
enum Candidate<'a> {
    Absent,
    /// A context, and what of its headers was ignored.
    Valid(SpanContext<'a>, Option<StyleError>),
    DecisionOnly(SamplingPriority),
    Invalid(StyleError),
}

/// Extracts the incoming trace context from `carrier` under `config`.
///
/// ```
/// use tracewire::config::{Config, Style};
/// use tracewire::propagate::{self, Status};
///
/// let h = [
///     ("x-datadog-trace-id", "1234"),
///     ("x-datadog-parent-id", "5678"),
///     ("traceparent", "00-00000000000000000000000000000099-00f067aa0ba902b7-01"),
/// ];
/// let ex = propagate::extract(&h, &Config::new());
/// // The first valid style (Datadog) is continued; the traceparent of another trace is a link.
/// assert_eq!(ex.context.unwrap().trace_id.get(), 1234);
/// assert_eq!(ex.style, Some(Style::Datadog));
/// assert_eq!(ex.links.len(), 1);
/// assert_eq!(ex.report.status(Style::TraceContext), Some(Status::Valid));
/// ```
pub fn extract<'a, C: Extract + ?Sized>(carrier: &'a C, config: &Config) -> Extracted<'a> {
    let mut slots = Slots::default();
    carrier.for_each_header(|n, v| slots.offer(n, v));
    extract_slots(&slots, config)
}

/// [`extract`] from slots already collected (for carriers that look names up directly).
#[inline]
///
/// ```
/// use tracewire::config::Config;
/// use tracewire::propagate::{self, Slots};
///
/// // A carrier with its own name lookup offers only the headers tracewire reads.
/// let mut slots = Slots::default();
/// slots.offer(b"x-datadog-trace-id", b"7");
/// slots.offer(b"x-datadog-parent-id", b"8");
/// let ex = propagate::extract_slots(&slots, &Config::new());
/// assert_eq!(ex.context.unwrap().span_id.map(|s| s.get()), Some(8));
/// ```
pub fn extract_slots<'a>(slots: &Slots<'a>, config: &Config) -> Extracted<'a> {
    let mut out = Extracted {
        context: None,
        style: None,
        links: Links::default(),
        baggage: None,
        decision_only: None,
        report: Report {
            entries: [(Style::None, Status::Skipped); 6],
            len: 0,
            baggage: None,
        },
    };
    if config.behavior == Behavior::Ignore {
        return out;
    }

    let mut primary: Option<(Style, SpanContext<'a>)> = None;
    // A later tracecontext context of the same trace is merged once every style has been read
    // (its `_dd.parent_id` fallback needs the Datadog parent, whatever the style order).
    let mut w3c_same_trace: Option<SpanContext<'a>> = None;
    let mut datadog_parent: Option<(TraceId, Option<SpanId>)> = None;
    for &style in config.extract.as_slice() {
        if style == Style::Baggage {
            continue;
        }
        if config.extract_first && primary.is_some() {
            out.report.push(style, Status::Skipped);
            continue;
        }
        let status = match candidate(style, slots, config) {
            Candidate::Absent => Status::Absent,
            Candidate::Invalid(e) => Status::Invalid(e),
            Candidate::DecisionOnly(p) => {
                out.decision_only.get_or_insert(p);
                Status::DecisionOnly
            }
            Candidate::Valid(ctx, ignored) => {
                if style == Style::Datadog {
                    datadog_parent = Some((ctx.trace_id, ctx.span_id));
                }
                match &primary {
                    None => primary = Some((style, ctx)),
                    Some((_, p)) if p.trace_id == ctx.trace_id => {
                        if style == Style::TraceContext {
                            w3c_same_trace = Some(ctx);
                        }
                    }
                    Some(_) if ctx.span_id.is_some() => {
                        out.links
                            .push(SpanLink::new(&ctx, style, LinkReason::TerminatedContext));
                    }
                    Some(_) => {}
                }
                ignored.map_or(Status::Valid, Status::ValidIgnoring)
            }
        };
        out.report.push(style, status);
    }

    if let Some((pstyle, mut ctx)) = primary {
        if let Some(w3c) = &w3c_same_trace {
            merge_w3c(&mut ctx, w3c, datadog_parent);
        }
        out.style = Some(pstyle);
        out.decision_only = None;
        match config.behavior {
            Behavior::Restart => {
                out.links = Links::default();
                out.links.push(SpanLink::new(
                    &ctx,
                    pstyle,
                    LinkReason::PropagationBehaviorExtract,
                ));
            }
            _ => out.context = Some(ctx),
        }
    }

    if config.extract.contains(Style::Baggage) && !slots.baggage.is_empty() {
        let limits = baggage::Limits {
            max_items: config.limits.baggage_max_items,
            max_bytes: config.limits.baggage_max_bytes,
        };
        match baggage::parse(slots.baggage, limits) {
            Ok(b) => {
                out.baggage = Some(b);
                out.report.baggage = Some(Ok(()));
            }
            Err(e) => out.report.baggage = Some(Err(e)),
        }
    }
    out
}

/// §5.3: a later tracecontext context of the same trace.
fn merge_w3c<'a>(
    ctx: &mut SpanContext<'a>,
    w3c: &SpanContext<'a>,
    datadog: Option<(TraceId, Option<SpanId>)>,
) {
    ctx.tracestate = w3c.tracestate;
    if w3c.span_id == ctx.span_id {
        return;
    }
    // `p:0000000000000000` is kept verbatim like any other `p` value (§12 #45).
    ctx.last_parent_id = match w3c.last_parent_id {
        Some(p) => Some(p),
        None => datadog
            .filter(|(t, _)| *t == ctx.trace_id)
            .and_then(|(_, parent)| parent)
            .map(LastParent::Id),
    };
    ctx.span_id = w3c.span_id;
}

fn candidate<'a>(style: Style, s: &Slots<'a>, config: &Config) -> Candidate<'a> {
    match style {
        Style::Datadog => datadog_candidate(s, config),
        Style::TraceContext => w3c_candidate(s),
        Style::B3Single => match s.b3 {
            None => Candidate::Absent,
            Some(v) => b3_candidate(b3::parse_single(v).map(Some)),
        },
        Style::B3Multi => b3_candidate(b3::parse_multi(&b3::B3MultiInput {
            trace_id: s.b3_trace_id,
            span_id: s.b3_span_id,
            sampled: s.b3_sampled,
            flags: s.b3_flags,
            parent_span_id: None,
        })),
        Style::XRay => match s.xray {
            None => Candidate::Absent,
            Some(v) => xray_candidate(v, config.xray_128bit_roots),
        },
        Style::Baggage | Style::None => Candidate::Absent,
    }
}

fn datadog_candidate<'a>(s: &Slots<'a>, config: &Config) -> Candidate<'a> {
    let input = DatadogInput {
        trace_id: s.dd_trace_id,
        parent_id: s.dd_parent_id,
        sampling_priority: s.dd_sampling_priority,
        origin: s.dd_origin,
    };
    let dd = match datadog::parse(&input) {
        Ok(None) => return Candidate::Absent,
        Ok(Some(dd)) => dd,
        Err(e) => return Candidate::Invalid(StyleError::Datadog(e)),
    };
    let mut high = 0u64;
    let mut tags = Tags::None;
    let mut decision_maker = None;
    let mut propagation_error = None;
    if !s.dd_tags.is_empty() {
        match dd_tags::parse(s.dd_tags, config.x_datadog_tags_max_len()) {
            Ok(t) => {
                match t.tid() {
                    Tid::Absent => {}
                    Tid::Valid(h) => high = h,
                    Tid::Malformed(raw) => {
                        propagation_error = Some(PropagationErrorTag {
                            error: PropagationError::MalformedTid,
                            value: Some(raw),
                        })
                    }
                }
                match t.dm() {
                    None => {}
                    Some(Ok(dm)) => decision_maker = Some(dm),
                    Some(Err(())) => {
                        propagation_error.get_or_insert(PropagationErrorTag {
                            error: PropagationError::DecodingError,
                            value: None,
                        });
                    }
                }
                tags = Tags::Header(t);
            }
            Err(e) => {
                propagation_error = Some(PropagationErrorTag {
                    error: e.into(),
                    value: None,
                });
            }
        }
    }
    let Some(trace_id) = TraceId::from_halves(high, dd.trace_id_low.get()) else {
        return Candidate::Absent;
    };
    let ignored = dd
        .priority_invalid
        .then_some(StyleError::Datadog(DatadogError::SamplingPriority));
    Candidate::Valid(
        SpanContext {
            trace_id,
            span_id: dd.parent_id,
            sampling_priority: dd.sampling_priority,
            decision_maker,
            origin: dd.origin.map(Text::plain),
            tags,
            trace_flags: TraceFlags(u8::from(dd.sampling_priority.is_some_and(|p| p.is_keep()))),
            tracestate: None,
            last_parent_id: None,
            propagation_error,
        },
        ignored,
    )
}

fn w3c_candidate<'a>(s: &Slots<'a>) -> Candidate<'a> {
    let Some(v) = s.traceparent else {
        return Candidate::Absent;
    };
    // Two values folded into one line by a proxy are two `traceparent`s, as much as two lines.
    let head = v.get(..traceparent::MAX_INPUT_LEN).unwrap_or(v);
    if s.traceparent_count > 1 || crate::wire::class::find(head, b',').is_some() {
        return Candidate::Invalid(StyleError::DuplicateTraceparent);
    }
    let tp = match traceparent::parse(v) {
        Ok(tp) => tp,
        Err(e) => return Candidate::Invalid(StyleError::Traceparent(e)),
    };
    let ts = if s.tracestate.is_empty() {
        None
    } else {
        Some(TraceState::new(s.tracestate))
    };
    let member = ts.as_ref().and_then(|t| t.dd()).map(dd_member::parse);
    // `t.tid` is redundant with the traceparent, which always wins; a malformed one is reported
    // as dd-trace-cpp and -java do (`malformed_tid <value>`), and one that names another high
    // half as `inconsistent_tid <value>` (§12 #49).
    let propagation_error = member
        .as_ref()
        .and_then(|m| m.tags().find(|t| t.key == b"tid"))
        .and_then(|t| {
            let error = match crate::wire::hex::decode_u64(t.value.raw()) {
                None | Some(0) => PropagationError::MalformedTid,
                Some(h) if h != tp.trace_id.high() => PropagationError::InconsistentTid,
                Some(_) => return None,
            };
            Some(PropagationErrorTag {
                error,
                value: Some(t.value.raw()),
            })
        });
    let (priority, dm) = dd_member::reconcile(
        tp.flags.sampled(),
        member.as_ref().and_then(|m| m.sampling_priority()),
        member.as_ref().and_then(|m| m.decision_maker()),
    );
    Candidate::Valid(
        SpanContext {
            trace_id: tp.trace_id,
            span_id: Some(tp.parent_id),
            sampling_priority: Some(priority),
            decision_maker: dm,
            origin: member.as_ref().and_then(|m| m.origin()),
            tags: member.map_or(Tags::None, Tags::DdMember),
            trace_flags: tp.flags,
            tracestate: ts,
            last_parent_id: member
                .as_ref()
                .and_then(|m| m.last_parent_id())
                .map(LastParent::Raw),
            propagation_error,
        },
        None,
    )
}

fn b3_candidate<'a>(r: Result<Option<b3::B3>, b3::B3Error>) -> Candidate<'a> {
    match r {
        Ok(None) => Candidate::Absent,
        Err(e) => Candidate::Invalid(StyleError::B3(e)),
        Ok(Some(b)) => {
            let priority = b.sampling.map(b3::SamplingState::priority);
            match b.ids {
                Some((trace_id, span_id)) => {
                    let mut ctx = SpanContext::new(trace_id, span_id);
                    ctx.sampling_priority = priority;
                    let ignored = b
                        .sampling_invalid
                        .then_some(StyleError::B3(b3::B3Error::Sampling));
                    Candidate::Valid(ctx, ignored)
                }
                None => match priority {
                    Some(p) => Candidate::DecisionOnly(p),
                    None => Candidate::Absent,
                },
            }
        }
    }
}

fn xray_candidate(v: &[u8], full: bool) -> Candidate<'_> {
    match xray::parse(v) {
        Err(e) => Candidate::Invalid(StyleError::XRay(e)),
        Ok(x) => match if full { x.trace_id_128() } else { x.trace_id() } {
            None => Candidate::Absent,
            Some(trace_id) => {
                let mut ctx = SpanContext::new(trace_id, x.parent);
                ctx.sampling_priority = x.sampling_priority();
                ctx.origin = x.origin.map(Text::plain);
                Candidate::Valid(ctx, None)
            }
        },
    }
}

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
    traceparent: [u8; traceparent::LEN],
    tracestate: [u8; tracestate::MAX_ENCODED_LEN],
    dd_member: ArrayBuf<{ dd_member::MAX_LEN }>,
    datadog: datadog::DatadogOut,
    dd_tags: [u8; dd_tags::MAX_LEN],
    b3: ArrayBuf<{ b3::SINGLE_MAX_LEN }>,
    b3multi: b3::MultiOut,
    xray: ArrayBuf<{ xray::MAX_LEN }>,
    baggage: [u8; crate::config::Limits::BAGGAGE_BYTES_MAX],
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
struct Pending<'b> {
    items: [(&'static str, &'b [u8]); 16],
    len: usize,
    /// Values an encoder produced that are not valid field values (a tracewire bug; never
    /// written).
    refused: usize,
}

impl<'b> Pending<'b> {
    fn new() -> Self {
        Pending {
            items: [("", &[]); 16],
            len: 0,
            refused: 0,
        }
    }

    /// Queues a header. Every encoder writes valid field values; this check is the last line
    /// of defence that keeps any byte outside VCHAR / SP / HTAB (and a value with white space
    /// at an edge) from ever reaching a carrier, whatever an encoder did.
    fn add(&mut self, name: &'static str, v: &'b [u8]) {
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
    fn commit<I: Inject + ?Sized>(&self, carrier: &mut I) -> Result<usize, InjectError> {
        self.commit_with(carrier, |_| {})
    }

    /// [`Pending::commit`], removing the headers of `strip` once the carrier has said it can
    /// take the new ones (so an error removes nothing either).
    fn commit_stripped<I: Inject + Remove + ?Sized>(
        &self,
        carrier: &mut I,
        strip: StripSet,
    ) -> Result<usize, InjectError> {
        self.commit_with(carrier, |c| strip.strip(c))
    }

    fn commit_with<I: Inject + ?Sized>(
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
fn encode_inject<'b>(
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
fn put_datadog<'b>(
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
fn dd_member_of<'b>(
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
fn put_tracestate<'b>(
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
fn put_b3_single<'b>(
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
fn put_b3_multi<'b>(
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
fn put_baggage<'b>(
    baggage: BaggageOut<'_>,
    config: &Config,
    bag_buf: &'b mut [u8; crate::config::Limits::BAGGAGE_BYTES_MAX],
    pending: &mut Pending<'b>,
) -> usize {
    let limits = baggage::Limits {
        max_items: config.limits.baggage_max_items,
        max_bytes: config
            .limits
            .baggage_max_bytes
            .min(crate::config::Limits::BAGGAGE_BYTES_MAX),
    };
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

/// What [`forward`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ForwardReport {
    /// Headers handed to the carrier.
    pub headers: usize,
    /// Styles whose incoming headers were valid and were rewritten for the next hop.
    pub rewritten: usize,
    /// What was left out or changed on the way, as [`inject`] reports it.
    pub inject: InjectReport,
}

/// Forward mode, for proxies: for every configured inject style whose incoming headers are
/// valid, writes that style's headers for the next hop with only the parent id replaced by
/// `span`. Each style keeps its own incoming state (trace id, sampling decision, origin,
/// `_dd.p.*` tags; `traceparent` keeps its flags; the `dd=` member keeps its `p:`, which still
/// names the last Datadog span, and the other vendors' tracestate members go on) and `baggage`
/// is re-sent.
///
/// Everything forwarded is read and validated by the same rules as [`extract`] and written by
/// the same encoders as [`inject`], with the same limits: what forward passes on is exactly what
/// extraction accepts, and no byte that arrived invalid (a CR or LF in an origin, an over-long
/// `tracestate`, a malformed `_dd.p.tid`) is written. Invalid or absent styles write nothing;
/// X-Ray is not rewritten in this mode.
///
/// All or nothing, like [`inject`]: the carrier sees no header unless all of them fit. Uses
/// about 14 KiB of stack for its buffers; [`forward_with`] takes them from the caller.
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
    let mut bufs = InjectBuffers::new();
    forward_with(&mut bufs, carrier, span, config, out)
}

/// [`forward`] with caller-provided buffers.
pub fn forward_with<C: Extract + ?Sized, I: Inject + ?Sized>(
    bufs: &mut InjectBuffers,
    carrier: &C,
    span: SpanId,
    config: &Config,
    out: &mut I,
) -> Result<ForwardReport, InjectError> {
    let (pending, mut report) = encode_forward(bufs, &Slots::collect(carrier), span, config);
    report.headers = pending.commit(out)?;
    report.inject.headers = report.headers;
    Ok(report)
}

/// Every header [`forward`] writes, encoded into `bufs` (borrowing only `bufs`).
fn encode_forward<'b>(
    bufs: &'b mut InjectBuffers,
    s: &Slots<'_>,
    span: SpanId,
    config: &Config,
) -> (Pending<'b>, ForwardReport) {
    let mut report = ForwardReport::default();
    let mut pending = Pending::new();
    let InjectBuffers {
        traceparent: tp_buf,
        tracestate: ts_buf,
        dd_member: member_buf,
        datadog: dd_buf,
        dd_tags: tags_buf,
        b3: b3_buf,
        b3multi: b3m_buf,
        xray: _,
        baggage: bag_buf,
    } = bufs;
    let styles = config.inject;
    let valid = |style| match candidate(style, s, config) {
        Candidate::Valid(c, _) if styles.contains(style) => Some(c),
        _ => None,
    };
    if let Some(c) = valid(Style::TraceContext) {
        report.rewritten = report.rewritten.saturating_add(1);
        let tp = traceparent::Traceparent {
            version: 0,
            trace_id: c.trace_id,
            parent_id: span,
            flags: c.trace_flags,
        };
        pending.add(name::TRACEPARENT, tp.encode(tp_buf));
        // The `dd=` member is written again from what extraction read of it, its `p:` kept;
        // without one, none is added. The other members go on as validated.
        let has_member = c.tracestate.as_ref().and_then(TraceState::dd).is_some();
        let parent = match c.last_parent_id {
            Some(LastParent::Raw(r)) => r,
            _ => &[],
        };
        let own = if has_member {
            dd_member_of(&c, parent, member_buf, &mut report.inject)
        } else {
            None
        };
        put_tracestate(own, c.tracestate.as_ref(), ts_buf, &mut pending);
    }
    if let Some(c) = valid(Style::Datadog) {
        report.rewritten = report.rewritten.saturating_add(1);
        put_datadog(
            &c,
            span,
            config,
            dd_buf,
            tags_buf,
            &mut pending,
            &mut report.inject,
        );
    }
    if let Some(c) = valid(Style::B3Single) {
        report.rewritten = report.rewritten.saturating_add(1);
        put_b3_single(&c, span, b3_buf, &mut pending);
    }
    if let Some(c) = valid(Style::B3Multi) {
        report.rewritten = report.rewritten.saturating_add(1);
        put_b3_multi(&c, span, b3m_buf, &mut pending);
    }
    if styles.contains(Style::Baggage) && !s.baggage.is_empty() {
        let limits = baggage::Limits {
            max_items: config.limits.baggage_max_items,
            max_bytes: config.limits.baggage_max_bytes,
        };
        if let Ok(b) = baggage::parse(s.baggage, limits) {
            report.inject.baggage_dropped =
                put_baggage(BaggageOut::Extracted(&b), config, bag_buf, &mut pending);
        }
    }
    report.inject.refused = pending.refused;
    (pending, report)
}

#[cfg(test)]
mod forward_tests {
    use super::*;
    use crate::carrier::Headers;

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
            let ex = extract(&h, &Config::new());
            let c = ex.context.unwrap();
            assert_eq!(c.trace_id.high(), 0x640c_fd8d_0000_0000, "{ts}");
            assert_eq!(c.propagation_error.map(|e| e.error), error, "{ts}");
            assert_eq!(c.propagation_error.and_then(|e| e.value), value, "{ts}");
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
        let c = extract(&h, &Config::new()).context.unwrap();
        assert_eq!(c.span_id, SpanId::new(0x00f0_67aa_0ba9_02b7));
        assert_eq!(c.last_parent_id, Some(LastParent::Raw(b"0000000000000000")));
        // Without a `p`, the Datadog parent stands in.
        let h = [h[0], h[1], h[2], ("tracestate", "dd=s:1")];
        let c = extract(&h, &Config::new()).context.unwrap();
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
        let ex = extract(&h, &Config::new());
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
}
