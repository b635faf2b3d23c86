//! W3C Baggage (<https://www.w3.org/TR/baggage/>; docs/BEHAVIOUR.md §8; §12 #34–#39).
//!
//! Reading ([`parse`]): the `baggage` field lines are combined as if joined by `,`. A member is
//! `key OWS "=" OWS value *(OWS ";" OWS property)`; the key must be an RFC 7230 token, the value
//! printable ASCII without `,` and `;` or raw UTF-8 bytes (leading and trailing OWS trimmed; like
//! every Datadog tracer but dd-trace-cpp, tracewire tolerates a space inside a value and accepts
//! raw non-ASCII bytes, §12 #47), each property `key [OWS "=" OWS value]`. Keys, values and
//! property values are percent-encoded on the wire; [`Member::decode_key`] and
//! [`Member::decode_value`] decode them into caller storage (invalid `%` kept, `+` literal,
//! invalid UTF-8 → U+FFFD). Keys are compared in their decoded form ([`Baggage::get`],
//! [`Member::key_is`]): `%22%2C` is the key `",` (§12 #48). Properties are exposed separately,
//! never folded into the value (§12 #35).
//! - A malformed member (no `=`, empty key or value, bad character, an empty member, a `;`
//!   without a property) drops the whole header, as system-tests expect (§12 #34); a single
//!   trailing `,` is tolerated, and an empty header is baggage with no members.
//! - Limits ([`Limits`], 64 members and 8192 bytes by default, §12 #38) count across all field
//!   lines: members are taken in order until the next one would exceed either limit (the bytes
//!   it takes when sent again — raw UTF-8 of a value counts as its `%XX` escapes — plus one `,`
//!   per earlier member); the rest are dropped whole and the view says so
//!   ([`Baggage::truncated`]). Scanning stops there, and at most [`MAX_LINE_LEN`] bytes of each
//!   field line are read (the line is cut after its last `,` within them), so a header of
//!   megabytes costs work bounded by the limits.
//! - A key that appears twice: the last one wins in [`Baggage::get`] (most tracers).
//!
//! Re-sending received baggage ([`encode_raw`]): each member as it arrived, except that raw
//! non-ASCII bytes in a value are percent-encoded (so every byte written is visible ASCII).
//!
//! Writing ([`encode`]): `key=value` joined by `,`, keys percent-encoded outside the token
//! characters, values outside ``A-Za-z0-9 !#$&'()*+-./:<>?@[]^_`{|}~`` (dd-trace-py's set);
//! `%` is always `%25` (§12 #39). Members are added until the item limit is reached or the next
//! member with its comma would pass the byte limit, and writing stops there (system-tests: three
//! 2730-byte members and a small fourth give two members); a member is never cut.

use core::fmt;

use crate::error::BufferTooSmall;
use crate::wire::buf::Writer;
use crate::wire::class;
use crate::wire::list::{self, Fields};
use crate::wire::pct::{self, SafeSet};

/// Bytes of each field line read: twice the largest byte limit, leaving room for whitespace.
pub const MAX_LINE_LEN: usize = 2 * crate::config::Limits::BAGGAGE_BYTES_MAX;

/// Baggage limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// Most members.
    pub max_items: usize,
    /// Most bytes of the combined header.
    pub max_bytes: usize,
}

impl Limits {
    /// W3C's minimums, Datadog's defaults: 64 members, 8192 bytes.
    pub const DEFAULT: Limits = Limits {
        max_items: 64,
        max_bytes: 8192,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why a `baggage` header was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BaggageError {
    /// Member number `index` (0-based, across field lines) is malformed.
    Malformed {
        /// The member's index.
        index: usize,
    },
    /// A limit is 0, or the very first member exceeds a limit.
    LimitExceeded,
}

impl fmt::Display for BaggageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaggageError::Malformed { index } => write!(f, "baggage: member {index} is malformed"),
            BaggageError::LimitExceeded => f.write_str("baggage: over the limits"),
        }
    }
}

impl core::error::Error for BaggageError {}

/// Key bytes written as themselves (tokens without `%`).
const KEY_SAFE: SafeSet = SafeSet::alnum_and(b"!#$&'*+-.^_`|~");
/// Value bytes written as themselves (dd-trace-py's set without `%`).
const VALUE_SAFE: SafeSet = SafeSet::alnum_and(b"!#$&'()*+-./:<>?@[]^_`{|}~");
/// A received value's bytes re-sent as themselves: all it may hold but raw non-ASCII bytes
/// (its `%` escapes stay escapes).
const RAW_VALUE_SAFE: SafeSet = SafeSet::alnum_and(b" !\"#$%&'()*+-./:<=>?@[\\]^_`{|}~");

/// One baggage member, borrowed and still percent-encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    /// The key.
    pub key: &'a [u8],
    /// The value.
    pub value: &'a [u8],
    /// Everything after the first `;`, trimmed (empty when there are no properties).
    pub properties: &'a [u8],
}

/// One property: key and optional value, still percent-encoded.
pub type Property<'a> = (&'a [u8], Option<&'a [u8]>);

