//! One module per wire format. Each parses borrowed bytes into a small borrowed view and encodes
//! into caller storage; none touches a carrier or the configuration.
//!
//! One contract for all of them: `parse` (or the view's constructor) takes borrowed bytes and
//! gives a small borrowed view or a typed error; each header value has one encoder that appends
//! to a [`Writer`] and is all or nothing (an error with nothing written when the writer lacks
//! room: [`BufferTooSmall`], or for `x-datadog-tags` its `MaxSize`, which Datadog's tracers
//! report as a propagation error; a limit of the format itself, such as an origin too long to
//! send, is reported, not an error); each value's longest form is a constant of its module
//! ([`traceparent::LEN`], [`b3::SINGLE_MAX_LEN`], [`b3::TRACE_ID_MAX_LEN`],
//! [`datadog::ID_MAX_LEN`], [`datadog::ORIGIN_MAX_LEN`], [`dd_member::MAX_LEN`],
//! [`dd_tags::MAX_LEN`], [`tracestate::MAX_ENCODED_LEN`], [`xray::MAX_LEN`]; baggage by its
//! [`baggage::Limits`]).
//!
//! Each module's documentation names the specification it follows and the sections of the
//! repository's behaviour reference, `docs/BEHAVIOUR.md`, that hold its rules; a bare `§N` or
//! `§12 #N` in this crate's documentation refers to that file.
//!
//! Shared vocabulary: [`Text`], a borrowed value that may be stored in Datadog's tracestate
//! escaping (`~` standing for `=`), and [`Tag`], one Datadog propagated tag (`_dd.p.<key>`).

pub mod b3;
pub mod baggage;
pub mod datadog;
pub mod dd_member;
pub mod dd_tags;
pub mod traceparent;
pub mod tracestate;
pub mod xray;

use crate::error::BufferTooSmall;
use crate::wire::buf::Writer;

/// A borrowed text value as it arrived on the wire.
///
/// Values read from the `dd=` tracestate member use `~` for `=` (origin `o:` and tags `t.*`);
/// [`Text::bytes`] yields the decoded bytes either way, so comparisons and re-encoding never need
/// a copy.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text<'a> {
    raw: &'a [u8],
    tilde_is_eq: bool,
}

impl<'a> Text<'a> {
    /// A value whose bytes are meant literally.
    #[inline]
    pub const fn plain(raw: &'a [u8]) -> Self {
        Text {
            raw,
            tilde_is_eq: false,
        }
    }

    /// A value in the `dd=` member's escaping, where `~` stands for `=`.
    #[inline]
    pub const fn tilde_escaped(raw: &'a [u8]) -> Self {
        Text {
            raw,
            tilde_is_eq: true,
        }
    }

    /// The bytes as they arrived.
    #[inline]
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// True for the `dd=` member escaping.
    #[inline]
    pub const fn is_tilde_escaped(&self) -> bool {
        self.tilde_is_eq
    }

    /// Length of the decoded value (decoding never changes the length).
    #[inline]
    pub const fn len(&self) -> usize {
        self.raw.len()
    }

    /// True when empty.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The same value without leading and trailing OWS (space, horizontal tab). Writers trim
    /// what they write, since every reader trims what it reads.
    #[inline]
    pub fn trimmed(self) -> Self {
        Text {
            raw: crate::wire::list::trim_ows(self.raw),
            ..self
        }
    }

    /// The decoded bytes.
    #[inline]
    pub fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        let t = self.tilde_is_eq;
        self.raw
            .iter()
            .map(move |&b| if t && b == b'~' { b'=' } else { b })
    }

    /// True when the decoded value equals `other`.
    #[inline]
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        self.raw.len() == other.len() && self.bytes().zip(other.iter()).all(|(a, &b)| a == b)
    }

    /// Appends the decoded value to `w`, all or nothing.
    #[inline]
    pub fn write_decoded(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        if !self.tilde_is_eq {
            return w.push(self.raw);
        }
        if w.remaining() < self.raw.len() {
            return Err(BufferTooSmall);
        }
        for b in self.bytes() {
            w.push_byte(b)?;
        }
        Ok(())
    }
}

impl core::fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::wire::fmt_bytes(self.raw, f)?;
        if self.tilde_is_eq {
            f.write_str("~")?;
        }
        Ok(())
    }
}

/// One Datadog propagated tag `_dd.p.<key>=<value>`. `key` is the part after `_dd.p.`
/// (`dm`, `tid`, `usr.id`, ...), exactly as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The key without the `_dd.p.` prefix.
    pub key: &'a [u8],
    /// The value (decoded through [`Text::bytes`]).
    pub value: Text<'a>,
}

/// Where the encoders of the `dd=` member and of `x-datadog-tags` take their tags from: any
/// iterator of tags, or a context's [`Tags`](crate::context::Tags) (whose iterator is then
/// built in the encoder's own tag frame, not in its caller's, and skipped when it is known to
/// be empty).
pub(crate) trait TagSource<'t> {
    /// The tags, in order.
    fn tags(self) -> impl Iterator<Item = Tag<'t>>;

    /// True when [`TagSource::tags`] is known to yield nothing (then no frame is pushed for it).
    fn known_empty(&self) -> bool {
        false
    }
}

impl<'t, I: Iterator<Item = Tag<'t>>> TagSource<'t> for I {
    fn tags(self) -> impl Iterator<Item = Tag<'t>> {
        self
    }
}

impl<'t> TagSource<'t> for &crate::context::Tags<'t> {
    fn tags(self) -> impl Iterator<Item = Tag<'t>> {
        self.iter()
    }

    fn known_empty(&self) -> bool {
        crate::context::Tags::known_empty(self)
    }
}

/// Calls `f` with the sanitised bytes of `text` (origin sanitisation: one `_` per character,
/// UTF-8 sequences counted as one, for anything outside `lo`–0x7E and for each of `extra`; then
/// `=` becomes `~` when `eq_to_tilde`). Used by every writer of an origin or tag value, so no
/// byte outside VCHAR and SP ever reaches a header.
pub(crate) fn sanitized(
    text: Text<'_>,
    lo: u8,
    extra: &[u8],
    eq_to_tilde: bool,
    mut f: impl FnMut(u8),
) {
    let mut cont = 0u8;
    for b in text.bytes() {
        if cont > 0 && (0x80..0xc0).contains(&b) {
            cont = cont.saturating_sub(1);
            continue;
        }
        cont = match b {
            0xc0..=0xdf => 1,
            0xe0..=0xef => 2,
            0xf0..=0xf7 => 3,
            _ => 0,
        };
        let out = if !(lo..=0x7e).contains(&b) || extra.contains(&b) {
            b'_'
        } else if eq_to_tilde && b == b'=' {
            b'~'
        } else {
            b
        };
        f(out);
    }
}

/// The prefix of every propagated tag key.
pub const DD_P_PREFIX: &[u8] = b"_dd.p.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_decoding() {
        let t = Text::tilde_escaped(b"baz64~~");
        assert!(t.eq_bytes(b"baz64=="));
        assert!(!t.eq_bytes(b"baz64~~"));
        assert!(Text::plain(b"baz64~~").eq_bytes(b"baz64~~"));
        let mut b = [0u8; 7];
        let mut w = Writer::new(&mut b);
        t.write_decoded(&mut w).unwrap();
        assert_eq!(w.written(), b"baz64==");
        let mut small = [0u8; 3];
        assert!(t.write_decoded(&mut Writer::new(&mut small)).is_err());
    }
}
