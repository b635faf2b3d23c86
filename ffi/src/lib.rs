//! The C API of tracewire, for C firmware and C proxies (NGINX and HAProxy modules iterate
//! headers through callbacks; firmware parses a request head in a buffer).
//!
//! In C's idiom: the caller owns every struct (`tracewire_config`, `tracewire_context`,
//! `tracewire_buffers`), whose sizes and alignments are fixed by the header; every function
//! returns a `tracewire_status`, `tracewire_strerror` says what it means; nothing allocates and
//! nothing crosses the boundary as a panic (the library is proven panic-free, and the library
//! builds with `panic = "abort"`).
//!
//! A context borrows the header bytes it was extracted from: they must stay valid and unchanged
//! until the last call that uses the context (injection reads them again).
//!
//! Every `unsafe` block of this crate is a dereference of a pointer the C caller passed, each
//! with its SAFETY comment; the library itself is `#![forbid(unsafe_code)]`.
#![cfg_attr(not(feature = "std"), no_std)]
#![allow(non_camel_case_types)]
#![deny(missing_docs)]

use core::ffi::{c_char, c_int, c_void};
use core::mem::{align_of, size_of};

use tracewire::carrier::{Extract, HeaderBlock, HeaderBlockWriter, Inject};
use tracewire::config::{Behavior, Config, Style};
use tracewire::propagate::{self, InjectBuffers, InjectError, Status, STAGE_LEN};
use tracewire::wire::name;
use tracewire::SpanId;

/// What a call did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tracewire_status {
    /// Done.
    Ok = 0,
    /// A required pointer was NULL.
    NullArgument = 1,
    /// The output buffer is too small; nothing was written.
    Full = 2,
    /// A header value could not be taken by the callback; earlier headers were delivered.
    CallbackFailed = 3,
    /// No trace context continues (nothing valid arrived, or behaviour restart/ignore).
    NoContext = 4,
    /// An argument is out of its range (a span id of 0, an unknown style).
    InvalidArgument = 5,
    /// More trace headers than a context can hold ([`TRACEWIRE_MAX_HEADERS`]); the rest were
    /// not read.
    TooManyHeaders = 6,
    /// A configuration variable was not understood; the configuration was still built (the
    /// default applies to that variable).
    ConfigIssue = 7,
}

/// What one style found in the incoming headers (see [`tracewire_context_style_status`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tracewire_style_status {
    /// The style is not configured for extraction.
    NotConfigured = 0,
    /// Not looked at (extract-first stopped earlier).
    Skipped = 1,
    /// None of its headers arrived.
    Absent = 2,
    /// A valid context.
    Valid = 3,
    /// A valid context, part of which was ignored (a sampling value outside the spec).
    ValidIgnoring = 4,
    /// A sampling decision without ids.
    DecisionOnly = 5,
    /// Its headers were rejected.
    Invalid = 6,
}

/// A propagation style.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tracewire_style {
    /// `x-datadog-*`.
    Datadog = 0,
    /// W3C `traceparent` / `tracestate`.
    Tracecontext = 1,
    /// `b3`.
    B3Single = 2,
    /// `x-b3-*`.
    B3Multi = 3,
    /// `x-amzn-trace-id`.
    Xray = 4,
    /// W3C `baggage`.
    Baggage = 5,
}

/// Most trace headers one context holds (tracewire reads 15 names; repeated `tracestate`,
/// `baggage` and `x-datadog-tags` lines count once each).
pub const TRACEWIRE_MAX_HEADERS: usize = 32;

/// Caller-owned storage for a configuration. Fill it with [`tracewire_config_default`],
/// [`tracewire_config_from_strings`] or [`tracewire_config_from_getenv`].
#[repr(C)]
pub struct tracewire_config {
    /// Storage only: its contents are private to the library.
    pub _opaque: [u64; 40],
}

/// Caller-owned storage for an extracted context (what arrived, as pointers into the caller's
/// header bytes, and its summary).
#[repr(C)]
pub struct tracewire_context {
    /// Storage only: its contents are private to the library.
    pub _opaque: [u64; 128],
}

/// Caller-owned encoding buffers for injection and forward mode (about 14 KiB: keep them off a
/// small stack, in static storage for example). Injection into a header block writes straight
/// into the block and leaves them untouched; the callback carrier stages its headers here.
#[repr(C)]
pub struct tracewire_buffers {
    /// Storage only: its contents are private to the library.
    pub _opaque: [u64; 1792],
}

/// One header as a name and a value, pointer and length each (no NUL terminator needed).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tracewire_header {
    /// The name's bytes.
    pub name: *const u8,
    /// The name's length.
    pub name_len: usize,
    /// The value's bytes.
    pub value: *const u8,
    /// The value's length.
    pub value_len: usize,
}

/// Called by the host once per incoming header: `visit(visit_ctx, name, name_len, value,
/// value_len)`.
pub type tracewire_visit_fn = Option<
    unsafe extern "C" fn(
        visit_ctx: *mut c_void,
        name: *const u8,
        name_len: usize,
        value: *const u8,
        value_len: usize,
    ),
>;

/// The host's header iteration: calls `visit` for every header of the request (how NGINX and
/// HAProxy walk their header lists).
pub type tracewire_iterate_fn = Option<
    unsafe extern "C" fn(host: *mut c_void, visit: tracewire_visit_fn, visit_ctx: *mut c_void),
>;

