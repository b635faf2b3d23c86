//! Carriers: where headers come from ([`Extract`]) and where they go ([`Inject`]).
//!
//! Extraction borrows: a carrier hands out `(name, value)` byte slices that live as long as the
//! carrier, in arrival order, repeats included (`tracestate` and `baggage` may be split over
//! several field lines; a repeated `traceparent` is invalid). Names are matched
//! ASCII-case-insensitively by the caller.
//!
//! Injection writes `&'static str` lowercase names and byte values. The propagator encodes every
//! header into its own fixed buffers first and calls [`Inject::reserve`] before the first
//! [`Inject::set`], so a carrier that implements `reserve` never receives a partial set of
//! headers.

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

/// A raw HTTP/1 header block (`Name: value` lines separated by CRLF or LF) read in place.
/// Lines without a `:` are skipped; values are trimmed of OWS. A blank line ends the block.
#[derive(Clone, Copy, Debug)]
pub struct HeaderBlock<'b>(pub &'b [u8]);

impl Extract for HeaderBlock<'_> {
    fn for_each_header<'a, F: FnMut(&'a [u8], &'a [u8])>(&'a self, mut f: F) {
        for line in crate::wire::list::Split::new(self.0, b'\n') {
            let line = match line {
                [rest @ .., b'\r'] => rest,
                l => l,
            };
            if line.is_empty() {
                break;
            }
            if let (name, Some(value)) = crate::wire::list::split_once(line, b':') {
                f(
                    crate::wire::list::trim_ows(name),
                    crate::wire::list::trim_ows(value),
                );
            }
        }
    }
}

/// An injector that appends `name: value\r\n` lines to a caller's byte buffer (for a request
/// being written on the wire). It appends: use it on a block that holds no trace headers yet.
#[derive(Debug)]
pub struct HeaderBlockWriter<'b> {
    w: crate::wire::buf::Writer<'b>,
}

impl<'b> HeaderBlockWriter<'b> {
    /// Writes into `buf` from its start.
    pub fn new(buf: &'b mut [u8]) -> Self {
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
}

impl Inject for HeaderBlockWriter<'_> {
    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
        let need = name.len() + 2 + value.len() + 2;
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
}

/// A fixed-capacity header list: up to `H` headers whose values share an `N`-byte arena.
/// `set` replaces an existing header of the same name.
#[derive(Clone)]
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

    fn start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1]
        }
    }

    fn used(&self) -> usize {
        if self.count == 0 {
            0
        } else {
            self.ends[self.count - 1]
        }
    }

    /// The `i`-th header.
    pub fn get_index(&self, i: usize) -> Option<(&'static str, &[u8])> {
        if i >= self.count {
            return None;
        }
        Some((self.names[i], &self.arena[self.start(i)..self.ends[i]]))
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

    /// Removes header `name` if present.
    pub fn remove(&mut self, name: &str) {
        while let Some(i) = (0..self.count).find(|&i| self.names[i].eq_ignore_ascii_case(name)) {
            let (s, e) = (self.start(i), self.ends[i]);
            let len = e - s;
            let used = self.used();
            self.arena.copy_within(e..used, s);
            for j in i..self.count - 1 {
                self.names[j] = self.names[j + 1];
                self.ends[j] = self.ends[j + 1] - len;
            }
            self.count -= 1;
        }
    }
}

impl<const H: usize, const N: usize> Inject for Headers<H, N> {
    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
        // Check room as if the old value were already gone, so a failed set changes nothing.
        // Names are lowercase by this trait's contract, so plain equality finds a repeat.
        let existing = (0..self.count).find(|&i| self.names[i] == name);
        let old = existing.map_or(0, |i| self.ends[i] - self.start(i));
        if (existing.is_none() && self.count >= H) || self.used() - old + value.len() > N {
            return Err(CarrierError::Full);
        }
        if existing.is_some() {
            self.remove(name);
        }
        let s = self.used();
        self.arena[s..s + value.len()].copy_from_slice(value);
        self.names[self.count] = name;
        self.ends[self.count] = s + value.len();
        self.count += 1;
        Ok(())
    }

    fn reserve(&mut self, headers: usize, bytes: usize) -> Result<(), CarrierError> {
        if self.count.saturating_add(headers) > H || self.used().saturating_add(bytes) > N {
            Err(CarrierError::Full)
        } else {
            Ok(())
        }
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

/// An injector made of a closure.
pub struct FnInjector<F>(pub F);

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
    }
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
    }
}

#[cfg(feature = "http")]
mod http_impls {
    use super::*;

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
    impl Inject for http::HeaderMap {
        fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
            let v = http::HeaderValue::from_bytes(value).map_err(|_| CarrierError::InvalidValue)?;
            self.insert(http::HeaderName::from_static(name), v);
            Ok(())
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
