//! Carriers: where headers come from ([`Extract`]) and where they go ([`Inject`]).
//!
//! Extraction borrows: a carrier hands out `(name, value)` byte slices that live as long as the
//! carrier, in arrival order, repeats included (`tracestate` and `baggage` may be split over
//! several field lines; a repeated `traceparent` is invalid). Names are matched
//! ASCII-case-insensitively by the caller.
//!
//! Injection writes `&'static str` lowercase names and byte values, all or nothing: an error
//! leaves the carrier as it was. Two kinds of carrier get there two ways:
//!
//! - A carrier that implements [`InPlace`] (the buffer carriers of this crate: [`Headers`],
//!   [`HeaderBlockWriter`], [`JsonObjectWriter`](crate::transport::sqs::JsonObjectWriter)) is
//!   written directly: each encoder writes its value into the carrier's free room, the carrier
//!   records it, and the first header that does not fit rolls the carrier back to where it was.
//!   No staging buffer, and no byte is copied twice.
//! - Any other carrier takes whole values through [`Inject::set`]. The propagator then stages
//!   every header first (in an [`InjectBuffers`](crate::propagate::InjectBuffers)) and calls
//!   [`Inject::prepare`] with all of them before the first `set`; a carrier whose `prepare`
//!   answers exactly whether every `set` will succeed (every carrier of this crate does) never
//!   receives a partial set of headers.
//!
//! Every value handed to a carrier is a valid HTTP field value (visible ASCII, space and tab; see
//! [`is_field_value`](crate::wire::is_field_value)).

use core::fmt;

/// A source of request headers.
pub trait Extract {
    /// Calls `f` with every header, in order, repeats included.
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, f: F);
}

/// Why a carrier refused a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CarrierError {
    /// The carrier has no room for the header(s).
    Full,
    /// The carrier cannot represent this value (for example a byte `http` rejects).
    InvalidValue,
}

impl fmt::Display for CarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CarrierError::Full => "carrier full",
            CarrierError::InvalidValue => "carrier rejected the header value",
        })
    }
}

impl core::error::Error for CarrierError {}

/// A destination for outgoing headers.
pub trait Inject {
    /// Sets header `name` (lowercase) to `value`, replacing any earlier value of that name where
    /// the carrier can.
    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError>;

    /// Checks that `headers` more headers totalling `bytes` value bytes (names excluded) will
    /// fit, before any is set. The default accepts everything.
    fn reserve(&mut self, headers: usize, bytes: usize) -> Result<(), CarrierError> {
        let _ = (headers, bytes);
        Ok(())
    }

    /// Checks that every one of `headers` can be [`set`](Inject::set), before any is: an `Ok`
    /// here promises that the `set` calls that follow succeed, which is what makes injection all
    /// or nothing. The default asks [`reserve`](Inject::reserve) for their count and value bytes;
    /// a carrier with limits that count and size cannot express (per-value capacity, values it
    /// cannot represent, replaced values) overrides it.
    fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
        let bytes = headers
            .iter()
            .fold(0usize, |n, (_, v)| n.saturating_add(v.len()));
        self.reserve(headers.len(), bytes)
    }

    /// The carrier as an [`InPlace`] carrier, when it is one: injection then writes into it
    /// directly instead of staging every header first. The default: `None`.
    fn in_place(&mut self) -> Option<&mut dyn InPlace> {
        None
    }

    /// For an [`in_place`](Inject::in_place) carrier: true when it holds headers that an
    /// injection's commit could replace or strip (for [`Headers`]: any header named in
    /// [`wire::name::ALL`](crate::wire::name::ALL)). A direct injection that found no room is
    /// then tried once more by staging (as [`propagate::inject`](crate::propagate::inject)
    /// stages), whose [`Inject::prepare`] counts the room the replaced values free; otherwise a
    /// full carrier is an error at once (and no staging area is ever put on the stack). The
    /// default: `false`.
    fn may_replace(&self) -> bool {
        false
    }
}

/// A carrier that injection writes into directly, one header at a time, and can roll back.
///
/// One injection is: [`mark`](InPlace::mark); for each header, [`value_room`](InPlace::value_room)
/// (the encoder writes the value at its start) and [`push_value`](InPlace::push_value) (the
/// carrier records it); then [`commit`](InPlace::commit) with the mark, or, when a header did
/// not fit, [`rollback`](InPlace::rollback) to it. Between the mark and the commit the carrier
/// holds both the new headers and the ones they replace: replacement and stripping happen at the
/// commit, so a rollback finds everything as it was.
pub trait InPlace {
    /// The carrier's current position, for [`rollback`](InPlace::rollback) and
    /// [`commit`](InPlace::commit).
    fn mark(&self) -> usize;