/// Receives one outgoing header: returns 0 when it took it, anything else to stop.
pub type tracewire_set_fn = Option<
    unsafe extern "C" fn(
        host: *mut c_void,
        name: *const u8,
        name_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> c_int,
>;

/// Looks a configuration variable up (`getenv` fits): a NUL-terminated value, or NULL.
pub type tracewire_getenv_fn = Option<unsafe extern "C" fn(name: *const c_char) -> *const c_char>;

// The storage the header promises must hold the Rust values.
const _: () = assert!(size_of::<Config>() <= size_of::<tracewire_config>());
const _: () = assert!(align_of::<Config>() <= align_of::<tracewire_config>());
const _: () = assert!(size_of::<ContextRepr>() <= size_of::<tracewire_context>());
const _: () = assert!(align_of::<ContextRepr>() <= align_of::<tracewire_context>());
/// The staging area behind `tracewire_buffers`: room for every header at its limit (the
/// Rust library's default is 1 KiB; the C API keeps the size its header has always declared).
type Buffers = InjectBuffers<STAGE_LEN>;

const _: () = assert!(size_of::<Buffers>() <= size_of::<tracewire_buffers>());
const _: () = assert!(align_of::<Buffers>() <= align_of::<tracewire_buffers>());

/// One kept header: which name (index into [`name::ALL`]) and the caller's value bytes.
#[derive(Clone, Copy)]
struct Kept {
    name: u8,
    value: *const u8,
    len: usize,
}

/// What a `tracewire_context` holds.
#[derive(Clone, Copy)]
struct ContextRepr {
    magic: u32,
    headers: [Kept; TRACEWIRE_MAX_HEADERS],
    count: usize,
    overflow: bool,
    trace_hi: u64,
    trace_lo: u64,
    has_trace: bool,
    parent: u64,
    priority: Option<i32>,
    origin: (*const u8, usize),
    statuses: [tracewire_style_status; 6],
}

const MAGIC: u32 = 0x7472_6377;

impl ContextRepr {
    fn empty() -> Self {
        ContextRepr {
            magic: MAGIC,
            headers: [Kept {
                name: 0,
                value: core::ptr::null(),
                len: 0,
            }; TRACEWIRE_MAX_HEADERS],
            count: 0,
            overflow: false,
            trace_hi: 0,
            trace_lo: 0,
            has_trace: false,
            parent: 0,
            priority: None,
            origin: (core::ptr::null(), 0),
            statuses: [tracewire_style_status::NotConfigured; 6],
        }
    }

    /// Keeps a header tracewire reads (others are not needed again).
    fn offer(&mut self, n: &[u8], v: &[u8]) {
        let Some(i) = name::ALL.iter().position(|k| name::eq_name(n, k)) else {
            return;
        };
        match self.headers.get_mut(self.count) {
            Some(slot) => {
                *slot = Kept {
                    name: i as u8,
                    value: v.as_ptr(),
                    len: v.len(),
                };
                self.count += 1;
            }
            None => self.overflow = true,
        }
    }
}

/// The kept headers, as a carrier.
struct KeptHeaders<'c>(&'c ContextRepr);

impl Extract for KeptHeaders<'_> {
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
        for k in self.0.headers.iter().take(self.0.count) {
            let n = name::ALL.get(usize::from(k.name)).copied().unwrap_or("");
            // SAFETY: `value`/`len` were taken from a slice the caller handed to an extract
            // function; the API contract (module docs) is that those bytes stay valid and
            // unchanged while the context is used.
            let v = unsafe { bytes(k.value, k.len) };
            f(n.as_bytes(), v);
        }
    }
}

/// A byte slice from a C pointer and length (an empty slice for NULL or 0).
///
/// # Safety
/// `p` must point to `len` readable bytes that outlive `'a` (or be NULL / `len` 0).
unsafe fn bytes<'a>(p: *const u8, len: usize) -> &'a [u8] {
    if p.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: non-NULL with `len` readable bytes, by this function's contract.
        unsafe { core::slice::from_raw_parts(p, len) }
    }
}

/// The configuration in caller storage.
///
/// # Safety
/// `c` must be NULL or point to a `tracewire_config` filled by one of the config functions.
unsafe fn config_ref<'a>(c: *const tracewire_config) -> Option<&'a Config> {
    // SAFETY: by contract the storage holds a `Config` written by `put_config`, suitably
    // sized and aligned (the const assertions above).
    unsafe { c.cast::<Config>().as_ref() }
}

/// The context in caller storage, if it was filled by an extract function.
///
/// # Safety
/// `c` must be NULL or point to a `tracewire_context` the caller owns.
unsafe fn context_ref<'a>(c: *const tracewire_context) -> Option<&'a ContextRepr> {
    // SAFETY: by contract the storage is caller-owned and large enough; its first field is
    // only trusted when the magic written by `put_context` is there.
    let r = unsafe { c.cast::<ContextRepr>().as_ref()? };
    (r.magic == MAGIC).then_some(r)
}

fn put_config(out: *mut tracewire_config, cfg: Config) -> tracewire_status {
    // SAFETY: `out` is non-NULL (checked by every caller) and points to caller storage sized
    // and aligned for a `Config` (the const assertions above); `write` does not read the old
    // contents.
    unsafe { out.cast::<Config>().write(cfg) };
    tracewire_status::Ok
}

/// Writes the default configuration (`datadog,tracecontext,baggage`, behaviour `continue`).
///
/// # Safety
/// `out` must be NULL or point to writable `tracewire_config` storage.
#[no_mangle]
pub unsafe extern "C" fn tracewire_config_default(out: *mut tracewire_config) -> tracewire_status {
    if out.is_null() {
        return tracewire_status::NullArgument;
    }
    put_config(out, Config::new())
}

/// Builds a configuration from `n` environment-style variables (`names[i]` = `values[i]`,
/// NUL-terminated: `DD_TRACE_PROPAGATION_STYLE`, `DD_TRACE_PROPAGATION_STYLE_EXTRACT`,
/// `OTEL_PROPAGATORS`, `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`,
/// `DD_TRACE_PROPAGATION_EXTRACT_FIRST`, ...). Returns `ConfigIssue` when a value was not
/// understood (the configuration is still written, the default applying to that variable).
///
/// # Safety
/// `out` must point to writable `tracewire_config` storage; `names` and `values` to `n`
/// pointers each, every one NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn tracewire_config_from_strings(
    out: *mut tracewire_config,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
) -> tracewire_status {
    if out.is_null() || (n > 0 && (names.is_null() || values.is_null())) {
        return tracewire_status::NullArgument;
    }
    let lookup = |var: &str| -> Option<&str> {
        (0..n).find_map(|i| {
            // SAFETY: `names` and `values` hold `n` pointers (contract), `i < n`.
            let (k, v) = unsafe { (*names.add(i), *values.add(i)) };
            // SAFETY: each pointer is NULL or a NUL-terminated string (contract).
            let k = unsafe { c_str(k) }?;
            if k != var {
                return None;
            }
            // SAFETY: as above.
            unsafe { c_str(v) }
        })
    };
    let (cfg, report) = Config::from_lookup(lookup);
    put_config(out, cfg);
    if report.is_clean() {
        tracewire_status::Ok
    } else {
        tracewire_status::ConfigIssue
    }
}

