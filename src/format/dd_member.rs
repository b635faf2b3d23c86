//! Datadog's `dd=` tracestate member (docs/BEHAVIOUR.md §3, §4; §12 #16–#22).
//!
//! Reading ([`parse`], on the value after `dd=`): sub-members split on `;`, OWS and empty ones
//! skipped, each split at its first `:` (ones without `:` skipped), key and value trimmed of OWS
//! (`o: evil` is the origin `evil`: what is stored is what the next hop reads); for `s`, `o` and
//! `p` the last occurrence wins. `s` is a signed decimal (ignored when unparsable), `o` the origin with `~`
//! standing for `=`, `p` the last Datadog parent kept verbatim (it is not validated, §3.4),
//! `t.<key>` the propagated tag `_dd.p.<key>` (`~` for `=`) when `x-datadog-tags` can carry it
//! (an empty value or a key with a space is skipped). Other keys are exposed by
//! [`DdMember::unknown`] and dropped on output (§12 #22). The member comes from a validated
//! tracestate value, so it is at most 256 printable bytes; [`parse`] looks at no more than
//! [`MAX_LEN`] bytes of anything longer.
//!
//! Sampling ([`reconcile`], §4, §12 #16): the traceparent's sampled flag wins whenever `s`
//! disagrees with it or is missing; the decision maker becomes `-0` when the flag overrides to
//! keep and is removed when it overrides to drop.
//!
//! Writing ([`encode`]): `dd=s:<priority>;o:<origin>;p:<parent>;t.dm:<dm>;t.<key>:<value>…` in
//! that order (§12 #18; `s` is left out when no decision is known, `t.tid` is never written,
//! §12 #21). Origin and tag values: each byte outside 0x20–0x7E and each of `,` `;` `~` becomes
//! `_` (one per character for UTF-8 text, §12 #20), then `=` becomes `~`; tag keys: each byte
//! outside 0x21–0x7E and each of `,` `;` `:` `=` becomes `_`. The whole member, `dd=` included, is
//! at most [`MAX_LEN`] characters (§12 #19): `s` and `p` are always kept, `o` is dropped if it
//! does not fit, and each `t.*` entry that does not fit is skipped while later, shorter ones may
//! still be written.

use crate::error::BufferTooSmall;
use crate::format::{dd_tags, sanitized, Tag, TagSource, Text};
use crate::id::{DecisionMaker, SamplingPriority};
use crate::wire::buf::Writer;
use crate::wire::class;
use crate::wire::list::At;
use crate::wire::{dec, list};

/// Longest `dd=` member, `dd=` included.
pub const MAX_LEN: usize = 256;

/// A received `dd` member, borrowed: the value and where its `s`, `o`, `p`, `t.dm` and first
/// writable `t.tid` lie in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DdMember<'a> {
    raw: &'a [u8],
    s: At,
    o: At,
    p: At,
    dm: At,
    /// The first `t.tid` that is a tag (see [`DdMember::tags`]).
    tid: At,
    /// Some `t.*` entry other than `t.dm` and `t.tid` is present.
    other_tags: bool,
}

/// Views the value of a `dd` tracestate member.
///
/// ```
/// use tracewire::format::dd_member;
///
/// let m = dd_member::parse(b"s:2;o:synthetics~web;p:00f067aa0ba902b7;t.usr.id:baz64~~");
/// assert_eq!(m.sampling_priority(), Some(2));
/// assert!(m.origin().unwrap().eq_bytes(b"synthetics=web"));
/// assert_eq!(m.last_parent_id(), Some(&b"00f067aa0ba902b7"[..]));
/// let tag = m.tags().next().unwrap();
/// assert_eq!(tag.key, b"usr.id");
/// assert!(tag.value.eq_bytes(b"baz64=="));
/// ```
pub fn parse(value: &[u8]) -> DdMember<'_> {
    let raw = value.get(..MAX_LEN).unwrap_or(value);
    let mut m = DdMember {
        raw,
        s: At::NONE,
        o: At::NONE,
        p: At::NONE,
        dm: At::NONE,
        tid: At::NONE,
        other_tags: false,
    };
    // One pass finds `s`, `o`, `p` and `t.dm` (the last occurrence of each), and whether any
    // other tag is present.
    for (k, v) in m.entries() {
        match k {
            b"s" => m.s = At::of(raw, v),
            b"o" => m.o = At::of(raw, v),
            b"p" => m.p = At::of(raw, v),
            b"t.dm" => m.dm = At::of(raw, v),
            b"t.tid" => {
                if !m.tid.is_some() && dd_tags::is_writable(b"tid", v) {
                    m.tid = At::of(raw, v);
                }
            }
            b"t." => {}
            _ => m.other_tags |= tag_of(k, v).is_some(),
        }
    }
    m
}