    /// Free room where the value of the next header, `name`, is written (from its start; empty
    /// when there is none). What is written there is not part of the carrier until
    /// [`push_value`](InPlace::push_value).
    fn value_room(&mut self, name: &'static str) -> &mut [u8];

    /// Adds header `name` whose value is the first `len` bytes just written into
    /// [`value_room`](InPlace::value_room); [`CarrierError::Full`] when the carrier cannot hold
    /// it (nothing is added then).
    fn push_value(&mut self, name: &'static str, len: usize) -> Result<(), CarrierError>;

    /// Forgets every header added since `mark`.
    fn rollback(&mut self, mark: usize);

    /// Ends the injection begun at `mark`: of the headers that were there before it, those
    /// a new header replaces (where the carrier replaces, as [`Headers`] does) and those named
    /// in `strip` are removed.
    fn commit(&mut self, mark: usize, strip: StripSet);
}

/// A carrier whose headers can be removed: what a proxy needs to strip stale trace headers
/// from a request before it injects fresh ones (see [`StripSet`] and
/// [`propagate::continue_in_place`](crate::propagate::continue_in_place)).
pub trait Remove {
    /// Removes every header named `name` (ASCII-case-insensitively). Never fails: a header that
    /// is not there is already removed.
    fn remove_header(&mut self, name: &str);
}

impl<T: Remove + ?Sized> Remove for &mut T {
    fn remove_header(&mut self, name: &str) {
        (**self).remove_header(name);
    }
}

/// A set of the header names tracewire knows ([`wire::name::ALL`](crate::wire::name::ALL)):
/// which headers to strip from a request before injecting.
///
/// The default rule ([`StripSet::for_config`]): every trace-context header of every style,
/// whatever the configuration injects (a `b3` of another trace is stale even when the
/// configuration does not use B3: a downstream tracer that reads `b3` first would continue the
/// wrong trace), and `baggage` only when the configuration injects baggage (otherwise the
/// request's baggage goes on untouched).
///
/// ```
/// use tracewire::carrier::StripSet;
/// use tracewire::config::Config;
///
/// let s = StripSet::for_config(&Config::new()); // datadog,tracecontext,baggage
/// assert!(s.contains("b3") && s.contains("x-datadog-tags") && s.contains("baggage"));
/// let s = StripSet::TRACE_CONTEXT.without("x-amzn-trace-id");
/// assert!(!s.contains("x-amzn-trace-id") && !s.contains("baggage"));
/// assert_eq!(StripSet::NONE.names().count(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StripSet(u16);

impl StripSet {
    /// Nothing.
    pub const NONE: StripSet = StripSet(0);
    /// Every trace-context header of every style (all of [`name::ALL`](crate::wire::name::ALL)
    /// but `baggage`).
    pub const TRACE_CONTEXT: StripSet = StripSet::ALL.without(crate::wire::name::BAGGAGE);
    /// Every header tracewire knows, `baggage` included.
    pub const ALL: StripSet = StripSet((1 << crate::wire::name::ALL.len()) - 1);

    const fn bit(name: &str) -> u16 {
        let all = crate::wire::name::ALL;
        let mut i = 0;
        while i < all.len() {
            let (a, b) = (all[i].as_bytes(), name.as_bytes());
            if a.len() == b.len() {
                let mut j = 0;
                while j < a.len() && a[j] == b[j].to_ascii_lowercase() {
                    j += 1;
                }
                if j == a.len() {
                    return 1 << i;
                }
            }
            i += 1;
        }
        0
    }

    /// The default rule: [`TRACE_CONTEXT`](StripSet::TRACE_CONTEXT), plus `baggage` when
    /// `config` injects baggage.
    pub const fn for_config(config: &crate::config::Config) -> StripSet {
        if config.inject.contains(crate::config::Style::Baggage) {
            StripSet::ALL
        } else {
            StripSet::TRACE_CONTEXT
        }
    }

    /// This set with `name` (a name tracewire does not know is ignored).
    pub const fn with(self, name: &str) -> StripSet {
        StripSet(self.0 | StripSet::bit(name))
    }

    /// This set without `name`.
    pub const fn without(self, name: &str) -> StripSet {
        StripSet(self.0 & !StripSet::bit(name))
    }

    /// True when `name` (any case) is in the set.
    pub const fn contains(&self, name: &str) -> bool {
        let b = StripSet::bit(name);
        b != 0 && self.0 & b != 0
    }

    /// The names in the set, lowercase.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        let bits = self.0;
        (0..crate::wire::name::ALL.len())
            .zip(crate::wire::name::ALL)
            .filter(move |(i, _)| bits & (1 << i) != 0)
            .map(|(_, n)| n)
    }

    /// Removes every header of the set from `carrier`.
    pub fn strip<C: Remove + ?Sized>(&self, carrier: &mut C) {
        for n in self.names() {
            carrier.remove_header(n);
        }
    }
}

impl<T: Extract + ?Sized> Extract for &T {
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, f: F) {
        (**self).for_each_header(f);
    }
}

impl<T: Inject + ?Sized> Inject for &mut T {
    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
        (**self).set(name, value)
    }
    fn reserve(&mut self, headers: usize, bytes: usize) -> Result<(), CarrierError> {
        (**self).reserve(headers, bytes)
    }
    fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
        (**self).prepare(headers)
    }
    fn in_place(&mut self) -> Option<&mut dyn InPlace> {
        (**self).in_place()
    }
    fn may_replace(&self) -> bool {
        (**self).may_replace()
    }
}

impl<N: AsRef<[u8]>, V: AsRef<[u8]>> Extract for [(N, V)] {
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
        for (n, v) in self {
            f(n.as_ref(), v.as_ref());
        }
    }
}

impl<N: AsRef<[u8]>, V: AsRef<[u8]>, const K: usize> Extract for [(N, V); K] {
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, f: F) {
        self.as_slice().for_each_header(f);
    }
}