/// Builds a configuration from the host's environment through `lookup` (pass `getenv`).
///
/// # Safety
/// `out` must point to writable `tracewire_config` storage; `lookup` must return NULL or a
/// NUL-terminated string that stays valid during this call.
#[no_mangle]
pub unsafe extern "C" fn tracewire_config_from_getenv(
    out: *mut tracewire_config,
    lookup: tracewire_getenv_fn,
) -> tracewire_status {
    let Some(lookup) = lookup else {
        return tracewire_status::NullArgument;
    };
    if out.is_null() {
        return tracewire_status::NullArgument;
    }
    let get = |var: &str| -> Option<&str> {
        // Variable names are short ASCII: copy one into a NUL-terminated buffer for C.
        let mut buf = [0u8; 64];
        let dst = buf.get_mut(..var.len())?;
        dst.copy_from_slice(var.as_bytes());
        // SAFETY: `buf` is NUL-terminated (at least one trailing 0); `lookup` returns NULL or
        // a NUL-terminated string valid during this call (contract).
        unsafe { c_str(lookup(buf.as_ptr().cast())) }
    };
    let (cfg, report) = Config::from_lookup(get);
    put_config(out, cfg);
    if report.is_clean() {
        tracewire_status::Ok
    } else {
        tracewire_status::ConfigIssue
    }
}

/// A NUL-terminated C string as UTF-8 (`None` for NULL or invalid UTF-8).
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives `'a`.
unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated by this function's contract.
    unsafe { core::ffi::CStr::from_ptr(p) }.to_str().ok()
}

fn style_index(s: Style) -> Option<usize> {
    match s {
        Style::Datadog => Some(0),
        Style::TraceContext => Some(1),
        Style::B3Single => Some(2),
        Style::B3Multi => Some(3),
        Style::XRay => Some(4),
        Style::Baggage => Some(5),
        Style::None => None,
    }
}

/// Extracts under `cfg` from the headers kept in `repr`, records the summary, and writes the
/// context to `out`.
fn finish_extract(
    cfg: &Config,
    mut repr: ContextRepr,
    out: *mut tracewire_context,
) -> tracewire_status {
    let (statuses, summary) = summarize(cfg, &repr);
    repr.statuses = statuses;
    if let Some((t, parent, prio, origin)) = summary {
        repr.has_trace = true;
        repr.trace_hi = t.high();
        repr.trace_lo = t.low();
        repr.parent = parent.map_or(0, SpanId::get);
        repr.priority = prio.map(|p| p.0);
        repr.origin = origin;
    }
    let overflow = repr.overflow;
    // SAFETY: `out` is non-NULL (checked by every caller) and points to caller storage sized
    // and aligned for a `ContextRepr` (the const assertions above).
    unsafe { out.cast::<ContextRepr>().write(repr) };
    if overflow {
        tracewire_status::TooManyHeaders
    } else {
        tracewire_status::Ok
    }
}

/// The trace summary a context records.
type Summary = (
    tracewire::TraceId,
    Option<SpanId>,
    Option<tracewire::SamplingPriority>,
    (*const u8, usize),
);

/// Extracts from the kept headers: each style's status and the continued trace, if any.
fn summarize(cfg: &Config, repr: &ContextRepr) -> ([tracewire_style_status; 6], Option<Summary>) {
    let carrier = KeptHeaders(repr);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&carrier, cfg, &mut slots);
    let mut statuses = [tracewire_style_status::NotConfigured; 6];
    for (style, st) in ex.report.entries() {
        if let Some(slot) = style_index(*style).and_then(|i| statuses.get_mut(i)) {
            *slot = match st {
                Status::Skipped => tracewire_style_status::Skipped,
                Status::Absent => tracewire_style_status::Absent,
                Status::Valid => tracewire_style_status::Valid,
                Status::ValidIgnoring(_) => tracewire_style_status::ValidIgnoring,
                Status::DecisionOnly => tracewire_style_status::DecisionOnly,
                Status::Invalid(_) => tracewire_style_status::Invalid,
                // The C libraries are built with every style (the default features).
                Status::NotBuilt => tracewire_style_status::Absent,
            };
        }
    }
    if let (Some(slot), Some(b)) = (statuses.get_mut(5), ex.report.baggage) {
        *slot = match b {
            Ok(()) => tracewire_style_status::Valid,
            Err(_) => tracewire_style_status::Invalid,
        };
    } else if cfg.extract.contains(Style::Baggage) {
        if let Some(slot) = statuses.get_mut(5) {
            *slot = tracewire_style_status::Absent;
        }
    }
    let summary = ex.context.map(|c| {
        let origin = c
            .origin
            .map_or((core::ptr::null(), 0), |o| (o.raw().as_ptr(), o.len()));
        (c.trace_id, c.span_id, c.sampling_priority, origin)
    });
    (statuses, summary)
}

/// Extracts from an array of `n` headers.
///
/// # Safety
/// `cfg` must point to a filled configuration, `out` to writable context storage, `headers` to
/// `n` headers whose pointers address readable bytes that stay valid while `out` is used.
#[no_mangle]
pub unsafe extern "C" fn tracewire_extract_headers(
    cfg: *const tracewire_config,
    headers: *const tracewire_header,
    n: usize,
    out: *mut tracewire_context,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let Some(cfg) = (unsafe { config_ref(cfg) }) else {
        return tracewire_status::NullArgument;
    };
    if out.is_null() || (n > 0 && headers.is_null()) {
        return tracewire_status::NullArgument;
    }
    let mut repr = ContextRepr::empty();
    for i in 0..n {
        // SAFETY: `headers` holds `n` entries (contract), `i < n`.
        let h = unsafe { *headers.add(i) };
        // SAFETY: each name/value pointer addresses that many readable bytes (contract).
        let (name, value) = unsafe { (bytes(h.name, h.name_len), bytes(h.value, h.value_len)) };
        repr.offer(name, value);
    }
    finish_extract(cfg, repr, out)
}

