//! Extraction: each configured style's candidate, the merge of a later W3C context (§5.3),
//! span links (§5.4) and the extraction behaviour (§5.7).

use super::inject::BaggageOut;
use super::Slots;
use crate::carrier::Extract;
use crate::config::{Behavior, Config, Style};
use crate::context::{LastParent, SpanContext, Tags};
use crate::format::baggage::{self, Baggage, BaggageError};
use crate::format::datadog::{self, DatadogError, DatadogInput};
use crate::format::dd_member;
use crate::format::dd_tags::{self, PropagationError, Tid};
use crate::format::traceparent::{self, TraceparentError};
use crate::format::tracestate::TraceState;
use crate::format::{b3, xray, Text};
use crate::id::{SamplingPriority, SpanId, TraceFlags, TraceId};
use crate::wire::list::Fields;

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
    /// This build leaves the style's code out ([`Style::is_built`]): nothing was read.
    NotBuilt,
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
            Status::NotBuilt => f.write_str("not built in (cargo feature off; nothing read)"),
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

/// What [`Links`] stores of one link: the ids and attributes, without the tracestate (only a
/// tracecontext link has one, and there is at most one such link, so [`Links`] keeps it once).
#[derive(Clone, Copy)]
struct LinkEntry {
    /// The trace id's high and low halves: two `u64`s keep the entry 8-byte aligned (a `u128`
    /// is 16-byte aligned), 40 bytes instead of 48.
    trace_id: [u64; 2],
    span_id: Option<SpanId>,
    sampling_priority: Option<SamplingPriority>,
    style: Style,
    reason: LinkReason,
}

/// As the entry was before its trace id was split: the id as a [`TraceId`].
impl core::fmt::Debug for LinkEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [high, low] = self.trace_id;
        let mut d = f.debug_struct("LinkEntry");
        match TraceId::from_halves(high, low) {
            Some(t) => d.field("trace_id", &t),
            None => d.field("trace_id", &self.trace_id),
        };
        d.field("span_id", &self.span_id)
            .field("sampling_priority", &self.sampling_priority)
            .field("style", &self.style)
            .field("reason", &self.reason)
            .finish()
    }
}

/// Up to one link per configured context style other than the continued one.
///
/// ```
/// use tracewire::config::{Config, Style, StyleSet};
/// use tracewire::propagate::{self, LinkReason};
///
/// let h = [("b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1"), ("x-datadog-trace-id", "5")];
/// let config = Config::new().with_styles(StyleSet::from_styles(&[Style::Datadog, Style::B3Single]));
/// let mut slots = propagate::Slots::new();
/// let ex = propagate::extract(&h, &config, &mut slots);
/// let link = ex.links.iter().next().unwrap();
/// assert_eq!((link.style, link.reason), (Style::B3Single, LinkReason::TerminatedContext));
/// assert_eq!(link.flags(), Some(1));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Links<'a> {
    /// The first `len` are the links (the rest are stale, never read).
    entries: [Option<LinkEntry>; MAX_LINKS],
    /// The tracestate of the tracecontext link, if there is one.
    tracestate: Option<TraceState<'a>>,
    len: u8,
}

impl Default for Links<'_> {
    fn default() -> Self {
        Links {
            entries: [None; MAX_LINKS],
            tracestate: None,
            len: 0,
        }
    }
}

impl<'a> Links<'a> {
    fn push(&mut self, l: SpanLink<'a>) {
        if let Some(slot) = self.entries.get_mut(usize::from(self.len)) {
            *slot = Some(LinkEntry {
                trace_id: [l.trace_id.high(), l.trace_id.low()],
                span_id: l.span_id,
                sampling_priority: l.sampling_priority,
                style: l.style,
                reason: l.reason,
            });
            if l.tracestate.is_some() {
                self.tracestate = l.tracestate;
            }
            self.len = self.len.saturating_add(1);
        }
    }