/// A raw HTTP/1.1 header block (`Name: value` lines separated by CRLF or LF) read in place, as
/// RFC 9112 §5 says a header field line is: a token, a `:` with no white space before it, and the
/// value trimmed of OWS. A line that is not such a field line (no `:`, white space before the
/// `:`, a name that is not a token, a request line) is skipped. A field line followed by an
/// obs-fold continuation (a line starting with space or tab, RFC 9112 §5.2) is skipped with its
/// continuations: its value would be the lines joined, which cannot be handed out without a copy,
/// and a front end that rejects or joins it must never see a trace header where tracewire sees
/// one. A blank line ends the block.
#[derive(Clone, Copy, Debug)]
///
/// ```
/// use tracewire::carrier::{Extract, HeaderBlock};
///
/// let head = b"GET / HTTP/1.1\r\nHost: a\r\nx-note: one\r\n two\r\nb3 : 1-2\r\nB3: 1-2-1\r\n\r\nbody";
/// let mut seen = Vec::new();
/// HeaderBlock(head).for_each_header(|n, v| seen.push((n.to_vec(), v.to_vec())));
/// // The request line, the folded x-note and the `b3 :` line are not field lines.
/// assert_eq!(seen, [(b"Host".to_vec(), b"a".to_vec()), (b"B3".to_vec(), b"1-2-1".to_vec())]);
/// ```
pub struct HeaderBlock<'b>(pub &'b [u8]);

impl Extract for HeaderBlock<'_> {
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
        use crate::wire::{class, list};
        // A field line is handed out once the next line shows it is not folded.
        let mut pending: Option<(&'a [u8], &'a [u8])> = None;
        for line in list::Split::new(self.0, b'\n') {
            let line = match line {
                [rest @ .., b'\r'] => rest,
                l => l,
            };
            if line.is_empty() {
                break;
            }
            if let [b' ' | b'\t', ..] = line {
                pending = None;
                continue;
            }
            if let Some((n, v)) = pending.take() {
                f(n, v);
            }
            if let (name, Some(value)) = list::split_once(line, b':') {
                if !name.is_empty() && class::all(name, class::TOKEN) {
                    pending = Some((name, list::trim_ows(value)));
                }
            }
        }
        if let Some((n, v)) = pending {
            f(n, v);
        }
    }
}

/// An injector that appends `name: value\r\n` lines to a caller's byte buffer (for a request
/// being written on the wire). It appends: use it on a block that holds no trace headers yet.
#[derive(Debug)]
///
/// ```
/// use tracewire::carrier::{HeaderBlockWriter, Inject};
///
/// let mut buf = [0u8; 32];
/// let mut w = HeaderBlockWriter::new(&mut buf);
/// w.set("b3", b"1-2-1").unwrap();
/// assert_eq!(w.written(), b"b3: 1-2-1\r\n");
/// assert!(w.prepare(&[("traceparent", &[b'0'; 55])]).is_err(), "would not fit");
/// ```
pub struct HeaderBlockWriter<'b> {
    w: crate::wire::buf::Writer<'b>,
}

impl<'b> HeaderBlockWriter<'b> {
    /// Writes into `buf` from its start.
    pub const fn new(buf: &'b mut [u8]) -> Self {
        HeaderBlockWriter {
            w: crate::wire::buf::Writer::new(buf),
        }
    }

    /// The lines written so far.
    pub fn written(&self) -> &[u8] {
        self.w.written()
    }

    /// Consumes the writer, returning the lines written.
    pub fn into_written(self) -> &'b [u8] {
        self.w.into_written()
    }

    /// Forgets everything written.
    pub fn clear(&mut self) {
        self.w.truncate(0);
    }

    /// Copies the lines of the header block `input` (up to its blank line, each ended with
    /// CRLF) except the field lines whose name is in `strip` and their obs-fold continuation
    /// lines. Lines are read by the rules of [`HeaderBlock`]; every other line (a request line,
    /// a header tracewire does not know) is copied as it is. All or nothing.
    pub fn copy_block_except(&mut self, input: &[u8], strip: StripSet) -> Result<(), CarrierError> {
        use crate::wire::{class, list};
        let start = self.w.len();
        let mut skipping = false;
        for line in list::Split::new(input, b'\n') {
            let line = match line {
                [rest @ .., b'\r'] => rest,
                l => l,
            };
            if line.is_empty() {
                break;
            }
            if !matches!(line, [b' ' | b'\t', ..]) {
                skipping = match list::split_once(line, b':') {
                    (name, Some(_)) if !name.is_empty() && class::all(name, class::TOKEN) => {
                        core::str::from_utf8(name).is_ok_and(|n| strip.contains(n))
                    }
                    _ => false,
                };
            }
            if skipping {
                continue;
            }
            if self
                .w
                .push(line)
                .and_then(|_| self.w.push(b"\r\n"))
                .is_err()
            {
                self.w.truncate(start);
                return Err(CarrierError::Full);
            }
        }
        Ok(())
    }
}

impl Inject for HeaderBlockWriter<'_> {
    fn in_place(&mut self) -> Option<&mut dyn InPlace> {
        Some(self)
    }

    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
        let need = value.len().saturating_add(name.len()).saturating_add(4);
        if self.w.remaining() < need {
            return Err(CarrierError::Full);
        }
        for part in [name.as_bytes(), b": ", value, b"\r\n"] {
            self.w.push(part).map_err(|_| CarrierError::Full)?;
        }
        Ok(())
    }

    fn reserve(&mut self, headers: usize, bytes: usize) -> Result<(), CarrierError> {
        // Longest name tracewire writes is 27 bytes; plus ": " and CRLF.
        let need = headers.saturating_mul(27 + 4).saturating_add(bytes);
        if self.w.remaining() < need {
            Err(CarrierError::Full)
        } else {
            Ok(())
        }
    }

    fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
        let need = headers.iter().fold(0usize, |n, (name, v)| {
            n.saturating_add(name.len().saturating_add(4).saturating_add(v.len()))
        });
        if self.w.remaining() < need {
            Err(CarrierError::Full)
        } else {
            Ok(())
        }
    }
}

