//! `x-datadog-tags`: Datadog's propagated trace tags (docs/BEHAVIOUR.md §1.6, §12 #4–#8).
//!
//! Grammar: comma-separated `key=value` pairs, key printable ASCII 0x21–0x7E without `,` and
//! `=`, value printable ASCII 0x20–0x7E without `,`; a value may contain `=` (the pair splits at
//! the first `=`). A trailing `,` is tolerated.
//!
//! Reading ([`parse`]): a header longer than the configured limit is not read at all
//! (`extract_max_size`); a limit of 0 disables the header (`disabled`); any malformed pair drops
//! every tag (`decoding_error`, §12 #5). Only `_dd.p.*` keys are kept (§12 #4). `_dd.p.tid` must be
//! 16 lowercase hex digits and not all zero (§12 #7); `_dd.p.dm` must be `-0` … `-255` (§12 #6);
//! the caller decides what an invalid one costs (see [`DdTags::tid`], [`DdTags::dm`]).
//!
//! Writing ([`encode`]): `_dd.p.dm`, then `_dd.p.tid` (only for a 128-bit id), then the other
//! tags in the order given — deterministic, unlike the hash-map order of several tracers. The
//! exact serialised length is checked against the limit; over it nothing is written
//! (`inject_max_size`); a tag that cannot be written as it is ([`is_writable`]) suppresses the
//! header (`encoding_error`, as dd-trace-rs and dd-trace-py do). Only a caller's own tags can do
//! that: extraction keeps only tags that can be written again (from `x-datadog-tags` and from the
//! `dd=` member alike), so an extracted context never loses its `_dd.p.tid` on the way out.
//!
//! Whitespace: each pair and its value are trimmed of OWS when read (`_dd.p.x=v ,` is `x` = `v`),
//! so what is written again is what the next hop reads.

use core::fmt;

use crate::format::{Tag, TagSource, Text, DD_P_PREFIX};
use crate::id::DecisionMaker;
use crate::wire::buf::Writer;
use crate::wire::class;
use crate::wire::hex;
use crate::wire::list::{self, At, Fields};

/// Default and ceiling of `DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH`.
pub const MAX_LEN: usize = 512;

/// Datadog's `_dd.propagation_error` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PropagationError {
    /// The incoming header was longer than the limit.
    ExtractMaxSize,
    /// The outgoing header would have been longer than the limit.
    InjectMaxSize,
    /// The incoming header was malformed, or its `_dd.p.dm` invalid.
    DecodingError,
    /// An outgoing tag had a forbidden character.
    EncodingError,
    /// The limit is 0.
    Disabled,
    /// The incoming `_dd.p.tid` was invalid (the tag value is followed by the raw tid).
    MalformedTid,
    /// `_dd.p.tid` disagreed with the trace id in use.
    InconsistentTid,
}

impl PropagationError {
    /// The tag value (for `malformed_tid`, the prefix before a space and the raw value).
    pub const fn as_str(self) -> &'static str {
        match self {
            PropagationError::ExtractMaxSize => "extract_max_size",
            PropagationError::InjectMaxSize => "inject_max_size",
            PropagationError::DecodingError => "decoding_error",
            PropagationError::EncodingError => "encoding_error",
            PropagationError::Disabled => "disabled",
            PropagationError::MalformedTid => "malformed_tid",
            PropagationError::InconsistentTid => "inconsistent_tid",
        }
    }
}

impl fmt::Display for PropagationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an incoming `x-datadog-tags` was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TagsError {
    /// Longer than the limit.
    ExtractMaxSize,
    /// The limit is 0.
    Disabled,
    /// A pair is malformed (at this pair index).
    Decoding {
        /// Index of the first bad pair.
        pair: usize,
    },
}

impl fmt::Display for TagsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagsError::ExtractMaxSize => f.write_str("x-datadog-tags: longer than the limit"),
            TagsError::Disabled => f.write_str("x-datadog-tags: disabled (limit 0)"),
            TagsError::Decoding { pair } => {
                write!(
                    f,
                    "x-datadog-tags: pair {pair} is not key=value in the grammar"
                )
            }
        }
    }
}

impl core::error::Error for TagsError {}