    /// The links in style order.
    pub fn iter(&self) -> impl Iterator<Item = SpanLink<'a>> + '_ {
        let kept = self.entries.get(..usize::from(self.len)).unwrap_or(&[]);
        // `from_halves` gives back the id the entry was made from (never zero).
        kept.iter().flatten().filter_map(|e| {
            Some(SpanLink {
                trace_id: TraceId::from_halves(e.trace_id[0], e.trace_id[1])?,
                span_id: e.span_id,
                sampling_priority: e.sampling_priority,
                style: e.style,
                reason: e.reason,
                tracestate: if e.style == Style::TraceContext {
                    self.tracestate
                } else {
                    None
                },
            })
        })
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

/// The result of [`extract`](fn@super::extract), borrowing from the carrier.
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
    /// Nothing extracted: no context, links, baggage or report entries.
    pub const EMPTY: Extracted<'static> = Extracted::empty();

    /// [`Extracted::EMPTY`]; called at run time it builds the value in place, field by field
    /// (using the constant copies all of it).
    #[inline(always)]
    const fn empty() -> Self {
        Extracted {
            context: None,
            style: None,
            links: Links {
                entries: [None; MAX_LINKS],
                tracestate: None,
                len: 0,
            },
            baggage: None,
            decision_only: None,
            report: Report {
                entries: [(Style::None, Status::Skipped); 6],
                len: 0,
                baggage: None,
            },
        }
    }

    /// The incoming baggage, to re-send with [`inject`](fn@super::inject) (`BaggageOut::None` when none arrived).
    ///
    /// ```
    /// use tracewire::config::Config;
    /// use tracewire::propagate;
    ///
    /// let h = [("baggage", "user.id=amy")];
    /// let mut slots = propagate::Slots::new();
    /// let ex = propagate::extract(&h, &Config::new(), &mut slots);
    /// assert!(matches!(ex.baggage_out(), propagate::BaggageOut::Extracted(b) if b.len() == 1));
    /// ```
    pub fn baggage_out(&self) -> BaggageOut<'_> {
        self.baggage
            .as_ref()
            .map_or(BaggageOut::None, BaggageOut::Extracted)
    }
}

/// What a style found, its context (if any) written where the caller asked
/// ([`candidate_into`]): the context is built in place, not returned and copied.
pub(super) enum Found {
    Absent,
    /// The style is not built in ([`Style::is_built`]).
    NotBuilt,
    /// A context was written, and this of its headers was ignored.
    Valid(Option<StyleError>),
    DecisionOnly(SamplingPriority),
    Invalid(StyleError),
}

/// Extracts the incoming trace context from `carrier` under `config`.
///
/// `slots` is where the one pass over the carrier keeps what it found: the raw value of every
/// header a style reads, and every field line of the list headers (`tracestate`,
/// `x-datadog-tags`, `baggage`, which may arrive on several lines). The result points into it
/// instead of holding those lines itself, so it borrows `slots` as it borrows the carrier, and
/// stays small (a context is 128 bytes). [`Slots::new`] is `const` and cheap; a request handler
/// declares one beside its result.
///
/// The result is returned by value: the compiler builds it in a slot of its own and copies it
/// into the caller's variable. On a small stack, [`extract_into`] a result the caller keeps
/// (and [`SpanContext::make_child`] its context in place) instead.
///
/// ```
/// use tracewire::config::{Config, Style};
/// use tracewire::propagate::{self, Slots, Status};
///
/// let h = [
///     ("x-datadog-trace-id", "1234"),
///     ("x-datadog-parent-id", "5678"),
///     ("traceparent", "00-00000000000000000000000000000099-00f067aa0ba902b7-01"),
/// ];
/// let mut slots = Slots::new();
/// let ex = propagate::extract(&h, &Config::new(), &mut slots);
/// // The first valid style (Datadog) is continued; the traceparent of another trace is a link.
/// assert_eq!(ex.context.unwrap().trace_id.get(), 1234);
/// assert_eq!(ex.style, Some(Style::Datadog));
/// assert_eq!(ex.links.len(), 1);
/// assert_eq!(ex.report.status(Style::TraceContext), Some(Status::Valid));
/// ```
#[inline(always)]
pub fn extract<'a: 's, 's, C: Extract + ?Sized>(
    carrier: &'a C,
    config: &Config,
    slots: &'s mut Slots<'a>,
) -> Extracted<'s> {
    // A thin wrapper over `extract_into` (see above for what returning by value costs).
    let mut out = Extracted::empty();
    extract_into(carrier, config, slots, &mut out);
    out
}