/// Written directly by injection: each value lands after its `name: ` and is followed by CRLF;
/// a rollback truncates. Nothing is replaced or removed (the writer only appends).
impl InPlace for HeaderBlockWriter<'_> {
    fn mark(&self) -> usize {
        self.w.len()
    }

    fn value_room(&mut self, name: &'static str) -> &mut [u8] {
        self.w.room_after(name.len().saturating_add(2), 2)
    }

    fn push_value(&mut self, name: &'static str, len: usize) -> Result<(), CarrierError> {
        let prefix = name.len().saturating_add(2);
        if self.w.remaining() < prefix.saturating_add(len).saturating_add(2) {
            return Err(CarrierError::Full);
        }
        let full = |_| CarrierError::Full;
        self.w.write_ahead(0, name.as_bytes()).map_err(full)?;
        self.w.write_ahead(name.len(), b": ").map_err(full)?;
        self.w.advance(prefix.saturating_add(len)).map_err(full)?;
        self.w.push(b"\r\n").map_err(full)
    }

    fn rollback(&mut self, mark: usize) {
        self.w.truncate(mark);
    }

    fn commit(&mut self, _mark: usize, _strip: StripSet) {}
}

/// A fixed-capacity header list: up to `H` headers whose values share an `N`-byte arena.
/// `set` replaces an existing header of the same name.
#[derive(Clone)]
///
/// ```
/// use tracewire::carrier::{Headers, Inject};
///
/// let mut h = Headers::<4, 64>::new();
/// h.set("b3", b"0").unwrap();
/// h.set("b3", b"1").unwrap(); // replaces
/// assert_eq!((h.len(), h.get("B3")), (1, Some(&b"1"[..])));
/// assert!(h.set("traceparent", &[b'x'; 100]).is_err()); // over the 64-byte arena
/// assert_eq!(h.len(), 1, "a failed set changes nothing");
/// h.remove("b3");
/// assert!(h.is_empty());
/// ```
pub struct Headers<const H: usize, const N: usize> {
    names: [&'static str; H],
    ends: [usize; H],
    count: usize,
    arena: [u8; N],
}

impl<const H: usize, const N: usize> Default for Headers<H, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const H: usize, const N: usize> Headers<H, N> {
    /// An empty list.
    pub const fn new() -> Self {
        Headers {
            names: [""; H],
            ends: [0; H],
            count: 0,
            arena: [0; N],
        }
    }

    /// Number of headers.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    // Every access below goes through `get`: no index can panic, whatever the state.
    fn start(&self, i: usize) -> usize {
        match i.checked_sub(1) {
            None => 0,
            Some(j) => self.ends.get(j).copied().unwrap_or(0),
        }
    }

    fn end(&self, i: usize) -> usize {
        self.ends.get(i).copied().unwrap_or(0)
    }

    fn used(&self) -> usize {
        self.count.checked_sub(1).map_or(0, |i| self.end(i))
    }

    /// Index of the header named exactly `name`.
    fn find(&self, name: &str) -> Option<usize> {
        self.names
            .get(..self.count)?
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
    }

    /// The `i`-th header.
    pub fn get_index(&self, i: usize) -> Option<(&'static str, &[u8])> {
        if i >= self.count {
            return None;
        }
        let name = *self.names.get(i)?;
        Some((name, self.arena.get(self.start(i)..self.end(i))?))
    }

    /// The value of `name` (ASCII-case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Headers in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &[u8])> + '_ {
        (0..self.count).filter_map(move |i| self.get_index(i))
    }

    /// Removes every header.
    pub fn clear(&mut self) {
        self.count = 0;
    }

    /// Removes header `name` if present (every occurrence).
    pub fn remove(&mut self, name: &str) {
        while let Some(i) = self.find(name) {
            self.remove_at(i);
        }
    }

    /// Removes the `i`-th header (nothing when there is none).
    fn remove_at(&mut self, i: usize) {
        if i >= self.count {
            return;
        }
        let (s, e, used) = (self.start(i), self.end(i), self.used());
        let len = e.saturating_sub(s);
        // Close the gap in the arena, then in the name and end lists.
        for k in e..used {
            if let (Some(&b), Some(d)) = (self.arena.get(k), k.checked_sub(len)) {
                if let Some(slot) = self.arena.get_mut(d) {
                    *slot = b;
                }
            }
        }
        for j in i..self.count.saturating_sub(1) {
            let next = j.saturating_add(1);
            if let (Some(&n), Some(&end)) = (self.names.get(next), self.ends.get(next)) {
                if let Some(slot) = self.names.get_mut(j) {
                    *slot = n;
                }
                if let Some(slot) = self.ends.get_mut(j) {
                    *slot = end.saturating_sub(len);
                }
            }
        }
        self.count = self.count.saturating_sub(1);
    }
}

/// Written directly by injection: values are appended to the arena; at the commit, the headers
/// from before the injection that a new one replaces (same name) or that `strip` names are
/// removed. Until then both are held: when that leaves too little room, the injection is staged
/// instead ([`Inject::may_replace`]), so a list that fits the new values once the old ones are
/// gone still takes them (staged as `inject` stages: in 1 KiB, and past that on the heap with
/// the `std` feature; without it, new headers over 1 KiB that do not fit beside the old ones are
/// [`CarrierError::Full`], the list left as it was).
impl<const H: usize, const N: usize> InPlace for Headers<H, N> {
    fn mark(&self) -> usize {
        self.count
    }

