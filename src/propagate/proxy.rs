//! Continuing a request's trace in the request itself, as a proxy or load balancer does:
//! extract from a carrier, start the hop's child span, strip the headers that would go stale,
//! and inject into the same carrier, with no clone of the carrier and no allocation.
//!
//! The borrow problem this solves: an extracted context borrows the carrier it came from, so it
//! cannot be injected into that same carrier. These entry points first encode every outgoing
//! header into a caller-owned [`InjectBuffers`] (the ids, priority, origin and tags, the other
//! vendors' tracestate members, the baggage: every byte the next hop needs is copied there),
//! let the borrow of the carrier end, and only then strip and set, all or nothing. The default
//! [`InjectBuffers`] (1 KiB) holds an ordinary request's headers; a request with kilobytes of
//! baggage needs an `InjectBuffers::<STAGE_LEN>` ([`STAGE_LEN`](super::STAGE_LEN)), or gets
//! `Full` with its carrier untouched.
//!
//! For a raw HTTP/1.1 header block, which cannot be edited in place, [`continue_block`] writes
//! the rewritten block into a second buffer.

use super::{
    encode_forward, encode_inject, encode_into, extract, BaggageOut, Extracted, InjectBuffers,
    InjectError, InjectReport, Report, Slots,
};
use crate::carrier::{Extract, HeaderBlock, HeaderBlockWriter, Inject, Remove, StripSet};
use crate::config::{Config, Style};
use crate::context::SpanContext;
use crate::id::{SamplingPriority, SpanId, TraceId};

/// What [`continue_in_place`] and [`continue_block`] did: the trace the request continues, as
/// owned values (the carrier is no longer borrowed), and the reports.
#[derive(Clone, Copy, Debug)]
pub struct Continued {
    /// The continued trace (`None`: nothing valid arrived, or the behaviour is `restart` or
    /// `ignore`; then only baggage was injected).
    pub trace_id: Option<TraceId>,
    /// The remote parent span (the incoming context's span id).
    pub parent_id: Option<SpanId>,
    /// The child span injected for the next hop.
    pub span_id: Option<SpanId>,
    /// The sampling decision that travels on.
    pub sampling_priority: Option<SamplingPriority>,
    /// The style the continued context came from.
    pub style: Option<Style>,
    /// What each style found.
    pub report: Report,
    /// What injection left out or changed.
    pub inject: InjectReport,
}

