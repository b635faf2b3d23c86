//! W3C `traceparent` (Trace Context, <https://www.w3.org/TR/trace-context/> §3.2; docs/BEHAVIOUR.md
//! §2.1–2.8, §12 #9–#11).
//!
//! `version "-" trace-id "-" parent-id "-" trace-flags`, every field lowercase hex:
//! - version `00`: exactly 55 bytes; anything after the flags is invalid;
//! - a higher version (not `ff`): at least 55 bytes, the flags followed by the end or `-`;
//!   whatever follows that dash is ignored;
//! - version `ff`, uppercase hex, a version that is not 2 hex digits, an all-zero trace id or
//!   parent id: invalid;
//! - flags: any two hex digits; bit 0 is `sampled`, bit 1 the Level-2 random-trace-id flag, the
//!   rest is kept as received (§12 #10);
//! - optional whitespace (space, tab) around the value is ignored; values longer than
//!   [`MAX_INPUT_LEN`] bytes, whitespace included, are rejected without being scanned.
//!
//! Output is always version `00`, exactly [`LEN`] bytes ([`Traceparent::encode`] into a
//! [`Writer`], or [`Traceparent::to_bytes`]).

use core::fmt;

use crate::error::BufferTooSmall;
use crate::id::{SpanId, TraceFlags, TraceId};
use crate::wire::buf::Writer;
use crate::wire::{class, hex, list};

/// Length of a version-00 `traceparent`.
pub const LEN: usize = 55;

/// Longest value accepted (future versions may append fields; anything longer is rejected
/// unread).
pub const MAX_INPUT_LEN: usize = 512;

/// A decoded `traceparent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Traceparent {
    /// The version as received (output is always `00`).
    pub version: u8,
    /// The trace id.
    pub trace_id: TraceId,
    /// The caller's span id.
    pub parent_id: SpanId,
    /// The trace flags, all bits as received.
    pub flags: TraceFlags,
}

/// What was wrong with a `traceparent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TraceparentError {
    /// Too short, too long, a missing or misplaced `-`, or trailing data (version 00).
    Malformed,
    /// The version is not two lowercase hex digits.
    Version,
    /// Version `ff`, which the spec forbids.
    ForbiddenVersion,
    /// The trace id is not 32 lowercase hex digits.
    TraceId,
    /// The trace id is all zeros.
    ZeroTraceId,
    /// The parent id is not 16 lowercase hex digits.
    ParentId,
    /// The parent id is all zeros.
    ZeroParentId,
    /// The flags are not two lowercase hex digits.
    Flags,
}

impl TraceparentError {
    /// The value dd-trace-cpp records in `_dd.w3c_extraction_error` for this error.
    pub const fn as_str(self) -> &'static str {
        match self {
            TraceparentError::Malformed => "malformed_traceparent",
            TraceparentError::Version | TraceparentError::ForbiddenVersion => "invalid_version",
            TraceparentError::TraceId | TraceparentError::ZeroTraceId => "malformed_traceid",
            TraceparentError::ParentId | TraceparentError::ZeroParentId => "malformed_parentid",
            TraceparentError::Flags => "malformed_traceflags",
        }
    }
}

impl fmt::Display for TraceparentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceparentError::Malformed => "traceparent: malformed",
            TraceparentError::Version => "traceparent: bad version",
            TraceparentError::ForbiddenVersion => "traceparent: version ff",
            TraceparentError::TraceId => "traceparent: bad trace-id",
            TraceparentError::ZeroTraceId => "traceparent: all-zero trace-id",
            TraceparentError::ParentId => "traceparent: bad parent-id",
            TraceparentError::ZeroParentId => "traceparent: all-zero parent-id",
            TraceparentError::Flags => "traceparent: bad trace-flags",
        })
    }
}

impl core::error::Error for TraceparentError {}

