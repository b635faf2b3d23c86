//! Extraction and injection across styles: Datadog's propagation semantics (docs/BEHAVIOUR.md §5,
//! §8.6, §9, §10; defaults of §12 #23–25, #29, #44).
//!
//! **Extraction** ([`extract`]) makes one pass over the carrier and keeps the slots of every header
//! any style reads (single-valued headers: the first occurrence; `tracestate`, `baggage` and
//! `x-datadog-tags`: every field line, up to [`MAX_FIELDS`](crate::wire::list::MAX_FIELDS)) in
//! [`Slots`] the caller holds: the result points into them rather than copying the lines. One
//! rule for folded values (§10, §12 #44): a single-valued header (`x-datadog-trace-id`,
//! `-parent-id`, `-sampling-priority`, `-origin`, `b3`, `x-b3-*`) is read up to its first `,`
//! ([`single_value`](crate::wire::list::single_value)); `traceparent`, which must arrive once, is
//! invalid when a `,` shows two values folded into one line, as when it arrives on two lines;
//! `x-amzn-trace-id` has no `,` in its grammar and is read whole. Each configured style then
//! decodes its slots independently into `Absent`, a valid
//! [`SpanContext`](crate::context::SpanContext), or an error; an error never stops the other styles
//! (§12 #24). The first valid context is the primary one (or, with extract-first, the only one
//! looked at). A later `tracecontext` context with the same 128-bit trace id lends its tracestate
//! and, when its parent differs, its parent id plus `_dd.parent_id` (§5.3); every other valid
//! context with a different trace id becomes a `terminated_context` span link (§5.4). Then the
//! behaviour applies (§5.7): `continue` keeps the primary, `restart` turns it into a single
//! `propagation_behavior_extract` link and keeps the baggage, `ignore` drops everything. Baggage is
//! extracted beside the trace styles and never becomes a context (§8.6).
//!
//! **Injection** ([`inject`]) writes every configured style straight into a carrier that
//! implements [`InPlace`](crate::carrier::InPlace), rolling it back when a header does not fit;
//! into any other carrier it stages every header first and calls
//! [`Inject::set`](crate::carrier::Inject::set) only when the carrier accepts all of them
//! ([`Inject::prepare`](crate::carrier::Inject::prepare)), with lowercase names. Every value
//! handed to a carrier is a valid field value (visible ASCII, space and tab, no white space at the
//! edges; origins are sanitised, tags that cannot be written are skipped and reported). A style
//! that cannot be encoded (for example the tags header over its limit) is left out and reported, as
//! Datadog's tracers do; a carrier that is too small gets nothing at all.
//!
//! **Forward mode** ([`forward`]), for proxies, reads each style's incoming headers by the
//! extraction rules and writes them again for the next hop with only the parent id replaced, by the
//! injection encoders and within their limits.
//!
//! The module is split along those jobs: `slots` (the one pass over the carrier), `extract`
//! (candidates, merge, links, behaviour), `inject` (encoding every style, all or nothing),
//! `forward` (forward mode) and `proxy` (the in-place entry points a proxy calls).

mod extract;
mod forward;
mod inject;
mod proxy;
mod slots;

pub use extract::{
    extract, extract_into, extract_slots, Extracted, LinkReason, Links, Report, SpanLink, Status,
    StyleError, MAX_LINKS,
};
pub use forward::{forward, forward_with, ForwardReport};
pub use inject::{
    inject, inject_replacing, inject_with, BaggageOut, InjectBuffers, InjectError, InjectReport,
    ORIGIN_MAX_LEN, SMALL_STAGE_LEN, STAGE_LEN,
};
pub use proxy::{continue_block, continue_in_place, forward_in_place, Continued};
pub use slots::Slots;

use forward::encode_forward;

/// The baggage limits every path reads and writes by: the configured ones, with the byte limit
/// held to [`Limits::BAGGAGE_BYTES_MAX`](crate::config::Limits::BAGGAGE_BYTES_MAX) (the size of
/// the encode buffer) even when a caller set the public field above it, so that whatever
/// extraction accepts, injection and forward mode can write again.
fn baggage_limits(config: &crate::config::Config) -> crate::format::baggage::Limits {
    crate::format::baggage::Limits {
        max_items: config.limits.baggage_max_items,
        max_bytes: config
            .limits
            .baggage_max_bytes
            .min(crate::config::Limits::BAGGAGE_BYTES_MAX),
    }
}
use inject::{encode_inject, encode_into, Pending};
