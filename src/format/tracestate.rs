//! W3C `tracestate` (Trace Context §3.3; docs/BEHAVIOUR.md §2.9–2.12, §3.8, §10; §12 #12–#15).
//!
//! Reading ([`TraceState`]): the field lines are combined in order as if joined by `,`; OWS
//! (space, tab) around members is ignored; empty and whitespace-only members are allowed and
//! skipped. Each member is checked against the current spec grammar — key
//! `[a-z0-9][a-z0-9_\-*/@]{0,255}`, value 1–256 bytes of 0x20–0x7E except `,` and `=`, not ending
//! in a space — and an invalid member is **skipped on its own** (§12 #13): the valid members of
//! the other vendors survive, and a bad tracestate never affects the traceparent. A later
//! duplicate of a key is skipped. At most [`MAX_MEMBERS`] valid members are read, and at most
//! [`MAX_SCAN`] list items are looked at, and at most [`MAX_LINE_LEN`] bytes of each field line
//! (cut after the last `,` within them), so a hostile header costs bounded work however long
//! it is.
//!
//! Writing ([`encode`]): the caller's own member goes first (the spec's "modified member moves
//! left"), then the received members in order without the caller's key, at most
//! [`MAX_MEMBERS`] in all (dropping from the right), joined by `,` without whitespace. Past
//! [`MAX_ENCODED_LEN`] bytes, members longer than 128 bytes are dropped first, then members from
//! the right (the spec's truncation rule); a member is never cut.
//!
//! Datadog's tracers deliberately do not discard a whole tracestate because of one bad member
//! (the W3C strict-level tests expect that); tracewire follows Datadog (§2.9).

use crate::error::BufferTooSmall;
use crate::wire::buf::Writer;
use crate::wire::class::{self, OWS, TS_KEY, TS_KEY_FIRST, TS_VALUE};
use crate::wire::list::{self, Fields};

/// Most list members read or written (spec limit).
pub const MAX_MEMBERS: usize = 32;
/// Most list items (valid, invalid or empty) looked at when reading.
pub const MAX_SCAN: usize = 128;
/// Longest `tracestate` written (the spec asks for at least 512; Go's tracer ignores headers
/// past 4096).
pub const MAX_ENCODED_LEN: usize = 4096;
/// Members longer than this are the first dropped when the output must be truncated.
pub const TRUNCATE_FIRST_ABOVE: usize = 128;
/// Bytes of each field line read: a line is cut after its last `,` within them (32 members of
/// 512 bytes with their commas fit 16,415; twice that leaves room for whitespace).
pub const MAX_LINE_LEN: usize = 32 * 1024;
/// Longest key.
pub const MAX_KEY_LEN: usize = 256;
/// Longest value.
pub const MAX_VALUE_LEN: usize = 256;

/// One `key=value` list member, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    /// The key.
    pub key: &'a [u8],
    /// The value.
    pub value: &'a [u8],
}

impl Member<'_> {
    /// Length of `key=value`.
    pub fn len(&self) -> usize {
        self.key
            .len()
            .saturating_add(1)
            .saturating_add(self.value.len())
    }

    /// Never true (a member always has `=`); present for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// True when `key` follows the current spec grammar.
pub fn is_valid_key(key: &[u8]) -> bool {
    match key.first() {
        Some(&first) if key.len() <= MAX_KEY_LEN => {
            class::is(first, TS_KEY_FIRST) && class::all(key, TS_KEY)
        }
        _ => false,
    }
}

/// True when `value` follows the spec grammar (1–256 of 0x20–0x7E except `,` `=`, no trailing
/// space).
pub fn is_valid_value(value: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= MAX_VALUE_LEN
        && value.last() != Some(&b' ')
        && class::all(value, TS_VALUE)
}

/// One list item read by [`next_item`].
enum Item<'a> {
    /// Empty or whitespace only.
    Empty,
    /// Not a valid member.
    Invalid,
    /// A valid member.
    Member(Member<'a>),
    /// An item with the key the caller asked to skip, valid or not.
    Skipped,
}

/// Reads the list item at the start of `line` in a single pass and returns it with what follows
/// its `,` (`None` at the end of the line; like `str::split`, `a,` has a second, empty item).
///
/// The key runs up to the first byte that is not a key character, which must be `=`; the value
/// runs up to the first byte that is not a value character (so it stops at the `,` too); what
/// follows may only be OWS. Trailing spaces belong to the OWS, not the value (a value never ends
/// in a space). Only an invalid item is scanned a second time, for its `,`.
///
/// With `skip` set, an item with that key is reported as [`Item::Skipped`] without its value
/// being looked at.
#[inline]
fn next_item<'a>(line: &'a [u8], skip: Option<&[u8]>) -> (Item<'a>, Option<&'a [u8]>) {
    let s = line.get(class::span(line, OWS)..).unwrap_or_default();
    let key_len = class::span(s, TS_KEY);
    let Some((key, rest)) = s.split_at_checked(key_len) else {
        return (Item::Invalid, None);
    };
    let rest = match rest {
        [b'=', rest @ ..] if skip == Some(key) => return (Item::Skipped, skip_invalid(rest).1),
        [b'=', rest @ ..] => rest,
        [] if key.is_empty() => return (Item::Empty, None),
        [b',', ..] if key.is_empty() => return (Item::Empty, after_comma(rest, 0)),
        _ => return skip_invalid(rest),
    };
    let value_len = class::span_printable_except(rest, b',', b'=');
    let Some((value, tail)) = rest.split_at_checked(value_len) else {
        return (Item::Invalid, None);
    };
    let ows = class::span(tail, OWS);
    let next = match tail.get(ows..) {
        Some([]) | None => None,
        Some([b',', ..]) => after_comma(tail, ows),
        Some(_) => return skip_invalid(tail),
    };
    let value = list::trim_ows_end(value);
    let valid = key.len() <= MAX_KEY_LEN
        && key.first().is_some_and(|&b| class::is(b, TS_KEY_FIRST))
        && !value.is_empty()
        && value.len() <= MAX_VALUE_LEN;
    if valid {
        (Item::Member(Member { key, value }), next)
    } else {
        (Item::Invalid, next)
    }
}

/// What follows the `,` at `at`.
fn after_comma(s: &[u8], at: usize) -> Option<&[u8]> {
    s.get(at.saturating_add(1)..)
}

/// An invalid item: skips to its `,`.
fn skip_invalid(rest: &[u8]) -> (Item<'_>, Option<&[u8]>) {
    (Item::Invalid, list::split_once(rest, b',').1)
}