    fn value_room(&mut self, _name: &'static str) -> &mut [u8] {
        if self.count >= H {
            return &mut [];
        }
        let used = self.used();
        self.arena.get_mut(used..).unwrap_or(&mut [])
    }

    fn push_value(&mut self, name: &'static str, len: usize) -> Result<(), CarrierError> {
        let end = self.used().saturating_add(len);
        if end > N {
            return Err(CarrierError::Full);
        }
        match (
            self.names.get_mut(self.count),
            self.ends.get_mut(self.count),
        ) {
            (Some(n), Some(e)) => {
                *n = name;
                *e = end;
                self.count = self.count.saturating_add(1);
                Ok(())
            }
            _ => Err(CarrierError::Full),
        }
    }

    fn rollback(&mut self, mark: usize) {
        self.count = self.count.min(mark);
    }

    fn commit(&mut self, mark: usize, strip: StripSet) {
        // Walk the old headers from the last; a removal moves the new ones down by one.
        let mut new_from = mark.min(self.count);
        for i in (0..new_from).rev() {
            let Some(&old) = self.names.get(i) else {
                continue;
            };
            let replaced = self
                .names
                .get(new_from..self.count)
                .is_some_and(|new| new.iter().any(|n| n.eq_ignore_ascii_case(old)));
            if replaced || strip.contains(old) {
                self.remove_at(i);
                new_from = new_from.saturating_sub(1);
            }
        }
    }
}

impl<const H: usize, const N: usize> Inject for Headers<H, N> {
    fn in_place(&mut self) -> Option<&mut dyn InPlace> {
        Some(self)
    }

    fn may_replace(&self) -> bool {
        self.names.iter().take(self.count).any(|n| {
            crate::wire::name::ALL
                .iter()
                .any(|a| a.eq_ignore_ascii_case(n))
        })
    }

    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
        // Check room as if the old value were already gone, so a failed set changes nothing.
        let existing = self.find(name);
        let old = existing.map_or(0, |i| self.end(i).saturating_sub(self.start(i)));
        let after = self.used().saturating_sub(old).saturating_add(value.len());
        if (existing.is_none() && self.count >= H) || after > N {
            return Err(CarrierError::Full);
        }
        if existing.is_some() {
            self.remove(name);
        }
        let s = self.used();
        let Some(e) = s.checked_add(value.len()) else {
            return Err(CarrierError::Full);
        };
        match (
            self.arena.get_mut(s..e),
            self.names.get_mut(self.count),
            self.ends.get_mut(self.count),
        ) {
            (Some(dst), Some(n), Some(end)) => {
                dst.copy_from_slice(value);
                *n = name;
                *end = e;
                self.count = self.count.saturating_add(1);
                Ok(())
            }
            _ => Err(CarrierError::Full),
        }
    }

    fn reserve(&mut self, headers: usize, bytes: usize) -> Result<(), CarrierError> {
        if self.count.saturating_add(headers) > H || self.used().saturating_add(bytes) > N {
            Err(CarrierError::Full)
        } else {
            Ok(())
        }
    }

    fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
        // Exactly what the `set` calls will need: a replaced value frees its bytes and its slot.
        let (mut count, mut used) = (self.count, self.used());
        for (i, (name, v)) in (0..headers.len()).zip(headers) {
            let earlier = headers
                .get(..i)
                .and_then(|e| e.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v.len());
            let old = earlier.or_else(|| {
                self.find(name)
                    .map(|j| self.end(j).saturating_sub(self.start(j)))
            });
            if old.is_none() {
                count = count.saturating_add(1);
            }
            used = used
                .saturating_sub(old.unwrap_or(0))
                .saturating_add(v.len());
        }
        if count > H || used > N {
            Err(CarrierError::Full)
        } else {
            Ok(())
        }
    }
}

impl<const H: usize, const N: usize> Remove for Headers<H, N> {
    fn remove_header(&mut self, name: &str) {
        self.remove(name);
    }
}

impl<const H: usize, const N: usize> Extract for Headers<H, N> {
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
        for (n, v) in self.iter() {
            f(n.as_bytes(), v);
        }
    }
}

impl<const H: usize, const N: usize> fmt::Debug for Headers<H, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (n, v) in self.iter() {
            m.entry(
                &n,
                &crate::wire::list::Split::new(v, 0).next().map(BytesDbg),
            );
        }
        m.finish()
    }
}

struct BytesDbg<'a>(&'a [u8]);
impl fmt::Debug for BytesDbg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::wire::fmt_bytes(self.0, f)
    }
}

/// An injector made of a closure. The closure's argument types are inferred:
///
/// ```
/// use tracewire::carrier::FnInjector;
/// use tracewire::config::Config;
/// use tracewire::context::SpanContext;
/// use tracewire::propagate::{self, BaggageOut};
/// use tracewire::{SpanId, TraceId};
///
/// let ctx = SpanContext::new(TraceId::new(1).unwrap(), SpanId::new(2));
/// let mut names = Vec::new();
/// let mut inj = FnInjector(|n, _v| {
///     names.push(n);
///     Ok(())
/// });
/// propagate::inject(Some(&ctx), BaggageOut::None, &Config::new(), &mut inj).unwrap();
/// assert!(names.contains(&"traceparent"));
/// ```
///
/// A closure that can fail gives up all-or-nothing injection (it cannot say in advance whether
/// every header will be accepted); implement [`Inject::prepare`] on a type of your own for that.
pub struct FnInjector<F>(pub F)
where
    F: FnMut(&'static str, &[u8]) -> Result<(), CarrierError>;

impl<F: FnMut(&'static str, &[u8]) -> Result<(), CarrierError>> Inject for FnInjector<F> {
    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
        (self.0)(name, value)
    }
}