impl<'a> Member<'a> {
    /// Appends the decoded value.
    pub fn decode_value(&self, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        pct::decode(self.value, out).map(|_| ())
    }

    /// Appends the decoded key.
    pub fn decode_key(&self, out: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        pct::decode(self.key, out).map(|_| ())
    }

    /// True when the key, percent-decoded, is `key` (no copy; `%xx` of either case).
    pub fn key_is(&self, key: &[u8]) -> bool {
        pct::decoded_eq(self.key, key)
    }

    /// Bytes this member takes when re-sent by [`encode_raw`] (its raw non-ASCII value bytes
    /// percent-encoded).
    pub fn encoded_len(&self) -> usize {
        let extra = self
            .value
            .iter()
            .fold(0usize, |n, &b| n.saturating_add(usize::from(b >= 0x80)));
        self.wire_len().saturating_add(extra.saturating_mul(2))
    }

    /// The properties, in order.
    pub fn properties(&self) -> impl Iterator<Item = Property<'a>> {
        let props = self.properties;
        list::Split::new(props, b';')
            .filter(move |_| !props.is_empty())
            .map(|p| {
                let (k, v) = list::split_once(p, b'=');
                (list::trim_ows(k), v.map(list::trim_ows))
            })
    }

    /// Bytes this member takes on the wire as `key=value[;properties]`.
    pub fn wire_len(&self) -> usize {
        let props = if self.properties.is_empty() {
            0
        } else {
            self.properties.len().saturating_add(1)
        };
        self.key
            .len()
            .saturating_add(1)
            .saturating_add(self.value.len())
            .saturating_add(props)
    }
}

/// Splits and validates one member (an untrimmed list item, without its `,`): [`member_at`]
/// over the whole item.
fn member(item: &[u8]) -> Option<Member<'_>> {
    member_at(item, 0)
        .filter(|&(_, end)| end == item.len())
        .map(|(m, _)| m)
}

/// Splits an item already known to be a valid member.
fn split_member(item: &[u8]) -> Member<'_> {
    member(item).unwrap_or(Member {
        key: &[],
        value: &[],
        properties: &[],
    })
}

/// Received baggage: a validated, bounded view over its field lines, which it borrows (kept by
/// the caller, in the [`Slots`](crate::propagate::Slots) of an extraction or a [`Fields`] of
/// its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Baggage<'a> {
    fields: &'a Fields<'a>,
    /// Members accepted (a `u32`: the lines a parse reads hold far fewer items; with the
    /// pointer above, this keeps a `Baggage` at 16 bytes).
    count: u32,
    truncated: bool,
    /// Every field line is exactly its accepted members joined by `,` (no OWS, no empty item,
    /// nothing dropped): re-sending it is copying the lines.
    canonical: bool,
}

/// Validates the combined `baggage` field lines under `limits`.
///
/// ```
/// use tracewire::format::baggage::{self, Limits};
/// use tracewire::wire::buf::Writer;
/// use tracewire::wire::list::Fields;
///
/// let lines = Fields::one(b"user.id=amy, session.id = abc%20123;ttl=60");
/// let b = baggage::parse(&lines, Limits::DEFAULT).unwrap();
/// assert_eq!(b.len(), 2);
/// let m = b.get(b"session.id").unwrap();
/// let mut buf = [0u8; 32];
/// let mut w = Writer::new(&mut buf);
/// m.decode_value(&mut w).unwrap();
/// assert_eq!(w.written(), b"abc 123");
/// assert_eq!(m.properties().next(), Some((&b"ttl"[..], Some(&b"60"[..]))));
/// assert!(baggage::parse(&Fields::one(b"no-equals-sign,k=v"), Limits::DEFAULT).is_err());
/// ```
#[inline]
pub fn parse<'a>(fields: &'a Fields<'a>, limits: Limits) -> Result<Baggage<'a>, BaggageError> {
    match canonical_count(fields, limits) {
        Some(count) => Ok(Baggage {
            fields,
            count: count_of(count),
            truncated: false,
            canonical: true,
        }),
        None => parse_general(fields, limits),
    }
}