/// Splits and validates one list item (untrimmed): `Ok(None)` for an empty or whitespace-only
/// item, `Err(())` for an invalid one.
fn member(item: &[u8]) -> Result<Option<Member<'_>>, ()> {
    match next_item(item, None) {
        (Item::Member(m), None) => Ok(Some(m)),
        (Item::Empty, None) => Ok(None),
        _ => Err(()),
    }
}

/// The keys of the members kept so far, for the duplicate check: where each lies in the field
/// lines it was read from (line, offset, length in one `u32`: at most [`list::MAX_FIELDS`] lines
/// of at most [`MAX_LINE_LEN`] bytes are read, keys are at most [`MAX_KEY_LEN`] bytes), not the
/// slices themselves: 128 bytes on the stack instead of 512, in every frame that walks a list
/// member by member.
#[derive(Clone, Copy, Debug)]
struct Keys {
    at: [u32; MAX_MEMBERS],
    n: usize,
}

const KEY_LEN_BITS: u32 = 9;
const KEY_OFFSET_BITS: u32 = 15;
const _: () = assert!(MAX_KEY_LEN < 1 << KEY_LEN_BITS && MAX_LINE_LEN <= 1 << KEY_OFFSET_BITS);
const _: () = assert!(list::MAX_FIELDS <= 1 << (32 - KEY_LEN_BITS - KEY_OFFSET_BITS));

impl Keys {
    const fn new() -> Self {
        Keys {
            at: [0; MAX_MEMBERS],
            n: 0,
        }
    }

    /// The key recorded as `at`, read again from `lines`.
    fn key<'a>(lines: &[&'a [u8]], at: u32) -> Option<&'a [u8]> {
        let len = (at & ((1 << KEY_LEN_BITS) - 1)) as usize;
        let off = ((at >> KEY_LEN_BITS) & ((1 << KEY_OFFSET_BITS) - 1)) as usize;
        let line = (at >> (KEY_LEN_BITS + KEY_OFFSET_BITS)) as usize;
        lines.get(line)?.get(off..off.wrapping_add(len))
    }

    /// True when a recorded key equals `key`.
    fn contains(&self, lines: &[&[u8]], key: &[u8]) -> bool {
        let len = key.len() as u32;
        self.at
            .iter()
            .take(self.n)
            .any(|&at| at & ((1 << KEY_LEN_BITS) - 1) == len && Self::key(lines, at) == Some(key))
    }

    /// Records `key`, a part of `lines[line]` (false when the table is full or `key` is not such
    /// a part, which the item reader never gives).
    fn push(&mut self, lines: &[&[u8]], line: usize, key: &[u8]) -> bool {
        let Some(whole) = lines.get(line) else {
            return false;
        };
        // Where the key starts in its line: the distance between the two addresses (no pointer
        // is dereferenced), checked below by reading the key back.
        let off = (key.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        let (Ok(l), Ok(o), Ok(i)) = (
            u32::try_from(line),
            u32::try_from(off),
            u32::try_from(key.len()),
        ) else {
            return false;
        };
        if o >= 1 << KEY_OFFSET_BITS || i >= 1 << KEY_LEN_BITS {
            return false;
        }
        let at = (l << (KEY_LEN_BITS + KEY_OFFSET_BITS)) | (o << KEY_LEN_BITS) | i;
        if Self::key(lines, at).is_none_or(|k| k.as_ptr() != key.as_ptr()) {
            return false;
        }
        match self.at.get_mut(self.n) {
            Some(slot) => {
                *slot = at;
                self.n = self.n.wrapping_add(1);
                true
            }
            None => false,
        }
    }
}

/// Iterates the items of the combined list of `fields` (each field line gives at least one).
#[derive(Clone, Debug)]
struct Items<'a, 's> {
    fields: Fields<'a>,
    line: usize,
    rest: Option<&'a [u8]>,
    skip: Option<&'s [u8]>,
}

impl<'a, 's> Items<'a, 's> {
    fn new(fields: Fields<'a>, skip: Option<&'s [u8]>) -> Self {
        let (fields, _) = fields.capped(MAX_LINE_LEN, b',');
        Items {
            rest: fields.as_slice().first().copied(),
            fields,
            line: 0,
            skip,
        }
    }
}

impl<'a> Iterator for Items<'a, '_> {
    type Item = Item<'a>;
    #[inline]
    fn next(&mut self) -> Option<Item<'a>> {
        loop {
            if let Some(rest) = self.rest {
                let (item, next) = next_item(rest, self.skip);
                self.rest = next;
                return Some(item);
            }
            self.line = self.line.saturating_add(1);
            self.rest = Some(*self.fields.as_slice().get(self.line)?);
        }
    }
}

/// Whole-header validity as the W3C test harness decides it: at least one member, every
/// non-empty item a valid member, no repeated key, at most 32 members and 512 bytes.
pub fn is_valid_header(value: &[u8]) -> bool {
    if value.len() > 512 {
        return false;
    }
    let mut seen: [&[u8]; MAX_MEMBERS] = [&[]; MAX_MEMBERS];
    let mut n = 0usize;
    for item in list::Split::new(value, b',') {
        let item = list::trim_ows(item);
        if item.is_empty() {
            continue;
        }
        let Ok(Some(m)) = member(item) else {
            return false;
        };
        if seen.get(..n).is_some_and(|s| s.contains(&m.key)) {
            return false;
        }
        let Some(slot) = seen.get_mut(n) else {
            return false;
        };
        *slot = m.key;
        n = n.saturating_add(1);
    }
    n > 0
}

/// What reading a tracestate skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceStateReport {
    /// Valid members read.
    pub members: usize,
    /// Items that were not valid members (skipped).
    pub invalid: usize,
    /// Later duplicates of a key (skipped).
    pub duplicates: usize,
    /// Valid members past [`MAX_MEMBERS`], items past [`MAX_SCAN`], or bytes of a field line
    /// past [`MAX_LINE_LEN`] (not read).
    pub truncated: bool,
    /// Field lines past [`crate::wire::list::MAX_FIELDS`] (not read).
    pub dropped_fields: usize,
}

/// A received `tracestate`: a lazy, bounded view over its field lines, which it borrows (a
/// pointer: the lines themselves are kept by the caller, in the [`Slots`](crate::propagate::Slots)
/// of an extraction or a [`Fields`] of its own).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TraceState<'a> {
    fields: &'a Fields<'a>,
}

