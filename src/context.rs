//! [`SpanContext`]: the format-neutral trace context, borrowed from the carrier it came from.
//!
//! Every extracted style becomes one of these; injection encodes one into every configured
//! style. Nothing in it is copied from the input except fixed-size numbers: origin, tags,
//! tracestate and `_dd.parent_id` are views into the request's header bytes (or into strings the
//! caller owns, for a context built locally).

use crate::format::dd_member::MemberTags;
use crate::format::dd_tags::{DdTags, PropagationError};
use crate::format::tracestate::TraceState;
use crate::format::{Tag, Text, DD_P_PREFIX};
use crate::id::{DecisionMaker, SamplingPriority, SpanId, TraceFlags, TraceId};

/// Where a context's propagated tags (`_dd.p.*` other than `tid` and `dm`, which are held as
/// the trace id's high half and [`SpanContext::decision_maker`]) come from.
#[derive(Clone, Copy, Debug, Default)]
pub enum Tags<'a> {
    /// No tags.
    #[default]
    None,
    /// A validated `x-datadog-tags` header.
    Header(DdTags<'a>),
    /// The `t.*` entries of a `dd=` tracestate member.
    DdMember(MemberTags<'a>),
    /// Local tags given by the caller as full keys (`_dd.p.usr.id`, ...); keys without the
    /// `_dd.p.` prefix are not propagated.
    Pairs(&'a [(&'a str, &'a str)]),
}

impl<'a> Tags<'a> {
    /// The propagated tags in order, without `tid` and `dm`.
    pub fn iter(&self) -> impl Iterator<Item = Tag<'a>> + 'a {
        // Headers and members record whether they hold anything besides `tid` and `dm`, so
        // the usual case (nothing else) costs no scan. One variant per source (not a chain of
        // all three), so the iterator is as small as its largest source and cheap to move.
        let pairs = |p: &'a [(&'a str, &'a str)]| {
            p.iter().filter_map(|(k, v)| {
                k.as_bytes()
                    .strip_prefix(DD_P_PREFIX)
                    .filter(|k| !k.is_empty())
                    .map(|key| Tag {
                        key,
                        value: Text::plain(v.as_bytes()),
                    })
            })
        };
        let source = match *self {
            Tags::Header(t) if t.has_other_tags() => OneOf::A(t.iter()),
            Tags::DdMember(m) if m.has_other_tags() => OneOf::B(m.tags()),
            Tags::Pairs(p) => OneOf::C(pairs(p)),
            Tags::None | Tags::Header(_) | Tags::DdMember(_) => OneOf::Empty,
        };
        source.filter(|t| t.key != b"tid" && t.key != b"dm")
    }

    /// True when [`Tags::iter`] yields nothing for certain: no tags, or a header or `dd=`
    /// member that holds no tag besides `tid` and `dm`, or no pairs (pairs are not scanned: a
    /// list of pairs none of which is propagated is not known to be empty).
    pub(crate) fn known_empty(&self) -> bool {
        match self {
            Tags::None => true,
            Tags::Header(t) => !t.has_other_tags(),
            Tags::DdMember(m) => !m.has_other_tags(),
            Tags::Pairs(p) => p.is_empty(),
        }
    }

    /// The value of `_dd.p.<key>`.
    pub fn get(&self, key: &[u8]) -> Option<Text<'a>> {
        self.iter().find(|t| t.key == key).map(|t| t.value)
    }

    /// The raw `tid` value of a header or `dd=` member, valid or not: the value of a
    /// `malformed_tid` or `inconsistent_tid` propagation error (local pairs have none).
    pub fn tid_raw(&self) -> Option<&'a [u8]> {
        match self {
            Tags::Header(t) => t.tid_raw(),
            Tags::DdMember(m) => m.tid(),
            Tags::None | Tags::Pairs(_) => None,
        }
    }
}