/// The short path of [`parse`] for the usual header: one field line of ASCII members written
/// the way tracers write them (`key=value[;property[=value]]...` joined by bare commas: no
/// whitespace around a key, a value or a property, property keys and values of token bytes, no
/// empty item), within both limits. Such a line is its own canonical form and its byte count is
/// its length, so one pass that checks the grammar and counts the members answers it. Anything
/// else (several lines, whitespace, raw UTF-8, another property shape, an empty or malformed
/// item, a limit reached) is `None`, and the general reader decides.
fn canonical_count(fields: &Fields<'_>, limits: Limits) -> Option<usize> {
    use class::{is, BAGGAGE_VALUE, TOKEN};
    /// Where the cursor is: in a key, a value, a property's key or a property's value.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum In {
        Key,
        Value,
        PropKey,
        PropValue,
    }
    let &[line] = fields.as_slice() else {
        return None;
    };
    if fields.dropped() > 0 || line.len() > limits.max_bytes || line.len() > MAX_LINE_LEN {
        return None;
    }
    // A value is not empty and has no space at either end (the general reader trims those).
    let value_ok = |start: usize, end: usize| {
        end > start
            && line.get(start) != Some(&b' ')
            && line.get(end.wrapping_sub(1)) != Some(&b' ')
    };
    let mut state = In::Key;
    let mut start = 0usize;
    let mut count = 0usize;
    let mut i = 0usize;
    loop {
        // Token bytes are allowed in every part: one tight loop over them, and a decision at
        // each other byte.
        let rest = line.get(i..).unwrap_or_default();
        i = i.wrapping_add(
            rest.iter()
                .position(|&b| !is(b, TOKEN))
                .unwrap_or(rest.len()),
        );
        let b = line.get(i).copied();
        match (state, b) {
            (_, None | Some(b',')) => {
                let whole = match state {
                    In::Key => false,
                    In::Value => value_ok(start, i),
                    In::PropKey | In::PropValue => i > start,
                };
                if !whole {
                    return None;
                }
                count = count.wrapping_add(1);
                if b.is_none() {
                    break;
                }
                i = i.wrapping_add(1);
                // A comma promises another member: a trailing one goes to the general reader.
                if i >= line.len() {
                    return None;
                }
                state = In::Key;
            }
            (In::Key, Some(b'=')) if i > start => {
                i = i.wrapping_add(1);
                state = In::Value;
            }
            (In::Value, Some(b';')) if value_ok(start, i) => {
                i = i.wrapping_add(1);
                state = In::PropKey;
            }
            // Spaces inside a value and the printable bytes that are not token bytes.
            (In::Value, Some(c)) if is(c, BAGGAGE_VALUE) => {
                i = i.wrapping_add(1);
                continue;
            }
            (In::PropKey, Some(b'=')) if i > start => {
                i = i.wrapping_add(1);
                state = In::PropValue;
            }
            (In::PropKey | In::PropValue, Some(b';')) if i > start => {
                i = i.wrapping_add(1);
                state = In::PropKey;
            }
            _ => return None,
        }
        start = i;
    }
    (count <= limits.max_items).then_some(count)
}

/// The general reader behind [`parse`]: any number of field lines, OWS, raw UTF-8, limits.
fn parse_general<'a>(
    received: &'a Fields<'a>,
    limits: Limits,
) -> Result<Baggage<'a>, BaggageError> {
    let mut count = 0usize;
    let mut bytes = 0usize;
    // The lines as read (and as `members` reads them again): each capped at MAX_LINE_LEN.
    let (fields, cut) = received.capped(MAX_LINE_LEN, b',');
    let mut truncated = fields.dropped() > 0 || cut;
    let mut canonical = true;
    // One cursor per field line, item after item (the items of the combined list are the
    // items of each line in turn): no splitting pass before the member is read.
    let lines = fields.as_slice();
    let last_line = lines.len().saturating_sub(1);
    let mut index = 0usize;
    'lines: for (l, &line) in (0..usize::MAX).zip(lines) {
        let mut pos = 0usize;
        loop {
            let (m, end) = match member_at(line, pos) {
                Some(found) => found,
                None => {
                    // A blank last item (one trailing comma, or an empty header) ends the list
                    // with no member; any other item that is not a member is malformed.
                    let rest = line.get(pos..).unwrap_or(&[]);
                    if l == last_line && list::trim_ows(rest).is_empty() {
                        canonical = false;
                        break 'lines;
                    }
                    return Err(BaggageError::Malformed { index });
                }
            };
            let ascii = m.value.is_ascii();
            canonical &= ascii && m.wire_len() == end.saturating_sub(pos);
            // A member counts the bytes it takes when sent again (raw UTF-8 in a value is
            // percent-encoded then), so that what is accepted under the limits is re-sent whole.
            let len = if ascii { m.wire_len() } else { m.encoded_len() };
            let need = len.saturating_add(usize::from(count > 0));
            if count >= limits.max_items || bytes.saturating_add(need) > limits.max_bytes {
                truncated = true;
                break 'lines;
            }
            bytes = bytes.saturating_add(need);
            count = count.saturating_add(1);
            index = index.saturating_add(1);
            // `end` is the item's `,` or the end of the line.
            if end >= line.len() {
                break;
            }
            pos = end.saturating_add(1);
        }
    }
    if count == 0 && truncated {
        return Err(BaggageError::LimitExceeded);
    }
    Ok(Baggage {
        fields: received,
        count: count_of(count),
        truncated,
        canonical: canonical && !truncated,
    })
}

