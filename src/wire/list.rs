//! List scanning: optional whitespace (OWS, RFC 9110: space and horizontal tab), separator-split
//! iteration, and [`Fields`], the view of a header that arrived as several field lines.

/// Strips leading and trailing OWS (space and horizontal tab).
#[inline]
pub fn trim_ows(mut s: &[u8]) -> &[u8] {
    // Usually neither end is whitespace: a byte above the space is not OWS, one test per end.
    if let [first, .., last] = s {
        if *first > b' ' && *last > b' ' {
            return s;
        }
    }
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Strips trailing OWS only.
#[inline]
pub fn trim_ows_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Splits at the first `sep`: `(before, Some(after))`, or `(s, None)` if `sep` is absent.
#[inline]
pub fn split_once(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    // `get` rather than indexing: no panic path, even one the optimiser cannot remove.
    match crate::wire::class::find(s, sep) {
        Some(i) => match (s.get(..i), s.get(i.wrapping_add(1)..)) {
            (Some(a), Some(b)) => (a, Some(b)),
            _ => (s, None),
        },
        None => (s, None),
    }
}

/// Bytes of a single-valued header searched for its first `,` by [`single_value`].
pub const SINGLE_VALUE_SCAN: usize = 512;

/// The value of a single-valued header: the part before its first `,`, trimmed of OWS (one rule
/// for every single-valued header: a proxy may fold repeats into one line, and the first value
/// wins, as the B3 specification and dd-trace-java say). Only the first [`SINGLE_VALUE_SCAN`]
/// bytes are searched; a longer value without a `,` there is returned as those bytes plus one,
/// untrimmed, so that it is too long for every parser and a huge header costs bounded work.
#[inline]
pub fn single_value(v: &[u8]) -> &[u8] {
    let head = v.get(..SINGLE_VALUE_SCAN).unwrap_or(v);
    match split_once(head, b',') {
        (first, Some(_)) => trim_ows(first),
        (_, None) if v.len() > SINGLE_VALUE_SCAN => v.get(..=SINGLE_VALUE_SCAN).unwrap_or(v),
        (first, None) => trim_ows(first),
    }
}

/// Iterates the items of a `sep`-separated list, untrimmed. An empty input yields one empty item,
/// like `str::split`; `a,,b` yields `a`, ``, `b`.
#[derive(Clone, Debug)]
pub struct Split<'a> {
    rest: Option<&'a [u8]>,
    sep: u8,
}

impl<'a> Split<'a> {
    /// Splits `s` on `sep`.
    #[inline]
    pub fn new(s: &'a [u8], sep: u8) -> Self {
        Split { rest: Some(s), sep }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.rest?;
        let (item, rest) = split_once(s, self.sep);
        self.rest = rest;
        Some(item)
    }
}

/// Where a sub-slice lies in a short value it was cut from: `start..end` as `u16`s, or nowhere
/// ([`At::NONE`]). Four bytes where a slice takes sixteen, for the parsed
/// views that remember where their parts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct At {
    start: u16,
    end: u16,
}

impl At {
    /// Nowhere.
    pub(crate) const NONE: At = At {
        start: u16::MAX,
        end: u16::MAX,
    };

    /// Where `v`, a sub-slice of `whole`, lies in it. `whole` must be shorter than 65,535
    /// bytes (every caller's value is at most 512); for anything else the result is some range
    /// that [`At::get`] reads safely (empty or `None`), never a panic.
    #[inline(always)]
    pub(crate) fn of(whole: &[u8], v: &[u8]) -> At {
        // Both are views of the same bytes: the offset is the difference of their addresses,
        // read as numbers (never dereferenced).
        let start = (v.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        At {
            start: start as u16,
            end: start.wrapping_add(v.len()) as u16,
        }
    }

    /// True when it lies somewhere.
    pub(crate) fn is_some(self) -> bool {
        self.start != u16::MAX
    }

    /// The bytes in `whole` (the value it was made from).
    #[inline(always)]
    pub(crate) fn get(self, whole: &[u8]) -> Option<&[u8]> {
        if !self.is_some() {
            return None;
        }
        whole.get(usize::from(self.start)..usize::from(self.end))
    }
}

/// How many field lines of one header name are kept for a repeatable header (`tracestate`,
/// `baggage`, `x-datadog-tags`). Lines past this are counted in [`Fields::dropped`] and never
/// read, so a flood of repeated headers costs bounded work.
pub const MAX_FIELDS: usize = 4;

/// A header that may arrive as several field lines, combined in order as if joined by `,`
/// (RFC 9110 §5.3) without copying.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    parts: [&'a [u8]; MAX_FIELDS],
    len: u8,
    dropped: u16,
}

