//! Injection: every configured style encoded straight into an in-place carrier, or staged and
//! then handed to a carrier that takes whole values; all or nothing either way.

use crate::carrier::{CarrierError, InPlace, Inject, Remove, StripSet};
use crate::config::{Config, Style};
use crate::context::{LastParent, SpanContext};
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

/// Bytes a staging area needs to hold every header injection or forward mode can write, each at
/// its own limit (about 13.3 KiB, the 8 KiB of baggage included): the `N` of an
/// [`InjectBuffers`] for a carrier that takes whole values and must take any set of headers
/// tracewire accepts.
pub const STAGE_LEN: usize = 2 * datadog::ID_MAX_LEN
    + datadog::PRIORITY_MAX_LEN
    + ORIGIN_MAX_LEN
    + dd_tags::MAX_LEN
    + traceparent::LEN
    + tracestate::MAX_ENCODED_LEN
    + b3::SINGLE_MAX_LEN
    + b3::SINGLE_MAX_LEN
    + 16
    + 1
    + xray::MAX_LEN
    + crate::config::Limits::BAGGAGE_BYTES_MAX;

/// A staging area for injection into a carrier that can only take whole values (one that does
/// not implement [`InPlace`]), or into the carrier the context was extracted from (the
/// [`continue_in_place`](super::continue_in_place) family): `N` bytes, by default
/// [`SMALL_STAGE_LEN`] (1 KiB: the headers of an ordinary request, kilobytes of baggage aside).
/// Every header of one injection is staged before the carrier sees any, so a set that does not
/// fit is an error ([`CarrierError::Full`]) and nothing is set; [`STAGE_LEN`] bytes hold any
/// set.
///
/// A carrier that implements [`InPlace`] (every buffer carrier of this crate:
/// [`Headers`](crate::carrier::Headers), [`HeaderBlockWriter`](crate::carrier::HeaderBlockWriter),
/// [`JsonObjectWriter`](crate::transport::sqs::JsonObjectWriter)) is written directly and never
/// touches these buffers. [`InjectBuffers::new`] and [`InjectBuffers::with_capacity`] are
/// `const`, so the buffers can sit in a `static` instead of on a small task stack:
///
/// ```
/// use std::sync::Mutex;
/// use tracewire::carrier::Headers;
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut, InjectBuffers, STAGE_LEN};
/// use tracewire::{SpanId, TraceId};
///
/// static BUFS: Mutex<InjectBuffers<STAGE_LEN>> = Mutex::new(InjectBuffers::with_capacity());
///
/// let ctx = SpanContext::new(TraceId::new(1).unwrap(), SpanId::new(2));
/// let mut out = Headers::<16, 1024>::new();
/// let mut bufs = BUFS.lock().unwrap();
/// propagate::inject_with(&mut bufs, Some(&ctx), BaggageOut::None, &Config::new(), &mut out)
///     .unwrap();
/// assert_eq!(out.get("x-datadog-parent-id"), Some(&b"2"[..]));
/// ```
///
/// The default area holds an ordinary request's headers; kilobytes of baggage need more:
///
/// ```
/// use std::collections::HashMap;
/// use tracewire::carrier::CarrierError;
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut, InjectBuffers, InjectError, STAGE_LEN};
/// use tracewire::{SpanId, TraceId};
///
/// let ctx = SpanContext::new(TraceId::new(1).unwrap(), SpanId::new(2));
/// let mut bufs = InjectBuffers::new();
/// let mut out: HashMap<String, String> = HashMap::new();
/// propagate::inject_with(&mut bufs, Some(&ctx), BaggageOut::None, &Config::new(), &mut out)
///     .unwrap();
/// assert_eq!(out["traceparent"], "00-00000000000000000000000000000001-0000000000000002-00");
///
/// let big = "v".repeat(2000);
/// let items = [("k", big.as_str())];
/// let mut out: HashMap<String, String> = HashMap::new();
/// let r = propagate::inject_with(&mut bufs, Some(&ctx), BaggageOut::Pairs(&items), &Config::new(), &mut out);
/// assert_eq!(r.unwrap_err(), InjectError::Carrier(CarrierError::Full));
/// assert!(out.is_empty(), "all or nothing");
///
/// let mut large = Box::new(InjectBuffers::<STAGE_LEN>::with_capacity());
/// propagate::inject_with(&mut large, Some(&ctx), BaggageOut::Pairs(&items), &Config::new(), &mut out)
///     .unwrap();
/// assert_eq!(out["baggage"].len(), 2 + 2000);
/// ```
pub struct InjectBuffers<const N: usize = SMALL_STAGE_LEN> {
    pub(super) stage: [u8; N],
}