impl Default for TraceState<'_> {
    fn default() -> Self {
        TraceState {
            fields: &Fields::EMPTY,
        }
    }
}

/// The valid members, as `{key: value}`.
impl core::fmt::Debug for TraceState<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        struct Bytes<'b>(&'b [u8]);
        impl core::fmt::Debug for Bytes<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                crate::wire::fmt_bytes(self.0, f)
            }
        }
        let mut m = f.debug_map();
        for member in self.members() {
            m.entry(&Bytes(member.key), &Bytes(member.value));
        }
        m.finish()
    }
}

impl<'a> TraceState<'a> {
    /// A view over the field lines (nothing is scanned yet).
    pub const fn new(fields: &'a Fields<'a>) -> Self {
        TraceState { fields }
    }

    /// The field lines as received.
    pub fn fields(&self) -> &'a Fields<'a> {
        self.fields
    }

    /// The valid members, in order, without later duplicates, at most [`MAX_MEMBERS`].
    ///
    /// ```
    /// use tracewire::format::tracestate::TraceState;
    /// use tracewire::wire::list::Fields;
    ///
    /// let lines = Fields::one(b"congo=t61, bad key=1 ,rojo=00f0,congo=again");
    /// let ts = TraceState::new(&lines);
    /// let keys: Vec<&[u8]> = ts.members().map(|m| m.key).collect();
    /// assert_eq!(keys, [&b"congo"[..], b"rojo"], "invalid members and repeats skipped");
    /// assert_eq!(ts.get(b"rojo"), Some(&b"00f0"[..]));
    /// ```
    pub fn members(&self) -> Members<'a> {
        Members {
            items: Items::new(*self.fields, None),
            seen: Keys::new(),
            scanned: 0,
            report: TraceStateReport {
                dropped_fields: self.fields.dropped(),
                truncated: self
                    .fields
                    .as_slice()
                    .iter()
                    .any(|l| l.len() > MAX_LINE_LEN),
                ..Default::default()
            },
        }
    }

    /// The value of member `key`.
    pub fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        // Fastest path: the list starts with this key's member, written canonically.
        if let Some(v) = self.first_canonical(key) {
            return Some(v);
        }
        self.get_walk(key)
    }

    /// [`TraceState::get`] by the item reader: in a frame of its own (the reader's state), which
    /// a list that starts with the key's canonical member never pushes.
    #[inline(never)]
    fn get_walk(&self, key: &[u8]) -> Option<&'a [u8]> {
        // Fast path: among the first MAX_MEMBERS items there cannot be MAX_MEMBERS distinct
        // valid members before the match, so the first valid item with this key is the answer
        // `members()` would give (an earlier valid one would have matched first; duplicates
        // and invalid items are skipped there too). Only items whose key matches are validated.
        let mut items = Items::new(*self.fields, None);
        for item in items.by_ref().take(MAX_MEMBERS) {
            if let Item::Member(m) = item {
                if m.key == key {
                    return Some(m.value);
                }
            }
        }
        items.next()?;
        self.get_slow(key)
    }

    /// The value of the list's first item when that item is `key=value` with nothing around it:
    /// no OWS before the key, the value running up to the first `,` (or the end of the line) and
    /// valid by the grammar, not ending in a space. Such an item is a valid member and the first
    /// one, so it is what the item-by-item walk finds; anything else (`None`) is left to it.
    /// One vectorised pass over the value instead of the general item reader (the `dd=`
    /// member usually comes first: Datadog's tracers put their own member first).
    #[inline]
    fn first_canonical(&self, key: &[u8]) -> Option<&'a [u8]> {
        let line: &'a [u8] = self.fields.as_slice().first()?;
        if line.len() > MAX_LINE_LEN || !is_valid_key(key) {
            return None;
        }
        let rest = line.strip_prefix(key)?.strip_prefix(b"=")?;
        let n = class::span_printable_except(rest, b',', b'=');
        let (value, tail) = rest.split_at_checked(n)?;
        let ends = matches!(tail.first(), None | Some(b','));
        let valid = ends && n > 0 && n <= MAX_VALUE_LEN && value.last() != Some(&b' ');
        valid.then_some(value)
    }

    /// [`TraceState::get`] past the first [`MAX_MEMBERS`] items: the full member walk, with
    /// its duplicate table, in a frame of its own that the usual short lists never push.
    #[cold]
    #[inline(never)]
    fn get_slow(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.members().find(|m| m.key == key).map(|m| m.value)
    }

    /// The value of Datadog's `dd` member.
    pub fn dd(&self) -> Option<&'a [u8]> {
        self.get(b"dd")
    }

    /// The valid members other than `dd`.
    pub fn others(&self) -> impl Iterator<Item = Member<'a>> + '_ {
        self.members().filter(|m| m.key != b"dd")
    }

    /// Reads the whole list and says what was skipped.
    pub fn report(&self) -> TraceStateReport {
        let mut it = self.members();
        for _ in it.by_ref() {}
        it.report
    }
}

/// Iterator over the valid members of a [`TraceState`].
#[derive(Clone, Debug)]
pub struct Members<'a> {
    items: Items<'a, 'static>,
    seen: Keys,
    scanned: usize,
    report: TraceStateReport,
}

impl<'a> Iterator for Members<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        loop {
            if self.scanned >= MAX_SCAN || self.seen.n >= MAX_MEMBERS {
                if self.items.next().is_some() {
                    self.report.truncated = true;
                }
                return None;
            }
            let item = self.items.next()?;
            self.scanned = self.scanned.saturating_add(1);
            let m = match item {
                Item::Member(m) => m,
                Item::Empty | Item::Skipped => continue,
                Item::Invalid => {
                    self.report.invalid = self.report.invalid.saturating_add(1);
                    continue;
                }
            };
            let lines = self.items.fields.as_slice();
            if self.seen.contains(lines, m.key) {
                self.report.duplicates = self.report.duplicates.saturating_add(1);
                continue;
            }
            // Always recorded: fewer than MAX_MEMBERS are (checked above), and the key is a
            // part of the line the item reader is on.
            self.seen.push(lines, self.items.line, m.key);
            self.report.members = self.seen.n;
            return Some(m);
        }
    }
}