#[cfg(feature = "heapless")]
mod heapless_impls {
    use super::*;

    impl<N: AsRef<[u8]>, V: AsRef<[u8]>, const K: usize> Extract for heapless::Vec<(N, V), K> {
        fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, f: F) {
            self.as_slice().for_each_header(f);
        }
    }

    /// Replaces or appends; values longer than `V` bytes or a full list are [`CarrierError::Full`].
    ///
    /// ```
    /// use tracewire::config::Config;
    /// use tracewire::context::SpanContext;
    /// use tracewire::propagate::{self, BaggageOut};
    /// use tracewire::{SpanId, TraceId};
    ///
    /// let ctx = SpanContext::new(TraceId::new(1).unwrap(), SpanId::new(2));
    /// let mut v: heapless::Vec<(&'static str, heapless::Vec<u8, 64>), 8> = heapless::Vec::new();
    /// propagate::inject(Some(&ctx), BaggageOut::None, &Config::new(), &mut v).unwrap();
    /// assert_eq!(v[0].0, "x-datadog-trace-id");
    /// // Values of at most 16 bytes: the traceparent (55) does not fit, so nothing is written.
    /// let mut small: heapless::Vec<(&'static str, heapless::Vec<u8, 16>), 8> = heapless::Vec::new();
    /// assert!(propagate::inject(Some(&ctx), BaggageOut::None, &Config::new(), &mut small).is_err());
    /// assert!(small.is_empty());
    /// ```
    impl<const K: usize, const V: usize> Inject
        for heapless::Vec<(&'static str, heapless::Vec<u8, V>), K>
    {
        fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
            let v = heapless::Vec::from_slice(value).map_err(|_| CarrierError::Full)?;
            if let Some(slot) = self.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                slot.1 = v;
                return Ok(());
            }
            self.push((name, v)).map_err(|_| CarrierError::Full)
        }
        fn reserve(&mut self, headers: usize, _bytes: usize) -> Result<(), CarrierError> {
            if self.len().saturating_add(headers) > K {
                Err(CarrierError::Full)
            } else {
                Ok(())
            }
        }

        fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
            let mut new = 0usize;
            for (i, (name, v)) in (0..headers.len()).zip(headers) {
                if v.len() > V {
                    return Err(CarrierError::Full);
                }
                let seen = headers
                    .get(..i)
                    .is_some_and(|e| e.iter().any(|(n, _)| n == name))
                    || self.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
                new = new.saturating_add(usize::from(!seen));
            }
            if self.len().saturating_add(new) > K {
                Err(CarrierError::Full)
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(feature = "heapless")]
impl<const K: usize, const V: usize> Remove
    for heapless::Vec<(&'static str, heapless::Vec<u8, V>), K>
{
    fn remove_header(&mut self, name: &str) {
        let kept = compact(self.as_mut_slice(), |(n, _)| !n.eq_ignore_ascii_case(name));
        self.truncate(kept);
    }
}

#[cfg(feature = "arrayvec")]
impl<const K: usize, const V: usize> Remove
    for arrayvec::ArrayVec<(&'static str, arrayvec::ArrayVec<u8, V>), K>
{
    fn remove_header(&mut self, name: &str) {
        let kept = compact(self.as_mut_slice(), |(n, _)| !n.eq_ignore_ascii_case(name));
        self.truncate(kept);
    }
}

/// Moves the items to keep to the front, in order; returns how many there are. (The vectors'
/// own `retain` carries overflow checks that the no-panic proof cannot see through.)
#[cfg(any(feature = "heapless", feature = "arrayvec"))]
fn compact<T>(s: &mut [T], keep: impl Fn(&T) -> bool) -> usize {
    let mut w = 0usize;
    for r in 0..s.len() {
        if !s.get(r).is_some_and(&keep) {
            continue;
        }
        if let Some((front, back)) = s.split_at_mut_checked(r) {
            if let (Some(x), Some(y)) = (front.get_mut(w), back.first_mut()) {
                core::mem::swap(x, y);
            }
        }
        w = w.wrapping_add(1);
    }
    w
}

#[cfg(feature = "arrayvec")]
mod arrayvec_impls {
    use super::*;

    impl<N: AsRef<[u8]>, V: AsRef<[u8]>, const K: usize> Extract for arrayvec::ArrayVec<(N, V), K> {
        fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, f: F) {
            self.as_slice().for_each_header(f);
        }
    }

    /// Replaces or appends; values longer than `V` bytes or a full list are [`CarrierError::Full`].
    ///
    /// ```
    /// use tracewire::carrier::{Extract, Inject};
    ///
    /// let mut v: arrayvec::ArrayVec<(&'static str, arrayvec::ArrayVec<u8, 32>), 4> =
    ///     arrayvec::ArrayVec::new();
    /// v.set("b3", b"1-2-1").unwrap();
    /// v.set("b3", b"1-2-0").unwrap(); // replaces
    /// let mut seen = 0;
    /// v.for_each_header(|n, val| { assert_eq!((n, val), (&b"b3"[..], &b"1-2-0"[..])); seen += 1; });
    /// assert_eq!(seen, 1);
    /// ```
    impl<const K: usize, const V: usize> Inject
        for arrayvec::ArrayVec<(&'static str, arrayvec::ArrayVec<u8, V>), K>
    {
        fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
            let mut v = arrayvec::ArrayVec::new();
            v.try_extend_from_slice(value)
                .map_err(|_| CarrierError::Full)?;
            if let Some(slot) = self.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                slot.1 = v;
                return Ok(());
            }
            self.try_push((name, v)).map_err(|_| CarrierError::Full)
        }
        fn reserve(&mut self, headers: usize, _bytes: usize) -> Result<(), CarrierError> {
            if self.len().saturating_add(headers) > K {
                Err(CarrierError::Full)
            } else {
                Ok(())
            }
        }

        fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
            let mut new = 0usize;
            for (i, (name, v)) in (0..headers.len()).zip(headers) {
                if v.len() > V {
                    return Err(CarrierError::Full);
                }
                let seen = headers
                    .get(..i)
                    .is_some_and(|e| e.iter().any(|(n, _)| n == name))
                    || self.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
                new = new.saturating_add(usize::from(!seen));
            }
            if self.len().saturating_add(new) > K {
                Err(CarrierError::Full)
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(feature = "std")]
mod std_impls {
    //! Carriers users already hold, with `std`: maps and vectors of owned strings.
    use super::*;
    use std::collections::{BTreeMap, HashMap};
    use std::string::String;
    use std::vec::Vec;

    /// Every entry; a map holds one value per name, so a repeated header cannot arrive twice.
    impl<S: core::hash::BuildHasher> Extract for HashMap<String, String, S> {
        fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
            for (n, v) in self {
                f(n.as_bytes(), v.as_bytes());
            }
        }
    }

    /// Every entry, in key order.
    impl Extract for BTreeMap<String, String> {
        fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
            for (n, v) in self {
                f(n.as_bytes(), v.as_bytes());
            }
        }
    }

    /// Every pair, in order, repeats included.
    impl<N: AsRef<[u8]>, V: AsRef<[u8]>> Extract for Vec<(N, V)> {
        fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, f: F) {
            self.as_slice().for_each_header(f);
        }
    }

    fn text(value: &[u8]) -> Result<String, CarrierError> {
        core::str::from_utf8(value)
            .map(String::from)
            .map_err(|_| CarrierError::InvalidValue)
    }

    /// Replaces the value of the lowercase name; another spelling of the same name is removed
    /// first, so the map never holds two.
    impl<S: core::hash::BuildHasher> Inject for HashMap<String, String, S> {
        fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
            let v = text(value)?;
            self.remove_header(name);
            self.insert(String::from(name), v);
            Ok(())
        }
    }

    impl<S: core::hash::BuildHasher> Remove for HashMap<String, String, S> {
        fn remove_header(&mut self, name: &str) {
            self.retain(|k, _| !k.eq_ignore_ascii_case(name));
        }
    }

    /// Replaces the first pair of that name (any case) and removes the others, or appends.
    impl Inject for Vec<(String, String)> {
        fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
            let v = text(value)?;
            match self.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some(i) => {
                    let mut seen = 0usize;
                    self.retain(|(n, _)| {
                        let same = n.eq_ignore_ascii_case(name);
                        seen += usize::from(same);
                        !same || seen == 1
                    });
                    if let Some(slot) = self.get_mut(i) {
                        *slot = (String::from(name), v);
                    }
                }
                None => self.push((String::from(name), v)),
            }
            Ok(())
        }
    }

    impl Remove for Vec<(String, String)> {
        fn remove_header(&mut self, name: &str) {
            self.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::config::Config;
        use crate::propagate::{self, BaggageOut};
        use std::vec;

        #[test]
        fn maps_and_vectors_of_strings() {
            let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            let m: HashMap<String, String> = [("TraceParent".into(), tp.into())].into();
            let b: BTreeMap<String, String> = [("traceparent".into(), tp.into())].into();
            let v: Vec<(String, String)> = vec![("traceparent".into(), tp.into())];
            let mut slots = [crate::propagate::Slots::new(); 3];
            let [s0, s1, s2] = &mut slots;
            for ex in [
                propagate::extract(&m, &Config::new(), s0).context,
                propagate::extract(&b, &Config::new(), s1).context,
                propagate::extract(&v, &Config::new(), s2).context,
            ] {
                assert_eq!(ex.unwrap().trace_id.high(), 0x4bf9_2f35_77b3_4da6);
            }
            let mut slots = crate::propagate::Slots::new();
            let child = propagate::extract(&v, &Config::new(), &mut slots)
                .context
                .unwrap()
                .child(crate::SpanId::new(1).unwrap());
            let mut out: HashMap<String, String> = [("TRACEPARENT".into(), "old".into())].into();
            propagate::inject(Some(&child), BaggageOut::None, &Config::new(), &mut out).unwrap();
            assert_eq!(out.len(), 6, "old TRACEPARENT replaced, not kept: {out:?}");
            assert!(out["traceparent"].ends_with("-0000000000000001-01"));
            let mut out: Vec<(String, String)> = vec![
                ("Traceparent".into(), "old".into()),
                ("traceparent".into(), "x".into()),
            ];
            propagate::inject(Some(&child), BaggageOut::None, &Config::new(), &mut out).unwrap();
            assert_eq!(out.iter().filter(|(n, _)| n == "traceparent").count(), 1);
            out.remove_header("TRACEPARENT");
            assert!(out.iter().all(|(n, _)| n != "traceparent"));
        }
    }
}