impl fmt::Display for TagsInjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TagsInjectError::MaxSize => "x-datadog-tags: longer than the limit, not written",
            TagsInjectError::Encoding => "x-datadog-tags: a tag cannot be written, none written",
            TagsInjectError::Disabled => "x-datadog-tags: disabled (limit 0)",
        })
    }
}

impl core::error::Error for TagsInjectError {}

impl From<TagsError> for PropagationError {
    fn from(e: TagsError) -> Self {
        match e {
            TagsError::ExtractMaxSize => PropagationError::ExtractMaxSize,
            TagsError::Disabled => PropagationError::Disabled,
            TagsError::Decoding { .. } => PropagationError::DecodingError,
        }
    }
}

/// Why `x-datadog-tags` was not written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TagsInjectError {
    /// Longer than the limit (or than the output buffer).
    MaxSize,
    /// A key or value cannot be written as it is ([`is_writable`]).
    Encoding,
    /// The limit is 0.
    Disabled,
}

impl From<TagsInjectError> for PropagationError {
    fn from(e: TagsInjectError) -> Self {
        match e {
            TagsInjectError::MaxSize => PropagationError::InjectMaxSize,
            TagsInjectError::Encoding => PropagationError::EncodingError,
            TagsInjectError::Disabled => PropagationError::Disabled,
        }
    }
}

fn key_ok(k: &[u8]) -> bool {
    !k.is_empty() && class::all(k, class::TAG_KEY)
}

fn value_ok(v: &[u8]) -> bool {
    !v.is_empty() && class::span_printable_except(v, b',', b',') == v.len()
}

/// True when `_dd.p.<key>=<value>` can be written in `x-datadog-tags` as it is: a non-empty key
/// of printable ASCII 0x21–0x7E without `,` and `=`, and a non-empty value of printable ASCII
/// 0x20–0x7E without `,` that neither starts nor ends with a space (a reader trims those).
/// `value` is checked on its raw bytes: a tilde-escaped value decodes `~` to `=`, which is
/// allowed too.
pub fn is_writable(key: &[u8], value: &[u8]) -> bool {
    key_ok(key)
        && value_ok(value)
        && !matches!(value.first(), Some(b' ' | b'\t'))
        && !matches!(value.last(), Some(b' ' | b'\t'))
}

/// Reads the pair that starts at `pos` of `line` (the item up to the next `,` or the end of the
/// line) and where the item ends; `None` when the item is not a valid pair. The item is split at
/// its first `=`, key and value trimmed of OWS (`_dd.p.x = v ` reads as key `_dd.p.x`, value
/// `v`; trimming the key too keeps `a=1, b=2` readable); both must be valid as [`key_ok`] and
/// [`value_ok`] say. Key and value characters exclude `,`, so the cursor stops at the item's end
/// by itself.
fn pair_at(line: &[u8], pos: usize) -> Option<(&[u8], &[u8], usize)> {
    use class::{skip, OWS, TAG_KEY, TAG_VALUE};
    let key_start = skip(line, pos, OWS);
    let key_end = skip(line, key_start, TAG_KEY);
    let eq = skip(line, key_end, OWS);
    if line.get(eq) != Some(&b'=') {
        return None;
    }
    let value_start = skip(line, eq.saturating_add(1), OWS);
    let run_end = skip(line, value_start, TAG_VALUE);
    let end = skip(line, run_end, OWS);
    if !matches!(line.get(end), None | Some(b',')) {
        return None;
    }
    let key = line.get(key_start..key_end)?;
    let value = list::trim_ows_end(line.get(value_start..run_end)?);
    if key.is_empty() || value.is_empty() {
        return None;
    }
    Some((key, value, end))
}

/// The `_dd.p.tid` state of a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tid<'a> {
    /// No `_dd.p.tid`.
    Absent,
    /// The high 64 bits of the trace id (non-zero).
    Valid(u64),
    /// Present but not 16 lowercase hex digits, or all zero: the raw value.
    Malformed(&'a [u8]),
}