/// `n` members as a [`Baggage`] counts them (saturating; a parse never counts that many).
fn count_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Reads the member that starts at `pos` of `line` (the item up to the next `,` or the end of
/// the line) in one pass with a single cursor, and where that item ends; `None` when the item is
/// not a member. The grammar: OWS, key (a token), OWS, `=`, OWS, value (printable up to `;`,
/// trailing spaces trimmed), OWS, then optionally `;` and the properties. Every class the
/// member's parts are made of excludes `,`, so the cursor stops at the item's end by itself.
fn member_at(line: &[u8], pos: usize) -> Option<(Member<'_>, usize)> {
    use class::{skip, BAGGAGE_VALUE_RAW, OWS, TOKEN};
    let key_start = skip(line, pos, OWS);
    let key_end = skip(line, key_start, TOKEN);
    let mut i = skip(line, key_end, OWS);
    if line.get(i) != Some(&b'=') {
        return None;
    }
    let value_start = skip(line, i.saturating_add(1), OWS);
    i = skip(line, value_start, BAGGAGE_VALUE_RAW);
    let mut value_end = i;
    while value_end > value_start && line.get(value_end.wrapping_sub(1)) == Some(&b' ') {
        value_end = value_end.wrapping_sub(1);
    }
    i = skip(line, i, OWS);
    let key = line.get(key_start..key_end)?;
    let value = line.get(value_start..value_end)?;
    if key.is_empty() || value.is_empty() {
        return None;
    }
    let (properties, end) = match line.get(i..)? {
        [] | [b',', ..] => (&[][..], i),
        [b';', rest @ ..] => {
            let item_len = class::find(rest, b',').unwrap_or(rest.len());
            let props = rest.get(..item_len)?;
            if !properties_valid(props) {
                return None;
            }
            (
                list::trim_ows(props),
                i.saturating_add(1).saturating_add(item_len),
            )
        }
        _ => return None,
    };
    Some((
        Member {
            key,
            value,
            properties,
        },
        end,
    ))
}

/// True when `props` (what follows a member's first `;`, up to its `,`) is one or more
/// properties separated by `;`, each `OWS key OWS` or `OWS key OWS = OWS value OWS` with a token
/// key and a value of printable ASCII but `,` and `;`. A `;` promises a property: `k=v;` and
/// `k=v;;p` are malformed. One cursor over the bytes.
fn properties_valid(props: &[u8]) -> bool {
    use class::{skip, BAGGAGE_VALUE, OWS, TOKEN};
    let mut j = 0usize;
    loop {
        let key_start = skip(props, j, OWS);
        j = skip(props, key_start, TOKEN);
        if j == key_start {
            return false;
        }
        j = skip(props, j, OWS);
        if props.get(j) == Some(&b'=') {
            let value_start = skip(props, j.saturating_add(1), OWS);
            j = skip(props, value_start, BAGGAGE_VALUE);
            // The value starts past the OWS, so if it is not empty its first byte is no space.
            if j == value_start {
                return false;
            }
            j = skip(props, j, OWS);
        }
        match props.get(j) {
            None => return true,
            Some(b';') => j = j.saturating_add(1),
            Some(_) => return false,
        }
    }
}

impl<'a> Baggage<'a> {
    /// The accepted members, in order.
    pub fn members(&self) -> impl Iterator<Item = Member<'a>> + '_ {
        // `parse` validated exactly these items (of the lines capped as it capped them): split
        // them without checking again.
        let (lines, _) = self.fields.capped(MAX_LINE_LEN, b',');
        lines.items(b',').take(self.len()).map(split_member)
    }

    /// Number of accepted members.
    pub fn len(&self) -> usize {
        usize::try_from(self.count).unwrap_or(usize::MAX)
    }

    /// True when no member was accepted.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// True when members were dropped by a limit.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The member whose decoded key is `key` (`user.id`, or `",` for `%22%2C`); the last one
    /// if it repeats.
    pub fn get(&self, key: &[u8]) -> Option<Member<'a>> {
        self.members().filter(|m| m.key_is(key)).last()
    }
}

/// What [`encode`] wrote and left out (items with an empty key or value are always left out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeReport {
    /// Members written.
    pub written: usize,
    /// Members left out (limits, empty keys).
    pub dropped: usize,
}

/// Writes `items` (decoded keys and values) as a `baggage` value.
pub fn encode<'m>(
    items: impl Iterator<Item = (&'m [u8], &'m [u8])>,
    limits: Limits,
    out: &mut Writer<'_>,
) -> Result<EncodeReport, BufferTooSmall> {
    let start = out.len();
    let mut r = EncodeReport::default();
    let mut full = false;
    for (k, v) in items {
        let need = pct::encoded_len(k, &KEY_SAFE)
            .saturating_add(1)
            .saturating_add(pct::encoded_len(v, &VALUE_SAFE))
            .saturating_add(usize::from(r.written > 0));
        // An empty key or value would make Datadog's receivers drop the whole header (they treat
        // `k=` as malformed), so such an item is left out and counted.
        if k.is_empty() || v.is_empty() {
            r.dropped = r.dropped.saturating_add(1);
            continue;
        }
        let used = out.len().saturating_sub(start);
        if full || r.written >= limits.max_items || used.saturating_add(need) > limits.max_bytes {
            full = true;
            r.dropped = r.dropped.saturating_add(1);
            continue;
        }
        if out.remaining() < need {
            out.truncate(start);
            return Err(BufferTooSmall);
        }
        if r.written > 0 {
            out.push_byte(b',')?;
        }
        pct::encode(k, &KEY_SAFE, out)?;
        out.push_byte(b'=')?;
        pct::encode(v, &VALUE_SAFE, out)?;
        r.written = r.written.saturating_add(1);
    }
    Ok(r)
}