/// The `p:` value of a `dd=` member value: what [`parse`]`(value).last_parent_id()` gives,
/// found by one backward pass to the last `p:` entry (the one [`parse`] keeps) when no entry
/// from there to the end has white space in it; anything else is left to [`parse`]. This is
/// what the W3C merge takes from a later tracecontext style.
pub fn last_parent_id(value: &[u8]) -> Option<&[u8]> {
    let raw = value.get(..MAX_LEN).unwrap_or(value);
    // Without OWS, an entry is exactly a `;`-separated piece, and the one with key `p` starts
    // with `p:` (its value is everything after the first `:`). Pieces from the last; one test
    // per byte for the three bytes that matter (all below 64: a bit each in a mask).
    const STOP: u64 = 1 << b'\t' | 1 << b' ' | 1 << b';';
    let mut end = raw.len();
    for (i, &b) in raw.iter().enumerate().rev() {
        if b >= 64 || STOP >> b & 1 == 0 {
            continue;
        }
        if b != b';' {
            return parse(raw).last_parent_id();
        }
        if let Some(v) = raw
            .get(i.wrapping_add(1)..end)
            .and_then(|e| e.strip_prefix(b"p:"))
        {
            return (!v.is_empty()).then_some(v);
        }
        end = i;
    }
    let v = raw.get(..end)?.strip_prefix(b"p:")?;
    (!v.is_empty()).then_some(v)
}

impl<'a> DdMember<'a> {
    /// The value as received.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// `(key, value)` of every well-formed sub-member, in order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        entries(self.raw)
    }

    /// What a context keeps of the member: its tags.
    pub fn member_tags(&self) -> MemberTags<'a> {
        MemberTags {
            raw: self.raw,
            tid: self.tid,
            other_tags: self.other_tags,
        }
    }

    /// `s:`, when present and a valid integer.
    pub fn sampling_priority(&self) -> Option<i32> {
        self.s.get(self.raw).and_then(dec::parse_i32)
    }

    /// `o:` (with `~` standing for `=`).
    pub fn origin(&self) -> Option<Text<'a>> {
        self.o
            .get(self.raw)
            .filter(|o| !o.is_empty())
            .map(Text::tilde_escaped)
    }

    /// `p:`, verbatim.
    pub fn last_parent_id(&self) -> Option<&'a [u8]> {
        self.p.get(self.raw).filter(|p| !p.is_empty())
    }

    /// `t.dm:`, when valid.
    pub fn decision_maker(&self) -> Option<DecisionMaker> {
        self.dm.get(self.raw).and_then(DecisionMaker::parse)
    }

    /// The raw value of the first `t.tid` entry that is a tag (what `tags()` would yield for
    /// `tid` first), found by [`parse`] in its one pass.
    pub fn tid(&self) -> Option<&'a [u8]> {
        self.tid.get(self.raw)
    }

    /// True when some `t.*` entry other than `t.dm` and `t.tid` is present.
    pub fn has_other_tags(&self) -> bool {
        self.other_tags
    }

    /// The `t.*` entries as propagated tags (`dm` and `tid` included). Only entries that
    /// `x-datadog-tags` can carry as they are ([`dd_tags::is_writable`]) are tags: `t.x:` (empty)
    /// or `t.a b:1` (a space in the key) are skipped here, so that whatever extraction accepts,
    /// injection writes in every style.
    pub fn tags(&self) -> impl Iterator<Item = Tag<'a>> {
        self.member_tags().tags()
    }

    /// Sub-members with keys other than `s`, `o`, `p` and `t.*`.
    pub fn unknown(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        self.entries()
            .filter(|(k, _)| !matches!(*k, b"s" | b"o" | b"p") && !k.starts_with(b"t."))
    }
}