/// Extracts from a raw HTTP/1.1 header block (`Name: value` lines, CRLF or LF, up to the blank
/// line; a request line is skipped), read as RFC 9112 says.
///
/// # Safety
/// `cfg` must point to a filled configuration, `out` to writable context storage, `block` to
/// `len` readable bytes that stay valid while `out` is used.
#[no_mangle]
pub unsafe extern "C" fn tracewire_extract_block(
    cfg: *const tracewire_config,
    block: *const u8,
    len: usize,
    out: *mut tracewire_context,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let Some(cfg) = (unsafe { config_ref(cfg) }) else {
        return tracewire_status::NullArgument;
    };
    if out.is_null() || (len > 0 && block.is_null()) {
        return tracewire_status::NullArgument;
    }
    // SAFETY: `block` addresses `len` readable bytes (contract).
    let input = unsafe { bytes(block, len) };
    let mut repr = ContextRepr::empty();
    HeaderBlock(input).for_each_header(|n, v| repr.offer(n, v));
    finish_extract(cfg, repr, out)
}

unsafe extern "C" fn visit_trampoline(
    ctx: *mut c_void,
    name: *const u8,
    name_len: usize,
    value: *const u8,
    value_len: usize,
) {
    // SAFETY: `ctx` is the `ContextRepr` that `tracewire_extract_callback` passed to the host
    // for this call only; the host calls back with the pointer unchanged.
    let Some(repr) = (unsafe { ctx.cast::<ContextRepr>().as_mut() }) else {
        return;
    };
    // SAFETY: the host passes its own header bytes, valid while the context is used (contract
    // of `tracewire_extract_callback`).
    let (n, v) = unsafe { (bytes(name, name_len), bytes(value, value_len)) };
    repr.offer(n, v);
}

/// Extracts by letting the host iterate its headers: `iterate(host, visit, visit_ctx)` must
/// call `visit(visit_ctx, name, name_len, value, value_len)` for every header.
///
/// # Safety
/// `cfg` must point to a filled configuration, `out` to writable context storage; the header
/// bytes the host passes must stay valid while `out` is used.
#[no_mangle]
pub unsafe extern "C" fn tracewire_extract_callback(
    cfg: *const tracewire_config,
    iterate: tracewire_iterate_fn,
    host: *mut c_void,
    out: *mut tracewire_context,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let Some(cfg) = (unsafe { config_ref(cfg) }) else {
        return tracewire_status::NullArgument;
    };
    let Some(iterate) = iterate else {
        return tracewire_status::NullArgument;
    };
    if out.is_null() {
        return tracewire_status::NullArgument;
    }
    let mut repr = ContextRepr::empty();
    // SAFETY: the host's iterator gets the trampoline and a pointer to `repr`, which lives
    // across the call; the trampoline only offers headers to it.
    unsafe {
        iterate(
            host,
            Some(visit_trampoline),
            (&mut repr as *mut ContextRepr).cast(),
        )
    };
    finish_extract(cfg, repr, out)
}

/// 1 when a trace context continues, 0 when a new trace starts (or `ctx` is not a context).
///
/// # Safety
/// `ctx` must be NULL or point to context storage.
#[no_mangle]
pub unsafe extern "C" fn tracewire_context_has_trace(ctx: *const tracewire_context) -> c_int {
    // SAFETY: contract of this function.
    unsafe { context_ref(ctx) }.map_or(0, |r| c_int::from(r.has_trace))
}

/// The continued trace id, high and low 64 bits.
///
/// # Safety
/// `ctx` must point to an extracted context; `hi` and `lo` to writable `uint64_t`s.
#[no_mangle]
pub unsafe extern "C" fn tracewire_context_trace_id(
    ctx: *const tracewire_context,
    hi: *mut u64,
    lo: *mut u64,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let Some(r) = (unsafe { context_ref(ctx) }) else {
        return tracewire_status::NullArgument;
    };
    if hi.is_null() || lo.is_null() {
        return tracewire_status::NullArgument;
    }
    if !r.has_trace {
        return tracewire_status::NoContext;
    }
    // SAFETY: both are non-NULL writable `uint64_t`s (contract).
    unsafe {
        hi.write(r.trace_hi);
        lo.write(r.trace_lo);
    }
    tracewire_status::Ok
}

/// The remote parent span id (0 when the upstream sent none).
///
/// # Safety
/// `ctx` must point to an extracted context; `out` to a writable `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn tracewire_context_parent_id(
    ctx: *const tracewire_context,
    out: *mut u64,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let Some(r) = (unsafe { context_ref(ctx) }) else {
        return tracewire_status::NullArgument;
    };
    if out.is_null() {
        return tracewire_status::NullArgument;
    }
    if !r.has_trace {
        return tracewire_status::NoContext;
    }
    // SAFETY: non-NULL writable (contract).
    unsafe { out.write(r.parent) };
    tracewire_status::Ok
}

/// The sampling priority (`NoContext` when none was decided or no trace continues).
///
/// # Safety
/// `ctx` must point to an extracted context; `out` to a writable `int32_t`.
#[no_mangle]
pub unsafe extern "C" fn tracewire_context_sampling_priority(
    ctx: *const tracewire_context,
    out: *mut i32,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let Some(r) = (unsafe { context_ref(ctx) }) else {
        return tracewire_status::NullArgument;
    };
    if out.is_null() {
        return tracewire_status::NullArgument;
    }
    match r.priority {
        Some(p) if r.has_trace => {
            // SAFETY: non-NULL writable (contract).
            unsafe { out.write(p) };
            tracewire_status::Ok
        }
        _ => tracewire_status::NoContext,
    }
}