/// A validated `x-datadog-tags` header, borrowed: a pointer to its field lines (kept by the
/// caller, in the [`Slots`](crate::propagate::Slots) of an extraction or a [`Fields`] of its
/// own) and where `tid` and `dm` are in them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DdTags<'a> {
    fields: &'a Fields<'a>,
    /// The first `_dd.p.tid` value: which field line, and where in it.
    tid: (u8, At),
    /// The first `_dd.p.dm` value, likewise.
    dm: (u8, At),
    /// Some `_dd.p.*` tag other than `tid` and `dm` is present.
    other_tags: bool,
}

/// Parses `x-datadog-tags` (all field lines, combined with `,`) under `max_len`
/// (clamped to [`MAX_LEN`]).
///
/// ```
/// use tracewire::format::dd_tags::{self, Tid};
/// use tracewire::wire::list::Fields;
///
/// let lines = Fields::one(b"_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000,any=tag");
/// let t = dd_tags::parse(&lines, 512).unwrap();
/// assert_eq!(t.tid(), Tid::Valid(0x640c_fd8d_0000_0000));
/// assert_eq!(t.dm(), Some(Ok(tracewire::DecisionMaker(4))));
/// assert!(t.get(b"any").is_none(), "only _dd.p.* tags are kept");
/// assert!(dd_tags::parse(&Fields::one(b"_dd.p.a"), 512).is_err(), "no =: decoding_error");
/// ```
#[inline]
pub fn parse<'a>(fields: &'a Fields<'a>, max_len: usize) -> Result<DdTags<'a>, TagsError> {
    let max_len = max_len.min(MAX_LEN);
    if max_len == 0 {
        return Err(TagsError::Disabled);
    }
    if fields.combined_len() > max_len || fields.dropped() > 0 {
        return Err(TagsError::ExtractMaxSize);
    }
    if let [line] = fields.as_slice() {
        if let Some((tid, dm)) = usual(line) {
            return Ok(DdTags {
                fields,
                tid: (0, tid),
                dm: (0, dm),
                other_tags: false,
            });
        }
    }
    read_pairs(fields)
}

/// [`parse`]'s general reader, past its limits and its short path.
fn read_pairs<'a>(fields: &'a Fields<'a>) -> Result<DdTags<'a>, TagsError> {
    // One pass validates every pair and remembers the first `tid` and `dm`: a cursor per field
    // line reads each pair up to its own `,` (the items of the combined list are the items of
    // each line in turn), by the rules of [`pair_at`].
    let (mut tid, mut dm, mut other_tags) = ((0, At::NONE), (0, At::NONE), false);
    let lines = fields.as_slice();
    let last_line = lines.len().saturating_sub(1);
    let mut i = 0usize;
    'lines: for (l, &line) in (0..usize::MAX).zip(lines) {
        // At most MAX_FIELDS lines: the index fits a `u8`.
        let line_no = u8::try_from(l).unwrap_or(u8::MAX);
        let mut pos = 0usize;
        loop {
            let Some((k, v, end)) = pair_at(line, pos) else {
                let rest = line.get(pos..).unwrap_or(&[]);
                if l == last_line && i > 0 && list::trim_ows(rest).is_empty() {
                    break 'lines; // trailing comma
                }
                return Err(TagsError::Decoding { pair: i });
            };
            match k {
                b"_dd.p.tid" if !tid.1.is_some() => tid = (line_no, At::of(line, v)),
                b"_dd.p.dm" if !dm.1.is_some() => dm = (line_no, At::of(line, v)),
                b"_dd.p.tid" | b"_dd.p.dm" => {}
                b"_dd.p." => {}
                _ => other_tags |= k.starts_with(DD_P_PREFIX),
            }
            i = i.saturating_add(1);
            if end >= line.len() {
                break;
            }
            pos = end.saturating_add(1);
        }
    }
    Ok(DdTags {
        fields,
        tid,
        dm,
        other_tags,
    })
}