/// Writes `own` and every member of `rest` but `own_key`: `None` (with a partial write left in
/// `out`) when there are more than `budget` of them or `out` is full.
fn encode_all(
    has_own: bool,
    own_key: &[u8],
    rest: &TraceState<'_>,
    budget: usize,
    out: &mut Writer<'_>,
) -> Option<EncodeReport> {
    // The own member, if any, is already written.
    let mut written = usize::from(has_own);
    // With fewer than MAX_MEMBERS items neither the member cap nor the scan cap of
    // `members()` can be reached, so this loop yields exactly its members without `own_key`;
    // items with `own_key` are dropped whatever their value, so their value is not read.
    let mut seen = Keys::new();
    let mut items = Items::new(*rest.fields, Some(own_key));
    let mut scanned = 0usize;
    while let Some(item) = items.next() {
        scanned = scanned.wrapping_add(1);
        if scanned >= MAX_MEMBERS {
            return None;
        }
        let Item::Member(m) = item else { continue };
        if seen.n >= budget {
            return None;
        }
        let lines = items.fields.as_slice();
        if seen.contains(lines, m.key) {
            continue;
        }
        if !seen.push(lines, items.line, m.key) {
            return None;
        }
        if written > 0 {
            out.push_byte(b',').ok()?;
        }
        out.push(m.key).ok()?;
        out.push_byte(b'=').ok()?;
        out.push(m.value).ok()?;
        written = written.saturating_add(1);
    }
    Some(EncodeReport {
        written,
        dropped: 0,
    })
}

/// What [`encode`] wrote and left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeReport {
    /// Members written (the caller's own included).
    pub written: usize,
    /// Received members left out (member cap or length truncation).
    pub dropped: usize,
}

/// Writes the outgoing tracestate: `own` (a complete `key=value` member, or `None`) first, then
/// `rest`'s members without `own_key`. Writes nothing when there is nothing to send (the caller
/// then omits the header). Fails only when `out` cannot hold the result; nothing is left in `out`
/// then.
///
/// ```
/// use tracewire::format::tracestate::{self, TraceState};
/// use tracewire::wire::buf::Writer;
/// use tracewire::wire::list::Fields;
///
/// let lines = Fields::one(b"dd=s:1,congo=t61");
/// let incoming = TraceState::new(&lines);
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(&mut buf);
/// tracestate::encode(Some(b"dd=s:2;p:000000000000002a"), b"dd", &incoming, &mut w).unwrap();
/// assert_eq!(w.written(), b"dd=s:2;p:000000000000002a,congo=t61");
/// ```
pub fn encode(
    own: Option<&[u8]>,
    own_key: &[u8],
    rest: &TraceState<'_>,
    out: &mut Writer<'_>,
) -> Result<EncodeReport, BufferTooSmall> {
    let start = out.len();
    let own = own.filter(|o| !o.is_empty()).unwrap_or_default();
    if out.push(own).is_err() {
        out.truncate(start);
        return Err(BufferTooSmall);
    }
    encode_after_own(start, own.len(), own_key, rest, out)
}

/// [`encode`] when the caller's own member (`own_len` bytes, 0 for none) is already written
/// in `out` from `start` on: the rest follows it, and on failure nothing from `start` on is
/// left in `out`. Injection writes the `dd=` member this way, straight into the header value.
#[inline(always)]
pub(crate) fn encode_after_own(
    start: usize,
    own_len: usize,
    own_key: &[u8],
    rest: &TraceState<'_>,
    out: &mut Writer<'_>,
) -> Result<EncodeReport, BufferTooSmall> {
    let has_own = own_len > 0;
    let budget_members = MAX_MEMBERS.saturating_sub(usize::from(has_own));
    // Fastest path: a received list that is one canonical line is sent on as it is, less the
    // caller's own member (see `verbatim`).
    if let Some((before, after, members)) = verbatim(own_key, rest, budget_members) {
        let parts = [before, after];
        // Every part but the first non-empty one (the own member counts) takes a comma before
        // it (a fold, not `count`, whose counter would carry an overflow check).
        let (nonempty, bytes) = parts
            .iter()
            .fold((usize::from(has_own), own_len), |(k, n), p| {
                (
                    k.saturating_add(usize::from(!p.is_empty())),
                    n.saturating_add(p.len()),
                )
            });
        let total = bytes.saturating_add(nonempty.saturating_sub(1));
        if total <= MAX_ENCODED_LEN {
            let r = (|| {
                let mut first = !has_own;
                for part in parts {
                    if part.is_empty() {
                        continue;
                    }
                    if !first {
                        out.push_byte(b',')?;
                    }
                    out.push(part)?;
                    first = false;
                }
                Ok(EncodeReport {
                    written: members.saturating_add(usize::from(has_own)),
                    dropped: 0,
                })
            })();
            if r.is_err() {
                out.truncate(start);
            }
            return r;
        }
    }
    // Member by member; when not every member can be sent, the selection starts again after
    // the own member.
    encode_member_path(start, own_len, own_key, rest, budget_members, out)
}

/// The member path: every member ([`encode_members`]) or, when some must be left out, the
/// selection ([`encode_selected`]), one after the other (never both frames on the stack), in a
/// frame of its own that the usual lists never push.
#[inline(never)]
fn encode_member_path(
    start: usize,
    own_len: usize,
    own_key: &[u8],
    rest: &TraceState<'_>,
    budget_members: usize,
    out: &mut Writer<'_>,
) -> Result<EncodeReport, BufferTooSmall> {
    if let Some(r) = encode_members(start, own_len, own_key, rest, budget_members, out) {
        return Ok(r);
    }
    encode_selected(start, own_len, own_key, rest, budget_members, out)
}

/// [`encode`] member by member, every member written: what it does for any list that
/// [`verbatim`] does not take, unless members must be left out (`None`, with `out` cut back to
/// the own member: [`encode_selected`] then chooses). In a frame of its own (the item reader and
/// the duplicate table), which the usual lists never push.
#[inline(never)]
fn encode_members(
    start: usize,
    own_len: usize,
    own_key: &[u8],
    rest: &TraceState<'_>,
    budget_members: usize,
    out: &mut Writer<'_>,
) -> Option<EncodeReport> {
    // One pass: write everything; keep it when nothing had to be left out (the common case).
    if let Some(r) = encode_all(own_len > 0, own_key, rest, budget_members, out) {
        if out.len().saturating_sub(start) <= MAX_ENCODED_LEN {
            return Some(r);
        }
    }
    out.truncate(start.saturating_add(own_len));
    None
}

/// Most members of a received list that [`verbatim`] takes.
const VERBATIM_MAX_MEMBERS: usize = 8;