/// `(key, value)` of every well-formed sub-member of the member value `raw`, in order.
fn entries(raw: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    list::Split::new(raw, b';').filter_map(|e| {
        let e = list::trim_ows(e);
        match list::split_once(e, b':') {
            (k, Some(v)) if !k.is_empty() => Some((list::trim_ows_end(k), list::trim_ows(v))),
            _ => None,
        }
    })
}

/// The tags of a `dd=` member, as a context keeps them ([`Tags::DdMember`](crate::context::Tags)):
/// the member's value and what [`parse`] found of its tags, without the positions of `s`, `o`,
/// `p` and `t.dm` (read into the context itself). 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberTags<'a> {
    raw: &'a [u8],
    tid: At,
    other_tags: bool,
}

impl<'a> MemberTags<'a> {
    /// The member's value as received (at most [`MAX_LEN`] bytes of it).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The raw value of the first `t.tid` entry that is a tag ([`DdMember::tid`]).
    pub fn tid(&self) -> Option<&'a [u8]> {
        self.tid.get(self.raw)
    }

    /// True when some `t.*` entry other than `t.dm` and `t.tid` is present.
    pub fn has_other_tags(&self) -> bool {
        self.other_tags
    }

    /// The `t.*` entries as propagated tags, as [`DdMember::tags`] gives them.
    pub fn tags(&self) -> impl Iterator<Item = Tag<'a>> {
        entries(self.raw).filter_map(|(k, v)| tag_of(k, v))
    }
}

/// The tag of a `t.<key>:<value>` entry, when it is one that can be written again.
fn tag_of<'a>(k: &'a [u8], v: &'a [u8]) -> Option<Tag<'a>> {
    let key = k.strip_prefix(b"t.")?;
    dd_tags::is_writable(key, v).then_some(Tag {
        key,
        value: Text::tilde_escaped(v),
    })
}

/// The sampling priority and decision maker of a W3C context: the traceparent's sampled flag
/// against `s:` and `t.dm:` (docs/BEHAVIOUR.md §4).
pub fn reconcile(
    sampled: bool,
    s: Option<i32>,
    dm: Option<DecisionMaker>,
) -> (SamplingPriority, Option<DecisionMaker>) {
    match (sampled, s) {
        (true, Some(s)) if s > 0 => (SamplingPriority(s), dm),
        (true, _) => (SamplingPriority::AUTO_KEEP, Some(DecisionMaker(0))),
        (false, Some(s)) if s <= 0 => (SamplingPriority(s), dm),
        (false, _) => (SamplingPriority::AUTO_REJECT, None),
    }
}

/// What [`encode`] left out to stay within [`MAX_LEN`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DdMemberReport {
    /// The origin did not fit.
    pub origin_dropped: bool,
    /// `t.*` entries that did not fit.
    pub tags_dropped: usize,
}

fn sanitized_len(text: Text<'_>, lo: u8, extra: &[u8]) -> usize {
    let mut n = 0usize;
    sanitized(text, lo, extra, false, |_| n = n.saturating_add(1));
    n
}

const VALUE_EXTRA: &[u8] = b",;~";
/// `p` keeps a `~` it arrived with (it is not an escaped origin or tag value).
const PARENT_EXTRA: &[u8] = b",;";
const KEY_EXTRA: &[u8] = b",;:=";

/// A text measured for writing into the member: whether every byte is in the class that passes
/// through unchanged (then it is copied in one go), and its length once sanitised. Measured
/// once, to decide whether it fits, and written from the measurement.
#[derive(Clone, Copy)]
struct Measured<'t> {
    text: Text<'t>,
    as_is: bool,
    len: usize,
}

impl<'t> Measured<'t> {
    /// Measures `text`: `safe` is the class written unchanged, `lo` and `extra` are as for
    /// [`sanitized`].
    fn new(text: Text<'t>, safe: class::Class, lo: u8, extra: &[u8]) -> Self {
        let as_is = class::all(text.raw(), safe);
        let len = if as_is {
            text.len()
        } else {
            sanitized_len(text, lo, extra)
        };
        Measured { text, as_is, len }
    }

