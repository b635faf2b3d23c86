//! Identifiers and sampling values shared by every format.
//!
//! Ids that cannot be zero are types that cannot hold zero, so `Option<TraceId>` and
//! `Option<SpanId>` are the size of the id.

use core::fmt;
use core::num::{NonZeroU128, NonZeroU64};

use crate::wire::{dec, hex};

/// A 128-bit, non-zero trace id.
///
/// Datadog headers carry the low 64 bits in decimal and the high 64 bits in `_dd.p.tid`; W3C and
/// B3 carry all 128 bits in hex. `Display` writes 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TraceId(NonZeroU128);

impl TraceId {
    /// The smallest id, 1.
    pub const MIN: TraceId = TraceId(NonZeroU128::MIN);

    /// The id for `v`, `None` for zero.
    #[inline]
    ///
    /// ```
    /// use tracewire::TraceId;
    ///
    /// let t = TraceId::new(0x640c_fd8d_0000_0000_0000_0000_0000_002a).unwrap();
    /// assert_eq!((t.high(), t.low()), (0x640c_fd8d_0000_0000, 42));
    /// assert!(TraceId::new(0).is_none(), "zero is no trace id");
    /// ```
    pub const fn new(v: u128) -> Option<Self> {
        match NonZeroU128::new(v) {
            Some(n) => Some(TraceId(n)),
            None => None,
        }
    }

    /// The id from its high and low 64-bit halves, `None` if both are zero.
    #[inline]
    pub const fn from_halves(high: u64, low: u64) -> Option<Self> {
        Self::new(((high as u128) << 64) | low as u128)
    }

    /// The id from 16 big-endian bytes (W3C binary order), `None` for all zeros.
    #[inline]
    pub const fn from_bytes(b: [u8; 16]) -> Option<Self> {
        Self::new(u128::from_be_bytes(b))
    }

    /// The value.
    #[inline]
    pub const fn get(self) -> u128 {
        self.0.get()
    }

    /// The high 64 bits (`_dd.p.tid`); zero for a 64-bit id.
    #[inline]
    pub const fn high(self) -> u64 {
        (self.0.get() >> 64) as u64
    }

    /// The low 64 bits (`x-datadog-trace-id`).
    #[inline]
    pub const fn low(self) -> u64 {
        self.0.get() as u64
    }

    /// 16 big-endian bytes.
    #[inline]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.get().to_be_bytes()
    }

    /// 32 lowercase hex digits.
    #[inline]
    pub fn to_hex(self) -> [u8; 32] {
        hex::encode_u128(self.get())
    }

    /// A `Display` adapter writing the low 64 bits in decimal (the Datadog header form).
    #[inline]
    pub fn low_decimal(self) -> Decimal {
        Decimal(self.low())
    }
}

impl From<TraceId> for u128 {
    fn from(t: TraceId) -> u128 {
        t.get()
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ascii(f, &self.to_hex())
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

/// A 64-bit, non-zero span id. `Display` writes 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SpanId(NonZeroU64);

impl SpanId {
    /// The smallest id, 1.
    pub const MIN: SpanId = SpanId(NonZeroU64::MIN);

    /// The id for `v`, `None` for zero.
    #[inline]
    ///
    /// ```
    /// use tracewire::SpanId;
    ///
    /// let s = SpanId::new(42).unwrap();
    /// assert_eq!(s.to_hex(), *b"000000000000002a");
    /// assert!(SpanId::new(0).is_none());
    /// ```
    pub const fn new(v: u64) -> Option<Self> {
        match NonZeroU64::new(v) {
            Some(n) => Some(SpanId(n)),
            None => None,
        }
    }

    /// The id from 8 big-endian bytes, `None` for all zeros.
    #[inline]
    pub const fn from_bytes(b: [u8; 8]) -> Option<Self> {
        Self::new(u64::from_be_bytes(b))
    }

    /// The value.
    #[inline]
    pub const fn get(self) -> u64 {
        self.0.get()
    }

    /// 8 big-endian bytes.
    #[inline]
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0.get().to_be_bytes()
    }

    /// 16 lowercase hex digits.
    #[inline]
    pub fn to_hex(self) -> [u8; 16] {
        hex::encode_u64(self.get())
    }

    /// A `Display` adapter writing the id in decimal (the Datadog header form).
    #[inline]
    pub fn decimal(self) -> Decimal {
        Decimal(self.get())
    }
}

impl From<SpanId> for u64 {
    fn from(s: SpanId) -> u64 {
        s.get()
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ascii(f, &self.to_hex())
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// `Display` for a `u64` in decimal, without allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub u64);

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut b = [0; dec::U64_MAX_LEN];
        write_ascii(f, dec::format_u64(self.0, &mut b))
    }
}

pub(crate) fn write_ascii(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    for &c in b {
        fmt::Write::write_char(f, char::from(c))?;
    }
    Ok(())
}

/// W3C trace flags (the last `traceparent` field).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TraceFlags(pub u8);

impl TraceFlags {
    /// Bit 0: the caller may have recorded the trace.
    pub const SAMPLED: u8 = 0x01;
    /// Bit 1 (Trace Context Level 2): the trace id's low 56 bits are random.
    pub const RANDOM: u8 = 0x02;

    /// True when bit 0 is set.
    #[inline]
    pub const fn sampled(self) -> bool {
        self.0 & Self::SAMPLED != 0
    }

    /// True when bit 1 is set.
    #[inline]
    pub const fn random(self) -> bool {
        self.0 & Self::RANDOM != 0
    }
}

impl fmt::Debug for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceFlags({:02x})", self.0)
    }
}