/// The header as Datadog's tracers usually send it: `_dd.p.dm=-<digits>` and
/// `_dd.p.tid=<16 lowercase hex digits>`, in either order or one alone, each once, separated by
/// bare commas. Returns where the `tid` and `dm` values lie, found by comparing the keys whole
/// instead of reading each pair byte by byte. `None` for any other line (another key, a repeated
/// one, white space, a value of another shape, a trailing comma), which [`parse`]'s pair reader
/// then reads; on every line this accepts, that reader finds the same two values and no other
/// `_dd.p.*` tag (a unit test and the `dd_tags` fuzz target check it).
#[inline]
fn usual(line: &[u8]) -> Option<(At, At)> {
    const TID: &[u8] = b"_dd.p.tid=";
    const DM: &[u8] = b"_dd.p.dm=";
    let (mut tid, mut dm) = (At::NONE, At::NONE);
    let mut rest = line;
    loop {
        let after = if let Some(after) = rest.strip_prefix(TID) {
            let (v, after) = after.split_at_checked(16)?;
            // The value must be bytes the pair reader takes as they are: 16 lowercase hex
            // digits are, and the word-at-a-time decoder is the cheapest check of that.
            // `tid()` decodes them again for the value (keeping the decoded half here would
            // grow `DdTags`, and with it every context that holds one).
            if tid.is_some() || hex::decode_u64(v).is_none() {
                return None;
            }
            tid = At::of(line, v);
            after
        } else if let Some(after) = rest.strip_prefix(DM) {
            // `-` and digits up to the next comma (whether they name a valid mechanism is
            // `dm()`'s question, as for the pair reader).
            let n = match after.split_first() {
                Some((b'-', digits)) => digits.iter().take_while(|b| b.is_ascii_digit()).count(),
                _ => 0,
            };
            if dm.is_some() || n == 0 {
                return None;
            }
            let (v, after) = after.split_at_checked(n.wrapping_add(1))?;
            dm = At::of(line, v);
            after
        } else {
            return None;
        };
        match after {
            [] => return Some((tid, dm)),
            [b',', next @ ..] if !next.is_empty() => rest = next,
            _ => return None,
        }
    }
}

impl<'a> DdTags<'a> {
    /// The `_dd.p.*` tags in order, `tid` and `dm` included.
    pub fn iter(&self) -> impl Iterator<Item = Tag<'a>> {
        // `parse` validated every item (a blank last one aside): the pairs are read again with
        // the same cursor, line after line, without checking them again.
        let fields = self.fields;
        let mut next_line = 0usize;
        let mut cur: Option<(&'a [u8], usize)> = None;
        core::iter::from_fn(move || loop {
            let (line, pos) = match cur {
                Some(c) => c,
                None => {
                    let line = *fields.as_slice().get(next_line)?;
                    next_line = next_line.saturating_add(1);
                    (line, 0)
                }
            };
            let Some((k, v, end)) = pair_at(line, pos) else {
                cur = None;
                continue;
            };
            cur = (end < line.len()).then(|| (line, end.saturating_add(1)));
            // `_dd.p.` with nothing after it names no tag: skipped, so that everything read can
            // be written again (found by the `roundtrip` fuzz target).
            if let Some(key) = k.strip_prefix(DD_P_PREFIX).filter(|k| !k.is_empty()) {
                return Some(Tag {
                    key,
                    value: Text::plain(v),
                });
            }
        })
    }

    /// True when some `_dd.p.*` tag other than `tid` and `dm` is present.
    pub fn has_other_tags(&self) -> bool {
        self.other_tags
    }

    /// The raw value of `_dd.p.<key>`.
    pub fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.iter().find(|t| t.key == key).map(|t| t.value.raw())
    }

    /// The `_dd.p.tid` state.
    #[inline]
    pub fn tid(&self) -> Tid<'a> {
        match self.at(self.tid) {
            None => Tid::Absent,
            Some(v) => match hex::decode_u64(v) {
                Some(h) if h != 0 => Tid::Valid(h),
                _ => Tid::Malformed(v),
            },
        }
    }

    /// The raw value of the first `_dd.p.tid`, valid or not (what [`Tid::Malformed`] holds
    /// when it is malformed).
    #[inline]
    pub fn tid_raw(&self) -> Option<&'a [u8]> {
        self.at(self.tid)
    }

    /// The `_dd.p.dm` value: `None` when absent, `Some(Err(()))` when invalid.
    #[allow(clippy::result_unit_err)]
    #[inline]
    pub fn dm(&self) -> Option<Result<DecisionMaker, ()>> {
        self.at(self.dm).map(|v| DecisionMaker::parse(v).ok_or(()))
    }

    /// The bytes at `at` of field line `line`.
    fn at(&self, (line, at): (u8, At)) -> Option<&'a [u8]> {
        at.get(self.fields.as_slice().get(usize::from(line)).copied()?)
    }
}