/// Parses a `traceparent` value.
///
/// ```
/// use tracewire::format::traceparent::{self, TraceparentError};
///
/// let tp = traceparent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
/// assert!(tp.flags.sampled());
/// assert_eq!(&tp.to_bytes(), b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
/// assert_eq!(traceparent::parse(b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
///     Err(TraceparentError::TraceId), "uppercase hex is not W3C");
/// ```
pub fn parse(value: &[u8]) -> Result<Traceparent, TraceparentError> {
    if value.len() > MAX_INPUT_LEN {
        return Err(TraceparentError::Malformed);
    }
    // Usually there is no whitespace to trim: one table test at each end says so.
    let v = match value {
        [first, .., last] if !class::is(*first, class::OWS) && !class::is(*last, class::OWS) => {
            value
        }
        _ => list::trim_ows(value),
    };
    if v.len() < LEN {
        return Err(TraceparentError::Malformed);
    }
    let (head, rest) = v.split_at(LEN);
    // head: vv-<32>-<16>-ff ; dashes at 2, 35, 52.
    let (Some(b'-'), Some(b'-'), Some(b'-')) = (head.get(2), head.get(35), head.get(52)) else {
        return Err(TraceparentError::Malformed);
    };
    let version = hex::decode_u8(&head[..2]).ok_or(TraceparentError::Version)?;
    if version == 0xff {
        return Err(TraceparentError::ForbiddenVersion);
    }
    match (version, rest.first()) {
        (_, None) => {}
        (0, Some(_)) => return Err(TraceparentError::Malformed),
        (_, Some(b'-')) => {}
        (_, Some(_)) => return Err(TraceparentError::Malformed),
    }
    let trace = hex::decode_u128(&head[3..35]).ok_or(TraceparentError::TraceId)?;
    let parent = hex::decode_u64(&head[36..52]).ok_or(TraceparentError::ParentId)?;
    let flags = hex::decode_u8(&head[53..55]).ok_or(TraceparentError::Flags)?;
    Ok(Traceparent {
        version,
        trace_id: TraceId::new(trace).ok_or(TraceparentError::ZeroTraceId)?,
        parent_id: SpanId::new(parent).ok_or(TraceparentError::ZeroParentId)?,
        flags: TraceFlags(flags),
    })
}

impl Traceparent {
    /// The version-00 form, [`LEN`] bytes.
    #[inline]
    pub fn to_bytes(&self) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        out[..3].copy_from_slice(b"00-");
        out[3..35].copy_from_slice(&hex::encode_u128(self.trace_id.get()));
        out[35] = b'-';
        out[36..52].copy_from_slice(&hex::encode_u64(self.parent_id.get()));
        out[52] = b'-';
        hex::encode_into(u128::from(self.flags.0), &mut out[53..55]);
        out
    }

    /// Appends the version-00 form ([`LEN`] bytes) to `out`; `Err` (nothing written) when it
    /// has less room.
    #[inline]
    pub fn encode(&self, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        out.push(&self.to_bytes())
    }
}

impl fmt::Display for Traceparent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::id::write_ascii(f, &self.to_bytes())
    }
}

