//! AWS X-Ray `x-amzn-trace-id` (AWS X-Ray developer guide, "Tracing header"; docs/BEHAVIOUR.md §7;
//! §12 #32–#33), read and written the way dd-trace-java does.
//!
//! Reading ([`parse`]): `;`-separated `Key=value` fields, trimmed; the first `Root`, `Parent`
//! and `Sampled` win; `Self` (added by load balancers) is ignored.
//! - `Root=1-<8 hex epoch>-<24 hex>`: by default only Datadog-shaped roots give a trace id — the
//!   24 hex digits are `00000000` followed by the 64-bit Datadog id (§12 #32); a genuine AWS root
//!   parses but yields no Datadog trace id unless [`XRay::trace_id_128`] is used, which maps it to
//!   128 bits as `epoch << 96 | id` (what OpenTelemetry's X-Ray propagator does).
//! - `Parent=<16 hex>` (either case), `Sampled=1|0`; `Sampled=?` means "not decided" (§12 #33).
//! - `_dd.origin=<origin>`, `t0=<ms>` (Java's end-to-end start time); every other well-formed
//!   field is exposed by [`XRay::extra`] for pass-through (dd-trace-java turns them into baggage).
//! - Values longer than [`MAX_INPUT_LEN`] are rejected unread.
//!
//! Writing ([`encode`]): `Root=1-<8 hex>-<24 hex>` from the 128-bit trace id (its top 32 bits,
//! then the low 96), `;Parent=<16 hex>`, then `;Sampled=1|0` when a decision is known, then
//! `;_dd.origin=<origin>` when it fits in the [`EXTRA_MAX_LEN`] bytes Java allows for extra
//! fields (trimmed; each character outside 0x21–0x7E and each `;` written as `_`; an origin that
//! does not fit is left out, never the header). A Datadog 128-bit id (unix seconds in its top 32 bits, then 32 zero bits) therefore
//! becomes a Datadog-shaped root carrying its creation time, and [`XRay::trace_id_128`] gives the
//! same id back. A 64-bit id gets the epoch `00000000`: dd-trace-java writes the current time
//! there, but a `no_std` codec has no clock.

use core::fmt;

use crate::error::BufferTooSmall;
use crate::format::{sanitized, Text};
use crate::id::{SamplingPriority, SpanId, TraceId};
use crate::wire::buf::{ArrayBuf, Writer};
use crate::wire::{dec, hex, list};

/// Longest header read.
pub const MAX_INPUT_LEN: usize = 1024;
/// Bytes of the fixed fields written (`Root=1-…;Parent=…;Sampled=x`).
pub const CORE_LEN: usize = 74;
/// Bytes allowed for extra fields (dd-trace-java's limit).
pub const EXTRA_MAX_LEN: usize = 256;
/// Longest header written.
pub const MAX_LEN: usize = CORE_LEN + EXTRA_MAX_LEN;

/// A decoded `Root`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Root {
    /// The 8-hex-digit epoch (seconds).
    pub epoch: u32,
    /// The 96-bit unique id.
    pub id: u128,
}

impl Root {
    /// The Datadog 64-bit trace id when the root is Datadog-shaped (`00000000` + 16 hex).
    pub fn datadog_trace_id(&self) -> Option<TraceId> {
        if self.id >> 64 == 0 {
            TraceId::new(self.id)
        } else {
            None
        }
    }
}

/// A decoded `x-amzn-trace-id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XRay<'a> {
    /// `Root`, when present and well-formed.
    pub root: Option<Root>,
    /// `Parent`.
    pub parent: Option<SpanId>,
    /// `Sampled=1` → true, `Sampled=0` → false; absent or `?` → `None`.
    pub sampled: Option<bool>,
    /// `_dd.origin`.
    pub origin: Option<&'a [u8]>,
    /// `t0` in milliseconds.
    pub t0_ms: Option<u64>,
    raw: &'a [u8],
}