/// Writes `x-datadog-tags` into `out`: `_dd.p.dm`, `_dd.p.tid` (when `tid_high` ≠ 0), then
/// `tags` in order (any `dm`/`tid` among them skipped). Returns the bytes written; on error
/// nothing is left in `out`.
///
/// ```
/// use tracewire::format::{dd_tags, Tag, Text};
/// use tracewire::wire::buf::Writer;
/// use tracewire::DecisionMaker;
///
/// let tags = [Tag { key: b"usr.id", value: Text::plain(b"baz64==") }];
/// let mut buf = [0u8; 128];
/// let mut w = Writer::new(&mut buf);
/// let n = dd_tags::encode(Some(DecisionMaker(0)), 0x640c_fd8d_0000_0000, tags.into_iter(), 512, &mut w)
///     .unwrap();
/// assert_eq!(&buf[..n], b"_dd.p.dm=-0,_dd.p.tid=640cfd8d00000000,_dd.p.usr.id=baz64==");
/// ```
pub fn encode<'t>(
    dm: Option<DecisionMaker>,
    tid_high: u64,
    tags: impl Iterator<Item = Tag<'t>>,
    max_len: usize,
    out: &mut Writer<'_>,
) -> Result<usize, TagsInjectError> {
    encode_from(dm, tid_high, tags, max_len, out)
}

/// [`encode`] with the tags from any [`TagSource`] (injection passes the context's tags).
pub(crate) fn encode_from<'t>(
    dm: Option<DecisionMaker>,
    tid_high: u64,
    tags: impl TagSource<'t>,
    max_len: usize,
    out: &mut Writer<'_>,
) -> Result<usize, TagsInjectError> {
    let max_len = max_len.min(MAX_LEN);
    if max_len == 0 {
        return Err(TagsInjectError::Disabled);
    }
    let start = out.len();
    let r = write_all(dm, tid_high, tags, max_len, out, start);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

fn write_all<'t>(
    dm: Option<DecisionMaker>,
    tid_high: u64,
    tags: impl TagSource<'t>,
    max_len: usize,
    out: &mut Writer<'_>,
    start: usize,
) -> Result<usize, TagsInjectError> {
    // `dm` and `tid` are written by this function (digits and lowercase hex), which needs no
    // check; tags from the context are checked.
    if let Some(dm) = dm {
        let mut b = [0u8; DecisionMaker::MAX_LEN];
        let v = dm.encode(&mut b);
        let mut e = *b"_dd.p.dm=-255";
        let n = 9usize.saturating_add(v.len());
        if let Some(d) = e.get_mut(9..n) {
            d.copy_from_slice(v);
        }
        put_entry(out, start, max_len, e.get(..n).unwrap_or_default())?;
    }
    if tid_high != 0 {
        let mut e = *b"_dd.p.tid=0123456789abcdef";
        if let Some(d) = e.get_mut(10..) {
            d.copy_from_slice(&hex::encode_u64(tid_high));
        }
        put_entry(out, start, max_len, &e)?;
    }
    if !tags.known_empty() {
        put_tags(tags, max_len, out, start)?;
    }
    Ok(out.len().saturating_sub(start))
}

/// The context's tags but `dm` and `tid`, each checked. In a frame of its own: the tag
/// iterator is on the stack only while tags are written.
#[inline(never)]
fn put_tags<'t>(
    tags: impl TagSource<'t>,
    max_len: usize,
    out: &mut Writer<'_>,
    start: usize,
) -> Result<(), TagsInjectError> {
    for t in tags.tags() {
        if t.key == b"dm" || t.key == b"tid" {
            continue;
        }
        put_tag(out, start, max_len, t.key, t.value)?;
    }
    Ok(())
}