impl Default for Fields<'_> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<'a> Fields<'a> {
    /// No field lines.
    pub const EMPTY: Fields<'static> = Fields {
        parts: [&[]; MAX_FIELDS],
        len: 0,
        dropped: 0,
    };

    /// One field line.
    #[inline]
    pub fn one(v: &'a [u8]) -> Self {
        let mut f = Fields::EMPTY;
        f.push(v);
        f
    }

    /// Appends a field line; past [`MAX_FIELDS`] it is counted as dropped instead.
    #[inline]
    pub fn push(&mut self, v: &'a [u8]) {
        if let Some(slot) = self.parts.get_mut(usize::from(self.len)) {
            *slot = v;
            self.len = self.len.saturating_add(1);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Forgets every field line (none kept, none dropped).
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
        self.dropped = 0;
    }

    /// The kept field lines, in arrival order.
    #[inline]
    pub fn as_slice(&self) -> &[&'a [u8]] {
        self.parts.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Number of field lines seen (kept and dropped).
    #[inline]
    pub fn count(&self) -> usize {
        usize::from(self.len).saturating_add(usize::from(self.dropped))
    }

    /// Number of field lines past [`MAX_FIELDS`] that were not kept.
    #[inline]
    pub fn dropped(&self) -> usize {
        usize::from(self.dropped)
    }

    /// True when no field line was seen.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.dropped == 0
    }

    /// Total bytes of the combined value, counting one `,` between kept lines.
    #[inline]
    pub fn combined_len(&self) -> usize {
        let parts = self.as_slice();
        parts.iter().fold(parts.len().saturating_sub(1), |n, p| {
            n.saturating_add(p.len())
        })
    }

    /// This list with every line longer than `cap` bytes cut after its last `sep` within the
    /// first `cap` bytes (a line with none there is dropped whole), and whether anything was
    /// cut. The part cut off is never looked at, so a parser reading the result does work
    /// bounded by `cap` per line however long the line is; no item is ever shortened into a
    /// different, valid-looking one.
    #[inline]
    pub fn capped(&self, cap: usize, sep: u8) -> (Fields<'a>, bool) {
        if self.as_slice().iter().all(|p| p.len() <= cap) {
            return (*self, false);
        }
        self.cut(cap, sep)
    }

    #[inline(never)]
    fn cut(&self, cap: usize, sep: u8) -> (Fields<'a>, bool) {
        let mut out = Fields {
            parts: [&[]; MAX_FIELDS],
            len: 0,
            dropped: self.dropped,
        };
        let mut cut = false;
        for &part in self.as_slice() {
            if part.len() <= cap {
                out.push(part);
                continue;
            }
            cut = true;
            // The byte at `cap` may itself be the separator: the item before it is whole.
            let window = part.get(..=cap).unwrap_or_default();
            if let Some(kept) = window
                .iter()
                .rposition(|&b| b == sep)
                .and_then(|i| part.get(..i))
            {
                out.push(kept);
            }
        }
        (out, cut)
    }

    /// Iterates the items of the combined `sep`-separated list across all kept lines. The
    /// iterator holds its own copy of this (small, `Copy`) value, so it lives as long as the
    /// bytes rather than this value. Untrimmed; each field line gives at least one item.
    #[inline]
    pub fn items(&self, sep: u8) -> FieldItems<'a> {
        FieldItems {
            fields: *self,
            next: 0,
            cur: None,
            sep,
        }
    }
}

/// Items of a list spread over several field lines (see [`Fields::items`]).
#[derive(Clone, Debug)]
pub struct FieldItems<'a> {
    fields: Fields<'a>,
    next: usize,
    cur: Option<Split<'a>>,
    sep: u8,
}

impl<'a> Iterator for FieldItems<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            if let Some(item) = self.cur.as_mut().and_then(Iterator::next) {
                return Some(item);
            }
            let line = *self.fields.as_slice().get(self.next)?;
            self.next = self.next.saturating_add(1);
            self.cur = Some(Split::new(line, self.sep));
        }
    }
}

impl core::fmt::Debug for Fields<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fields")
            .field("lines", &self.len)
            .field("dropped", &self.dropped)
            .finish()
    }
}

impl PartialEq for Fields<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice() && self.dropped == other.dropped
    }
}
impl Eq for Fields<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ows_is_space_and_tab_only() {
        assert_eq!(trim_ows(b" \t a b\t "), b"a b");
        assert_eq!(trim_ows(b"\n a"), b"\n a");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows_end(b" a \t"), b" a");
        // Every pair of end bytes: the same as trimming space and tab one byte at a time.
        for first in 0u8..=255 {
            for last in [0u8, b'\t', b'\n', b' ', b'!', b'a', 0x7f, 0x80, 0xff] {
                let v = [first, b'x', last];
                let mut want = &v[..];
                while let [b' ' | b'\t', rest @ ..] = want {
                    want = rest;
                }
                while let [rest @ .., b' ' | b'\t'] = want {
                    want = rest;
                }
                assert_eq!(trim_ows(&v), want, "{v:?}");
            }
        }
    }

    #[test]
    fn split_keeps_empty_items() {
        let v: [&[u8]; 4] = [b"a", b"", b"b", b""];
        assert!(Split::new(b"a,,b,", b',').eq(v.iter().copied()));
        assert_eq!(Split::new(b"", b',').count(), 1);
    }

    #[test]
    fn capped_cuts_at_a_separator_and_never_inside_an_item() {
        let mut f = Fields::default();
        f.push(b"a=1,b=2,c=3");
        f.push(b"short");
        f.push(b"abcdefghijkl");
        let (c, cut) = f.capped(6, b',');
        assert!(cut);
        let items: [&[u8]; 2] = [b"a=1", b"short"];
        assert!(c.items(b',').eq(items.iter().copied()));
        // The separator right at the cap keeps the item before it.
        let (c, _) = Fields::one(b"a=1,b=2,c=3").capped(7, b',');
        assert_eq!(c.as_slice(), [&b"a=1,b=2"[..]]);
        let (c, cut) = Fields::one(b"a=1").capped(3, b',');
        assert!(!cut);
        assert_eq!(c.as_slice(), [&b"a=1"[..]]);
    }

    #[test]
    fn fields_combine_in_order_and_bound_lines() {
        let mut f = Fields::default();
        f.push(b"a=1,b=2");
        f.push(b"c=3");
        let items: [&[u8]; 3] = [b"a=1", b"b=2", b"c=3"];
        assert!(f.items(b',').eq(items.iter().copied()));
        assert_eq!(f.combined_len(), 11);
        for _ in 0..100 {
            f.push(b"x");
        }
        assert_eq!(f.as_slice().len(), MAX_FIELDS);
        assert_eq!(f.dropped(), 102 - MAX_FIELDS);
        assert_eq!(f.count(), 102);
    }
}