/// [`extract`](fn@super::extract) into `out`, which is overwritten: nothing of an earlier
/// extraction into the same `out` remains. `slots` is overwritten too (see [`extract`] for what
/// it holds): one `Slots` serves one extraction after another, each result borrowing it until
/// the next (the carriers must outlive the `Slots`).
///
/// ```
/// use tracewire::config::{Config, Style, StyleSet};
/// use tracewire::propagate::{self, Slots, Status};
///
/// let config = Config::new().with_styles(StyleSet::from_styles(&[Style::Datadog, Style::B3Single]));
/// let first = [("x-datadog-trace-id", "5"), ("x-datadog-parent-id", "6"),
///              ("b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1"), ("baggage", "k=v")];
/// let (mut one, mut two) = (Slots::new(), Slots::new());
/// let mut out = propagate::extract(&first, &config, &mut one);
/// assert!(out.context.is_some() && out.links.len() == 1 && out.report.entries().len() == 2);
///
/// let second = [("b3", "0")];
/// propagate::extract_into(&second, &config, &mut two, &mut out);
/// assert!(out.context.is_none() && out.style.is_none() && out.baggage.is_none());
/// assert_eq!(out.links.iter().count(), 0);
/// assert_eq!(out.report.status(Style::Datadog), Some(Status::Absent));
/// assert_eq!(out.report.status(Style::B3Single), Some(Status::DecisionOnly));
/// assert_eq!(out.report.entries().len(), 2);
/// ```
pub fn extract_into<'a: 's, 's, C: Extract + ?Sized>(
    carrier: &'a C,
    config: &Config,
    slots: &'s mut Slots<'a>,
    out: &mut Extracted<'s>,
) {
    slots.clear();
    carrier.for_each_header(|n, v| slots.offer(n, v));
    fill(slots, config, out);
}

/// [`extract`](fn@super::extract) from slots already collected (for carriers that look names up directly).
///
/// ```
/// use tracewire::config::Config;
/// use tracewire::propagate::{self, Slots};
///
/// // A carrier with its own name lookup offers only the headers tracewire reads.
/// let mut slots = Slots::new();
/// slots.offer(b"x-datadog-trace-id", b"7");
/// slots.offer(b"x-datadog-parent-id", b"8");
/// let ex = propagate::extract_slots(&slots, &Config::new());
/// assert_eq!(ex.context.unwrap().span_id.map(|s| s.get()), Some(8));
/// ```
#[inline]
pub fn extract_slots<'a>(slots: &'a Slots<'a>, config: &Config) -> Extracted<'a> {
    let mut out = Extracted::empty();
    fill(slots, config, &mut out);
    out
}

fn fill<'a>(slots: &'a Slots<'a>, config: &Config, out: &mut Extracted<'a>) {
    // Field by field: only the discriminants and counters are stored (`*out = EMPTY` copies
    // the whole constant).
    out.context = None;
    out.style = None;
    out.links.len = 0;
    out.links.tracestate = None;
    out.baggage = None;
    out.decision_only = None;
    out.report.len = 0;
    out.report.baggage = None;
    if config.behavior == Behavior::Ignore {
        return;
    }

    // The primary context is kept where it is returned (`out.context`, `out.style`), so it is
    // not copied again at the end.
    // A later tracecontext context of the same trace is merged once every style has been read
    // (its `_dd.parent_id` fallback needs the Datadog parent, whatever the style order); of it,
    // only what the merge reads is kept.
    let mut merge = Merge {
        w3c_same_trace: None,
        datadog_parent: None,
    };
    for &style in config.extract.as_slice() {
        if style == Style::Baggage {
            continue;
        }
        if config.extract_first && out.context.is_some() {
            out.report.push(style, Status::Skipped);
            continue;
        }
        // The first context is written where it is returned; a later style is read in a frame
        // of its own (`later_style`, which holds the slot for its context), so the usual
        // extraction, where one style finds a context, never pushes that slot.
        let status = if out.context.is_some() {
            if style == Style::TraceContext {
                later_tracecontext(slots, out, &mut merge)
            } else {
                later_style(style, slots, config, out, &mut merge)
            }
        } else {
            match candidate_into(style, slots, config, &mut out.context) {
                Found::Absent => Status::Absent,
                Found::NotBuilt => Status::NotBuilt,
                Found::Invalid(e) => Status::Invalid(e),
                Found::DecisionOnly(p) => {
                    out.decision_only.get_or_insert(p);
                    Status::DecisionOnly
                }
                Found::Valid(ignored) => {
                    if let (Some(ctx), Style::Datadog) = (&out.context, style) {
                        merge.datadog_parent = Some((ctx.trace_id, ctx.span_id));
                    }
                    out.style = Some(style);
                    ignored.map_or(Status::Valid, Status::ValidIgnoring)
                }
            }
        };
        out.report.push(style, status);
    }

    if out.context.is_some() {
        if merge.w3c_same_trace.is_some() || config.behavior == Behavior::Restart {
            settle(slots, config, out, &merge);
        } else {
            out.decision_only = None;
        }
    }

    if config.extract.contains(Style::Baggage) && !slots.baggage.is_empty() {
        attach_baggage(slots, config, out);
    }
}