impl InjectBuffers {
    /// Fresh buffers of the default size ([`SMALL_STAGE_LEN`]). `const`.
    pub const fn new() -> Self {
        InjectBuffers {
            stage: [0; SMALL_STAGE_LEN],
        }
    }
}

impl<const N: usize> InjectBuffers<N> {
    /// Fresh buffers of `N` bytes (`InjectBuffers::<STAGE_LEN>::with_capacity()`). `const`.
    pub const fn with_capacity() -> Self {
        InjectBuffers { stage: [0; N] }
    }
}

impl Default for InjectBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// Most headers one injection or forward writes (4 Datadog + tags, traceparent, tracestate,
/// b3, 3 of `x-b3-*`, X-Ray, baggage = 13).
const MAX_HEADERS: usize = 16;

/// Headers staged in [`InjectBuffers`], ready to hand to a carrier that takes whole values:
/// the staging area is itself an [`InPlace`] carrier.
pub(super) struct Pending<'b> {
    stage: &'b mut [u8],
    items: [(&'static str, usize); MAX_HEADERS],
    len: usize,
}

impl<'b> Pending<'b> {
    pub(super) fn new<const N: usize>(bufs: &'b mut InjectBuffers<N>) -> Self {
        Pending::over(&mut bufs.stage)
    }

    /// Headers staged in `stage`.
    pub(super) fn over(stage: &'b mut [u8]) -> Self {
        Pending {
            stage,
            items: [("", 0); MAX_HEADERS],
            len: 0,
        }
    }

    fn used(&self) -> usize {
        self.len
            .checked_sub(1)
            .and_then(|i| self.items.get(i))
            .map_or(0, |&(_, end)| end)
    }

    /// The staged headers, in order.
    fn headers(&self) -> ([(&'static str, &[u8]); MAX_HEADERS], usize) {
        let mut out: [(&'static str, &[u8]); MAX_HEADERS] = [("", &[]); MAX_HEADERS];
        let mut start = 0usize;
        for (slot, &(name, end)) in out.iter_mut().zip(self.items.iter().take(self.len)) {
            *slot = (name, self.stage.get(start..end).unwrap_or(&[]));
            start = end;
        }
        (out, self.len)
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

    // Out of line: its list of the staged values is on the stack only while they are handed
    // over, not under the encoders.
    #[inline(never)]
    pub(super) fn commit_with<I: Inject + ?Sized>(
        &self,
        carrier: &mut I,
        before_set: impl FnOnce(&mut I),
    ) -> Result<usize, InjectError> {
        let (all, n) = self.headers();
        let items = all.get(..n).unwrap_or(&[]);
        carrier.prepare(items).map_err(InjectError::Carrier)?;
        before_set(carrier);
        for (n, v) in items {
            carrier.set(n, v).map_err(InjectError::Carrier)?;
        }
        Ok(items.len())
    }
}

impl InPlace for Pending<'_> {
    fn mark(&self) -> usize {
        self.len
    }

    fn value_room(&mut self, _name: &'static str) -> &mut [u8] {
        let used = self.used();
        self.stage.get_mut(used..).unwrap_or(&mut [])
    }

    fn push_value(&mut self, name: &'static str, len: usize) -> Result<(), CarrierError> {
        let end = self.used().saturating_add(len);
        match self.items.get_mut(self.len) {
            Some(slot) if end <= self.stage.len() => {
                *slot = (name, end);
                self.len = self.len.saturating_add(1);
                Ok(())
            }
            _ => Err(CarrierError::Full),
        }
    }

    fn rollback(&mut self, mark: usize) {
        self.len = self.len.min(mark);
    }

    fn commit(&mut self, _mark: usize, _strip: StripSet) {}
}

/// Where encoders put their headers: straight into an [`InPlace`] carrier, one value at a
/// time, each written by its encoder into the carrier's free room. The first header the
/// carrier cannot take stops everything; [`Out::finish`] then rolls the carrier back.
pub(super) struct Out<'c> {
    c: &'c mut dyn InPlace,
    mark: usize,
    /// Values an encoder produced that are not valid field values (a tracewire bug; never
    /// written).
    pub(super) refused: usize,
    headers: usize,
    err: Option<CarrierError>,
}

impl<'c> Out<'c> {
    pub(super) fn new(c: &'c mut dyn InPlace) -> Self {
        let mark = c.mark();
        Out {
            c,
            mark,
            refused: 0,
            headers: 0,
            err: None,
        }
    }

    /// Writes header `name`: `encode` writes its value into a writer of capacity `cap` (the
    /// header's own limit, whatever room the carrier has) and says whether there is a header
    /// to send. A value longer than the carrier's room stops the injection
    /// ([`CarrierError::Full`]). Every encoder writes valid field values; the check here is the
    /// last line of defence that keeps any byte outside VCHAR / SP / HTAB (and a value with
    /// white space at an edge) from ever reaching a carrier, whatever an encoder did.
    pub(super) fn put(
        &mut self,
        name: &'static str,
        cap: usize,
        encode: impl FnOnce(&mut Writer<'_>) -> bool,
    ) {
        self.put_checked(name, cap, true, encode);
    }

    /// [`Out::put`], the field-value check made only when `check` is set (unset only for a
    /// value of the kind [`Out::put_bytes`] takes, written by its format's encoder).
    #[inline(always)]
    fn put_checked(
        &mut self,
        name: &'static str,
        cap: usize,
        check: bool,
        encode: impl FnOnce(&mut Writer<'_>) -> bool,
    ) {
        if self.err.is_some() {
            return;
        }
        let mut w = Writer::with_capacity(self.c.value_room(name), cap);
        if !encode(&mut w) {
            return;
        }
        if w.overflowed() {
            self.err = Some(CarrierError::Full);
            return;
        }
        if check && !crate::wire::is_field_value(w.written()) {
            self.refused = self.refused.saturating_add(1);
            return;
        }
        let len = w.len();
        match self.c.push_value(name, len) {
            Ok(()) => self.headers = self.headers.saturating_add(1),
            Err(e) => self.err = Some(e),
        }
    }

    /// Writes header `name` with the value `v`, which this crate formatted from numbers alone
    /// (the Datadog ids and priority, `traceparent`, B3: digits, hex digits, a sign and the
    /// formats' fixed ASCII punctuation, never white space at an edge). Such a value is a field
    /// value by construction (the formatters' tests and the property tests of written headers
    /// check it), so it skips the check that [`Out::put`] makes on every value with received
    /// or caller-given bytes in it (X-Ray's carries the origin: it goes through `put`).
    pub(super) fn put_bytes(&mut self, name: &'static str, v: &[u8]) {
        self.put_checked(name, v.len(), false, |w| w.push(v).is_ok());
    }

    /// Ends the injection: commits the headers (removing what they replace and the headers of
    /// `strip` from before it began) and returns how many were written, or rolls everything
    /// back.
    pub(super) fn finish(self, strip: StripSet) -> Result<usize, InjectError> {
        match self.err {
            Some(e) => {
                self.c.rollback(self.mark);
                Err(InjectError::Carrier(e))
            }
            None => {
                self.c.commit(self.mark, strip);
                Ok(self.headers)
            }
        }
    }
}

/// Injects `ctx` (and `baggage`) in every configured style into `carrier`.
///
/// `ctx.span_id` is the span the next hop continues (usually a fresh local child); a context
/// without one injects no trace headers. Baggage is injected even without a context (§8.6).
///
/// All or nothing. An [`InPlace`] carrier (the buffer carriers of this crate) is written
/// directly, each encoder writing into the carrier's free room: no staging area, a few hundred
/// bytes of stack. Any other carrier gets its headers staged first and then `prepare`d and
/// `set`: in a [`SMALL_STAGE_LEN`]-byte area on the stack (1 KiB, enough for an ordinary
/// request's headers), and only when they do not fit there (kilobytes of baggage) in a
/// [`STAGE_LEN`]-byte one on the heap with the `std` feature; without it such a set is
/// [`CarrierError::Full`] and nothing is set. [`inject_with`] takes the staging area from the
/// caller instead (an [`InjectBuffers`] of the size the caller's headers need).
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
    if let Some(c) = carrier.in_place() {
        let r = encode_into(c, ctx, baggage, config, StripSet::NONE);
        if !stage_again(&r, carrier) {
            return r;
        }
    }
    inject_staged(ctx, baggage, config, carrier)
}

/// True when a direct injection found no room in a carrier that could free some by replacing
/// what it holds ([`Inject::may_replace`]): staging, whose `prepare` counts that room, is tried.
pub(super) fn stage_again<T, I: Inject + ?Sized>(
    r: &Result<T, InjectError>,
    carrier: &mut I,
) -> bool {
    matches!(r, Err(InjectError::Carrier(CarrierError::Full))) && carrier.may_replace()
}

/// [`inject`] into a carrier that takes whole values only: staged first in a
/// [`SMALL_STAGE_LEN`]-byte area on the stack, which holds the headers of an ordinary request;
/// only when they do not fit there (kilobytes of baggage or tags) again in a [`STAGE_LEN`]-byte
/// one on the heap with the `std` feature ([`large_stage`]), or not at all without it
/// ([`CarrierError::Full`]: [`inject_with`] takes a staging area of the caller's size). Nothing
/// reaches the carrier until the headers are staged, so the second try starts from a carrier as
/// it was.
fn inject_staged<I: Inject + ?Sized>(
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    match inject_staged_small(ctx, baggage, config, carrier) {
        Some(r) => r,
        None => inject_staged_large(ctx, baggage, config, carrier),
    }
}

/// Bytes of the staging area [`inject`] and [`forward`](fn@super::forward) use for a carrier
/// that takes whole values, and of a default [`InjectBuffers`].
pub const SMALL_STAGE_LEN: usize = 1024;

/// The first try of [`inject_staged`]; `None` when the headers did not fit the small area.
#[inline(never)]
fn inject_staged_small<I: Inject + ?Sized>(
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    carrier: &mut I,
) -> Option<Result<InjectReport, InjectError>> {
    let mut bufs = InjectBuffers::<SMALL_STAGE_LEN>::with_capacity();
    let mut pending = Pending::new(&mut bufs);
    match encode_into(&mut pending, ctx, baggage, config, StripSet::NONE) {
        // The staging area ran out; the carrier was not asked anything.
        Err(InjectError::Carrier(CarrierError::Full)) => None,
        Err(e) => Some(Err(e)),
        Ok(mut report) => Some(pending.commit(carrier).map(|n| {
            report.headers = n;
            report
        })),
    }
}

/// The second try of [`inject_staged`], with room for every header at its limit.
#[inline(never)]
fn inject_staged_large<I: Inject + ?Sized>(
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    let mut stage = large_stage()?;
    let mut pending = Pending::over(stage.as_mut());
    let mut report = encode_into(&mut pending, ctx, baggage, config, StripSet::NONE)?;
    report.headers = pending.commit(carrier)?;
    Ok(report)
}

/// The staging area for headers that did not fit [`SMALL_STAGE_LEN`] bytes, where `inject` and
/// `forward` (which take no staging area from the caller) have one: [`STAGE_LEN`] bytes on the
/// heap with the `std` feature (a carrier that takes whole values is then usually a map of
/// `String`s, which allocates anyway). Without it there is none, rather than 13 KiB on a stack
/// that may be a small task's: [`CarrierError::Full`].
///
/// An allocation that fails is [`CarrierError::Full`] too, not an abort.
#[cfg(feature = "std")]
pub(super) fn large_stage() -> Result<std::vec::Vec<u8>, InjectError> {
    let mut stage = std::vec::Vec::new();
    stage
        .try_reserve_exact(STAGE_LEN)
        .map_err(|_| InjectError::Carrier(CarrierError::Full))?;
    // Within the capacity just reserved: no reallocation.
    stage.resize(STAGE_LEN, 0);
    Ok(stage)
}

/// See the `std` version: without the heap there is no larger area.
#[cfg(not(feature = "std"))]
pub(super) fn large_stage() -> Result<[u8; 0], InjectError> {
    Err(InjectError::Carrier(CarrierError::Full))
}

/// [`inject`] with caller-provided buffers (to keep them off a small stack), used only when the
/// carrier is not [`InPlace`].
///
/// ```
/// use tracewire::carrier::HeaderBlockWriter;
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut, InjectBuffers};
/// use tracewire::{SpanId, TraceId};
///
/// // A carrier that only takes whole values stages its headers in the caller's buffers (a
/// // static, the heap), not on the stack; this header block is written directly.
/// let mut bufs = Box::new(InjectBuffers::new());
/// let ctx = SpanContext::new(TraceId::new(1).unwrap(), SpanId::new(2));
/// let mut buf = [0u8; 512];
/// let mut w = HeaderBlockWriter::new(&mut buf);
/// propagate::inject_with(&mut bufs, Some(&ctx), BaggageOut::None, &Config::new(), &mut w).unwrap();
/// assert!(w.written().starts_with(b"x-datadog-trace-id: 1\r\nx-datadog-parent-id: 2\r\n"));
/// ```
pub fn inject_with<const N: usize, I: Inject + ?Sized>(
    bufs: &mut InjectBuffers<N>,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    if let Some(c) = carrier.in_place() {
        let r = encode_into(c, ctx, baggage, config, StripSet::NONE);
        if !stage_again(&r, carrier) {
            return r;
        }
    }
    inject_staged_with(bufs, ctx, baggage, config, carrier)
}

/// [`inject_with`] through the staging area, in a frame of its own (the list of staged headers
/// is ~400 bytes), which a direct injection never pushes.
#[inline(never)]
fn inject_staged_with<const N: usize, I: Inject + ?Sized>(
    bufs: &mut InjectBuffers<N>,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    let mut pending = Pending::new(bufs);
    let mut report = encode_into(&mut pending, ctx, baggage, config, StripSet::NONE)?;
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
pub fn inject_replacing<const N: usize, I: Inject + Remove + ?Sized>(
    bufs: &mut InjectBuffers<N>,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    strip: StripSet,
    carrier: &mut I,
) -> Result<InjectReport, InjectError> {
    if let Some(c) = carrier.in_place() {
        let r = encode_into(c, ctx, baggage, config, strip);
        if !stage_again(&r, carrier) {
            return r;
        }
    }
    let mut pending = Pending::new(bufs);
    let mut report = encode_into(&mut pending, ctx, baggage, config, StripSet::NONE)?;
    report.headers = pending.commit_stripped(carrier, strip)?;
    Ok(report)
}

/// Every header [`inject`] writes, encoded into `bufs`: what is staged borrows only `bufs`, so
/// the context (and the carrier it borrows) may go before the headers are handed over.
pub(super) fn encode_inject<'b, const N: usize>(
    bufs: &'b mut InjectBuffers<N>,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
) -> Result<(Pending<'b>, InjectReport), InjectError> {
    let mut pending = Pending::new(bufs);
    let report = encode_into(&mut pending, ctx, baggage, config, StripSet::NONE)?;
    Ok((pending, report))
}

/// Writes every header of `ctx` and `baggage` into `c`, all or nothing; on success the headers
/// they replace and those of `strip` from before are removed.
pub(super) fn encode_into(
    c: &mut dyn InPlace,
    ctx: Option<&SpanContext<'_>>,
    baggage: BaggageOut<'_>,
    config: &Config,
    strip: StripSet,
) -> Result<InjectReport, InjectError> {
    let mut report = InjectReport::default();
    let mut out = Out::new(c);
    let trace = ctx.and_then(|c| c.span_id.map(|s| (c, s)));
    if let Some((c, span)) = trace {
        let styles = config.inject;
        if styles.contains(Style::Datadog) {
            put_datadog(c, span, config, &mut out, &mut report);
        }
        if styles.contains(Style::TraceContext) {
            put_tracecontext(c, span, &mut out, &mut report);
        }
        // `is_built` is a constant: a build without a style's feature has no call to its writer.
        if Style::B3Single.is_built() && styles.contains(Style::B3Single) {
            put_b3_single(c, span, &mut out);
        }
        if Style::B3Multi.is_built() && styles.contains(Style::B3Multi) {
            put_b3_multi(c, span, &mut out);
        }
        if Style::XRay.is_built() && styles.contains(Style::XRay) {
            put_xray(c, span, &mut out, &mut report);
        }
    }

    if config.inject.contains(Style::Baggage) {
        report.baggage_dropped = put_baggage(baggage, config, &mut out);
    }
    report.refused = out.refused;
    report.headers = out.finish(strip)?;
    Ok(report)
}

/// `traceparent` and `tracestate` for `c` with span `span`. Out of line, so injection without
/// the tracecontext style never pushes its frame. The `dd=` member is written straight into the
/// tracestate value, the other vendors' members after it: no buffer of its own.
#[inline(never)]
fn put_tracecontext(
    c: &SpanContext<'_>,
    span: SpanId,
    out: &mut Out<'_>,
    report: &mut InjectReport,
) {
    let tp = traceparent::Traceparent {
        version: 0,
        trace_id: c.trace_id,
        parent_id: span,
        flags: TraceFlags(u8::from(c.is_sampled())),
    };
    put_traceparent(&tp, out);
    // `p:` is the last Datadog parent: as received (when it is 1 to 64 bytes), the Datadog
    // parent the W3C one overrode, or else this span.
    let parent = match c.last_parent_id {
        Some(LastParent::Raw(r)) if !r.is_empty() && r.len() <= LAST_PARENT_MAX_LEN => {
            dd_member::Parent::Raw(r)
        }
        Some(LastParent::Id(id)) => dd_member::Parent::Hex(id.to_hex()),
        _ => dd_member::Parent::Hex(span.to_hex()),
    };
    let rest = c.tracestate.as_ref().unwrap_or(&NO_TRACESTATE);
    out.put(name::TRACESTATE, tracestate::MAX_ENCODED_LEN, |w| {
        let start = w.len();
        let (r, len, lost_from) = {
            let mut member = w.part(dd_member::MAX_LEN);
            let (r, len) = dd_member::encode_to(
                c.sampling_priority,
                c.origin,
                parent,
                c.decision_maker,
                &c.tags,
                &mut member,
            );
            (r, len, member.part_result().1)
        };
        report.origin_dropped |= r.origin_dropped;
        if w.absorb(len, lost_from).is_err() {
            return false;
        }
        tracestate::encode_after_own(start, len, b"dd", rest, w).is_ok() && !w.is_empty()
    });
}

/// An empty received tracestate (a constant, so no frame holds one).
const NO_TRACESTATE: TraceState<'static> = TraceState::new(&Fields::EMPTY);

/// Longest received `p:` value re-sent as it is (a longer one is replaced by this span's id).
const LAST_PARENT_MAX_LEN: usize = 64;

/// `traceparent`.
#[inline]
pub(super) fn put_traceparent(tp: &traceparent::Traceparent, out: &mut Out<'_>) {
    out.put_bytes(name::TRACEPARENT, &tp.to_bytes());
}

/// `x-datadog-*` headers for `c` with parent `span`.
pub(super) fn put_datadog(
    c: &SpanContext<'_>,
    span: SpanId,
    config: &Config,
    out: &mut Out<'_>,
    report: &mut InjectReport,
) {
    if c.trace_id.low() == 0 {
        report.datadog_unrepresentable = true;
        return;
    }
    // The decimal values are formatted on the stack, one buffer for all three (the bytes
    // `datadog::encode_trace_id`, `encode_parent_id` and `encode_priority` write: the unit
    // test `injected_values_are_the_format_encoders_bytes` compares them), and handed over by
    // the one shared writer of such values.
    let mut b = [0u8; crate::wire::dec::U64_MAX_LEN];
    out.put_bytes(
        name::X_DATADOG_TRACE_ID,
        crate::wire::dec::format_u64(c.trace_id.low(), &mut b),
    );
    out.put_bytes(
        name::X_DATADOG_PARENT_ID,
        crate::wire::dec::format_u64(span.get(), &mut b),
    );
    if let Some(p) = c.sampling_priority {
        let mut pb = [0u8; datadog::PRIORITY_MAX_LEN];
        out.put_bytes(
            name::X_DATADOG_SAMPLING_PRIORITY,
            crate::wire::dec::format_i32(p.0, &mut pb),
        );
    }
    if let Some(origin) = c.origin {
        out.put(
            name::X_DATADOG_ORIGIN,
            datadog::ORIGIN_MAX_LEN,
            |w| match datadog::encode_origin(origin, w) {
                datadog::EncodedOrigin::Absent => false,
                datadog::EncodedOrigin::Dropped => {
                    report.origin_dropped = true;
                    false
                }
                datadog::EncodedOrigin::Written { sanitized } => {
                    report.origin_sanitized |= sanitized;
                    true
                }
            },
        );
    }
    let max = config.x_datadog_tags_max_len();
    out.put(name::X_DATADOG_TAGS, dd_tags::MAX_LEN, |w| {
        if let Err(e) = dd_tags::encode_from(c.decision_maker, c.trace_id.high(), &c.tags, max, w) {
            report.tags_error = Some(e.into());
        }
        !w.is_empty()
    });
}

/// The `dd=` member for `c` with `p:` = `parent` (none when `parent` is empty).
pub(super) fn dd_member_of<'b>(
    c: &SpanContext<'_>,
    parent: &[u8],
    member_buf: &'b mut [u8; dd_member::MAX_LEN],
    report: &mut InjectReport,
) -> Option<&'b [u8]> {
    let mut w = Writer::new(member_buf);
    // `MAX_LEN` bytes of room: the member always fits.
    let r = dd_member::encode(
        c.sampling_priority,
        c.origin,
        parent,
        c.decision_maker,
        c.tags.iter(),
        &mut w,
    )
    .unwrap_or_default();
    report.origin_dropped |= r.origin_dropped;
    let member = w.into_written();
    (!member.is_empty()).then_some(member)
}

/// `tracestate`: `own` first, then the other vendors' valid members of `rest`.
pub(super) fn put_tracestate(own: Option<&[u8]>, rest: Option<&TraceState<'_>>, out: &mut Out<'_>) {
    let empty = TraceState::new(&Fields::EMPTY);
    let rest = rest.unwrap_or(&empty);
    out.put(name::TRACESTATE, tracestate::MAX_ENCODED_LEN, |w| {
        tracestate::encode(own, b"dd", rest, w).is_ok() && !w.is_empty()
    });
}

/// `x-amzn-trace-id` for `c` with span `span`. Out of line, like every style's writer whose
/// buffers would otherwise sit in the frame of every injection.
#[inline(never)]
fn put_xray(c: &SpanContext<'_>, span: SpanId, out: &mut Out<'_>, report: &mut InjectReport) {
    let mut x = ArrayBuf::<{ xray::MAX_LEN }>::new();
    let r = xray::assemble(c.trace_id, span, c.sampling_priority, c.origin, &mut x);
    report.origin_sanitized |= r.origin_sanitized;
    report.origin_dropped |= r.origin_dropped;
    // Checked like every value with received bytes in it: the origin (sanitised by the
    // encoder) is part of this one.
    let v = x.as_bytes();
    out.put(name::X_AMZN_TRACE_ID, v.len(), |w| w.push(v).is_ok());
}

/// `b3` for `c` with span `span`.
#[inline(never)]
pub(super) fn put_b3_single(c: &SpanContext<'_>, span: SpanId, out: &mut Out<'_>) {
    let sampling = c.sampling_priority.map(b3::SamplingState::from_priority);
    let mut b = ArrayBuf::new();
    b3::assemble_single(c.trace_id, span, sampling, &mut b);
    out.put_bytes(name::B3, b.as_bytes());
}

/// `x-b3-*` for `c` with span `span`.
#[inline(never)]
pub(super) fn put_b3_multi(c: &SpanContext<'_>, span: SpanId, out: &mut Out<'_>) {
    // Hex digits alone: written straight into the carrier, without the field-value check.
    out.put_checked(name::X_B3_TRACEID, b3::TRACE_ID_MAX_LEN, false, |w| {
        b3::encode_trace_id(c.trace_id, w).is_ok()
    });
    out.put_checked(name::X_B3_SPANID, b3::SPAN_ID_LEN, false, |w| {
        b3::encode_span_id(span, w).is_ok()
    });
    if let Some(p) = c.sampling_priority {
        let (n, v) = b3::sampling_header(b3::SamplingState::from_priority(p));
        out.put_bytes(n, v);
    }
}

/// `baggage`; returns the members left out.
pub(super) fn put_baggage(baggage: BaggageOut<'_>, config: &Config, out: &mut Out<'_>) -> usize {
    let limits = super::baggage_limits(config);
    let mut dropped = 0;
    out.put(
        name::BAGGAGE,
        crate::config::Limits::BAGGAGE_BYTES_MAX,
        |w| {
            dropped = match baggage {
                BaggageOut::None => 0,
                BaggageOut::Extracted(b) => baggage::encode_raw(b, limits, w).unwrap_or(b.len()),
                BaggageOut::Pairs(p) => baggage::encode(
                    p.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
                    limits,
                    w,
                )
                .map_or(p.len(), |r| r.dropped),
            };
            !w.is_empty()
        },
    );
    dropped
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::carrier::FnInjector;
    use crate::id::TraceId;
    use std::string::String;
    use std::vec::Vec;

    /// Injection writes some headers from its own buffers (the decimal Datadog values, the
    /// traceparent, B3 single, X-Ray) rather than through the formats' public encoders: the
    /// bytes are the encoders' bytes, for a 64-bit and a 128-bit id, each decision and an
    /// origin to sanitise.
    #[test]
    fn injected_values_are_the_format_encoders_bytes() {
        use crate::format::{b3, traceparent, xray, Text};
        use crate::id::SamplingPriority;
        use crate::wire::buf::Writer;
        fn enc(f: impl FnOnce(&mut Writer<'_>) -> bool) -> Vec<u8> {
            let mut b = [0u8; 512];
            let mut w = Writer::new(&mut b);
            assert!(f(&mut w));
            w.written().to_vec()
        }
        let every = crate::config::StyleSet::EMPTY
            .with(Style::Datadog)
            .with(Style::TraceContext)
            .with(Style::B3Single)
            .with(Style::B3Multi)
            .with(Style::XRay);
        let config = Config::new().with_inject(every);
        if !Style::B3Single.is_built() || !Style::XRay.is_built() {
            return; // a build without those styles writes none of their headers
        }
        for (trace, p, origin) in [
            (0x2a_u128, Some(2), Some(&b"rum"[..])),
            (
                u128::MAX - 7,
                Some(-1),
                Some(&b"synthetics browser;\r\n"[..]),
            ),
            (0x1_0000_0000_0000_0001, None, None),
            (u128::from(u64::MAX), Some(0), None),
        ] {
            let t = TraceId::new(trace).unwrap_or(TraceId::MIN);
            let s = SpanId::new(0x00f0_67aa_0ba9_02b7).unwrap_or(SpanId::MIN);
            let mut ctx = SpanContext::new(t, Some(SpanId::MIN));
            ctx.sampling_priority = p.map(SamplingPriority);
            ctx.origin = origin.map(Text::plain);
            let child = ctx.child(s);
            let mut h = std::boxed::Box::new(crate::carrier::Headers::<16, 4096>::new());
            assert!(inject(Some(&child), BaggageOut::None, &config, &mut *h).is_ok());
            let got = |n: &str| h.get(n).map(<[u8]>::to_vec);
            let prio = p.map(SamplingPriority);
            assert_eq!(
                got(name::X_DATADOG_TRACE_ID),
                Some(enc(|w| datadog::encode_trace_id(t, w).is_ok()))
            );
            assert_eq!(
                got(name::X_DATADOG_PARENT_ID),
                Some(enc(|w| datadog::encode_parent_id(s, w).is_ok()))
            );
            assert_eq!(
                got(name::X_DATADOG_SAMPLING_PRIORITY),
                prio.map(|p| enc(|w| datadog::encode_priority(p, w).is_ok()))
            );
            let tp = traceparent::Traceparent {
                version: 0,
                trace_id: t,
                parent_id: s,
                flags: crate::id::TraceFlags(u8::from(child.is_sampled())),
            };
            assert_eq!(got(name::TRACEPARENT), Some(enc(|w| tp.encode(w).is_ok())));
            let sampling = prio.map(b3::SamplingState::from_priority);
            assert_eq!(
                got(name::B3),
                Some(enc(|w| b3::encode_single(t, s, sampling, w).is_ok()))
            );
            assert_eq!(
                got(name::X_B3_TRACEID),
                Some(enc(|w| b3::encode_trace_id(t, w).is_ok()))
            );
            assert_eq!(
                got(name::X_AMZN_TRACE_ID),
                Some(enc(|w| xray::encode(t, s, prio, ctx.origin, w).is_ok()))
            );
        }
    }

    /// Headers past the small stage reach a carrier that takes whole values (and a buffer
    /// carrier with no room for them beside the values they replace) through the heap with the
    /// `std` feature, and are `Full` without it (no 13 KiB area on the stack); a caller's stage
    /// of `STAGE_LEN` takes them either way. Run in both builds by `.ci/test`.
    #[test]
    fn headers_past_the_small_stage() {
        let ctx = SpanContext::new(TraceId::new(5).unwrap_or(TraceId::MIN), SpanId::new(6));
        let big = "v".repeat(3 * SMALL_STAGE_LEN);
        let items = [("k", big.as_str())];
        // The reference: the same headers written directly into a buffer carrier.
        let mut direct = std::boxed::Box::new(crate::carrier::Headers::<16, 16384>::new());
        let want = inject(
            Some(&ctx),
            BaggageOut::Pairs(&items),
            &Config::new(),
            &mut *direct,
        )
        .map(|r| r.headers);
        assert!(direct
            .get("baggage")
            .is_some_and(|b| b.len() == 2 + big.len()));
        let mut got: Vec<(&'static str, usize)> = Vec::new();
        let mut inj = FnInjector(|n: &'static str, v: &[u8]| {
            got.push((n, v.len()));
            Ok(())
        });
        let r = inject(
            Some(&ctx),
            BaggageOut::Pairs(&items),
            &Config::new(),
            &mut inj,
        );
        if cfg!(feature = "std") {
            assert_eq!(r.map(|r| r.headers), want);
            assert!(got.contains(&("baggage", 2 + big.len())));
        } else {
            assert_eq!(r, Err(InjectError::Carrier(CarrierError::Full)));
            assert!(got.is_empty(), "nothing set");
        }
        let mut forwarded: Vec<String> = Vec::new();
        let mut inj = FnInjector(|n: &'static str, _v: &[u8]| {
            forwarded.push(String::from(n));
            Ok(())
        });
        let incoming = [("baggage", std::format!("k={big}"))];
        let f = super::super::forward(&incoming, SpanId::MIN, &Config::new(), &mut inj);
        assert_eq!(f.is_ok(), cfg!(feature = "std"), "{f:?}");
        assert_eq!(forwarded.is_empty(), !cfg!(feature = "std"));

        // A buffer carrier that holds the headers being replaced: the direct write finds no room
        // beside them and is staged, as above.
        let old = "o".repeat(3 * SMALL_STAGE_LEN);
        let mut full = std::boxed::Box::new(crate::carrier::Headers::<16, 5000>::new());
        full.set("baggage", std::format!("k={old}").as_bytes())
            .unwrap_or_default();
        let r = inject(
            Some(&ctx),
            BaggageOut::Pairs(&items),
            &Config::new(),
            &mut *full,
        );
        let bag = full.get("baggage").map(<[u8]>::len);
        if cfg!(feature = "std") {
            assert_eq!(r.map(|r| r.headers), want);
            assert_eq!(bag, Some(2 + big.len()), "replaced");
        } else {
            assert_eq!(r, Err(InjectError::Carrier(CarrierError::Full)));
            assert_eq!(
                (bag, full.iter().count()),
                (Some(2 + old.len()), 1),
                "as it was"
            );
        }

        let mut stage = std::boxed::Box::new(InjectBuffers::<STAGE_LEN>::with_capacity());
        let mut got = 0usize;
        let mut inj = FnInjector(|_n: &'static str, v: &[u8]| {
            got += v.len();
            Ok(())
        });
        let items = [("k", big.as_str())];
        let r = inject_with(
            &mut stage,
            Some(&ctx),
            BaggageOut::Pairs(&items),
            &Config::new(),
            &mut inj,
        );
        assert_eq!(r.map(|r| r.headers), want);
        assert!(got > big.len());
    }
}