/// The `_dd.propagation_error` a context carries, if any (docs/BEHAVIOUR.md §1.6), with its
/// value: what [`SpanContext::propagation_error_tag`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropagationErrorTag<'a> {
    /// The error.
    pub error: PropagationError,
    /// For `malformed_tid`: the rejected value (borrowed from the request).
    pub value: Option<&'a [u8]>,
}

/// One of three iterators over the same item (or none): what [`Tags::iter`] walks.
enum OneOf<A, B, C> {
    Empty,
    A(A),
    B(B),
    C(C),
}

impl<T, A, B, C> Iterator for OneOf<A, B, C>
where
    A: Iterator<Item = T>,
    B: Iterator<Item = T>,
    C: Iterator<Item = T>,
{
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self {
            OneOf::Empty => None,
            OneOf::A(a) => a.next(),
            OneOf::B(b) => b.next(),
            OneOf::C(c) => c.next(),
        }
    }
}

/// The value of `_dd.parent_id` (docs/BEHAVIOUR.md §3.4, §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastParent<'a> {
    /// The `p:` value of the `dd=` member, verbatim (it is not validated, §3.4).
    Raw(&'a [u8]),
    /// A span id (the Datadog header's parent when the W3C parent overrode it), written as 16
    /// lowercase hex digits.
    Id(SpanId),
}

impl LastParent<'_> {
    /// Writes the tag value: the raw bytes, or 16 lowercase hex digits.
    pub fn write(&self, w: &mut crate::wire::buf::Writer<'_>) -> Result<(), crate::BufferTooSmall> {
        match self {
            LastParent::Raw(r) => w.push(r),
            LastParent::Id(id) => w.push(&id.to_hex()),
        }
    }
}

/// A trace context.
#[derive(Clone, Copy, Debug)]
pub struct SpanContext<'a> {
    /// The 128-bit trace id (64-bit ids have a zero high half).
    pub trace_id: TraceId,
    /// The span id: for an extracted context the remote parent (`None` when the upstream sent a
    /// trace id without a parent, as Synthetics does); for injection the local span.
    pub span_id: Option<SpanId>,
    /// The sampling decision, if one was made.
    pub sampling_priority: Option<SamplingPriority>,
    /// The decision maker (`_dd.p.dm`).
    pub decision_maker: Option<DecisionMaker>,
    /// `_dd.origin`.
    pub origin: Option<Text<'a>>,
    /// Propagated `_dd.p.*` tags.
    pub tags: Tags<'a>,
    /// W3C trace flags as received (bit 0 mirrors the sampling decision on output).
    pub trace_flags: TraceFlags,
    /// The incoming tracestate, whose other vendors' members are re-sent.
    pub tracestate: Option<TraceState<'a>>,
    /// `_dd.parent_id`: the last Datadog parent seen by the W3C path (`p:` of the `dd=` member,
    /// or the Datadog header's parent when W3C overrode it).
    pub last_parent_id: Option<LastParent<'a>>,
    /// `_dd.propagation_error`, when extraction rejected part of the Datadog state. The
    /// rejected `tid` of `malformed_tid` and `inconsistent_tid` is not held twice: it is in
    /// [`SpanContext::tags`], and [`SpanContext::propagation_error_tag`] gives both (tags set
    /// by the caller carry none: `Tags::Pairs` hold no `tid`).
    pub propagation_error: Option<PropagationError>,
}

impl<'a> SpanContext<'a> {
    /// A bare context: ids only, no decision, no tags.
    pub const fn new(trace_id: TraceId, span_id: Option<SpanId>) -> Self {
        SpanContext {
            trace_id,
            span_id,
            sampling_priority: None,
            decision_maker: None,
            origin: None,
            tags: Tags::None,
            trace_flags: TraceFlags(0),
            tracestate: None,
            last_parent_id: None,
            propagation_error: None,
        }
    }