/// Re-sends received baggage: each accepted member written as `key=value[;properties]` exactly
/// as received (it is already valid on the wire), within `limits`. Returns how many the limits
/// left out; `Err`, with nothing written, when `out` has no room for what they let through.
///
/// ```
/// use tracewire::format::baggage::{self, Limits};
/// use tracewire::wire::buf::Writer;
/// use tracewire::wire::list::Fields;
///
/// let mut f = Fields::default();
/// f.push(b"a=1");
/// f.push(b"b=2,c=3");
/// let b = baggage::parse(&f, Limits::DEFAULT).unwrap();
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(&mut buf);
/// let tight = Limits { max_items: 2, max_bytes: 8192 };
/// assert_eq!(baggage::encode_raw(&b, tight, &mut w), Ok(1), "one member left out");
/// assert_eq!(w.written(), b"a=1,b=2");
/// ```
pub fn encode_raw(
    b: &Baggage<'_>,
    limits: Limits,
    out: &mut Writer<'_>,
) -> Result<usize, BufferTooSmall> {
    let start = out.len();
    // Fast path: the lines already are the canonical encoding of every member, and all fit.
    if b.canonical && b.len() <= limits.max_items && b.fields.combined_len() <= limits.max_bytes {
        let r = (|| {
            for (i, line) in (0..usize::MAX).zip(b.fields.as_slice()) {
                if i > 0 {
                    out.push_byte(b',')?;
                }
                out.push(line)?;
            }
            Ok::<(), BufferTooSmall>(())
        })();
        if r.is_err() {
            out.truncate(start);
        }
        return r.map(|()| 0);
    }
    encode_members_raw(b, limits, out, start)
}

/// [`encode_raw`] member by member (lines that are not their canonical encoding, or members
/// past a limit): in a frame of its own (the member iterator holds two copies of the lines'
/// list), which the usual canonical baggage never pushes.
#[inline(never)]
fn encode_members_raw(
    b: &Baggage<'_>,
    limits: Limits,
    out: &mut Writer<'_>,
    start: usize,
) -> Result<usize, BufferTooSmall> {
    let mut written = 0;
    let mut dropped = 0usize;
    for m in b.members() {
        let need = m.encoded_len().saturating_add(usize::from(written > 0));
        let used = out.len().saturating_sub(start);
        if dropped > 0
            || written >= limits.max_items
            || used.saturating_add(need) > limits.max_bytes
        {
            dropped = dropped.saturating_add(1);
            continue;
        }
        let r = (|| {
            if written > 0 {
                out.push_byte(b',')?;
            }
            out.push(m.key)?;
            out.push_byte(b'=')?;
            pct::encode(m.value, &RAW_VALUE_SAFE, out)?;
            if !m.properties.is_empty() {
                out.push_byte(b';')?;
                out.push(m.properties)?;
            }
            Ok::<(), BufferTooSmall>(())
        })();
        if r.is_err() {
            out.truncate(start);
            return Err(BufferTooSmall);
        }
        written = written.saturating_add(1);
    }
    Ok(dropped)
}

/// The baggage keys copied to span tags (`DD_TRACE_BAGGAGE_TAG_KEYS`, §8.5): a comma-separated
/// list, entries trimmed, empty entries ignored, `*` alone meaning every key, empty meaning none.
#[derive(Clone, Copy, Debug)]
pub struct TagKeys<'a> {
    raw: &'a [u8],
    all: bool,
}

/// The default `DD_TRACE_BAGGAGE_TAG_KEYS`.
pub const DEFAULT_TAG_KEYS: &str = "user.id,session.id,account.id";

impl<'a> TagKeys<'a> {
    /// Reads the configuration value.
    pub fn parse(raw: &'a [u8]) -> Self {
        let all = list::Split::new(raw, b',').any(|e| list::trim_ows(e) == b"*");
        TagKeys { raw, all }
    }