/// The origin as it arrived (pointer into the caller's header bytes, not NUL-terminated;
/// `NoContext` when there is none). A `dd=` member origin keeps its `~` for `=` escaping.
///
/// # Safety
/// `ctx` must point to an extracted context; `ptr` and `len` to writable storage.
#[no_mangle]
pub unsafe extern "C" fn tracewire_context_origin(
    ctx: *const tracewire_context,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let Some(r) = (unsafe { context_ref(ctx) }) else {
        return tracewire_status::NullArgument;
    };
    if ptr.is_null() || len.is_null() {
        return tracewire_status::NullArgument;
    }
    if !r.has_trace || r.origin.0.is_null() {
        return tracewire_status::NoContext;
    }
    // SAFETY: non-NULL writable (contract).
    unsafe {
        ptr.write(r.origin.0);
        len.write(r.origin.1);
    }
    tracewire_status::Ok
}

/// What `style` (a `tracewire_style` value) found in the incoming headers;
/// `NOT_CONFIGURED` for a value that names no style.
///
/// # Safety
/// `ctx` must be NULL or point to context storage.
#[no_mangle]
pub unsafe extern "C" fn tracewire_context_style_status(
    ctx: *const tracewire_context,
    style: c_int,
) -> tracewire_style_status {
    // SAFETY: contract of this function.
    let Some(r) = (unsafe { context_ref(ctx) }) else {
        return tracewire_style_status::NotConfigured;
    };
    usize::try_from(style)
        .ok()
        .and_then(|i| r.statuses.get(i))
        .copied()
        .unwrap_or(tracewire_style_status::NotConfigured)
}

/// The encoding buffers in caller storage, freshly initialised.
///
/// # Safety
/// `b` must point to writable `tracewire_buffers` storage.
unsafe fn buffers_mut<'a>(b: *mut tracewire_buffers) -> Option<&'a mut Buffers> {
    if b.is_null() {
        return None;
    }
    let p = b.cast::<Buffers>();
    // SAFETY: caller storage sized and aligned for `InjectBuffers` (const assertions); it is
    // written before the reference is made, so no uninitialised value is ever read.
    unsafe {
        p.write(Buffers::with_capacity());
        p.as_mut()
    }
}

fn status_of(e: InjectError) -> tracewire_status {
    match e {
        InjectError::Carrier(tracewire::carrier::CarrierError::Full) => tracewire_status::Full,
        InjectError::Carrier(_) => tracewire_status::CallbackFailed,
    }
}

/// Writes a header block into a caller buffer: the shared part of the two block writers.
unsafe fn write_block(
    out: *mut u8,
    cap: usize,
    written: *mut usize,
    f: impl FnOnce(&mut HeaderBlockWriter<'_>) -> Result<usize, InjectError>,
) -> tracewire_status {
    if written.is_null() || (cap > 0 && out.is_null()) {
        return tracewire_status::NullArgument;
    }
    let buf: &mut [u8] = if cap == 0 {
        &mut []
    } else {
        // SAFETY: `out` addresses `cap` writable bytes (contract of the callers).
        unsafe { core::slice::from_raw_parts_mut(out, cap) }
    };
    let mut w = HeaderBlockWriter::new(buf);
    let r = f(&mut w);
    let n = w.written().len();
    // SAFETY: non-NULL writable `size_t` (checked above, contract of the callers).
    unsafe { written.write(if r.is_ok() { n } else { 0 }) };
    match r {
        Ok(_) => tracewire_status::Ok,
        Err(e) => status_of(e),
    }
}

/// Injects the context continued with `span_id` as the next hop's parent (and the incoming
/// baggage) as `name: value\r\n` lines into `out` (capacity `cap`); `*written` gets the bytes
/// written. All or nothing: on `Full`, nothing is written. With no context, only baggage.
///
/// # Safety
/// `ctx`, `cfg`, `bufs` must point to an extracted context, a configuration and buffer
/// storage; `out` to `cap` writable bytes; `written` to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn tracewire_inject_block(
    ctx: *const tracewire_context,
    cfg: *const tracewire_config,
    bufs: *mut tracewire_buffers,
    span_id: u64,
    out: *mut u8,
    cap: usize,
    written: *mut usize,
) -> tracewire_status {
    // SAFETY: contract of this function. The block is written in place: `bufs` is checked but
    // neither initialised nor used (the buffers are for carriers that take whole values).
    let (Some(r), Some(cfg), false) = (
        unsafe { context_ref(ctx) },
        unsafe { config_ref(cfg) },
        bufs.is_null(),
    ) else {
        return tracewire_status::NullArgument;
    };
    let Some(span) = SpanId::new(span_id) else {
        return tracewire_status::InvalidArgument;
    };
    let carrier = KeptHeaders(r);
    // SAFETY: `out`, `cap` and `written` as this function's contract says.
    unsafe {
        write_block(out, cap, written, |w| {
            let mut ex = propagate::Extracted::EMPTY;
            let mut slots = propagate::Slots::new();
            propagate::extract_into(&carrier, cfg, &mut slots, &mut ex);
            if let Some(c) = ex.context.as_mut() {
                c.make_child(span);
            }
            propagate::inject(ex.context.as_ref(), ex.baggage_out(), cfg, w).map(|r| r.headers)
        })
    }
}

/// Forward mode into a header block: every valid incoming style rewritten with `span_id` as
/// its parent id (see tracewire's `propagate::forward`). All or nothing.
///
/// # Safety
/// As [`tracewire_inject_block`].
#[no_mangle]
pub unsafe extern "C" fn tracewire_forward_block(
    ctx: *const tracewire_context,
    cfg: *const tracewire_config,
    bufs: *mut tracewire_buffers,
    span_id: u64,
    out: *mut u8,
    cap: usize,
    written: *mut usize,
) -> tracewire_status {
    // SAFETY: contract of this function. `bufs` is checked, not used (as in
    // `tracewire_inject_block`).
    let (Some(r), Some(cfg), false) = (
        unsafe { context_ref(ctx) },
        unsafe { config_ref(cfg) },
        bufs.is_null(),
    ) else {
        return tracewire_status::NullArgument;
    };
    let Some(span) = SpanId::new(span_id) else {
        return tracewire_status::InvalidArgument;
    };
    let carrier = KeptHeaders(r);
    // SAFETY: `out`, `cap` and `written` as this function's contract says.
    unsafe {
        write_block(out, cap, written, |w| {
            propagate::forward(&carrier, span, cfg, w).map(|r| r.headers)
        })
    }
}