/// Datadog sampling priority: `-1` user reject, `0` auto reject, `1` auto keep, `2` user keep.
/// Other values are carried through unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SamplingPriority(pub i32);

impl SamplingPriority {
    /// `-1`: dropped by a user rule.
    pub const USER_REJECT: Self = SamplingPriority(-1);
    /// `0`: dropped by the sampler.
    pub const AUTO_REJECT: Self = SamplingPriority(0);
    /// `1`: kept by the sampler.
    pub const AUTO_KEEP: Self = SamplingPriority(1);
    /// `2`: kept by a user rule.
    pub const USER_KEEP: Self = SamplingPriority(2);

    /// A priority of your own (for a new root span: usually [`AUTO_KEEP`](Self::AUTO_KEEP) or
    /// [`AUTO_REJECT`](Self::AUTO_REJECT) from your sampler, or a user decision).
    ///
    /// ```
    /// use tracewire::SamplingPriority;
    /// assert!(SamplingPriority::new(2).is_keep());
    /// assert!(!SamplingPriority::new(-1).is_keep());
    /// ```
    #[inline]
    pub const fn new(priority: i32) -> Self {
        SamplingPriority(priority)
    }

    /// True when the trace is kept (priority > 0).
    #[inline]
    pub const fn is_keep(self) -> bool {
        self.0 > 0
    }
}

/// The Datadog decision maker (`_dd.p.dm`, written `-<mechanism>`): which mechanism made the
/// sampling decision (0 default, 1 agent rate, 3 local rule, 4 manual, ...).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecisionMaker(pub u8);

impl DecisionMaker {
    /// Longest encoded form: `-255`.
    pub const MAX_LEN: usize = 4;

    /// Parses `-[0-9]{1,3}` with a value ≤ 255 (docs/BEHAVIOUR.md §1.6, the dd-trace-py rule).
    #[inline]
    pub fn parse(s: &[u8]) -> Option<Self> {
        match s {
            [b'-', digits @ ..] if !digits.is_empty() && digits.len() <= 3 => {
                let v = dec::parse_u64(digits)?;
                u8::try_from(v).ok().map(DecisionMaker)
            }
            _ => None,
        }
    }

    /// Writes `-<n>` into `buf` and returns it.
    #[inline]
    pub fn encode(self, buf: &mut [u8; Self::MAX_LEN]) -> &[u8] {
        // At most "-255": the digits without leading zeros after the `-`.
        let v = self.0;
        let digits = [b'0' + v / 100, b'0' + v / 10 % 10, b'0' + v % 10];
        let skip = match v {
            100.. => 0,
            10..=99 => 1,
            _ => 2,
        };
        let len = Self::MAX_LEN - skip;
        buf[0] = b'-';
        for (dst, &d) in buf.iter_mut().skip(1).zip(digits.iter().skip(skip)) {
            *dst = d;
        }
        buf.get(..len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn zero_ids_do_not_exist() {
        assert!(TraceId::new(0).is_none());
        assert!(SpanId::new(0).is_none());
        assert!(TraceId::from_halves(0, 0).is_none());
        assert_eq!(core::mem::size_of::<Option<TraceId>>(), 16);
        assert_eq!(core::mem::size_of::<Option<SpanId>>(), 8);
    }

    #[test]
    fn halves_and_bytes_are_lossless() {
        let t = TraceId::from_halves(0x4bf9_2f35_77b3_4da6, 0xa3ce_929d_0e0e_4736).unwrap();
        assert_eq!(t.high(), 0x4bf9_2f35_77b3_4da6);
        assert_eq!(t.low(), 0xa3ce_929d_0e0e_4736);
        assert_eq!(TraceId::from_bytes(t.to_bytes()), Some(t));
        assert_eq!(format!("{t}"), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(format!("{}", t.low_decimal()), "11803532876627986230");
        let s = SpanId::new(67667974448284343).unwrap();
        assert_eq!(format!("{s}"), "00f067aa0ba902b7");
        assert_eq!(format!("{}", s.decimal()), "67667974448284343");
        assert_eq!(SpanId::from_bytes(s.to_bytes()), Some(s));
    }

    #[test]
    fn decision_maker_rule() {
        assert_eq!(DecisionMaker::parse(b"-4"), Some(DecisionMaker(4)));
        assert_eq!(DecisionMaker::parse(b"-0"), Some(DecisionMaker(0)));
        assert_eq!(DecisionMaker::parse(b"-255"), Some(DecisionMaker(255)));
        for bad in [
            &b"-256"[..],
            b"-1a",
            b"0",
            b"+0",
            b"-",
            b"934086a6-4",
            b"-0000",
        ] {
            assert_eq!(DecisionMaker::parse(bad), None, "{bad:?}");
        }
        let mut b = [0; 4];
        assert_eq!(DecisionMaker(12).encode(&mut b), b"-12");
        // Every value: `-` and its decimal digits, which parse back to it.
        for v in 0..=255u8 {
            let mut b = [0xff; 4];
            let e = DecisionMaker(v).encode(&mut b);
            assert_eq!(e, format!("-{v}").as_bytes());
            assert_eq!(DecisionMaker::parse(e), Some(DecisionMaker(v)));
        }
    }

    #[test]
    fn flags_bits() {
        assert!(TraceFlags(0x03).sampled() && TraceFlags(0x03).random());
        assert!(!TraceFlags(0x02).sampled());
    }
}