#[cfg(feature = "http")]
mod http_impls {
    use super::*;

    impl Remove for http::HeaderMap {
        fn remove_header(&mut self, name: &str) {
            self.remove(name);
        }
    }

    /// Every value of every name, in the map's order (repeats of a name are adjacent).
    impl Extract for http::HeaderMap {
        fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
            for (n, v) in self.iter() {
                f(n.as_str().as_bytes(), v.as_bytes());
            }
        }
    }

    /// Replaces any value of the name (`insert`, never `append`). `http` copies the value into
    /// its own storage: that allocation is the map's, not tracewire's.
    ///
    /// ```
    /// use tracewire::config::Config;
    /// use tracewire::propagate;
    /// use tracewire::SpanId;
    ///
    /// let mut req = http::HeaderMap::new();
    /// req.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    /// let mut slots = propagate::Slots::new();
    /// let ex = propagate::extract(&req, &Config::new(), &mut slots);
    /// let child = ex.context.unwrap().child(SpanId::new(1).unwrap());
    /// let mut out = http::HeaderMap::new();
    /// propagate::inject(Some(&child), ex.baggage_out(), &Config::new(), &mut out).unwrap();
    /// assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000001-01");
    /// ```
    impl Inject for http::HeaderMap {
        fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
            let v = http::HeaderValue::from_bytes(value).map_err(|_| CarrierError::InvalidValue)?;
            self.insert(http::HeaderName::from_static(name), v);
            Ok(())
        }

        /// Every value must be one `http` accepts (no control byte but tab, no DEL).
        fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
            let ok = |v: &[u8]| v.iter().all(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t');
            if headers.iter().all(|(_, v)| ok(v)) {
                Ok(())
            } else {
                Err(CarrierError::InvalidValue)
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        extern crate std;
        use std::vec::Vec;

        #[test]
        fn header_map_repeats_and_replace() {
            let mut m = http::HeaderMap::new();
            m.append("tracestate", http::HeaderValue::from_static("a=1"));
            m.append("TraceState", http::HeaderValue::from_static("b=2"));
            let mut seen = Vec::new();
            m.for_each_header(|n, v| seen.push((n.to_vec(), v.to_vec())));
            assert_eq!(seen.len(), 2);
            assert_eq!(seen[1], (b"tracestate".to_vec(), b"b=2".to_vec()));
            m.set("tracestate", b"c=3").unwrap();
            assert_eq!(m.get_all("tracestate").iter().count(), 1);
            assert_eq!(m.set("b3", b"bad\nvalue"), Err(CarrierError::InvalidValue));
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn collect<C: Extract + ?Sized>(c: &C) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        c.for_each_header(|n, v| out.push((n.to_vec(), v.to_vec())));
        out
    }

    #[test]
    fn slices_and_arrays_keep_order_and_repeats() {
        let h = [("tracestate", "a=1"), ("Tracestate", "b=2")];
        let got = collect(&h);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, b"Tracestate");
        let b: &[(&[u8], &[u8])] = &[(b"x", b"\xff")];
        assert_eq!(collect(b)[0].1, b"\xff");
    }

    #[test]
    fn header_block_reads_lines() {
        let blk = HeaderBlock(b"Host: a\r\ntraceparent:  00-x \r\nbogus\n\nafter: no\r\n");
        let got = collect(&blk);
        assert_eq!(
            got,
            [
                (b"Host".to_vec(), b"a".to_vec()),
                (b"traceparent".to_vec(), b"00-x".to_vec())
            ]
        );
    }

    #[test]
    fn headers_replace_and_bound() {
        let mut h = Headers::<2, 8>::new();
        h.set("a", b"1234").unwrap();
        h.set("b", b"56").unwrap();
        assert_eq!(h.set("c", b"x"), Err(CarrierError::Full));
        h.set("a", b"xy").unwrap();
        assert_eq!(h.get("b"), Some(&b"56"[..]));
        assert_eq!(h.get("A"), Some(&b"xy"[..]));
        assert_eq!(h.set("b", b"toolong!!"), Err(CarrierError::Full));
        assert_eq!(
            h.get("b"),
            Some(&b"56"[..]),
            "a failed set leaves the old value"
        );
        assert_eq!(h.len(), 2);
        assert_eq!(h.reserve(1, 0), Err(CarrierError::Full));
    }

    #[cfg(feature = "heapless")]
    #[test]
    fn heapless_vec_carrier() {
        let mut v: heapless::Vec<(&'static str, heapless::Vec<u8, 8>), 2> = heapless::Vec::new();
        v.set("b3", b"0").unwrap();
        v.set("B3", b"1").unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            v.set("x-b3-traceid", b"too long value"),
            Err(CarrierError::Full)
        );
        assert_eq!(collect(&v), [(b"b3".to_vec(), b"1".to_vec())]);
        assert_eq!(v.reserve(2, 0), Err(CarrierError::Full));
    }

    #[cfg(feature = "arrayvec")]
    #[test]
    fn arrayvec_carrier() {
        let mut v: arrayvec::ArrayVec<(&'static str, arrayvec::ArrayVec<u8, 8>), 1> =
            arrayvec::ArrayVec::new();
        v.set("b3", b"0").unwrap();
        v.set("b3", b"d").unwrap();
        assert_eq!(v.set("baggage", b"a=1"), Err(CarrierError::Full));
        assert_eq!(collect(&v), [(b"b3".to_vec(), b"d".to_vec())]);
    }

    #[test]
    fn block_writer_is_bounded() {
        let mut buf = [0u8; 24];
        let mut w = HeaderBlockWriter::new(&mut buf);
        w.set("b3", b"0").unwrap();
        assert_eq!(w.written(), b"b3: 0\r\n");
        assert_eq!(w.set("traceparent", b"00-0000"), Err(CarrierError::Full));
        assert_eq!(w.written(), b"b3: 0\r\n");
    }
}