/// Hands each header to a C callback.
struct Callback {
    set: unsafe extern "C" fn(*mut c_void, *const u8, usize, *const u8, usize) -> c_int,
    host: *mut c_void,
}

impl Inject for Callback {
    fn set(
        &mut self,
        name: &'static str,
        value: &[u8],
    ) -> Result<(), tracewire::carrier::CarrierError> {
        // SAFETY: the host's callback receives pointers to bytes valid during the call.
        let rc = unsafe {
            (self.set)(
                self.host,
                name.as_ptr(),
                name.len(),
                value.as_ptr(),
                value.len(),
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(tracewire::carrier::CarrierError::InvalidValue)
        }
    }
}

/// Injects through `set(host, name, name_len, value, value_len)`, called once per outgoing
/// header (lowercase names; values valid only during the call). Every header is encoded before
/// the first call; if the callback refuses one (non-zero), the calls stop and
/// `CallbackFailed` is returned (the host has the earlier ones).
///
/// # Safety
/// `ctx`, `cfg`, `bufs` must point to an extracted context, a configuration and buffer storage.
#[no_mangle]
pub unsafe extern "C" fn tracewire_inject_callback(
    ctx: *const tracewire_context,
    cfg: *const tracewire_config,
    bufs: *mut tracewire_buffers,
    span_id: u64,
    set: tracewire_set_fn,
    host: *mut c_void,
) -> tracewire_status {
    // SAFETY: contract of this function.
    let (Some(r), Some(cfg), Some(bufs), Some(set)) = (
        unsafe { context_ref(ctx) },
        unsafe { config_ref(cfg) },
        unsafe { buffers_mut(bufs) },
        set,
    ) else {
        return tracewire_status::NullArgument;
    };
    let Some(span) = SpanId::new(span_id) else {
        return tracewire_status::InvalidArgument;
    };
    let carrier = KeptHeaders(r);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&carrier, cfg, &mut slots);
    let child = ex.context.map(|c| c.child(span));
    let mut cb = Callback { set, host };
    match propagate::inject_with(bufs, child.as_ref(), ex.baggage_out(), cfg, &mut cb) {
        Ok(_) => tracewire_status::Ok,
        Err(e) => status_of(e),
    }
}

/// Sets the extraction behaviour of a configuration (0 continue, 1 restart, 2 ignore).
///
/// # Safety
/// `cfg` must point to a filled configuration.
#[no_mangle]
pub unsafe extern "C" fn tracewire_config_set_behavior(
    cfg: *mut tracewire_config,
    behavior: c_int,
) -> tracewire_status {
    // SAFETY: a filled configuration (contract): a valid, aligned `Config`.
    let Some(c) = (unsafe { cfg.cast::<Config>().as_mut() }) else {
        return tracewire_status::NullArgument;
    };
    c.behavior = match behavior {
        0 => Behavior::Continue,
        1 => Behavior::Restart,
        2 => Behavior::Ignore,
        _ => return tracewire_status::InvalidArgument,
    };
    tracewire_status::Ok
}

/// A static, NUL-terminated sentence for a status (a `tracewire_status` value; any other
/// number gets "unknown status").
#[no_mangle]
pub extern "C" fn tracewire_strerror(status: c_int) -> *const c_char {
    let s: &'static [u8] = match status {
        0 => b"ok\0",
        1 => b"a required pointer was NULL\0",
        2 => b"the output buffer is too small; nothing was written\0",
        3 => b"the callback refused a header\0",
        4 => b"no trace context continues\0",
        5 => b"an argument is out of range\0",
        6 => b"more trace headers than a context holds; the rest were not read\0",
        7 => b"a configuration variable was not understood; its default applies\0",
        _ => b"unknown status\0",
    };
    s.as_ptr().cast()
}

#[cfg(not(feature = "std"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // Unreachable: the library is proven panic-free over its entry points (.ci/run); should a
    // bug make it reachable, aborting is the only thing a C caller can survive.
    loop {}
}

/// The precompiled `core` refers to the unwinding personality even with `panic = "abort"`; it
/// is never called.
#[cfg(not(feature = "std"))]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[cfg(test)]
mod tests {
    //! The C API called the way C calls it, on storage the test owns (`MaybeUninit`, as C's
    //! uninitialised statics and stack variables).
    use super::*;
    use core::mem::MaybeUninit;
    use std::boxed::Box;
    use std::vec::Vec;

    fn config() -> Box<tracewire_config> {
        let mut c = Box::new(MaybeUninit::<tracewire_config>::uninit());
        // SAFETY: writable storage of the right type.
        assert_eq!(
            unsafe { tracewire_config_default(c.as_mut_ptr()) },
            tracewire_status::Ok
        );
        // SAFETY: just written by the library.
        unsafe { Box::from_raw(Box::into_raw(c).cast()) }
    }