/// For proxies: validates an incoming `traceparent` and gives the one for the next hop, with
/// only the parent id replaced (trace id and flags kept as received, the version `00` once
/// written by [`Traceparent::encode`] or [`Traceparent::to_bytes`]).
///
/// ```
/// use tracewire::format::traceparent;
/// use tracewire::SpanId;
///
/// let next = traceparent::rewrite_parent(
///     b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", SpanId::new(0x2a).unwrap())
///     .unwrap();
/// assert_eq!(&next.to_bytes(), b"00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-01");
/// ```
pub fn rewrite_parent(value: &[u8], parent: SpanId) -> Result<Traceparent, TraceparentError> {
    Ok(Traceparent {
        parent_id: parent,
        ..parse(value)?
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    const T: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn p(s: &str) -> Result<Traceparent, TraceparentError> {
        parse(s.as_bytes())
    }

    #[test]
    fn valid_v00() {
        let tp = p(T).unwrap();
        assert_eq!(tp.trace_id.get(), 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736);
        assert_eq!(tp.parent_id.get(), 0x00f0_67aa_0ba9_02b7);
        assert!(tp.flags.sampled());
        assert_eq!(tp.to_string(), T);
    }

    #[test]
    fn v00_is_exactly_55() {
        assert_eq!(p(&[T, "."].concat()), Err(TraceparentError::Malformed));
        assert_eq!(p(&[T, "-extra"].concat()), Err(TraceparentError::Malformed));
        assert_eq!(p(&T[..54]), Err(TraceparentError::Malformed));
    }

    #[test]
    fn future_versions_by_prefix() {
        let cc = T.replacen("00", "cc", 1);
        assert_eq!(p(&cc).unwrap().version, 0xcc);
        assert!(p(&[&cc, "-what-the-future-will-be-like"].concat()).is_ok());
        assert_eq!(
            p(&[&cc, ".what-the-future-will-be-like"].concat()),
            Err(TraceparentError::Malformed)
        );
        assert_eq!(
            p(&T.replacen("00", "ff", 1)),
            Err(TraceparentError::ForbiddenVersion)
        );
    }

    #[test]
    fn version_shape() {
        for bad in ["0", "000", ".0", "0.", "0A", "g0"] {
            let s = [bad, &T[2..]].concat();
            assert!(p(&s).is_err(), "{s}");
        }
    }

    #[test]
    fn ids_and_case() {
        let zero_trace = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        assert_eq!(p(zero_trace), Err(TraceparentError::ZeroTraceId));
        let zero_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01";
        assert_eq!(p(zero_parent), Err(TraceparentError::ZeroParentId));
        assert_eq!(p(&T.to_uppercase()), Err(TraceparentError::TraceId));
        let upper_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01";
        assert_eq!(p(upper_parent), Err(TraceparentError::ParentId));
        assert_eq!(p(&T.replace("-01", "-0g")), Err(TraceparentError::Flags));
        assert_eq!(
            p(&T.replace("-01", "-xy")).unwrap_err().as_str(),
            "malformed_traceflags"
        );
        assert_eq!(
            p(&T.replacen('-', "+", 1)),
            Err(TraceparentError::Malformed)
        );
    }

    #[test]
    fn flags_are_kept() {
        for (f, sampled, random) in [
            ("00", false, false),
            ("01", true, false),
            ("02", false, true),
            ("03", true, true),
            ("09", true, false),
            ("ff", true, true),
        ] {
            let tp = p(&T.replace("-01", &["-", f].concat())).unwrap();
            assert_eq!(
                (tp.flags.sampled(), tp.flags.random()),
                (sampled, random),
                "{f}"
            );
        }
    }

    #[test]
    fn ows_around_value_only() {
        assert!(p(&[" \t", T, "\t "].concat()).is_ok());
        assert!(p(&T.replacen('-', " -", 1)).is_err());
        assert!(p(&["\n", T].concat()).is_err());
    }

    #[test]
    fn overlong_is_rejected() {
        let cc = [&T.replacen("00", "cc", 1), "-", &"x".repeat(600)].concat();
        assert_eq!(p(&cc), Err(TraceparentError::Malformed));
    }

    #[test]
    fn rewrite_keeps_trace_and_flags() {
        let src = T.replacen("00", "cc", 1) + "-future";
        let tp = rewrite_parent(src.as_bytes(), SpanId::new(0x2a).unwrap()).unwrap();
        assert_eq!(
            &tp.to_bytes(),
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-01"
        );
        assert!(rewrite_parent(b"garbage", SpanId::new(1).unwrap()).is_err());
    }

    #[test]
    fn encodes_into_a_writer_or_not_at_all() {
        let tp = p(T).unwrap();
        let mut b = [0u8; LEN + 2];
        let mut w = Writer::new(&mut b);
        w.push(b"x,").unwrap();
        tp.encode(&mut w).unwrap();
        assert_eq!(w.written(), [&b"x,"[..], T.as_bytes()].concat().as_slice());
        let mut small = [0u8; LEN - 1];
        let mut w = Writer::new(&mut small);
        assert_eq!(tp.encode(&mut w), Err(BufferTooSmall));
        assert!(w.is_empty(), "nothing written");
    }
}