/// The received list as the one or two runs of bytes [`encode`] sends on, and how many members
/// they hold, when `rest` is a single field line that is already what [`encode`] would write:
/// every item a valid member (key and value by the grammar of [`next_item`]), items separated by
/// a bare `,` (no OWS, no empty item), no key repeated, at most one item with `own_key` (cut
/// out with one of its commas, its value not looked at, as the member path skips it unread), and
/// at most `budget` (and at most
/// [`VERBATIM_MAX_MEMBERS`]) other members. `None` otherwise: [`encode`] then takes the
/// member-by-member path, whose output for such a line is the same (the tests compare the two).
#[inline(never)]
fn verbatim<'a>(
    own_key: &[u8],
    rest: &TraceState<'a>,
    budget: usize,
) -> Option<(&'a [u8], &'a [u8], usize)> {
    let line: &'a [u8] = match rest.fields.as_slice() {
        [] => return Some((&[], &[], 0)),
        [line] if rest.fields.dropped() == 0 && line.len() <= MAX_ENCODED_LEN => line,
        _ => return None,
    };
    // Keys of the members kept so far, as (start, end) in `line` (at most 4,096 bytes, so
    // they fit a `u16`), for the duplicate check; a longer list takes the member path (the
    // table stays small on the stack).
    let mut keys = [(0u16, 0u16); VERBATIM_MAX_MEMBERS];
    let mut n = 0usize;
    let mut cut: Option<(usize, usize)> = None;
    let mut pos = 0usize;
    loop {
        // One inline byte loop per part (keys and values are a few bytes long: too short for
        // an out-of-line or vectorised scan to pay).
        let key_end = class::skip(line, pos, TS_KEY);
        if line.get(key_end) != Some(&b'=') {
            return None;
        }
        let key = line.get(pos..key_end)?;
        let value_start = key_end.wrapping_add(1);
        if key == own_key {
            // The own member is cut out whatever its value (the member path skips it unread
            // too): it ends at the next comma.
            if cut.is_some() {
                return None;
            }
            let value = line.get(value_start..)?;
            let end = value_start.wrapping_add(class::find(value, b',').unwrap_or(value.len()));
            cut = Some((pos, end));
            match line.get(end) {
                None => break,
                Some(_) if end.wrapping_add(1) < line.len() => pos = end.wrapping_add(1),
                Some(_) => return None,
            }
            continue;
        }
        let end = class::skip(line, value_start, TS_VALUE);
        let value_len = end.wrapping_sub(value_start);
        let valid = key.len() <= MAX_KEY_LEN
            && key.first().is_some_and(|&b| class::is(b, TS_KEY_FIRST))
            && value_len > 0
            && value_len <= MAX_VALUE_LEN
            && line.get(end.wrapping_sub(1)) != Some(&b' ');
        if !valid || n >= budget {
            return None;
        }
        let seen = keys.get(..n)?;
        if seen
            .iter()
            .any(|&(s, e)| line.get(usize::from(s)..usize::from(e)) == Some(key))
        {
            return None;
        }
        // `None` past the table: the member path takes the list.
        let slot = keys.get_mut(n)?;
        *slot = (u16::try_from(pos).ok()?, u16::try_from(key_end).ok()?);
        n = n.wrapping_add(1);
        match line.get(end) {
            None => break,
            // A `,` must start another item (`a=1,` has an empty one: not canonical).
            Some(b',') if end.wrapping_add(1) < line.len() => pos = end.wrapping_add(1),
            Some(_) => return None,
        }
    }
    Some(match cut {
        None => (line, &[][..], n),
        // The own member and the comma after it (or before it, when it is the last).
        Some((s, e)) => {
            let before = line.get(..s.saturating_sub(1))?;
            let after = line.get(e.saturating_add(1)..).unwrap_or_default();
            (before, after, n)
        }
    })
}