    fn header(n: &'static str, v: &'static str) -> tracewire_header {
        tracewire_header {
            name: n.as_ptr(),
            name_len: n.len(),
            value: v.as_ptr(),
            value_len: v.len(),
        }
    }

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn extract_access_inject() {
        let cfg = config();
        let hs = [
            header("Host", "x"),
            header("traceparent", TP),
            header("baggage", "k=v"),
        ];
        let mut ctx = Box::new(MaybeUninit::<tracewire_context>::uninit());
        // SAFETY: valid configuration, headers and storage; the header bytes are 'static.
        let s =
            unsafe { tracewire_extract_headers(&*cfg, hs.as_ptr(), hs.len(), ctx.as_mut_ptr()) };
        assert_eq!(s, tracewire_status::Ok);
        let ctx = ctx.as_ptr();
        let (mut hi, mut lo, mut parent, mut prio) = (0u64, 0u64, 0u64, 0i32);
        // SAFETY: an extracted context and writable outputs.
        unsafe {
            assert_eq!(tracewire_context_has_trace(ctx), 1);
            assert_eq!(
                tracewire_context_trace_id(ctx, &mut hi, &mut lo),
                tracewire_status::Ok
            );
            assert_eq!(
                tracewire_context_parent_id(ctx, &mut parent),
                tracewire_status::Ok
            );
            assert_eq!(
                tracewire_context_sampling_priority(ctx, &mut prio),
                tracewire_status::Ok
            );
            assert_eq!(
                tracewire_context_style_status(ctx, 1),
                tracewire_style_status::Valid
            );
            assert_eq!(
                tracewire_context_style_status(ctx, 0),
                tracewire_style_status::Absent
            );
            assert_eq!(
                tracewire_context_style_status(ctx, 2),
                tracewire_style_status::NotConfigured
            );
            assert_eq!(
                tracewire_context_style_status(ctx, 5),
                tracewire_style_status::Valid
            );
            assert_eq!(
                tracewire_context_style_status(ctx, -1),
                tracewire_style_status::NotConfigured
            );
        }
        assert_eq!(
            (hi, lo, parent, prio),
            (
                0x4bf9_2f35_77b3_4da6,
                0xa3ce_929d_0e0e_4736,
                0x00f0_67aa_0ba9_02b7,
                1
            )
        );
        let mut bufs = Box::new(MaybeUninit::<tracewire_buffers>::uninit());
        let mut out = [0u8; 1024];
        let mut n = 0usize;
        // SAFETY: as above, with a writable output buffer of `out.len()` bytes.
        let s = unsafe {
            tracewire_inject_block(
                ctx,
                &*cfg,
                bufs.as_mut_ptr(),
                0x2a,
                out.as_mut_ptr(),
                out.len(),
                &mut n,
            )
        };
        assert_eq!(s, tracewire_status::Ok);
        let text = core::str::from_utf8(&out[..n]).unwrap();
        assert!(
            text.contains(
                "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-01\r\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("baggage: k=v\r\n"), "{text}");
        // A span id of 0 and a buffer too small.
        // SAFETY: as above.
        unsafe {
            assert_eq!(
                tracewire_inject_block(
                    ctx,
                    &*cfg,
                    bufs.as_mut_ptr(),
                    0,
                    out.as_mut_ptr(),
                    out.len(),
                    &mut n
                ),
                tracewire_status::InvalidArgument
            );
            assert_eq!(
                tracewire_inject_block(
                    ctx,
                    &*cfg,
                    bufs.as_mut_ptr(),
                    1,
                    out.as_mut_ptr(),
                    10,
                    &mut n
                ),
                tracewire_status::Full
            );
        }
        assert_eq!(n, 0);
    }

    #[test]
    fn nulls_and_unfilled_storage_are_errors_not_crashes() {
        let cfg = config();
        let zeroed = tracewire_context { _opaque: [0; 128] };
        let mut x = 0u64;
        // SAFETY: NULLs and a zeroed (never extracted) context, which the API must refuse.
        unsafe {
            assert_eq!(
                tracewire_config_default(core::ptr::null_mut()),
                tracewire_status::NullArgument
            );
            let mut st = MaybeUninit::<tracewire_context>::uninit();
            assert_eq!(
                tracewire_extract_block(&*cfg, core::ptr::null(), 5, st.as_mut_ptr()),
                tracewire_status::NullArgument
            );
            assert_eq!(
                tracewire_context_parent_id(&zeroed, &mut x),
                tracewire_status::NullArgument
            );
            assert_eq!(tracewire_context_has_trace(core::ptr::null()), 0);
            assert_eq!(
                tracewire_extract_callback(
                    &*cfg,
                    None,
                    core::ptr::null_mut(),
                    core::ptr::null_mut()
                ),
                tracewire_status::NullArgument
            );
        }
        let s = tracewire_strerror(99);
        // SAFETY: a static NUL-terminated string.
        assert_eq!(
            unsafe { core::ffi::CStr::from_ptr(s) }.to_str(),
            Ok("unknown status")
        );
    }

    #[test]
    fn configuration_from_strings_and_getenv() {
        let mut c = MaybeUninit::<tracewire_config>::uninit();
        let names = [
            c"DD_TRACE_PROPAGATION_STYLE".as_ptr(),
            c"DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT".as_ptr(),
        ];
        let values = [c"b3multi,jaeger".as_ptr(), c"ignore".as_ptr()];
        // SAFETY: two NUL-terminated names and values, writable storage.
        let s = unsafe {
            tracewire_config_from_strings(c.as_mut_ptr(), names.as_ptr(), values.as_ptr(), 2)
        };
        assert_eq!(s, tracewire_status::ConfigIssue, "jaeger is unknown");
        // SAFETY: written by the library.
        let cfg = unsafe { &*c.as_ptr().cast::<Config>() };
        assert_eq!(cfg.extract.as_slice(), [Style::B3Multi]);
        assert_eq!(cfg.behavior, Behavior::Ignore);
        unsafe extern "C" fn lookup(name: *const c_char) -> *const c_char {
            // SAFETY: the library passes a NUL-terminated name.
            match unsafe { core::ffi::CStr::from_ptr(name) }.to_bytes() {
                b"OTEL_PROPAGATORS" => c"b3".as_ptr(),
                _ => core::ptr::null(),
            }
        }
        let mut c = MaybeUninit::<tracewire_config>::uninit();
        // SAFETY: writable storage and a lookup that returns static strings.
        assert_eq!(
            unsafe { tracewire_config_from_getenv(c.as_mut_ptr(), Some(lookup)) },
            tracewire_status::Ok
        );
        // SAFETY: written by the library.
        let cfg = unsafe { &*c.as_ptr().cast::<Config>() };
        assert_eq!(cfg.extract.as_slice(), [Style::B3Single]);
    }

    #[test]
    fn callbacks_both_ways() {
        let cfg = config();
        struct Host(Vec<(&'static str, &'static str)>);
        unsafe extern "C" fn iterate(
            host: *mut c_void,
            visit: tracewire_visit_fn,
            ctx: *mut c_void,
        ) {
            // SAFETY: `host` is the `Host` passed below.
            let host = unsafe { &*host.cast::<Host>() };
            for (n, v) in &host.0 {
                // SAFETY: the library's visitor with its own context; 'static header bytes.
                unsafe { visit.unwrap()(ctx, n.as_ptr(), n.len(), v.as_ptr(), v.len()) };
            }
        }
        let mut host = Host(std::vec![
            ("x-datadog-trace-id", "7"),
            ("x-datadog-parent-id", "8"),
            ("x-datadog-origin", "rum")
        ]);
        let mut ctx = Box::new(MaybeUninit::<tracewire_context>::uninit());
        // SAFETY: valid configuration, iterator, host and storage.
        let s = unsafe {
            tracewire_extract_callback(
                &*cfg,
                Some(iterate),
                (&mut host as *mut Host).cast(),
                ctx.as_mut_ptr(),
            )
        };
        assert_eq!(s, tracewire_status::Ok);
        let (mut p, mut len) = (core::ptr::null(), 0usize);
        // SAFETY: extracted context, writable outputs; the origin points into 'static bytes.
        unsafe {
            assert_eq!(
                tracewire_context_origin(ctx.as_ptr(), &mut p, &mut len),
                tracewire_status::Ok
            );
            assert_eq!(core::slice::from_raw_parts(p, len), b"rum");
        }
        unsafe extern "C" fn set(
            host: *mut c_void,
            n: *const u8,
            nl: usize,
            v: *const u8,
            vl: usize,
        ) -> c_int {
            // SAFETY: `host` is the Vec below; name and value are valid during the call.
            let out = unsafe { &mut *host.cast::<Vec<(Vec<u8>, Vec<u8>)>>() };
            unsafe {
                out.push((
                    core::slice::from_raw_parts(n, nl).to_vec(),
                    core::slice::from_raw_parts(v, vl).to_vec(),
                ))
            };
            if out.len() == 2 {
                1
            } else {
                0
            }
        }
        let mut got: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut bufs = Box::new(MaybeUninit::<tracewire_buffers>::uninit());
        // SAFETY: as above; the callback refuses the second header.
        let s = unsafe {
            tracewire_inject_callback(
                ctx.as_ptr(),
                &*cfg,
                bufs.as_mut_ptr(),
                9,
                Some(set),
                (&mut got as *mut Vec<(Vec<u8>, Vec<u8>)>).cast(),
            )
        };
        assert_eq!(s, tracewire_status::CallbackFailed);
        assert_eq!(got[0], (b"x-datadog-trace-id".to_vec(), b"7".to_vec()));
    }

    #[test]
    fn block_writers_leave_the_buffers_untouched() {
        // The block is written in place: the buffer storage is neither initialised nor read,
        // and what is written is what the Rust API writes into a header block.
        let cfg = config();
        let hs = [
            header("x-datadog-trace-id", "7"),
            header("x-datadog-parent-id", "8"),
            header("traceparent", TP),
            header("tracestate", "dd=s:1;o:rum,congo=t61"),
            header("baggage", "k=v"),
        ];
        let mut ctx = Box::new(MaybeUninit::<tracewire_context>::uninit());
        // SAFETY: valid configuration, headers and storage; the header bytes are 'static.
        let s =
            unsafe { tracewire_extract_headers(&*cfg, hs.as_ptr(), hs.len(), ctx.as_mut_ptr()) };
        assert_eq!(s, tracewire_status::Ok);
        let pattern = 0xa5a5_a5a5_a5a5_a5a5u64;
        let mut bufs = Box::new(tracewire_buffers {
            _opaque: [pattern; 1792],
        });
        let pairs: Vec<(&str, &str)> = std::vec![
            ("x-datadog-trace-id", "7"),
            ("x-datadog-parent-id", "8"),
            ("traceparent", TP),
            ("tracestate", "dd=s:1;o:rum,congo=t61"),
            ("baggage", "k=v"),
        ];
        let rust_cfg = tracewire::config::Config::new();
        let span = SpanId::new(0x2a).unwrap();
        for forward in [false, true] {
            let mut out = [0u8; 2048];
            let mut n = 0usize;
            // SAFETY: an extracted context, a configuration, buffer storage, a writable output
            // of `out.len()` bytes and a writable count.
            let s = unsafe {
                let f = if forward {
                    tracewire_forward_block
                } else {
                    tracewire_inject_block
                };
                f(
                    ctx.as_ptr(),
                    &*cfg,
                    &mut *bufs,
                    0x2a,
                    out.as_mut_ptr(),
                    out.len(),
                    &mut n,
                )
            };
            assert_eq!(s, tracewire_status::Ok);
            assert!(
                bufs._opaque.iter().all(|&w| w == pattern),
                "forward: {forward}"
            );
            let mut block = [0u8; 2048];
            let mut w = HeaderBlockWriter::new(&mut block);
            if forward {
                propagate::forward(&pairs[..], span, &rust_cfg, &mut w).unwrap();
            } else {
                let mut slots = propagate::Slots::new();
                let ex = propagate::extract(&pairs[..], &rust_cfg, &mut slots);
                let child = ex.context.map(|c| c.child(span));
                propagate::inject(child.as_ref(), ex.baggage_out(), &rust_cfg, &mut w).unwrap();
            }
            assert!(n > 0 && &out[..n] == w.written(), "forward: {forward}");
        }
    }

    #[test]
    fn too_many_headers_is_said() {
        let cfg = config();
        let hs: Vec<tracewire_header> = (0..40).map(|_| header("tracestate", "a=1")).collect();
        let mut ctx = Box::new(MaybeUninit::<tracewire_context>::uninit());
        // SAFETY: valid configuration, headers and storage.
        let s =
            unsafe { tracewire_extract_headers(&*cfg, hs.as_ptr(), hs.len(), ctx.as_mut_ptr()) };
        assert_eq!(s, tracewire_status::TooManyHeaders);
    }
}