/// Appends a whole `_dd.p.<key>=<value>` entry that this crate wrote (nothing to check), after a
/// `,` unless it is the first since `start`, within `max_len` bytes from `start`.
#[inline]
fn put_entry(
    out: &mut Writer<'_>,
    start: usize,
    max_len: usize,
    entry: &[u8],
) -> Result<(), TagsInjectError> {
    let sep = usize::from(out.len() > start);
    let need = sep.saturating_add(entry.len());
    if out.len().saturating_sub(start).saturating_add(need) > max_len {
        return Err(TagsInjectError::MaxSize);
    }
    let full = |_| TagsInjectError::MaxSize;
    if sep == 1 {
        out.push_byte(b',').map_err(full)?;
    }
    out.push(entry).map_err(full)
}

/// Appends `_dd.p.<key>=<value>` (after a `,` unless it is the first tag since `start`),
/// within `max_len` bytes from `start`; the key and value are checked first.
#[inline]
fn put_tag(
    out: &mut Writer<'_>,
    start: usize,
    max_len: usize,
    key: &[u8],
    value: Text<'_>,
) -> Result<(), TagsInjectError> {
    // `is_writable` on the raw bytes covers the decoded ones (`~` decodes to `=`, never `,`).
    if !is_writable(key, value.raw()) {
        return Err(TagsInjectError::Encoding);
    }
    let sep = usize::from(out.len() > start);
    let need = (sep + DD_P_PREFIX.len() + 1)
        .saturating_add(key.len())
        .saturating_add(value.len());
    if out.len().saturating_sub(start).saturating_add(need) > max_len {
        return Err(TagsInjectError::MaxSize);
    }
    let full = |_| TagsInjectError::MaxSize;
    if sep == 1 {
        out.push_byte(b',').map_err(full)?;
    }
    out.push(DD_P_PREFIX).map_err(full)?;
    out.push(key).map_err(full)?;
    out.push_byte(b'=').map_err(full)?;
    value.write_decoded(out).map_err(full)
}