    /// The context of a local child span `span_id`: same trace, decision, origin, tags and
    /// tracestate; `_dd.parent_id` is dropped (the child is now the last Datadog parent).
    ///
    /// ```
    /// use tracewire::config::Config;
    /// use tracewire::propagate::{self, Slots};
    /// use tracewire::SpanId;
    ///
    /// let h = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ///          ("tracestate", "dd=s:2;p:00f067aa0ba902b7")];
    /// let mut slots = Slots::new();
    /// let parent = propagate::extract(&h, &Config::new(), &mut slots).context.unwrap();
    /// let child = parent.child(SpanId::new(7).unwrap());
    /// assert_eq!((child.trace_id, child.sampling_priority), (parent.trace_id, parent.sampling_priority));
    /// assert!(parent.last_parent_id.is_some() && child.last_parent_id.is_none());
    /// ```
    pub fn child(&self, span_id: SpanId) -> Self {
        SpanContext {
            span_id: Some(span_id),
            last_parent_id: None,
            ..*self
        }
    }

    /// Makes this context its own child with span `span_id`, in place: what
    /// [`SpanContext::child`] returns, without a second context (128 bytes) beside this one. For
    /// a small stack, extract into a result you keep, make its context the child, and inject it.
    ///
    /// ```
    /// use tracewire::carrier::Headers;
    /// use tracewire::config::Config;
    /// use tracewire::propagate::{self, Extracted, Slots};
    /// use tracewire::SpanId;
    ///
    /// let h = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
    /// let config = Config::new();
    /// let mut slots = Slots::new();
    /// let mut ex = Extracted::EMPTY;
    /// propagate::extract_into(&h, &config, &mut slots, &mut ex);
    /// let expected = ex.context.map(|c| c.child(SpanId::new(7).unwrap()));
    /// if let Some(c) = ex.context.as_mut() {
    ///     c.make_child(SpanId::new(7).unwrap());
    /// }
    /// let (mut a, mut b) = (Headers::<8, 1024>::new(), Headers::<8, 1024>::new());
    /// propagate::inject(ex.context.as_ref(), ex.baggage_out(), &config, &mut a).unwrap();
    /// propagate::inject(expected.as_ref(), ex.baggage_out(), &config, &mut b).unwrap();
    /// assert_eq!(a.get("traceparent"), b.get("traceparent"));
    /// assert_eq!(a.get("traceparent"), Some(&b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000007-01"[..]));
    /// ```
    pub fn make_child(&mut self, span_id: SpanId) {
        self.span_id = Some(span_id);
        self.last_parent_id = None;
    }

    /// `_dd.propagation_error` with its value: for `malformed_tid` and `inconsistent_tid`, the
    /// rejected `tid` ([`Tags::tid_raw`]).
    ///
    /// ```
    /// use tracewire::config::Config;
    /// use tracewire::format::dd_tags::PropagationError;
    /// use tracewire::propagate::{self, Slots};
    ///
    /// let h = [("x-datadog-trace-id", "1"), ("x-datadog-parent-id", "2"),
    ///          ("x-datadog-tags", "_dd.p.tid=XYZ")];
    /// let mut slots = Slots::new();
    /// let ctx = propagate::extract(&h, &Config::new(), &mut slots).context.unwrap();
    /// let tag = ctx.propagation_error_tag().unwrap();
    /// assert_eq!((tag.error, tag.value), (PropagationError::MalformedTid, Some(&b"XYZ"[..])));
    /// ```
    pub fn propagation_error_tag(&self) -> Option<PropagationErrorTag<'a>> {
        self.propagation_error.map(|error| PropagationErrorTag {
            error,
            value: match error {
                PropagationError::MalformedTid | PropagationError::InconsistentTid => {
                    self.tags.tid_raw()
                }
                _ => None,
            },
        })
    }

    /// True when the trace is kept (priority > 0).
    pub fn is_sampled(&self) -> bool {
        self.sampling_priority
            .is_some_and(SamplingPriority::is_keep)
    }
}