/// Once every style has been read and one gave a context, when there is a W3C merge to do or
/// the behaviour is `restart`: the merge, and the link that replaces the context. Out of line,
/// so the tracestate and link it builds are not in the frame under which every style is read.
#[inline(never)]
fn settle<'a>(slots: &'a Slots<'a>, config: &Config, out: &mut Extracted<'a>, merge: &Merge<'a>) {
    if let (Some(ctx), Some(pstyle)) = (out.context.as_mut(), out.style) {
        if let Some(w3c) = &merge.w3c_same_trace {
            merge_w3c(ctx, w3c, received_tracestate(slots), merge.datadog_parent);
        }
        out.decision_only = None;
        if config.behavior == Behavior::Restart {
            let link = SpanLink::new(ctx, pstyle, LinkReason::PropagationBehaviorExtract);
            out.context = None;
            out.links.len = 0;
            out.links.tracestate = None;
            out.links.push(link);
        }
    }
}

/// Reads the received baggage into `out`. Out of line: the parse result's slot is in its frame,
/// which extraction without baggage never pushes.
#[inline(never)]
fn attach_baggage<'a>(slots: &'a Slots<'a>, config: &Config, out: &mut Extracted<'a>) {
    match baggage::parse(&slots.baggage, super::baggage_limits(config)) {
        Ok(b) => {
            out.baggage = Some(b);
            out.report.baggage = Some(Ok(()));
        }
        Err(e) => out.report.baggage = Some(Err(e)),
    }
}

/// The tracestate a tracecontext context carries: the received lines, when any arrived.
#[inline(always)]
fn received_tracestate<'a>(s: &'a Slots<'a>) -> Option<TraceState<'a>> {
    if s.tracestate.is_empty() {
        None
    } else {
        Some(TraceState::new(&s.tracestate))
    }
}

/// What extraction keeps of the styles read after the first valid context, for the merge.
struct Merge<'a> {
    /// A later tracecontext context of the same trace (merged once every style has been read:
    /// its `_dd.parent_id` fallback needs the Datadog parent, whatever the style order).
    w3c_same_trace: Option<W3cMerge<'a>>,
    /// The Datadog context's trace and parent, when the Datadog style found one.
    datadog_parent: Option<(TraceId, Option<SpanId>)>,
}

/// A style read after the first valid context: its context, if any, becomes the W3C merge
/// source (same trace) or a span link (another trace). Out of line, with the slot for that
/// context in its own frame.
#[inline(never)]
fn later_style<'a>(
    style: Style,
    slots: &'a Slots<'a>,
    config: &Config,
    out: &mut Extracted<'a>,
    merge: &mut Merge<'a>,
) -> Status {
    let mut later = None;
    match candidate_into(style, slots, config, &mut later) {
        Found::Absent => Status::Absent,
        Found::NotBuilt => Status::NotBuilt,
        Found::Invalid(e) => Status::Invalid(e),
        Found::DecisionOnly(p) => {
            out.decision_only.get_or_insert(p);
            Status::DecisionOnly
        }
        Found::Valid(ignored) => {
            if let (Some(ctx), Some(p)) = (&later, &out.context) {
                if style == Style::Datadog {
                    merge.datadog_parent = Some((ctx.trace_id, ctx.span_id));
                }
                if p.trace_id == ctx.trace_id {
                    if style == Style::TraceContext {
                        merge.w3c_same_trace = Some(W3cMerge {
                            span_id: ctx.span_id,
                            last_parent_id: ParentSource::Known(ctx.last_parent_id),
                        });
                    }
                } else if ctx.span_id.is_some() {
                    out.links
                        .push(SpanLink::new(ctx, style, LinkReason::TerminatedContext));
                }
            }
            ignored.map_or(Status::Valid, Status::ValidIgnoring)
        }
    }
}

/// §5.3: a later tracecontext context of the same trace.
/// What the merge of a same-trace tracecontext context reads of it (§5.3).
/// (Its tracestate is the received one, [`received_tracestate`], read again from the slots.)
struct W3cMerge<'a> {
    span_id: Option<SpanId>,
    last_parent_id: ParentSource<'a>,
}

/// Where the merge finds the W3C context's last Datadog parent (`p:` of the `dd=` member).
enum ParentSource<'a> {
    /// Read already (a context built by [`candidate_into`]).
    Known(Option<LastParent<'a>>),
    /// In the received tracestate, read only when the merge needs it.
    ReceivedDdMember,
}

fn merge_w3c<'a>(
    ctx: &mut SpanContext<'a>,
    w3c: &W3cMerge<'a>,
    tracestate: Option<TraceState<'a>>,
    datadog: Option<(TraceId, Option<SpanId>)>,
) {
    ctx.tracestate = tracestate;
    if w3c.span_id == ctx.span_id {
        return;
    }
    let received = match w3c.last_parent_id {
        ParentSource::Known(p) => p,
        ParentSource::ReceivedDdMember => ctx
            .tracestate
            .as_ref()
            .and_then(TraceState::dd)
            .and_then(dd_member::last_parent_id)
            .map(LastParent::Raw),
    };
    // `p:0000000000000000` is kept verbatim like any other `p` value (§12 #45).
    ctx.last_parent_id = match received {
        Some(p) => Some(p),
        None => datadog
            .filter(|(t, _)| *t == ctx.trace_id)
            .and_then(|(_, parent)| parent)
            .map(LastParent::Id),
    };
    ctx.span_id = w3c.span_id;
}