/// Extracts from `carrier`, asks `child_span` for the hop's span id (it sees the extraction,
/// links and all), strips the headers of `strip` (usually [`StripSet::for_config`]) and injects
/// the child context into `carrier` itself. All or nothing: on an error the carrier is as it was.
///
/// When no context continues (nothing valid arrived, or `restart`/`ignore`), only baggage is
/// injected and the stale headers are still stripped; to start a new trace then, build a root
/// [`SpanContext`](crate::context::SpanContext) and call
/// [`inject_replacing`](super::inject_replacing).
///
/// ```
/// use tracewire::carrier::{Headers, Inject, StripSet};
/// use tracewire::config::Config;
/// use tracewire::propagate::{self, InjectBuffers};
/// use tracewire::SpanId;
///
/// let mut req = Headers::<16, 2048>::new();
/// req.set("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
/// req.set("b3", b"80f198ee56343ba8-e457b5a2e4d86bd1-1").unwrap(); // another trace
/// let config = Config::new();
/// let mut bufs = InjectBuffers::new();
/// let done = propagate::continue_in_place(&mut bufs, &mut req, &config,
///     StripSet::for_config(&config), |_| SpanId::new(0x2a).unwrap()).unwrap();
/// assert_eq!(done.parent_id, SpanId::new(0x00f0_67aa_0ba9_02b7));
/// assert_eq!(req.get("traceparent"),
///     Some(&b"00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-01"[..]));
/// assert!(req.get("b3").is_none(), "the other trace's b3 is gone");
/// ```
pub fn continue_in_place<const N: usize, C, F>(
    bufs: &mut InjectBuffers<N>,
    carrier: &mut C,
    config: &Config,
    strip: StripSet,
    child_span: F,
) -> Result<Continued, InjectError>
where
    C: Extract + Inject + Remove + ?Sized,
    F: FnOnce(&Extracted<'_>) -> SpanId,
{
    let (pending, mut done) = {
        let mut slots = Slots::new();
        let ex = extract(&*carrier, config, &mut slots);
        encode_continued(bufs, &ex, config, child_span)?
    };
    done.inject.headers = pending.commit_stripped(carrier, strip)?;
    Ok(done)
}

/// Forward mode ([`forward`](super::forward)) in place: each valid incoming style is rewritten
/// for the next hop with `span` as its parent id, the headers of `strip` are removed, and the
/// rewritten ones are set in `carrier` itself. All or nothing.
pub fn forward_in_place<const N: usize, C>(
    bufs: &mut InjectBuffers<N>,
    carrier: &mut C,
    span: SpanId,
    config: &Config,
    strip: StripSet,
) -> Result<super::ForwardReport, InjectError>
where
    C: Extract + Inject + Remove + ?Sized,
{
    let (pending, mut report) = {
        let slots = Slots::collect(&*carrier);
        encode_forward(bufs, &slots, span, config)?
    };
    report.headers = pending.commit_stripped(carrier, strip)?;
    report.inject.headers = report.headers;
    Ok(report)
}

/// [`continue_in_place`] for a raw HTTP/1.1 header block: `input` is read (up to its blank line)
/// and written to `out` line by line, without the lines of `strip` (and their obs-fold
/// continuations), followed by the injected headers. The request line, if `input` starts with
/// one, is copied like any other line. The blank line that ends a head is not written: append
/// `\r\n` (and the body) yourself. Returns the bytes written to `out`; on an error `out` holds
/// nothing.
///
/// ```
/// use tracewire::carrier::StripSet;
/// use tracewire::config::Config;
/// use tracewire::propagate::{self, InjectBuffers};
/// use tracewire::SpanId;
///
/// let head = b"GET / HTTP/1.1\r\nHost: a\r\nb3: 1-2-1\r\n\
///     traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n";
/// let mut out = [0u8; 1024];
/// let config = Config::new();
/// let (n, _) = propagate::continue_block(head, &mut out, &config, StripSet::for_config(&config),
///     |_| SpanId::new(7).unwrap()).unwrap();
/// let text = core::str::from_utf8(&out[..n]).unwrap();
/// assert!(text.starts_with("GET / HTTP/1.1\r\nHost: a\r\n"));
/// assert!(text.contains("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000007-01\r\n"));
/// assert!(!text.contains("b3:"));
/// ```
pub fn continue_block<F>(
    input: &[u8],
    out: &mut [u8],
    config: &Config,
    strip: StripSet,
    child_span: F,
) -> Result<(usize, Continued), InjectError>
where
    F: FnOnce(&Extracted<'_>) -> SpanId,
{
    let block = HeaderBlock(input);
    let mut slots = Slots::new();
    let ex = extract(&block, config, &mut slots);
    let mut w = HeaderBlockWriter::new(out);
    w.copy_block_except(input, strip)
        .map_err(InjectError::Carrier)?;
    // The output is a buffer of its own: the headers are written straight into it.
    let (child, bag, mut done) = continued(&ex, child_span);
    match encode_into(&mut w, child.as_ref(), bag, config, StripSet::NONE) {
        Ok(r) => done.inject = r,
        Err(e) => {
            w.clear();
            return Err(e);
        }
    }
    Ok((w.written().len(), done))
}

/// Encodes the child of the extracted context (and the baggage) into `bufs`.
fn encode_continued<'b, const N: usize, F>(
    bufs: &'b mut InjectBuffers<N>,
    ex: &Extracted<'_>,
    config: &Config,
    child_span: F,
) -> Result<(super::Pending<'b>, Continued), InjectError>
where
    F: FnOnce(&Extracted<'_>) -> SpanId,
{
    let (child, bag, mut done) = continued(ex, child_span);
    let (pending, inject) = encode_inject(bufs, child.as_ref(), bag, config)?;
    done.inject = inject;
    Ok((pending, done))
}

/// The child of the extracted context, the baggage to send on, and what the continuation
/// reports (its injection report still empty).
fn continued<'e, F>(
    ex: &'e Extracted<'_>,
    child_span: F,
) -> (Option<SpanContext<'e>>, BaggageOut<'e>, Continued)
where
    F: FnOnce(&Extracted<'_>) -> SpanId,
{
    let span = child_span(ex);
    let child = ex.context.map(|c| c.child(span));
    let bag = ex
        .baggage
        .as_ref()
        .map_or(BaggageOut::None, BaggageOut::Extracted);
    let done = Continued {
        trace_id: ex.context.map(|c| c.trace_id),
        parent_id: ex.context.and_then(|c| c.span_id),
        span_id: child.and_then(|c| c.span_id),
        sampling_priority: ex.context.and_then(|c| c.sampling_priority),
        style: ex.style,
        report: ex.report,
        inject: InjectReport::default(),
    };
    (child, bag, done)
}