/// Why an `x-amzn-trace-id` was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum XRayError {
    /// Longer than [`MAX_INPUT_LEN`].
    TooLong,
    /// `Root` is not `1-<8 hex>-<24 hex>`.
    Root,
    /// `Parent` is not 16 hex digits.
    Parent,
}

impl fmt::Display for XRayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            XRayError::TooLong => "x-amzn-trace-id: too long",
            XRayError::Root => "x-amzn-trace-id: bad Root",
            XRayError::Parent => "x-amzn-trace-id: bad Parent",
        })
    }
}

impl core::error::Error for XRayError {}

fn fields(raw: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    list::Split::new(raw, b';').filter_map(|f| {
        let (k, v) = list::split_once(f, b'=');
        let k = list::trim_ows(k);
        match v {
            Some(v) if !k.is_empty() => Some((k, list::trim_ows(v))),
            _ => None,
        }
    })
}

const RESERVED: [&[u8]; 6] = [
    b"Root",
    b"Parent",
    b"Sampled",
    b"Self",
    b"_dd.origin",
    b"t0",
];

fn parse_root(v: &[u8]) -> Result<Root, XRayError> {
    match v {
        [b'1', b'-', epoch @ ..] if epoch.len() == 8 + 1 + 24 && epoch.get(8) == Some(&b'-') => {
            let e = hex::decode_any_case(&epoch[..8]).ok_or(XRayError::Root)?;
            let id = hex::decode_any_case(&epoch[9..]).ok_or(XRayError::Root)?;
            Ok(Root {
                epoch: e as u32,
                id,
            })
        }
        _ => Err(XRayError::Root),
    }
}

/// Parses an `x-amzn-trace-id` value.
///
/// ```
/// use tracewire::format::xray;
///
/// let x = xray::parse(b"Root=1-00000000-000000000000000000000002;Parent=0000000000000003;Sampled=1").unwrap();
/// assert_eq!(x.trace_id().map(|t| t.get()), Some(2), "a Datadog-shaped root");
/// assert_eq!(x.parent.map(|p| p.get()), Some(3));
/// let aws = xray::parse(b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8").unwrap();
/// assert!(aws.trace_id().is_none() && aws.trace_id_128().is_some());
/// ```
pub fn parse(value: &[u8]) -> Result<XRay<'_>, XRayError> {
    if let Some(x) = canonical(value) {
        return Ok(x);
    }
    parse_general(value)
}

/// The shape the AWS SDKs and tracers write, `Root=1-{8 hex}-{24 hex};Parent={16 hex}` and
/// optionally `;Sampled={0|1|?}`, with nothing else, read at fixed offsets. `None` for
/// anything else: [`parse_general`] decides, and gives the same result for this shape (the
/// tests compare the two).
#[inline]
fn canonical(value: &[u8]) -> Option<XRay<'_>> {
    let rest = value.strip_prefix(b"Root=1-")?;
    let (epoch, rest) = rest.split_at_checked(8)?;
    let rest = rest.strip_prefix(b"-")?;
    let (id, rest) = rest.split_at_checked(24)?;
    let rest = rest.strip_prefix(b";Parent=")?;
    let (parent, rest) = rest.split_at_checked(16)?;
    let sampled = match rest {
        [] | b";Sampled=?" => None,
        b";Sampled=1" => Some(true),
        b";Sampled=0" => Some(false),
        _ => return None,
    };
    let root = Root {
        epoch: hex::decode_any_case_exact::<1>(epoch)? as u32,
        id: hex::decode_any_case_exact::<3>(id)?,
    };
    Some(XRay {
        root: Some(root),
        parent: SpanId::new(hex::decode_any_case_exact::<2>(parent)? as u64),
        sampled,
        origin: None,
        t0_ms: None,
        raw: value,
    })
}