/// True when `s` holds none of the headers whose absence makes `style` find nothing: what
/// [`candidate_into`] answers then is `Found::Absent`, decided before anything else (so the
/// common case of a style whose headers did not arrive costs a load and a compare).
#[inline(always)]
fn certainly_absent(style: Style, s: &Slots<'_>) -> bool {
    match style {
        Style::Datadog => s.dd_trace_id.is_none(),
        Style::TraceContext => s.traceparent.is_none(),
        Style::B3Single => s.b3.is_none(),
        // The sampling headers alone are a decision (or an error), not an absence.
        Style::B3Multi => s.b3_trace_id.is_none() && s.b3_sampled.is_none() && s.b3_flags.is_none(),
        Style::XRay => s.xray.is_none(),
        Style::Baggage | Style::None => true,
    }
}

/// The context `style` finds in `s`, if it finds a valid one.
pub(super) fn valid_context<'a>(
    style: Style,
    s: &'a Slots<'a>,
    config: &Config,
) -> Option<SpanContext<'a>> {
    let mut ctx = None;
    match candidate_into(style, s, config, &mut ctx) {
        Found::Valid(_) => ctx,
        _ => None,
    }
}

/// What `style` finds in `s`, its context (if any) written into `dst` (left as it was unless
/// the style found one).
fn candidate_into<'a>(
    style: Style,
    s: &'a Slots<'a>,
    config: &Config,
    dst: &mut Option<SpanContext<'a>>,
) -> Found {
    // Constant `true` in a build with every style: no instruction then.
    if !style.is_built() {
        return Found::NotBuilt;
    }
    if certainly_absent(style, s) {
        return Found::Absent;
    }
    // One reader per style, each out of line: a style's frame holds only what its own reader
    // needs, and only the styles whose headers arrived push one.
    match style {
        Style::Datadog => datadog_candidate(s, config, dst),
        Style::TraceContext => w3c_candidate(s, dst),
        // The guards are constants: a build without the feature has no call to the reader, so
        // neither it nor the format's parser is linked.
        Style::B3Single if cfg!(feature = "b3") => b3_single_candidate(s, dst),
        Style::B3Multi if cfg!(feature = "b3") => b3_multi_candidate(s, dst),
        Style::XRay if cfg!(feature = "xray") => match s.xray {
            None => Found::Absent,
            Some(v) => xray_candidate(v, config.xray_128bit_roots, dst),
        },
        Style::B3Single | Style::B3Multi | Style::XRay => Found::NotBuilt,
        Style::Baggage | Style::None => Found::Absent,
    }
}

#[inline(never)]
fn b3_single_candidate<'a>(s: &'a Slots<'a>, dst: &mut Option<SpanContext<'a>>) -> Found {
    match s.b3 {
        None => Found::Absent,
        Some(v) => b3_candidate(b3::parse_single(v).map(Some), dst),
    }
}

#[inline(never)]
fn b3_multi_candidate<'a>(s: &'a Slots<'a>, dst: &mut Option<SpanContext<'a>>) -> Found {
    b3_candidate(
        b3::parse_multi(&b3::B3MultiInput {
            trace_id: s.b3_trace_id,
            span_id: s.b3_span_id,
            sampled: s.b3_sampled,
            flags: s.b3_flags,
            parent_span_id: None,
        }),
        dst,
    )
}

#[inline(never)]
fn datadog_candidate<'a>(
    s: &'a Slots<'a>,
    config: &Config,
    dst: &mut Option<SpanContext<'a>>,
) -> Found {
    let input = DatadogInput {
        trace_id: s.dd_trace_id,
        parent_id: s.dd_parent_id,
        sampling_priority: s.dd_sampling_priority,
        origin: s.dd_origin,
    };
    let dd = match datadog::parse(&input) {
        Ok(None) => return Found::Absent,
        Ok(Some(dd)) => dd,
        Err(e) => return Found::Invalid(StyleError::Datadog(e)),
    };
    // A 64-bit trace id first; `x-datadog-tags` may add the high half. The context is built
    // where it is kept and the tags read into it, so no copy of it is held in this frame.
    let Some(trace_id) = TraceId::from_halves(0, dd.trace_id_low.get()) else {
        return Found::Absent;
    };
    let ignored = dd
        .priority_invalid
        .then_some(StyleError::Datadog(DatadogError::SamplingPriority));
    let c = dst.insert(SpanContext::new(trace_id, dd.parent_id));
    c.sampling_priority = dd.sampling_priority;
    c.origin = dd.origin.map(Text::plain);
    c.trace_flags = TraceFlags(u8::from(dd.sampling_priority.is_some_and(|p| p.is_keep())));
    if !s.dd_tags.is_empty() {
        datadog_tags_into(&s.dd_tags, config, c);
    }
    Found::Valid(ignored)
}