/// [`encode`] when not every member can be sent: the member cap and the spec's truncation
/// choose which go (in a cold frame of its own: the usual lists never get here).
///
/// One walk of the members: each candidate (the first `budget_members` members of `rest`
/// without `own_key`) is recorded as where its `key=value` lies in the field lines (line,
/// offset and length in a `u32`, as [`Keys`] records keys: a member is at most 513 bytes), the
/// selection is made on those lengths, and the kept members are copied from where they lie.
/// Nothing bigger than the positions is held: 128 bytes beside the member walk's own state.
#[cold]
#[inline(never)]
fn encode_selected(
    start: usize,
    own_len: usize,
    own_key: &[u8],
    rest: &TraceState<'_>,
    budget_members: usize,
    out: &mut Writer<'_>,
) -> Result<EncodeReport, BufferTooSmall> {
    const LEN_BITS: u32 = 10;
    const OFFSET_BITS: u32 = KEY_OFFSET_BITS;
    const _: () = assert!(MAX_KEY_LEN + 1 + MAX_VALUE_LEN < 1 << LEN_BITS);
    const _: () = assert!(list::MAX_FIELDS <= 1 << (32 - LEN_BITS - OFFSET_BITS));
    let mut at = [0u32; MAX_MEMBERS];
    let mut kept: u32 = 0;
    let mut dropped = 0usize;
    let mut n = 0usize;
    let mut members = rest.members();
    let bit = |i: usize| {
        1u32.checked_shl(u32::try_from(i).unwrap_or(u32::MAX))
            .unwrap_or(0)
    };
    while let Some(m) = members.next() {
        if m.key == own_key {
            continue;
        }
        if n >= budget_members {
            dropped = dropped.saturating_add(1);
            continue;
        }
        // Where `key=value` lies: the key's offset in the line the walk is on (the member is
        // contiguous there), checked by reading the member back.
        let lines = members.items.fields.as_slice();
        let line = members.items.line;
        let whole = lines.get(line).copied().unwrap_or_default();
        let off = (m.key.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        let (Ok(l), Ok(o), Ok(len)) = (
            u32::try_from(line),
            u32::try_from(off),
            u32::try_from(m.len()),
        ) else {
            continue;
        };
        let packed = (l << (LEN_BITS + OFFSET_BITS)) | (o << LEN_BITS) | len;
        let back = whole.get(off..off.wrapping_add(m.len()));
        let fits = o < 1 << OFFSET_BITS && len < 1 << LEN_BITS;
        // Always true: the item reader gives members that lie in the line it is on.
        if !fits || back.and_then(|b| b.get(..m.key.len())) != Some(m.key) {
            continue;
        }
        if let Some(slot) = at.get_mut(n) {
            *slot = packed;
            kept |= bit(n);
            n = n.saturating_add(1);
        }
    }
    // The lines as the walk read them (capped at MAX_LINE_LEN, which may leave a line out):
    // the positions are in these.
    let lines = members.items.fields.as_slice();
    let member_at = |p: u32| {
        let len = (p & ((1 << LEN_BITS) - 1)) as usize;
        let off = ((p >> LEN_BITS) & ((1 << OFFSET_BITS) - 1)) as usize;
        let line = (p >> (LEN_BITS + OFFSET_BITS)) as usize;
        lines.get(line)?.get(off..off.wrapping_add(len))
    };
    let len_of = |p: u32| (p & ((1 << LEN_BITS) - 1)) as usize;
    let mut total = own_len;
    let mut count = usize::from(own_len > 0);
    for &p in at.iter().take(n) {
        total = total.saturating_add(len_of(p));
        count = count.saturating_add(1);
    }
    total = total.saturating_add(count.saturating_sub(1));
    // The spec's truncation: members longer than 128 bytes go first, then from the right.
    // Dropping a member saves its length and one comma.
    if total > MAX_ENCODED_LEN {
        for long_only in [true, false] {
            // A range, not `enumerate`, whose counter carries an overflow check.
            for i in (0..n).rev() {
                if total <= MAX_ENCODED_LEN {
                    break;
                }
                let len = at.get(i).map_or(0, |&p| len_of(p));
                if kept & bit(i) != 0 && (!long_only || len > TRUNCATE_FIRST_ABOVE) {
                    kept &= !bit(i);
                    dropped = dropped.saturating_add(1);
                    total = total.saturating_sub(len.saturating_add(1));
                }
            }
        }
    }
    // The own member, if any, is already written.
    let mut written = usize::from(own_len > 0);
    let result = (|| {
        for (i, &p) in (0..n).zip(at.iter()) {
            if kept & bit(i) == 0 {
                continue;
            }
            let Some(member) = member_at(p) else {
                continue;
            };
            if written > 0 {
                out.push_byte(b',')?;
            }
            out.push(member)?;
            written = written.saturating_add(1);
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(EncodeReport { written, dropped }),
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn ts(lines: &[&'static str]) -> TraceState<'static> {
        let mut f = Fields::default();
        for l in lines {
            f.push(l.as_bytes());
        }
        TraceState::new(std::boxed::Box::leak(std::boxed::Box::new(f)))
    }

    fn pairs(t: &TraceState<'_>) -> Vec<(String, String)> {
        t.members()
            .map(|m| {
                (
                    String::from_utf8_lossy(m.key).into(),
                    String::from_utf8_lossy(m.value).into(),
                )
            })
            .collect()
    }

    fn enc(own: Option<&str>, t: &TraceState<'_>) -> String {
        let mut b = [0u8; 8192];
        let mut w = Writer::new(&mut b);
        encode(own.map(str::as_bytes), b"dd", t, &mut w).unwrap();
        String::from_utf8(w.written().to_vec()).unwrap()
    }

    /// `encode` (with its verbatim path) against `encode_members` alone.
    fn both(own: Option<&str>, t: &TraceState<'_>) -> (String, String) {
        let own = own.map(str::as_bytes);
        let budget = MAX_MEMBERS.saturating_sub(usize::from(own.is_some_and(|o| !o.is_empty())));
        let (mut a, mut b) = ([0u8; 8192], [0u8; 8192]);
        let (mut wa, mut wb) = (Writer::new(&mut a), Writer::new(&mut b));
        let ra = encode(own, b"dd", t, &mut wa).unwrap();
        let own_b = own.filter(|o| !o.is_empty()).unwrap_or_default();
        wb.push(own_b).unwrap();
        // The member path: every member, or the selection when some must be left out.
        let rb = match encode_members(0, own_b.len(), b"dd", t, budget, &mut wb) {
            Some(r) => r,
            None => encode_selected(0, own_b.len(), b"dd", t, budget, &mut wb).unwrap(),
        };
        assert_eq!(ra, rb, "reports differ for {t:?}");
        (
            String::from_utf8(wa.written().to_vec()).unwrap(),
            String::from_utf8(wb.written().to_vec()).unwrap(),
        )
    }

    #[test]
    fn a_canonical_line_is_sent_on_as_it_is_less_the_own_member() {
        for (line, want) in [
            ("dd=s:1,rojo=00f0,congo=t61", "dd=s:2,rojo=00f0,congo=t61"),
            ("rojo=00f0,dd=s:1,congo=t61", "dd=s:2,rojo=00f0,congo=t61"),
            ("rojo=00f0,congo=t61,dd=s:1", "dd=s:2,rojo=00f0,congo=t61"),
            ("rojo=00f0", "dd=s:2,rojo=00f0"),
            ("dd=s:1", "dd=s:2"),
            ("a=1 2,b=x", "dd=s:2,a=1 2,b=x"),
            // The own member goes unread, as in the member path.
            ("dd=bad value=,rojo=1", "dd=s:2,rojo=1"),
            ("rojo=1,dd=", "dd=s:2,rojo=1"),
        ] {
            let t = ts(&[line]);
            assert!(verbatim(b"dd", &t, MAX_MEMBERS - 1).is_some(), "{line}");
            let (fast, slow) = both(Some("dd=s:2"), &t);
            assert_eq!((fast.as_str(), slow.as_str()), (want, want), "{line}");
        }
        // Not canonical: the member-by-member path decides, and the result is the same.
        for line in [
            "rojo=1, congo=2",
            "rojo=1,,congo=2",
            "rojo=1,",
            "rojo=1,rojo=2",
            "dd=s:1,dd=s:3,rojo=1",
            "rojo=1,Bad=2",
            "rojo=1 ,congo=2",
            "dd=s:1,rojo=1,",
            "dd,rojo=1",
            " rojo=1",
        ] {
            let t = ts(&[line]);
            assert!(verbatim(b"dd", &t, MAX_MEMBERS - 1).is_none(), "{line}");
            let (fast, slow) = both(Some("dd=s:2"), &t);
            assert_eq!(fast, slow, "{line}");
        }
        // Two lines, or more members than the budget: never verbatim.
        assert!(verbatim(b"dd", &ts(&["a=1", "b=2"]), 31).is_none());
        assert!(verbatim(b"dd", &ts(&["a=1,b=2,c=3"]), 2).is_none());
        assert!(verbatim(b"dd", &ts(&["a=1,b=2,dd=3"]), 2).is_some());
        let eight = "a=1,b=2,c=3,d=4,dd=s:1,e=5,f=6,g=7,h=8";
        assert!(verbatim(b"dd", &ts(&[eight]), 31).is_some());
        let nine = "a=1,b=2,c=3,d=4,dd=s:1,e=5,f=6,g=7,h=8,i=9";
        assert!(verbatim(b"dd", &ts(&[nine]), 31).is_none());
        let (fast, slow) = both(Some("dd=s:2"), &ts(&[nine]));
        assert_eq!(fast, slow);
        assert_eq!(fast, "dd=s:2,a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9");
    }

    #[test]
    fn a_canonical_first_member_is_found_without_the_item_reader() {
        let t = ts(&["dd=s:2;o:rum,rojo=1"]);
        assert_eq!(t.first_canonical(b"dd"), Some(&b"s:2;o:rum"[..]));
        assert_eq!(t.get(b"dd"), Some(&b"s:2;o:rum"[..]));
        // Not canonical, or not a valid member: the item reader decides.
        for (line, want) in [
            (" dd=s:1", Some("s:1")),
            ("dd=s:1 ,rojo=1", Some("s:1")),
            ("dd=s:1 ", Some("s:1")),
            ("dd=a=b,dd=s:1", Some("s:1")),
            ("dd=,dd=s:1", Some("s:1")),
            ("ddd=1,dd=s:1", Some("s:1")),
            ("dd=s:1\t", Some("s:1")),
            ("dd=s:1\u{1},rojo=1", None),
        ] {
            let t = ts(&[line]);
            assert_eq!(t.first_canonical(b"dd"), None, "{line}");
            assert_eq!(t.get(b"dd"), want.map(str::as_bytes), "{line}");
        }
        // A key that is not a valid tracestate key is never found.
        assert_eq!(ts(&["DD=1"]).get(b"DD"), None);
        let long = std::format!("dd={}", "x".repeat(MAX_VALUE_LEN + 1));
        let long: &'static str = std::boxed::Box::leak(long.into_boxed_str());
        assert_eq!(ts(&[long]).get(b"dd"), None);
    }

    proptest::proptest! {
        #[test]
        fn get_finds_what_the_member_walk_finds(
            items in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("(dd|rojo)=[ -+--<>-~]{0,8}").unwrap(),
                    proptest::string::string_regex("[ \t]{0,2}(dd|d|a)[ \t]{0,1}=[a-z:; \t=]{0,4}").unwrap(),
                    proptest::string::string_regex("[ \t]{0,2}[A-Za-z=,]{0,3}[ \t]{0,2}").unwrap(),
                ],
                0..12,
            ),
            lines in 1usize..3,
        ) {
            let joined = items.join(",");
            let mut f = Fields::default();
            if lines == 1 {
                f.push(joined.as_bytes());
            } else {
                let (a, b) = joined.as_bytes().split_at(joined.len() / 2);
                f.push(a);
                f.push(b);
            }
            let t = TraceState::new(&f);
            for key in [&b"dd"[..], b"rojo", b"a", b"d"] {
                let walk = t.members().find(|m| m.key == key).map(|m| m.value);
                proptest::prop_assert_eq!(t.get(key), walk);
            }
        }

        #[test]
        fn the_verbatim_path_writes_what_the_member_path_writes(
            items in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-z][a-z0-9_*/@-]{0,6}=[ -+--<>-~]{1,8}").unwrap(),
                    proptest::string::string_regex("(dd|rojo|a)=[a-z0-9 :;~]{0,4}").unwrap(),
                    proptest::string::string_regex("[ \t]{0,2}[A-Za-z=,]{0,3}[ \t]{0,2}").unwrap(),
                ],
                0..40,
            ),
            own in proptest::option::of(proptest::string::string_regex("dd=s:[0-2]").unwrap()),
        ) {
            let line = items.join(",");
            let f = Fields::one(line.as_bytes());
            let t = TraceState::new(&f);
            let (fast, slow) = both(own.as_deref(), &t);
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn keys_follow_the_current_grammar() {
        for k in [
            "a",
            "1special",
            "special@vendor",
            "special@@vendor",
            "foo@",
            "a-b_c*d/e",
            "t@vvvvvvvvvvvvvvv",
        ] {
            assert!(is_valid_key(k.as_bytes()), "{k}");
        }
        for k in ["", "@vendor", "Foo", "special.vendor", "_a", "a b"] {
            assert!(!is_valid_key(k.as_bytes()), "{k}");
        }
        assert!(is_valid_key(&[b'z'; 256]));
        assert!(!is_valid_key(&[b'z'; 257]));
    }

    #[test]
    fn values_follow_the_grammar() {
        assert!(is_valid_value(b" leading spaces ok"));
        assert!(!is_valid_value(b"trailing "));
        assert!(!is_valid_value(b""));
        assert!(!is_valid_value(b"bar=baz"));
        assert!(!is_valid_value(b"a,b"));
        assert!(!is_valid_value("\u{e9}".as_bytes()));
        assert!(is_valid_value(&[b'x'; 256]));
        assert!(!is_valid_value(&[b'x'; 257]));
    }

    #[test]
    fn ows_and_empty_members() {
        let t = ts(&["foo=1, \t bar=2,, ,\tbaz=3 "]);
        assert_eq!(
            pairs(&t),
            [
                ("foo".into(), "1".into()),
                ("bar".into(), "2".into()),
                ("baz".into(), "3".into())
            ]
        );
        // A leading space is part of a value; a tab is not a value character.
        let t = ts(&["dd= p:00f067aa0ba902b7;s:1,foo=1,bar=  2,baz= \t 2"]);
        assert_eq!(t.get(b"bar"), Some(&b"  2"[..]));
        assert_eq!(t.get(b"baz"), None);
    }

    #[test]
    fn several_fields_combine_in_order() {
        let t = ts(&["a=1", "", "b=2,c=3"]);
        assert_eq!(pairs(&t).len(), 3);
        assert_eq!(t.members().nth(1).map(|m| m.key), Some(&b"b"[..]));
    }

    #[test]
    fn invalid_members_are_skipped_individually() {
        let t = ts(&["foo=1,BAD=2,bar=x=y,=3,ok=4,novalue"]);
        assert_eq!(
            pairs(&t),
            [("foo".into(), "1".into()), ("ok".into(), "4".into())]
        );
        assert_eq!(t.report().invalid, 4);
    }

    #[test]
    fn duplicates_keep_the_first() {
        let t = ts(&["a=1,b=2,a=3"]);
        assert_eq!(t.get(b"a"), Some(&b"1"[..]));
        assert_eq!(t.report().duplicates, 1);
    }

    /// The duplicate table records where keys lie (line, offset, length): keys of the longest
    /// length, far into a line and on every line, are still told apart and found again.
    #[test]
    fn duplicates_far_into_long_lines() {
        use std::string::ToString;
        let long_key = "k".repeat(MAX_KEY_LEN);
        let filler: String = (0..100)
            .map(|_| std::format!("{},", "-".repeat(250)))
            .collect();
        let line0 = std::format!("{filler}{long_key}=1,a=1,{long_key}=2");
        assert!(line0.len() > 25_000 && line0.len() <= MAX_LINE_LEN);
        let long_key_b = std::format!("{}x", "k".repeat(MAX_KEY_LEN - 1));
        let t = ts(&[
            std::boxed::Box::leak(line0.into_boxed_str()),
            "a=2,b=1",
            std::boxed::Box::leak(std::format!("{long_key_b}=3,b=2,{long_key}=4").into_boxed_str()),
            "c=1,a=3,c=2",
        ]);
        let got = pairs(&t);
        let want = [
            (long_key.clone(), "1".to_string()),
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "1".to_string()),
            (long_key_b.clone(), "3".to_string()),
            ("c".to_string(), "1".to_string()),
        ];
        assert_eq!(got, want);
        let r = t.report();
        assert_eq!((r.members, r.duplicates, r.invalid), (5, 6, 100));
        // The member-by-member encoder drops the same repeats.
        let mut buf = [0u8; 8192];
        let mut w = Writer::new(&mut buf);
        encode(None, b"dd", &t, &mut w).unwrap();
        let sent = String::from_utf8(w.written().to_vec()).unwrap();
        let want_sent: std::vec::Vec<String> =
            want.iter().map(|(k, v)| std::format!("{k}={v}")).collect();
        assert_eq!(sent, want_sent.join(","));
    }

    #[test]
    fn at_most_32_members_and_bounded_scan() {
        let s: String = (0..40).map(|i| std::format!("k{i}=v{i},")).collect();
        let s: &'static str = std::boxed::Box::leak(s.into_boxed_str());
        let t = ts(&[s]);
        assert_eq!(t.members().count(), 32);
        assert!(t.report().truncated);
        let junk: &'static str = std::boxed::Box::leak(",".repeat(100_000).into_boxed_str());
        let t = ts(&[junk, "late=1"]);
        assert_eq!(t.members().count(), 0);
        assert!(t.report().truncated);
    }

    #[test]
    fn own_member_goes_first_and_replaces() {
        let t = ts(&["other=bleh,dd=s:1,atel=test"]);
        assert_eq!(enc(Some("dd=s:2"), &t), "dd=s:2,other=bleh,atel=test");
        assert_eq!(enc(None, &t), "other=bleh,atel=test");
        assert_eq!(enc(None, &TraceState::default()), "");
    }

    #[test]
    fn cap_32_drops_from_the_right() {
        let s: String = (0..35)
            .map(|i| std::format!("state{i}=value-{i},"))
            .collect();
        let s: &'static str = std::boxed::Box::leak(s.into_boxed_str());
        let out = enc(Some("dd=s:1"), &ts(&[s]));
        let items: Vec<&str> = out.split(',').collect();
        assert_eq!(items.len(), 32);
        assert_eq!(items[0], "dd=s:1");
        assert_eq!(items[31], "state30=value-30");
    }

    /// The selection reads members back from the lines as the member walk read them: a first
    /// line longer than [`MAX_LINE_LEN`] with no comma in it is left out whole, and one with
    /// commas is cut after its last comma within the cap; the members of the lines after it
    /// are still the ones written.
    #[test]
    fn selection_after_lines_cut_at_the_cap() {
        let second: String = (0..35).map(|i| std::format!("s{i}=v{i},")).collect();
        let second: &'static str = std::boxed::Box::leak(second.into_boxed_str());
        let no_comma: &'static str =
            std::boxed::Box::leak(std::format!("a={}", "x".repeat(MAX_LINE_LEN)).into_boxed_str());
        let out = enc(Some("dd=s:1"), &ts(&[no_comma, second]));
        let items: Vec<&str> = out.split(',').collect();
        assert_eq!(items.len(), 32, "{out}");
        assert_eq!(
            (items[0], items[1], items[31]),
            ("dd=s:1", "s0=v0", "s30=v30")
        );
        // Cut after the last comma within the cap: its members before the cut are kept.
        let mut cut = std::format!("first=1,{}", "y=2,".repeat(10));
        cut.push_str(&"z".repeat(MAX_LINE_LEN));
        let cut: &'static str = std::boxed::Box::leak(cut.into_boxed_str());
        let out = enc(None, &ts(&[cut, second]));
        let items: Vec<&str> = out.split(',').collect();
        assert_eq!(items.len(), 32, "{out}");
        assert_eq!(
            (items[0], items[1], items[2], items[31]),
            ("first=1", "y=2", "s0=v0", "s29=v29")
        );
        assert_eq!(pairs(&ts(&[cut, second])).len(), 32);
    }

    #[test]
    fn truncation_drops_long_members_first() {
        let long = "x".repeat(200);
        let mut s = String::new();
        for i in 0..20 {
            s += &std::format!("k{i}={long},");
        }
        s += "small=1";
        let s: &'static str = std::boxed::Box::leak(s.into_boxed_str());
        let out = enc(Some("dd=s:1"), &ts(&[s]));
        assert!(out.len() <= MAX_ENCODED_LEN);
        assert!(out.ends_with(",small=1"), "short members survive: {out}");
        assert!(out.starts_with("dd=s:1,k0="));
    }

    #[test]
    fn encode_failure_leaves_nothing() {
        let mut b = [0u8; 8];
        let mut w = Writer::new(&mut b);
        w.push(b"ab").unwrap();
        assert!(encode(Some(b"dd=s:1"), b"dd", &ts(&["foo=bar"]), &mut w).is_err());
        assert_eq!(w.written(), b"ab");
    }

    #[test]
    fn whole_header_validity() {
        assert!(is_valid_header(b"foo=1, \t bar=2"));
        assert!(!is_valid_header(b""));
        assert!(!is_valid_header(b"foo=1,foo=2"));
        assert!(!is_valid_header(b"foo=1,Bar=2"));
        let x = "x".repeat(251);
        let ok = std::format!("bar={x},foo={}", &x[..250]);
        assert!(ok.len() <= 512 && is_valid_header(ok.as_bytes()));
        let x = "x".repeat(256);
        let too_long = std::format!("bar={x},foo={x}");
        assert!(!is_valid_header(too_long.as_bytes()));
    }
}