    /// True when `key` (decoded) is copied to a span tag `baggage.<key>`.
    pub fn matches(&self, key: &[u8]) -> bool {
        self.all
            || list::Split::new(self.raw, b',').any(|e| {
                let e = list::trim_ows(e);
                !e.is_empty() && e == key
            })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// The field lines `lines`, kept for the rest of the test run (parsed baggage borrows them).
    fn fields(lines: &[&str]) -> &'static Fields<'static> {
        let mut f = Fields::default();
        for l in lines {
            let l: &'static str = std::boxed::Box::leak((*l).into());
            f.push(l.as_bytes());
        }
        std::boxed::Box::leak(std::boxed::Box::new(f))
    }

    fn decoded(b: &Baggage<'_>) -> Vec<(String, String)> {
        b.members()
            .map(|m| {
                let mut kb = [0u8; 512];
                let mut vb = [0u8; 512];
                let (mut kw, mut vw) = (Writer::new(&mut kb), Writer::new(&mut vb));
                m.decode_key(&mut kw).unwrap();
                m.decode_value(&mut vw).unwrap();
                (
                    String::from_utf8(kw.written().to_vec()).unwrap(),
                    String::from_utf8(vw.written().to_vec()).unwrap(),
                )
            })
            .collect()
    }

    /// The property rule as it reads in the specification: split at `;`, then at the first
    /// `=`, trim, check each part.
    fn properties_valid_by_splitting(props: &[u8]) -> bool {
        let is_token = |s: &[u8]| !s.is_empty() && class::all(s, class::TOKEN);
        let is_value = |s: &[u8]| !s.is_empty() && class::all(s, class::BAGGAGE_VALUE);
        list::Split::new(list::trim_ows(props), b';').all(|p| {
            let (pk, pv) = list::split_once(p, b'=');
            is_token(list::trim_ows(pk)) && pv.is_none_or(|v| is_value(list::trim_ows(v)))
        })
    }

    #[test]
    fn properties_are_read_by_one_cursor_as_by_splitting() {
        for props in [
            "p",
            "p=1",
            " p = 1 ",
            "p=1;q",
            "p=1;",
            ";p",
            "p;;q",
            "",
            " ",
            "p=",
            "p= ",
            "p=a b",
            "p=a\tb",
            "p=b\t;q",
            "p=a=b",
            "a b=c",
            "p=\u{e9}",
            "p\t=\t1\t;\tq",
        ] {
            let p = props.as_bytes();
            assert_eq!(
                properties_valid(p),
                properties_valid_by_splitting(p),
                "{props:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn properties_cursor_matches_splitting(props in "[ \t;=a-c\u{e9}:]{0,12}") {
            let p = props.as_bytes();
            proptest::prop_assert_eq!(properties_valid(p), properties_valid_by_splitting(p));
        }

        /// Wherever the short path answers, the general reader gives the same view; and on
        /// lines of the usual shape (the second strategy) it does answer.
        #[test]
        fn short_path_agrees_with_the_general_reader(
            line in "[ \t,;=ab%\u{e9}/\"\u{7f}]{0,14}",
            items in 1usize..5,
            bytes in 0usize..16,
        ) {
            short_path_case(line.as_bytes(), Limits { max_items: items, max_bytes: bytes });
            short_path_case(line.as_bytes(), Limits::DEFAULT);
        }

        #[test]
        fn short_path_takes_the_usual_shape(
            members in proptest::collection::vec(
                ("[a-z.]{1,6}", "[A-Za-z0-9%=:]{1,6}", proptest::option::of("[a-z]{1,3}(=[0-9]{1,2})?")),
                1..6,
            ),
        ) {
            let line: Vec<String> = members
                .iter()
                .map(|(k, v, p)| match p {
                    Some(p) => std::format!("{k}={v};{p}"),
                    None => std::format!("{k}={v}"),
                })
                .collect();
            let line = line.join(",");
            proptest::prop_assert_eq!(
                canonical_count(&Fields::one(line.as_bytes()), Limits::DEFAULT),
                Some(members.len())
            );
            short_path_case(line.as_bytes(), Limits::DEFAULT);
        }
    }

    fn short_path_case(line: &[u8], limits: Limits) {
        let f = &Fields::one(line);
        if let Some(count) = canonical_count(f, limits) {
            let general = parse_general(f, limits);
            let expect = Baggage {
                fields: f,
                count: count_of(count),
                truncated: false,
                canonical: true,
            };
            assert_eq!(
                general,
                Ok(expect),
                "{:?}",
                std::string::String::from_utf8_lossy(line)
            );
        }
        // Whatever path answered, `parse` is the general reader's answer.
        assert_eq!(parse(f, limits), parse_general(f, limits));
    }

    #[test]
    fn short_path_edges() {
        let yes = |l: &str| canonical_count(&Fields::one(l.as_bytes()), Limits::DEFAULT);
        assert_eq!(yes("a=1"), Some(1));
        assert_eq!(yes("a=1,b=x y;p;q=2,c=="), Some(3));
        for no in [
            "", "a=1,", ",a=1", "a=1,,b=2", " a=1", "a =1", "a= 1", "a=1 ", "a=1;", "a=1; p",
            "a=1;p ", "a=1;;p", "a=\u{e9}", "a=1\t", "=1", "a=", "a", "a=1;p=",
        ] {
            assert_eq!(yes(no), None, "{no:?}");
            short_path_case(no.as_bytes(), Limits::DEFAULT);
        }
        let mut two = Fields::one(b"a=1");
        two.push(b"b=2");
        assert_eq!(canonical_count(&two, Limits::DEFAULT), None);
        let tight = Limits {
            max_items: 1,
            max_bytes: 8192,
        };
        assert_eq!(canonical_count(&Fields::one(b"a=1,b=2"), tight), None);
        let short = Limits {
            max_items: 64,
            max_bytes: 6,
        };
        assert_eq!(canonical_count(&Fields::one(b"a=1,b=2"), short), None);
        assert_eq!(canonical_count(&Fields::one(b"a=1,bb"), short), None);
    }

    #[test]
    fn keys_are_looked_up_decoded() {
        // system-tests D005: a key made only of escapes.
        let raw = "%22%2C%3B%5C%28%29%2F%3A%3C%3D%3E%3F%40%5B%5D%7B%7D=v,user.id=amy,%75ser.id=bob";
        let b = parse(fields(&[raw]), Limits::DEFAULT).unwrap();
        assert_eq!(decoded(&b)[0].0, "\",;\\()/:<=>?@[]{}");
        assert_eq!(
            b.get(b"\",;\\()/:<=>?@[]{}").map(|m| m.value),
            Some(&b"v"[..])
        );
        assert_eq!(
            b.get(b"user.id").map(|m| m.value),
            Some(&b"bob"[..]),
            "last of the same decoded key"
        );
        assert!(
            b.get(b"%75ser.id").is_none(),
            "the encoded form is not the key"
        );
        // Re-sent as it arrived, and read back to the same decoded keys.
        let mut out = [0u8; 256];
        let mut w = Writer::new(&mut out);
        assert_eq!(encode_raw(&b, Limits::DEFAULT, &mut w), Ok(0));
        let again = parse(
            fields(&[core::str::from_utf8(w.written()).unwrap()]),
            Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(decoded(&again), decoded(&b));
    }

    #[test]
    fn raw_utf8_values_are_kept_and_percent_encoded_on_the_way_out() {
        let b = parse(fields(&["k=\u{e9}t\u{e9},n=1"]), Limits::DEFAULT).unwrap();
        assert_eq!(
            decoded(&b),
            [
                ("k".into(), "\u{e9}t\u{e9}".into()),
                ("n".into(), "1".into())
            ]
        );
        let mut out = [0u8; 64];
        let mut w = Writer::new(&mut out);
        assert_eq!(encode_raw(&b, Limits::DEFAULT, &mut w), Ok(0));
        assert_eq!(w.written(), b"k=%C3%A9t%C3%A9,n=1");
        // The encoded length counts against the byte limit.
        let mut w = Writer::new(&mut out);
        let tight = Limits {
            max_items: 64,
            max_bytes: 16,
        };
        assert_eq!(encode_raw(&b, tight, &mut w), Ok(1));
        assert_eq!(w.written(), b"k=%C3%A9t%C3%A9");
        // No room for what the limits let through, on either path (the lines as they are, or
        // member by member): an error, and nothing written.
        let canonical = parse(fields(&["a=1,b=2"]), Limits::DEFAULT).unwrap();
        for view in [&canonical, &b] {
            let mut small = [0u8; 6];
            let mut w = Writer::new(&mut small);
            w.push(b"x").unwrap();
            assert_eq!(
                encode_raw(view, Limits::DEFAULT, &mut w),
                Err(BufferTooSmall)
            );
            assert_eq!(w.written(), b"x");
        }
        // Still no raw UTF-8 in keys or properties.
        assert!(parse(fields(&["\u{e9}=1"]), Limits::DEFAULT).is_err());
        assert!(parse(fields(&["k=1;p=\u{e9}"]), Limits::DEFAULT).is_err());
    }

    #[test]
    fn raw_utf8_counts_as_it_is_sent() {
        // Found by the `baggage` fuzz target: a member accepted by its raw bytes did not fit
        // the same limits once its UTF-8 was percent-encoded for sending.
        let limits = Limits {
            max_items: 8,
            max_bytes: 12,
        };
        let b = parse(fields(&["a=1,k=\u{e9}\u{e9}"]), limits).unwrap();
        assert_eq!((b.len(), b.truncated()), (1, true));
        let mut out = [0u8; 64];
        let mut w = Writer::new(&mut out);
        assert_eq!(encode_raw(&b, limits, &mut w), Ok(0));
        assert_eq!(w.written(), b"a=1");
    }

    fn enc(items: &[(&str, &str)], limits: Limits) -> String {
        let mut b = [0u8; 16384];
        let mut w = Writer::new(&mut b);
        encode(
            items.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
            limits,
            &mut w,
        )
        .unwrap();
        String::from_utf8(w.written().to_vec()).unwrap()
    }

    #[test]
    fn grammar_ows_properties() {
        let b = parse(fields(&["SomeKey \t = \t SomeValue \t ; \t SomeProp \t , \t SomeKey2 \t = \t SomeValue2 \t ; \t ValueProp \t = \t PropVal"]), Limits::DEFAULT).unwrap();
        assert_eq!(
            decoded(&b),
            [
                ("SomeKey".into(), "SomeValue".into()),
                ("SomeKey2".into(), "SomeValue2".into())
            ]
        );
        let m: Vec<Member<'_>> = b.members().collect();
        assert_eq!(
            m[0].properties().collect::<Vec<_>>(),
            [(&b"SomeProp"[..], None)]
        );
        assert_eq!(
            m[1].properties().collect::<Vec<_>>(),
            [(&b"ValueProp"[..], Some(&b"PropVal"[..]))]
        );
        assert_eq!(m[1].properties, b"ValueProp \t = \t PropVal");
    }

    #[test]
    fn values_may_hold_equals_and_are_decoded() {
        let b = parse(
            fields(&[
                "SomeKey=SomeValue=equals,k=%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29",
            ]),
            Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(decoded(&b)[0].1, "SomeValue=equals");
        assert_eq!(decoded(&b)[1].1, "\t \"';=asdf!@#$%^&*()");
    }

    #[test]
    fn repeated_fields_combine() {
        let b = parse(
            fields(&[
                "userId =   alice",
                "serverNode = DF%2028, isProduction = false",
            ]),
            Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(decoded(&b)[1], ("serverNode".into(), "DF 28".into()));
        let b = parse(fields(&["serverNode=DF 28"]), Limits::DEFAULT).unwrap();
        assert_eq!(
            decoded(&b)[0].1,
            "DF 28",
            "a space inside a value is tolerated"
        );
    }

    #[test]
    fn malformed_drops_everything() {
        for bad in [
            "no-equal-sign,foo=gets-dropped",
            "=no-key",
            "no-value=",
            "foo=x,=",
            "a=1,,b=2",
            "k=v;=p",
            "a b=1",
        ] {
            assert!(
                matches!(
                    parse(fields(&[bad]), Limits::DEFAULT),
                    Err(BaggageError::Malformed { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(parse(fields(&["a=1,"]), Limits::DEFAULT).unwrap().len(), 1);
    }

    #[test]
    fn limits_across_fields_stop_at_the_first_excess() {
        let many: String = (0..70).map(|i| std::format!("k{i}=v{i},")).collect();
        let b = parse(fields(&[&many[..many.len() - 1]]), Limits::DEFAULT).unwrap();
        assert_eq!(b.len(), 64);
        assert!(b.truncated());
        let b = parse(
            fields(&["a=1", "b=2", "c=3"]),
            Limits {
                max_items: 64,
                max_bytes: 7,
            },
        )
        .unwrap();
        assert_eq!(b.len(), 2, "a=1,b=2 is 7 bytes");
        assert_eq!(
            parse(
                fields(&["abc=1"]),
                Limits {
                    max_items: 64,
                    max_bytes: 3
                }
            ),
            Err(BaggageError::LimitExceeded)
        );
    }

    #[test]
    fn bounded_on_huge_input() {
        let huge = "a=1,".repeat(500_000);
        let b = parse(fields(&[&huge]), Limits::DEFAULT).unwrap();
        assert_eq!(b.len(), 64);
    }

    #[test]
    fn encoding_matches_system_tests() {
        assert_eq!(
            enc(
                &[("userId", "Am\u{e9}lie"), ("serverNode", "DF 28")],
                Limits::DEFAULT
            ),
            "userId=Am%C3%A9lie,serverNode=DF%2028"
        );
        assert_eq!(
            enc(&[("\",;\\()/:<=>?@[]{}", "\",;\\")], Limits::DEFAULT),
            "%22%2C%3B%5C%28%29%2F%3A%3C%3D%3E%3F%40%5B%5D%7B%7D=%22%2C%3B%5C"
        );
        assert_eq!(enc(&[("p", "100%")], Limits::DEFAULT), "p=100%25");
    }

    #[test]
    fn encoding_limits_never_cut_a_member() {
        let items: Vec<(String, String)> = (0..66)
            .map(|i| (std::format!("key{i}"), std::format!("value{i}")))
            .collect();
        let refs: Vec<(&str, &str)> = items
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(enc(&refs, Limits::DEFAULT).split(',').count(), 64);
        let big = "a".repeat(2730);
        let out = enc(
            &[
                ("key1", &big),
                ("key2", &big),
                ("key3", &big),
                ("key4", "d"),
            ],
            Limits::DEFAULT,
        );
        assert_eq!(
            out.split(',').count(),
            2,
            "writing stops at the first member that does not fit"
        );
        assert!(out.len() <= 8192);
    }

    #[test]
    fn raw_reencoding_keeps_members_verbatim() {
        let b = parse(fields(&["k1=v%201;p=1", " k2 = v2 "]), Limits::DEFAULT).unwrap();
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        assert_eq!(encode_raw(&b, Limits::DEFAULT, &mut w), Ok(0));
        assert_eq!(w.written(), b"k1=v%201;p=1,k2=v2");
    }

    #[test]
    fn tag_keys() {
        let d = TagKeys::parse(DEFAULT_TAG_KEYS.as_bytes());
        assert!(d.matches(b"user.id") && d.matches(b"account.id") && !d.matches(b"foo"));
        assert!(TagKeys::parse(b"*").matches(b"anything"));
        assert!(!TagKeys::parse(b"").matches(b"user.id"));
        let t = TagKeys::parse(b" account.id,, feature*flag ");
        assert!(
            t.matches(b"feature*flag") && t.matches(b"account.id") && !t.matches(b"featureXflag")
        );
    }
}