/// Reads `x-datadog-tags` into `c`, a Datadog context with a 64-bit trace id: the high half
/// (`_dd.p.tid`), the decision maker, the tags, and the propagation error when part of them is
/// rejected. In a frame of its own, pushed only when the header arrived.
#[inline(never)]
fn datadog_tags_into<'a>(tags: &'a Fields<'a>, config: &Config, c: &mut SpanContext<'a>) {
    match dd_tags::parse(tags, config.x_datadog_tags_max_len()) {
        Ok(t) => {
            match t.tid() {
                Tid::Absent => {}
                Tid::Valid(high) => {
                    if let Some(id) = TraceId::from_halves(high, c.trace_id.low()) {
                        c.trace_id = id;
                    }
                }
                // The raw value stays in the tags (`propagation_error_tag` gives it).
                Tid::Malformed(_) => c.propagation_error = Some(PropagationError::MalformedTid),
            }
            match t.dm() {
                None => {}
                Some(Ok(dm)) => c.decision_maker = Some(dm),
                Some(Err(())) => {
                    c.propagation_error
                        .get_or_insert(PropagationError::DecodingError);
                }
            }
            c.tags = Tags::Header(t);
        }
        Err(e) => c.propagation_error = Some(e.into()),
    }
}

#[inline(never)]
fn w3c_candidate<'a>(s: &'a Slots<'a>, dst: &mut Option<SpanContext<'a>>) -> Found {
    let tp = match w3c_traceparent(s) {
        Ok(tp) => tp,
        Err(found) => return found,
    };
    // Everything from here on is infallible: the context is written in place first, and its
    // tracestate read where it lies (the lines stay in the slots).
    let ctx = dst.insert(SpanContext::new(tp.trace_id, Some(tp.parent_id)));
    ctx.trace_flags = tp.flags;
    ctx.tracestate = received_tracestate(s);
    let member = ctx
        .tracestate
        .as_ref()
        .and_then(|t| t.dd())
        .map(dd_member::parse);
    // `t.tid` is redundant with the traceparent, which always wins; a malformed one is reported
    // as dd-trace-cpp and -java do (`malformed_tid <value>`), and one that names another high
    // half as `inconsistent_tid <value>` (§12 #49).
    // (The value stays in the member's tags: `propagation_error_tag` gives it.)
    ctx.propagation_error = member.as_ref().and_then(|m| m.tid()).and_then(|tid| {
        match crate::wire::hex::decode_u64(tid) {
            None | Some(0) => Some(PropagationError::MalformedTid),
            Some(h) if h != tp.trace_id.high() => Some(PropagationError::InconsistentTid),
            Some(_) => None,
        }
    });
    let (priority, dm) = dd_member::reconcile(
        tp.flags.sampled(),
        member.as_ref().and_then(|m| m.sampling_priority()),
        member.as_ref().and_then(|m| m.decision_maker()),
    );
    ctx.sampling_priority = Some(priority);
    ctx.decision_maker = dm;
    ctx.origin = member.as_ref().and_then(|m| m.origin());
    ctx.last_parent_id = member
        .as_ref()
        .and_then(|m| m.last_parent_id())
        .map(LastParent::Raw);
    ctx.tags = member.map_or(Tags::None, |m| Tags::DdMember(m.member_tags()));
    Found::Valid(None)
}

/// The traceparent the tracecontext style reads, or what it answers when there is none
/// (`Absent`) or it is rejected (`Invalid`).
#[inline(always)]
fn w3c_traceparent(s: &Slots<'_>) -> Result<traceparent::Traceparent, Found> {
    let Some(v) = s.traceparent else {
        return Err(Found::Absent);
    };
    // Two values folded into one line by a proxy are two `traceparent`s, as much as two lines.
    let head = v.get(..traceparent::MAX_INPUT_LEN).unwrap_or(v);
    if s.traceparent_count > 1 || crate::wire::class::find(head, b',').is_some() {
        return Err(Found::Invalid(StyleError::DuplicateTraceparent));
    }
    traceparent::parse(v).map_err(|e| Found::Invalid(StyleError::Traceparent(e)))
}