/// [`parse`] for any value.
fn parse_general(value: &[u8]) -> Result<XRay<'_>, XRayError> {
    if value.len() > MAX_INPUT_LEN {
        return Err(XRayError::TooLong);
    }
    let mut x = XRay {
        root: None,
        parent: None,
        sampled: None,
        origin: None,
        t0_ms: None,
        raw: value,
    };
    let (mut seen_root, mut seen_parent, mut seen_sampled) = (false, false, false);
    for (k, v) in fields(value) {
        match k {
            b"Root" if !seen_root => {
                seen_root = true;
                x.root = Some(parse_root(v)?);
            }
            b"Parent" if !seen_parent => {
                seen_parent = true;
                if v.len() != 16 {
                    return Err(XRayError::Parent);
                }
                let p = hex::decode_any_case(v).ok_or(XRayError::Parent)?;
                x.parent = SpanId::new(p as u64);
            }
            b"Sampled" if !seen_sampled => {
                seen_sampled = true;
                x.sampled = match v {
                    b"1" => Some(true),
                    b"0" => Some(false),
                    _ => None,
                };
            }
            b"_dd.origin" if x.origin.is_none() && !v.is_empty() => x.origin = Some(v),
            b"t0" if x.t0_ms.is_none() => x.t0_ms = dec::parse_u64(v),
            _ => {}
        }
    }
    Ok(x)
}

impl<'a> XRay<'a> {
    /// The Datadog trace id (Datadog-shaped roots only).
    pub fn trace_id(&self) -> Option<TraceId> {
        self.root.and_then(|r| r.datadog_trace_id())
    }

    /// Any root as a 128-bit id: `epoch << 96 | id` (OpenTelemetry's mapping).
    pub fn trace_id_128(&self) -> Option<TraceId> {
        self.root
            .and_then(|r| TraceId::new((u128::from(r.epoch) << 96) | r.id))
    }

    /// The priority: `Sampled=1` → 1, `Sampled=0` → 0, otherwise undecided.
    pub fn sampling_priority(&self) -> Option<SamplingPriority> {
        self.sampled.map(|s| {
            if s {
                SamplingPriority::AUTO_KEEP
            } else {
                SamplingPriority::AUTO_REJECT
            }
        })
    }

    /// Well-formed fields other than `Root`, `Parent`, `Sampled`, `Self`, `_dd.origin` and `t0`.
    pub fn extra(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        fields(self.raw).filter(|(k, _)| !RESERVED.contains(k))
    }
}

/// What [`encode`] did with the origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeReport {
    /// The origin held bytes an X-Ray field value cannot carry (outside 0x21–0x7E, or `;`) and
    /// was written with each such character replaced by `_`.
    pub origin_sanitized: bool,
    /// The origin did not fit in [`EXTRA_MAX_LEN`] and was left out (the header is written).
    pub origin_dropped: bool,
}

/// Writes the header's value into `out` (at most [`MAX_LEN`] bytes): `Err`, and nothing
/// written, when it has less room. The value has the ids and the decision whatever the origin;
/// the origin is trimmed and sanitised, or left out when too long, as the report says.
///
/// ```
/// use tracewire::format::{xray, Text};
/// use tracewire::wire::buf::Writer;
/// use tracewire::{SamplingPriority, SpanId, TraceId};
///
/// let mut buf = [0u8; xray::MAX_LEN];
/// let mut w = Writer::new(&mut buf);
/// let r = xray::encode(TraceId::new(2).unwrap(), SpanId::new(3).unwrap(), Some(SamplingPriority(1)),
///     Some(Text::plain(b"synthetics browser")), &mut w).unwrap();
/// assert_eq!(w.written(),
///     b"Root=1-00000000-000000000000000000000002;Parent=0000000000000003;Sampled=1;_dd.origin=synthetics_browser");
/// assert!(r.origin_sanitized);
/// ```
pub fn encode(
    trace: TraceId,
    span: SpanId,
    priority: Option<SamplingPriority>,
    origin: Option<Text<'_>>,
    out: &mut Writer<'_>,
) -> Result<EncodeReport, BufferTooSmall> {
    let mut b = ArrayBuf::new();
    let report = assemble(trace, span, priority, origin, &mut b);
    out.push(b.as_bytes())?;
    Ok(report)
}