/// Writes the `_dd.propagation_error` value for `malformed_tid <raw>` (or just the error name).
pub fn write_error_tag(
    e: PropagationError,
    raw: Option<&[u8]>,
    out: &mut Writer<'_>,
) -> Result<(), crate::BufferTooSmall> {
    out.push(e.as_str().as_bytes())?;
    if let Some(r) = raw {
        out.push_byte(b' ')?;
        out.push(r)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// The one field line `s`, kept for the rest of the test run (parsed tags borrow it).
    fn f(s: &str) -> &'static Fields<'static> {
        let s: &'static str = std::boxed::Box::leak(s.into());
        std::boxed::Box::leak(std::boxed::Box::new(Fields::one(s.as_bytes())))
    }

    fn keys(t: &DdTags<'_>) -> Vec<String> {
        t.iter()
            .map(|t| String::from_utf8_lossy(t.key).into_owned())
            .collect()
    }

    fn enc<'t>(
        dm: Option<u8>,
        high: u64,
        tags: &[(&'t str, &'t str)],
        max: usize,
    ) -> Result<String, TagsInjectError> {
        let mut b = [0u8; 1024];
        let mut w = Writer::new(&mut b);
        let it = tags.iter().map(|(k, v)| Tag {
            key: k.as_bytes(),
            value: Text::plain(v.as_bytes()),
        });
        let n = encode(dm.map(DecisionMaker), high, it, max, &mut w)?;
        assert_eq!(n, w.len());
        Ok(String::from_utf8(w.written().to_vec()).unwrap())
    }

    /// The short path answers for the headers Datadog's tracers send, declines every other
    /// shape, and where it answers the pair reader finds the same values (lines built from
    /// keys, values and separators that sit on either side of its rules).
    #[test]
    fn usual_header_agrees_with_the_pair_reader() {
        for line in [
            "_dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6",
            "_dd.p.tid=4bf92f3577b34da6,_dd.p.dm=-0",
            "_dd.p.dm=-255",
            "_dd.p.dm=-1000",
            "_dd.p.tid=0000000000000000",
        ] {
            assert!(usual(line.as_bytes()).is_some(), "{line}");
        }
        for line in [
            "",
            ",",
            "_dd.p.dm=-4,",
            "_dd.p.dm=-4,,_dd.p.tid=4bf92f3577b34da6",
            "_dd.p.dm=-4, _dd.p.tid=4bf92f3577b34da6",
            "_dd.p.dm=-4 ,_dd.p.tid=4bf92f3577b34da6",
            "_dd.p.dm=-4,_dd.p.dm=-3",
            "_dd.p.tid=4bf92f3577b34da6,_dd.p.tid=4bf92f3577b34da6",
            "_dd.p.dm=4",
            "_dd.p.dm=-",
            "_dd.p.dm=-4a",
            "_dd.p.tid=4BF92F3577B34DA6",
            "_dd.p.tid=4bf92f3577b34da",
            "_dd.p.tid=4bf92f3577b34da6a",
            "_dd.p.dm=-4,_dd.p.usr.id=x",
            "_dd.p.dmx=-4",
            "x=1",
        ] {
            assert!(usual(line.as_bytes()).is_none(), "{line}");
        }
        let keys = [
            "_dd.p.tid=",
            "_dd.p.dm=",
            "_dd.p.ti=",
            "_dd.p.dmx=",
            " _dd.p.dm=",
            "x=",
            "",
        ];
        let values = [
            "-4",
            "-",
            "-255",
            "-1000",
            "4",
            "-4 ",
            "-4=",
            "4bf92f3577b34da6",
            "4BF92F3577B34DA6",
            "0000000000000000",
            "4bf92f3577b34da",
            "4bf92f3577b34da6x",
            "",
        ];
        let seps = [",", ", ", ",,", ""];
        let pairs: Vec<String> = keys
            .iter()
            .flat_map(|k| values.iter().map(move |v| std::format!("{k}{v}")))
            .collect();
        let (mut answered, mut lines) = (0usize, 0usize);
        for a in &pairs {
            for sep in seps {
                for b in pairs.iter().take(40) {
                    for tail in ["", ","] {
                        let line = std::format!("{a}{sep}{b}{tail}");
                        lines += 1;
                        let Some((tid, dm)) = usual(line.as_bytes()) else {
                            continue;
                        };
                        answered += 1;
                        let one = Fields::one(line.as_bytes());
                        let read = read_pairs(&one).expect(&line);
                        assert_eq!(read.tid, (0, tid), "{line}");
                        assert_eq!(read.dm, (0, dm), "{line}");
                        assert!(!read.other_tags, "{line}");
                    }
                }
            }
        }
        assert!(
            answered > 10 && answered < lines / 10,
            "{answered} of {lines}"
        );
    }

    #[test]
    fn keeps_only_dd_p_and_values_with_equals() {
        let t = parse(
            f("_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000,_dd.p.usr.id=baz64==,any=tag"),
            512,
        )
        .unwrap();
        assert_eq!(keys(&t), ["dm", "tid", "usr.id"]);
        assert_eq!(t.get(b"usr.id"), Some(&b"baz64=="[..]));
        assert_eq!(t.tid(), Tid::Valid(0x640c_fd8d_0000_0000));
        assert_eq!(t.dm(), Some(Ok(DecisionMaker(4))));
    }

    #[test]
    fn malformed_drops_everything() {
        for bad in [
            "_dd.p.a=1,nokey",
            "_dd.p.a=1,,_dd.p.b=2",
            "=v",
            "_dd.p.a=",
            "_dd.p.a=\u{e9}",
            "_dd.p.a b=1",
        ] {
            assert!(
                matches!(parse(f(bad), 512), Err(TagsError::Decoding { .. })),
                "{bad}"
            );
        }
        assert!(
            parse(f("_dd.p.a=1,"), 512).is_ok(),
            "trailing comma tolerated"
        );
        assert!(
            parse(f("_dd.p.a=x y"), 512).is_ok(),
            "space inside a value is printable"
        );
    }

    #[test]
    fn limits() {
        let long = std::format!("_dd.p.a={}", "x".repeat(600));
        assert_eq!(parse(f(&long), 512), Err(TagsError::ExtractMaxSize));
        assert_eq!(parse(f("_dd.p.a=1"), 0), Err(TagsError::Disabled));
        assert_eq!(parse(f("_dd.p.a=12345"), 8), Err(TagsError::ExtractMaxSize));
        assert!(parse(f("_dd.p.a=12345"), 100_000).is_ok());
    }

    /// Fuzz crash `roundtrip/crash-c5c739745bb5718bb98ec9024512d1df6d34d5e6`: an empty tag name
    /// after `_dd.p.` was read, could not be written, and took `_dd.p.tid` down with it.
    #[test]
    fn fuzz_roundtrip_empty_dd_p_key() {
        let t = parse(
            f("_dd.p.tid=1111111111111111,_dd.p.dm=-0,_dd.p.=0t0e0i00000010"),
            512,
        )
        .unwrap();
        assert_eq!(keys(&t), ["tid", "dm"]);
        let mut b = [0u8; 512];
        let mut w = Writer::new(&mut b);
        let others = t.iter().filter(|x| x.key != b"tid" && x.key != b"dm");
        encode(
            Some(DecisionMaker(0)),
            0x1111_1111_1111_1111,
            others,
            512,
            &mut w,
        )
        .unwrap();
        assert_eq!(w.written(), b"_dd.p.dm=-0,_dd.p.tid=1111111111111111");
    }

    #[test]
    fn tid_validation() {
        for bad in [
            "4321",
            "0000000000000000",
            "640CFD8D00000000",
            "+40cfd8d00000000",
            "640cfd8d000000000",
        ] {
            let s = std::format!("_dd.p.tid={bad}");
            let t = parse(f(&s), 512).unwrap();
            assert_eq!(t.tid(), Tid::Malformed(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn dm_validation() {
        for bad in ["-1a", "-256", "934086a6-4", "4"] {
            let s = std::format!("_dd.p.dm={bad}");
            assert_eq!(parse(f(&s), 512).unwrap().dm(), Some(Err(())), "{bad}");
        }
    }

    #[test]
    fn encode_order_and_tid() {
        assert_eq!(
            enc(
                Some(4),
                0x640c_fd8d_0000_0000,
                &[("usr.id", "x"), ("dm", "-9")],
                512
            )
            .unwrap(),
            "_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000,_dd.p.usr.id=x"
        );
        assert_eq!(
            enc(None, 0, &[("tid", "c0ffee"), ("other", "test")], 512).unwrap(),
            "_dd.p.other=test"
        );
        assert_eq!(enc(None, 0, &[], 512).unwrap(), "");
    }

    #[test]
    fn encode_limits_and_errors_write_nothing() {
        assert_eq!(
            enc(Some(0), 0, &[("a", "12345")], 16),
            Err(TagsInjectError::MaxSize)
        );
        assert_eq!(
            enc(Some(0), 0, &[("a", "1")], 21).unwrap(),
            "_dd.p.dm=-0,_dd.p.a=1"
        );
        assert_eq!(
            enc(Some(0), 0, &[("a", "1")], 20),
            Err(TagsInjectError::MaxSize)
        );
        for bad in [
            ("a,ny", "x"),
            ("a", "x,y"),
            ("c", " v"),
            ("d", ""),
            ("e", "\r"),
        ] {
            assert_eq!(
                enc(None, 7, &[("b", "2"), bad], 512),
                Err(TagsInjectError::Encoding),
                "{bad:?}"
            );
        }
        assert_eq!(
            enc(None, 0, &[("a", "1")], 0),
            Err(TagsInjectError::Disabled)
        );
        let mut b = [0u8; 64];
        let mut w = Writer::new(&mut b);
        w.push(b"keep").unwrap();
        let big = [Tag {
            key: b"a",
            value: Text::plain(&[b'x'; 600]),
        }];
        assert!(encode(None, 0, big.into_iter(), 512, &mut w).is_err());
        assert_eq!(w.written(), b"keep");
    }

    #[test]
    fn tilde_values_are_written_decoded() {
        let mut b = [0u8; 64];
        let mut w = Writer::new(&mut b);
        let t = [Tag {
            key: b"usr.id",
            value: Text::tilde_escaped(b"baz64~~"),
        }];
        encode(None, 0, t.into_iter(), 512, &mut w).unwrap();
        assert_eq!(w.written(), b"_dd.p.usr.id=baz64==");
    }
}