/// The tracecontext style read after the first valid context (§5.3): what the merge (same
/// trace) or the span link (another trace) takes of it, read without building a context
/// (what [`w3c_candidate`] would build, `later_style` would hold in a 128-byte slot): the
/// traceparent, and for a link the `dd=` member's sampling decision (the merge reads the
/// member's `p:` itself, and only when the W3C parent differs from the first context's). Datadog's tracers list tracecontext after datadog by default, so this is the usual
/// later style.
#[inline(never)]
fn later_tracecontext<'a>(
    s: &'a Slots<'a>,
    out: &mut Extracted<'a>,
    merge: &mut Merge<'a>,
) -> Status {
    let tp = match w3c_traceparent(s) {
        Ok(tp) => tp,
        Err(Found::Invalid(e)) => return Status::Invalid(e),
        Err(_) => return Status::Absent,
    };
    let Some(first) = &out.context else {
        return Status::Valid;
    };
    if first.trace_id == tp.trace_id {
        // Its `p:` is read only if the merge needs it: when the W3C parent differs from the
        // first context's (the usual request carries one parent in every style).
        merge.w3c_same_trace = Some(W3cMerge {
            span_id: Some(tp.parent_id),
            last_parent_id: ParentSource::ReceivedDdMember,
        });
    } else {
        let tracestate = received_tracestate(s);
        let member = tracestate
            .as_ref()
            .and_then(TraceState::dd)
            .map(dd_member::parse);
        // The decision `w3c_candidate` gives the context: the flags reconciled with `s:`.
        let (priority, _) = dd_member::reconcile(
            tp.flags.sampled(),
            member.as_ref().and_then(|m| m.sampling_priority()),
            member.as_ref().and_then(|m| m.decision_maker()),
        );
        out.links.push(SpanLink {
            trace_id: tp.trace_id,
            span_id: Some(tp.parent_id),
            sampling_priority: Some(priority),
            style: Style::TraceContext,
            reason: LinkReason::TerminatedContext,
            tracestate,
        });
    }
    Status::Valid
}

fn b3_candidate<'a>(
    r: Result<Option<b3::B3>, b3::B3Error>,
    dst: &mut Option<SpanContext<'a>>,
) -> Found {
    match r {
        Ok(None) => Found::Absent,
        Err(e) => Found::Invalid(StyleError::B3(e)),
        Ok(Some(b)) => {
            let priority = b.sampling.map(b3::SamplingState::priority);
            match b.ids {
                Some((trace_id, span_id)) => {
                    let mut ctx = SpanContext::new(trace_id, span_id);
                    ctx.sampling_priority = priority;
                    let ignored = b
                        .sampling_invalid
                        .then_some(StyleError::B3(b3::B3Error::Sampling));
                    *dst = Some(ctx);
                    Found::Valid(ignored)
                }
                None => match priority {
                    Some(p) => Found::DecisionOnly(p),
                    None => Found::Absent,
                },
            }
        }
    }
}