/// [`encode`]'s value, assembled in `b` (it always fits [`MAX_LEN`]; injection hands it to the
/// carrier from there).
pub(crate) fn assemble(
    trace: TraceId,
    span: SpanId,
    priority: Option<SamplingPriority>,
    origin: Option<Text<'_>>,
    b: &mut ArrayBuf<MAX_LEN>,
) -> EncodeReport {
    b.clear();
    let mut report = EncodeReport::default();
    let hex32 = trace.to_hex();
    let (epoch, rest) = hex32.split_at(8);
    let _ = b.push(b"Root=1-");
    let _ = b.push(epoch);
    let _ = b.push(b"-");
    let _ = b.push(rest);
    let _ = b.push(b";Parent=");
    let _ = b.push(&span.to_hex());
    if let Some(p) = priority {
        let _ = b.push(if p.is_keep() {
            b";Sampled=1"
        } else {
            b";Sampled=0"
        });
    }
    if let Some(o) = origin.map(Text::trimmed).filter(|o| !o.is_empty()) {
        let mut n = 0usize;
        sanitized(o, 0x21, b";", false, |_| n = n.saturating_add(1));
        if n.saturating_add(12) <= EXTRA_MAX_LEN {
            let _ = b.push(b";_dd.origin=");
            let mark = b.len();
            sanitized(o, 0x21, b";", false, |c| {
                let _ = b.push_byte(c);
            });
            report.origin_sanitized = !o.eq_bytes(b.as_bytes().get(mark..).unwrap_or(&[]));
        } else {
            report.origin_dropped = true;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn the_canonical_shape_reads_as_the_general_reader_reads_it() {
        let root = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8";
        for tail in ["", ";Sampled=1", ";Sampled=0", ";Sampled=?"] {
            let v = std::format!("{root}{tail}");
            let x = canonical(v.as_bytes()).unwrap();
            assert_eq!(Ok(x), parse_general(v.as_bytes()), "{v}");
        }
        for v in [
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=2",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Self=1",
            "Root=1-5759e988-bd862e3fe1be46a99427279g;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793; Parent=53995c3f42cd8ad8",
            "Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793",
        ] {
            assert_eq!(canonical(v.as_bytes()), None, "{v}");
        }
    }

    proptest::proptest! {
        #[test]
        fn canonical_agrees_with_the_general_reader(
            v in "Root=1-[0-9a-fA-F]{8}[-;][0-9a-fA-F= ]{24};Parent=[0-9a-fA-F;]{16}(;Sampled=[01?;= ])?"
        ) {
            if let Some(x) = canonical(v.as_bytes()) {
                proptest::prop_assert_eq!(Ok(x), parse_general(v.as_bytes()));
            }
        }
    }

    #[test]
    fn datadog_shaped_roots() {
        let x = parse(b"Root=1-00000000-000000000000000000000002;Parent=0000000000000003;Sampled=1;=empty key;empty value=;=;;").unwrap();
        assert_eq!(x.trace_id().map(TraceId::get), Some(2));
        assert_eq!(x.parent.map(SpanId::get), Some(3));
        assert_eq!(x.sampling_priority(), Some(SamplingPriority(1)));
        let extra: Vec<_> = x.extra().collect();
        assert_eq!(extra, [(&b"empty value"[..], &b""[..])]);
        let x = parse(b"Root=1-00000000-00000000fffffffffffffffe;Parent=FFFFFFFFFFFFFFFF").unwrap();
        assert_eq!(x.trace_id().map(TraceId::get), Some(0xffff_ffff_ffff_fffe));
        assert_eq!(x.parent.map(SpanId::get), Some(u64::MAX));
    }

    #[test]
    fn genuine_roots_map_only_on_request() {
        let x = parse(b"Self=1-67891234-12456789abcdef012345678;Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?").unwrap();
        assert_eq!(x.trace_id(), None);
        assert_eq!(
            x.trace_id_128().map(TraceId::get),
            Some(0x5759_e988_bd86_2e3f_e1be_46a9_9427_2793)
        );
        assert_eq!(x.sampling_priority(), None);
    }

    #[test]
    fn origin_t0_and_extras() {
        let x = parse(b"Root=1-00000000-000000000000000000000001;Parent=0000000000000002;k1=v1;t0=1610001234;_dd.origin=rum;k2=v2").unwrap();
        assert_eq!(x.t0_ms, Some(1_610_001_234));
        assert_eq!(x.origin, Some(&b"rum"[..]));
        assert_eq!(x.extra().count(), 2);
    }

    #[test]
    fn rejects() {
        assert_eq!(
            parse(b"Root=1-00000000-00000000000000000traceId;Parent=0000000000spanId"),
            Err(XRayError::Root)
        );
        assert_eq!(
            parse(b"Root=1-00000000-000000000000000000000001;Parent=123"),
            Err(XRayError::Parent)
        );
        assert_eq!(parse(&[b'a'; 2000]), Err(XRayError::TooLong));
        assert_eq!(parse(b"Parent=0000000000000002").unwrap().trace_id(), None);
    }

    /// `encode` into a fresh buffer of `MAX_LEN`: the report and the value.
    fn enc(
        t: TraceId,
        s: SpanId,
        p: Option<SamplingPriority>,
        o: Option<Text<'_>>,
    ) -> (EncodeReport, std::string::String) {
        let mut b = [0u8; MAX_LEN];
        let mut w = Writer::new(&mut b);
        let r = encode(t, s, p, o, &mut w).unwrap();
        (
            r,
            std::string::String::from_utf8(w.written().to_vec()).unwrap(),
        )
    }

    #[test]
    fn encodes_like_java() {
        let t = TraceId::from_halves(0x633c_7675_0000_0000, 2).unwrap();
        let (_, v) = enc(
            t,
            SpanId::new(3).unwrap(),
            Some(SamplingPriority(2)),
            Some(Text::plain(b"fakeOrigin")),
        );
        assert_eq!(v, "Root=1-633c7675-000000000000000000000002;Parent=0000000000000003;Sampled=1;_dd.origin=fakeOrigin");
        let x = parse(v.as_bytes()).unwrap();
        assert_eq!(x.trace_id_128(), Some(t), "a Datadog 128-bit id survives");
        let t = TraceId::new(2).unwrap();
        let (_, v) = enc(t, SpanId::new(3).unwrap(), None, None);
        assert_eq!(
            v,
            "Root=1-00000000-000000000000000000000002;Parent=0000000000000003"
        );
        let x = parse(v.as_bytes()).unwrap();
        assert_eq!((x.trace_id(), x.parent), (Some(t), SpanId::new(3)));
    }

    #[test]
    fn origin_is_sanitised_not_fatal() {
        let t = TraceId::new(2).unwrap();
        let s = SpanId::new(3).unwrap();
        let (r, v) = enc(t, s, None, Some(Text::plain(b" synthetics browser;\r\n ")));
        assert_eq!(
            v,
            "Root=1-00000000-000000000000000000000002;Parent=0000000000000003;_dd.origin=synthetics_browser___"
        );
        assert!(r.origin_sanitized && !r.origin_dropped);
        let (r, v) = enc(t, s, None, Some(Text::plain(&[b'o'; 300])));
        assert!(r.origin_dropped);
        assert_eq!(v.len(), 64, "the header stays, without the origin");
    }

    #[test]
    fn too_little_room_writes_nothing() {
        let t = TraceId::new(2).unwrap();
        let s = SpanId::new(3).unwrap();
        // Room for the ids but not for the origin after them: nothing, not a cut value.
        let mut b = [0u8; 70];
        let mut w = Writer::new(&mut b);
        w.push(b"x").unwrap();
        assert_eq!(
            encode(t, s, None, Some(Text::plain(b"synthetics")), &mut w),
            Err(BufferTooSmall)
        );
        assert_eq!(w.written(), b"x");
        let mut b = [0u8; 10];
        let mut w = Writer::new(&mut b);
        assert!(encode(t, s, None, None, &mut w).is_err() && w.is_empty());
    }
}