    /// Appends the sanitised text (see [`sanitized`]).
    fn push(&self, w: &mut Writer<'_>, lo: u8, extra: &[u8], eq_to_tilde: bool) {
        if self.as_is {
            let _ = w.push(self.text.raw());
        } else {
            sanitized(self.text, lo, extra, eq_to_tilde, |b| {
                let _ = w.push_byte(b);
            });
        }
    }
}

/// The `p:` value [`encode_to`] writes.
#[derive(Clone, Copy)]
pub(crate) enum Parent<'p> {
    /// Bytes from elsewhere (an upstream `p:` or a caller's), sanitised like a value.
    Raw(&'p [u8]),
    /// A span id as 16 lowercase hex digits, written by this crate: nothing to sanitise.
    Hex([u8; 16]),
}

/// Writes the whole `dd=…` member (at most [`MAX_LEN`] bytes, `dd=` included) after what `out`
/// holds. `parent` is the `p:` value (16 hex digits of the span id, or an upstream value being
/// passed through). Nothing is written when the member would have nothing after `dd=`, or, with
/// `Err`, when `out` has no room for it.
///
/// ```
/// use tracewire::format::{dd_member, Text};
/// use tracewire::wire::buf::Writer;
/// use tracewire::{DecisionMaker, SamplingPriority};
///
/// let mut buf = [0u8; dd_member::MAX_LEN];
/// let mut w = Writer::new(&mut buf);
/// dd_member::encode(Some(SamplingPriority(1)), Some(Text::plain(b"rum;=x")), b"000000000000002a",
///     Some(DecisionMaker(4)), core::iter::empty(), &mut w).unwrap();
/// assert_eq!(w.written(), b"dd=s:1;o:rum_~x;p:000000000000002a;t.dm:-4");
/// ```
pub fn encode<'t>(
    priority: Option<SamplingPriority>,
    origin: Option<Text<'_>>,
    parent: &[u8],
    dm: Option<DecisionMaker>,
    tags: impl Iterator<Item = Tag<'t>>,
    out: &mut Writer<'_>,
) -> Result<DdMemberReport, BufferTooSmall> {
    let (report, len, lost_from) = {
        let mut w = out.part(MAX_LEN);
        let (report, len) = encode_to(priority, origin, Parent::Raw(parent), dm, tags, &mut w);
        (report, len, w.part_result().1)
    };
    if len > 0 {
        out.absorb(len, lost_from)?;
    }
    Ok(report)
}

/// [`encode`] into `w`, a fresh writer (nothing written) of capacity [`MAX_LEN`]. Returns the
/// report and the member's length: 0 when it has nothing after `dd=` (then what `w` holds is
/// not a member). Out of line: its measurements are on the stack only while the member is
/// written, not under the rest of the `tracestate` value that injection writes after it.
#[inline(never)]
pub(crate) fn encode_to<'t>(
    priority: Option<SamplingPriority>,
    origin: Option<Text<'_>>,
    parent: Parent<'_>,
    dm: Option<DecisionMaker>,
    tags: impl TagSource<'t>,
    w: &mut Writer<'_>,
) -> (DdMemberReport, usize) {
    let mut report = DdMemberReport::default();
    let _ = w.push(b"dd=");
    let mut first = true;
    let mut sep = |w: &mut Writer<'_>| {
        let r = if first { Ok(()) } else { w.push_byte(b';') };
        first = false;
        r
    };
    if let Some(p) = priority {
        let mut b = [0u8; dec::I32_MAX_LEN];
        let _ = sep(w)
            .and_then(|_| w.push(b"s:"))
            .and_then(|_| w.push(dec::format_i32(p.0, &mut b)));
    }
    // Room that `p` needs, reserved before the origin is placed.
    let parent = match &parent {
        Parent::Raw(raw) => Measured::new(
            Text::plain(raw).trimmed(),
            class::DD_VALUE_SAFE,
            0x20,
            PARENT_EXTRA,
        ),
        Parent::Hex(hex) => Measured {
            text: Text::plain(hex),
            as_is: true,
            len: hex.len(),
        },
    };
    let p_len = if parent.text.is_empty() {
        0
    } else {
        parent.len.saturating_add(3)
    };
    if let Some(o) = origin.map(|o| o.trimmed()).filter(|o| !o.is_empty()) {
        let o = Measured::new(o, class::DD_VALUE_SAFE, 0x20, VALUE_EXTRA);
        let need = o.len.saturating_add(3);
        if w.len().saturating_add(need).saturating_add(p_len) <= MAX_LEN {
            let _ = sep(w).and_then(|_| w.push(b"o:"));
            o.push(w, 0x20, VALUE_EXTRA, true);
        } else {
            report.origin_dropped = true;
        }
    }
    if !parent.text.is_empty() {
        // An upstream `p` came from a validated tracestate value; one a caller built is
        // sanitised like a value, so no byte outside the member's grammar is ever written.
        let mark = w.len();
        if sep(w).and_then(|_| w.push(b"p:")).is_ok() && w.remaining() >= parent.len {
            parent.push(w, 0x20, PARENT_EXTRA, true);
        } else {
            w.truncate(mark);
        }
    }
    if let Some(dm) = dm {
        // `-<digits>`, written by this crate: nothing to sanitise. Room is counted as for every
        // other tag below (key, value, `t.`, `:` and a separator).
        let mut b = [0u8; DecisionMaker::MAX_LEN];
        let v = dm.encode(&mut b);
        if w.len().saturating_add(v.len()).saturating_add(2 + 4) > MAX_LEN {
            report.tags_dropped = report.tags_dropped.saturating_add(1);
        } else {
            let _ = sep(w)
                .and_then(|_| w.push(b"t.dm:"))
                .and_then(|_| w.push(v));
        }
    }
    if !tags.known_empty() {
        report.tags_dropped = report
            .tags_dropped
            .saturating_add(encode_tags(tags, first, w));
    }
    let n = if w.len() > 3 { w.len() } else { 0 };
    (report, n)
}