#[inline(never)]
fn xray_candidate<'a>(v: &'a [u8], full: bool, dst: &mut Option<SpanContext<'a>>) -> Found {
    match xray::parse(v) {
        Err(e) => Found::Invalid(StyleError::XRay(e)),
        Ok(x) => match if full { x.trace_id_128() } else { x.trace_id() } {
            None => Found::Absent,
            Some(trace_id) => {
                let mut ctx = SpanContext::new(trace_id, x.parent);
                ctx.sampling_priority = x.sampling_priority();
                ctx.origin = x.origin.map(Text::plain);
                *dst = Some(ctx);
                Found::Valid(None)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One `Slots` serves one extraction after another: nothing of the first request's headers
    /// (its list lines and its single values) reaches the second's result.
    #[test]
    fn slots_serve_one_extraction_after_another() {
        let first = [
            ("x-datadog-trace-id", "5"),
            ("x-datadog-parent-id", "6"),
            ("x-datadog-tags", "_dd.p.usr=x,_dd.p.tid=640cfd8d00000000"),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("tracestate", "dd=s:1,rojo=1"),
            ("baggage", "k=v"),
        ];
        let second = [(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )];
        let config = Config::new();
        let mut slots = Slots::new();
        {
            let ex = extract(&first, &config, &mut slots);
            let c = ex.context.unwrap();
            assert!(c.tags.get(b"usr").is_some() && ex.baggage.is_some());
            assert_eq!(ex.links.len(), 1, "the traceparent of another trace");
        }
        let ex = extract(&second, &config, &mut slots);
        let c = ex.context.unwrap();
        assert_eq!(ex.style, Some(Style::TraceContext));
        assert!(c.tracestate.is_none() && c.tags.get(b"usr").is_none());
        assert!(ex.baggage.is_none() && ex.links.is_empty());
        assert_eq!(ex.report.status(Style::Datadog), Some(Status::Absent));
    }

    /// Every combination of a few values for each header a style reads: whenever
    /// `certainly_absent` says so, the full reader finds nothing either.
    // Names the B3 or X-Ray styles: needs the features that build them.
    #[cfg(all(feature = "b3", feature = "xray"))]
    #[test]
    fn absent_styles_agree_with_the_readers() {
        const VALUES: [Option<&[u8]>; 5] = [
            None,
            Some(b""),
            Some(b"1"),
            Some(b"x"),
            Some(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ];
        let config = Config::new();
        let mut checked = 0;
        let mut absent = 0;
        for i in 0..VALUES.len().pow(6) {
            let mut k = i;
            let mut next = || {
                let v = VALUES[k % VALUES.len()];
                k /= VALUES.len();
                v
            };
            let mut s = Slots::default();
            let (a, b, c, d, e, f) = (next(), next(), next(), next(), next(), next());
            // Each style's headers in turn take the six values; the others get them too.
            s.dd_trace_id = a;
            s.dd_parent_id = b;
            s.dd_sampling_priority = c;
            s.dd_origin = d;
            s.traceparent = e;
            s.traceparent_count = u16::from(e.is_some());
            s.b3 = f;
            s.b3_trace_id = a;
            s.b3_span_id = b;
            s.b3_sampled = c;
            s.b3_flags = d;
            s.xray = e;
            for style in Style::ALL {
                checked += 1;
                if certainly_absent(style, &s) {
                    absent += 1;
                    let mut dst = None;
                    let found = candidate_into(style, &s, &config, &mut dst);
                    assert!(
                        matches!(found, Found::Absent) && dst.is_none(),
                        "{style:?} on {s:?}"
                    );
                }
            }
        }
        assert!(absent > 0 && absent < checked);
    }

    /// The B3 and X-Ray styles follow the build: with their features on (the default) they are
    /// read and written; with a feature off, extraction reports the style as
    /// [`Status::NotBuilt`] and finds nothing, and injection and forward mode write none of its
    /// headers (forward mode never rewrites X-Ray). `.ci/test` runs this module's tests both ways.
    #[test]
    fn b3_and_xray_follow_the_build() {
        use crate::carrier::Headers;
        use crate::config::StyleSet;
        use crate::propagate::{forward, inject, BaggageOut};
        use crate::SpanId;
        let h = [
            ("b3", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"),
            ("x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("x-b3-spanid", "00f067aa0ba902b7"),
            ("x-b3-sampled", "1"),
            (
                "x-amzn-trace-id",
                "Root=1-00000000-00000000c5b4a3f2e1d0c9b8;Parent=00f067aa0ba902b7;Sampled=1",
            ),
        ];
        let cases = [
            (Style::B3Single, &["b3"][..]),
            (
                Style::B3Multi,
                &["x-b3-traceid", "x-b3-spanid", "x-b3-sampled"][..],
            ),
            (Style::XRay, &["x-amzn-trace-id"][..]),
        ];
        for (style, names) in cases {
            let config = Config::new().with_styles(StyleSet::from_styles(&[style]));
            let mut slots = crate::propagate::Slots::new();
            let ex = extract(&h, &config, &mut slots);
            let mut out = Headers::<16, 1024>::new();
            let ctx = ex.context.map(|c| c.child(SpanId::MIN));
            inject(ctx.as_ref(), BaggageOut::None, &config, &mut out).unwrap();
            let mut fwd = Headers::<16, 1024>::new();
            forward(&h, SpanId::MIN, &config, &mut fwd).unwrap();
            if style.is_built() {
                assert_eq!(ex.report.status(style), Some(Status::Valid), "{style:?}");
                assert!(ex.context.is_some(), "{style:?}");
                for n in names {
                    assert!(out.get(n).is_some(), "{style:?} injects {n}");
                    // Forward mode rewrites the B3 headers; X-Ray it leaves to the carrier.
                    let forwarded = style != Style::XRay;
                    assert_eq!(fwd.get(n).is_some(), forwarded, "{style:?} forwards {n}");
                }
            } else {
                assert_eq!(ex.report.status(style), Some(Status::NotBuilt), "{style:?}");
                assert!(
                    ex.context.is_none() && ex.decision_only.is_none(),
                    "{style:?}"
                );
                assert_eq!(out.iter().count(), 0, "{style:?} injects nothing");
                assert_eq!(fwd.iter().count(), 0, "{style:?} forwards nothing");
            }
        }
    }
}