/// The `t.*` entries of the member (`first`: nothing written after `dd=` yet), and how many
/// did not fit. In a frame of its own: the tag iterator and the measurements of a key and a
/// value are on the stack only while tags are written, not under the rest of the member.
#[inline(never)]
fn encode_tags<'t>(tags: impl TagSource<'t>, first: bool, w: &mut Writer<'_>) -> usize {
    let mut dropped = 0usize;
    let mut first = first;
    for t in tags.tags() {
        if t.key == b"dm" || t.key == b"tid" {
            continue;
        }
        // Values are trimmed (readers trim them); a key's spaces are sanitised to `_`.
        let value = t.value.trimmed();
        let key = Text::plain(t.key);
        let fits = !key.is_empty() && !value.is_empty() && {
            let key = Measured::new(key, class::DD_KEY_SAFE, 0x21, KEY_EXTRA);
            let value = Measured::new(value, class::DD_VALUE_SAFE, 0x20, VALUE_EXTRA);
            let need = key.len.saturating_add(value.len).saturating_add(4);
            w.len().saturating_add(need) <= MAX_LEN && {
                let sep = if first { Ok(()) } else { w.push_byte(b';') };
                first = false;
                let _ = sep.and_then(|_| w.push(b"t."));
                key.push(w, 0x21, KEY_EXTRA, false);
                let _ = w.push_byte(b':');
                value.push(w, 0x20, VALUE_EXTRA, true);
                true
            }
        };
        if !fits {
            dropped = dropped.saturating_add(1);
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn enc(
        p: Option<i32>,
        o: Option<&str>,
        parent: &str,
        dm: Option<u8>,
        tags: &[(&str, &str)],
    ) -> (String, DdMemberReport) {
        let mut buf = [0u8; MAX_LEN];
        let mut out = Writer::new(&mut buf);
        let it = tags.iter().map(|(k, v)| Tag {
            key: k.as_bytes(),
            value: Text::plain(v.as_bytes()),
        });
        let r = encode(
            p.map(SamplingPriority),
            o.map(|o| Text::plain(o.as_bytes())),
            parent.as_bytes(),
            dm.map(DecisionMaker),
            it,
            &mut out,
        )
        .unwrap();
        (String::from_utf8(out.written().to_vec()).unwrap(), r)
    }

    #[test]
    fn writes_after_what_the_writer_holds_or_nothing() {
        let mut buf = [0u8; 2 * MAX_LEN];
        let mut out = Writer::new(&mut buf);
        out.push(b"a=1,").unwrap();
        let tags = core::iter::empty();
        encode(Some(SamplingPriority(1)), None, b"", None, tags, &mut out).unwrap();
        assert_eq!(out.written(), b"a=1,dd=s:1");
        // Nothing to say: nothing written, not a bare `dd=`.
        let mut out = Writer::new(&mut buf);
        encode(None, None, b"", None, core::iter::empty(), &mut out).unwrap();
        assert!(out.is_empty());
        // No room: an error, nothing written.
        let mut small = [0u8; 12];
        let mut out = Writer::new(&mut small);
        out.push(b"a=1,").unwrap();
        let r = encode(
            None,
            None,
            b"000000000000002a",
            None,
            core::iter::empty(),
            &mut out,
        );
        assert_eq!(r, Err(BufferTooSmall));
        assert_eq!(out.written(), b"a=1,");
    }

    #[test]
    fn reads_fields() {
        let m = parse(b"s:2;o:rum;p:00f067aa0ba902b7;t.dm:-4;t.usr.id:baz64~~;t.url:http://x");
        assert_eq!(m.sampling_priority(), Some(2));
        assert!(m.origin().unwrap().eq_bytes(b"rum"));
        assert_eq!(m.last_parent_id(), Some(&b"00f067aa0ba902b7"[..]));
        assert_eq!(m.decision_maker(), Some(DecisionMaker(4)));
        let tags: Vec<(&[u8], Vec<u8>)> = m
            .tags()
            .map(|t| (t.key, t.value.bytes().collect()))
            .collect();
        assert_eq!(tags[1], (&b"usr.id"[..], b"baz64==".to_vec()));
        assert_eq!(tags[2], (&b"url"[..], b"http://x".to_vec()));
    }

    #[test]
    fn tolerant_reading() {
        let m =
            parse(b" p:00f067aa0ba902b7;;s:1;nocolon;s:x;o:France~country;foo:bar;;;baz:bam;;;");
        assert_eq!(
            m.sampling_priority(),
            None,
            "the last s wins, and it is invalid"
        );
        assert!(m.origin().unwrap().eq_bytes(b"France=country"));
        let unknown: Vec<_> = m.unknown().collect();
        assert_eq!(
            unknown,
            [(&b"foo"[..], &b"bar"[..]), (&b"baz"[..], &b"bam"[..])]
        );
        assert_eq!(parse(b"p:XX!X").last_parent_id(), Some(&b"XX!X"[..]));
        assert_eq!(parse(b"s:1;s:2").sampling_priority(), Some(2));
    }

    #[test]
    fn reconciliation_table() {
        let dm4 = Some(DecisionMaker(4));
        let keep0 = Some(DecisionMaker(0));
        assert_eq!(reconcile(true, Some(2), dm4), (SamplingPriority(2), dm4));
        assert_eq!(reconcile(true, Some(-1), dm4), (SamplingPriority(1), keep0));
        assert_eq!(reconcile(true, None, None), (SamplingPriority(1), keep0));
        assert_eq!(reconcile(false, Some(-1), dm4), (SamplingPriority(-1), dm4));
        assert_eq!(reconcile(false, Some(2), dm4), (SamplingPriority(0), None));
        assert_eq!(reconcile(false, None, dm4), (SamplingPriority(0), None));
        assert_eq!(reconcile(false, Some(0), None), (SamplingPriority(0), None));
    }

    #[test]
    fn writes_in_order_with_sanitising() {
        let (s, _) = enc(
            Some(2),
            Some("foo,bar="),
            "5555eeee6666ffff",
            None,
            &[("foo bar,baz=", "abc~!@#$%^&*()_+`-=")],
        );
        assert_eq!(
            s,
            "dd=s:2;o:foo_bar~;p:5555eeee6666ffff;t.foo_bar_baz_:abc_!@#$%^&*()_+`-~"
        );
        let (s, _) = enc(
            Some(1),
            Some("synthetics~;=web,z"),
            "00000000000000aa",
            Some(4),
            &[("usr.id", "baz64==")],
        );
        assert_eq!(
            s,
            "dd=s:1;o:synthetics__~web_z;p:00000000000000aa;t.dm:-4;t.usr.id:baz64~~"
        );
        let (s, _) = enc(
            None,
            None,
            "0000000000000001",
            None,
            &[("tid", "1111111111111111")],
        );
        assert_eq!(
            s, "dd=p:0000000000000001",
            "no s when undecided, never t.tid"
        );
    }

    #[test]
    fn non_ascii_is_one_underscore_per_character() {
        let (s, _) = enc(
            Some(1),
            Some("so is \u{53f0}\u{5317}."),
            "01",
            None,
            &[("a;d\u{53f0}x ", "foo")],
        );
        assert_eq!(s, "dd=s:1;o:so is __.;p:01;t.a_d_x_:foo");
    }

    #[test]
    fn cap_keeps_s_and_p() {
        let long = "a".repeat(600);
        let (s, r) = enc(
            Some(2),
            Some(&long),
            "5555eeee6666ffff",
            None,
            &[("foo", "abc")],
        );
        assert_eq!(s, "dd=s:2;p:5555eeee6666ffff;t.foo:abc");
        assert!(r.origin_dropped);
        let o = "abcd".repeat(32);
        let v = "abcd".repeat(30);
        let (s, r) = enc(
            Some(2),
            Some(&o),
            "5555eeee6666ffff",
            None,
            &[("foo", &v), ("x", "1")],
        );
        assert_eq!(
            s,
            std::format!("dd=s:2;o:{o};p:5555eeee6666ffff;t.x:1"),
            "a tag that does not fit is skipped, a later one may fit"
        );
        assert_eq!(r.tags_dropped, 1);
        assert!(s.len() <= MAX_LEN);
    }

    #[test]
    fn parse_then_encode_round_trips() {
        let src = "s:-1;o:rum~x;p:00f067aa0ba902b7;t.dm:-3;t.usr.id:baz64~~";
        let m = parse(src.as_bytes());
        let mut buf = [0u8; MAX_LEN];
        let mut out = Writer::new(&mut buf);
        encode(
            m.sampling_priority().map(SamplingPriority),
            m.origin(),
            m.last_parent_id().unwrap(),
            m.decision_maker(),
            m.tags(),
            &mut out,
        )
        .unwrap();
        assert_eq!(out.written(), std::format!("dd={src}").as_bytes());
    }

    /// The backward pass gives what the full parse gives, at its edges.
    #[test]
    fn last_parent_id_edges() {
        let long_p = std::format!("s:1;{};p:ab", "x".repeat(MAX_LEN));
        let cases: [&[u8]; 22] = [
            b"",
            b"p:",
            b"p:1",
            b"s:2;p:00f067aa0ba902b7;t.dm:-4",
            b"p:1;p:2",
            b"p:1;p:",
            b"p:1;p",
            b"p:1;pp:2",
            b"p:1;xp:2",
            b"p::x;o:a",
            b";;p:1;;",
            b"p:1; p:2",
            b"p:1;p :2",
            b"p:1;p: 2",
            b"p:1;p:2 ",
            b"p:\t;s:1",
            b"p:1;t.x:a b",
            b"p: 1;s:2",
            b"P:1",
            b":p:1;p",
            b"o:a;p;p:7:8",
            long_p.as_bytes(),
        ];
        for v in cases {
            assert_eq!(
                last_parent_id(v),
                parse(v).last_parent_id(),
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
        assert_eq!(
            last_parent_id(b"s:2;p:00f067aa0ba902b7;t.dm:-4"),
            Some(&b"00f067aa0ba902b7"[..])
        );
        assert_eq!(
            last_parent_id(long_p.as_bytes()),
            None,
            "past MAX_LEN, as parse"
        );
    }

    proptest::proptest! {
        /// The backward pass and the full parse agree on every value (entries of `p`, `s` and
        /// other keys, with and without white space, empty pieces and stray colons).
        #[test]
        fn last_parent_id_agrees_with_parse(
            v in proptest::string::string_regex("((p|s|t\\.x|pp| p|p )?(:[0-9a-f: \t]{0,4})?;?){0,6}").unwrap()
        ) {
            proptest::prop_assert_eq!(last_parent_id(v.as_bytes()), parse(v.as_bytes()).last_parent_id());
        }
    }
}
