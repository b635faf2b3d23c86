//! Bounded writing: [`Writer`] over a caller's `&mut [u8]`, and [`ArrayBuf`], a const-generic
//! stack buffer. Running out of room is [`BufferTooSmall`], never a panic; a failed write leaves
//! the bytes written before it untouched and the length unchanged.

use crate::error::BufferTooSmall;

/// Appends into a borrowed byte slice.
///
/// A writer made by [`Writer::with_capacity`] has a capacity of its own, which may be larger
/// than the slice: it then behaves exactly as a writer over a slice of that capacity would
/// (same lengths, same `remaining`, same errors), but the bytes past the end of the real
/// slice are not stored and [`Writer::overflowed`] says so. That is how an encoder with a size
/// limit writes straight into a carrier's free room and learns, in the same pass, whether its
/// output would have fitted there.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    cap: usize,
    /// The first position whose byte was not stored (`usize::MAX`: none).
    lost_from: usize,
}

impl<'b> Writer<'b> {
    /// A writer at the start of `buf`.
    #[inline]
    pub const fn new(buf: &'b mut [u8]) -> Self {
        let cap = buf.len();
        Self::with_capacity(buf, cap)
    }

    /// A writer at the start of `buf` that accepts up to `cap` bytes whatever the length of
    /// `buf`; bytes past the end of `buf` are counted, not stored (see [`Writer::overflowed`]).
    #[inline]
    pub const fn with_capacity(buf: &'b mut [u8], cap: usize) -> Self {
        Writer {
            buf,
            len: 0,
            cap,
            lost_from: usize::MAX,
        }
    }

    /// True when a byte of the written length was not stored (it was written past the end of
    /// the real slice): the written bytes are then incomplete, and only the length is right.
    /// Truncating below the first such byte makes the writer whole again.
    #[inline]
    pub fn overflowed(&self) -> bool {
        self.lost_from < self.len
    }

    /// Appends `bytes`, all or nothing.
    #[inline]
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let end = self.len.checked_add(bytes.len()).ok_or(BufferTooSmall)?;
        if end > self.cap {
            return Err(BufferTooSmall);
        }
        match self.buf.get_mut(self.len..end) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => self.lost_from = self.lost_from.min(self.len),
        }
        self.len = end;
        Ok(())
    }

    /// Appends one byte.
    #[inline]
    pub fn push_byte(&mut self, b: u8) -> Result<(), BufferTooSmall> {
        if self.len >= self.cap {
            return Err(BufferTooSmall);
        }
        match self.buf.get_mut(self.len) {
            Some(slot) => *slot = b,
            None => self.lost_from = self.lost_from.min(self.len),
        }
        // Below the capacity, so no wrap: `wrapping_add` keeps the proof free of an overflow
        // check the optimiser cannot remove.
        self.len = self.len.wrapping_add(1);
        Ok(())
    }

    /// Bytes written so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.cap.saturating_sub(self.len)
    }

    /// Forgets everything written after `len` (a rollback to an earlier [`Writer::len`]).
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
        }
        if len <= self.lost_from {
            self.lost_from = usize::MAX;
        }
    }

    /// The free room of the slice that starts `skip` bytes past the written length and leaves
    /// `keep` bytes at the end (empty when there is not that much room): where a carrier lets
    /// an encoder write a value it will frame afterwards.
    #[inline]
    pub(crate) fn room_after(&mut self, skip: usize, keep: usize) -> &mut [u8] {
        let end = self.buf.len().saturating_sub(keep);
        match self.len.checked_add(skip) {
            Some(start) if start <= end => self.buf.get_mut(start..end).unwrap_or(&mut []),
            _ => &mut [],
        }
    }

    /// Copies `bytes` to `off` bytes past the written length without moving it (the framing
    /// in front of a value written by [`Writer::room_after`]).
    #[inline]
    pub(crate) fn write_ahead(&mut self, off: usize, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let start = self.len.checked_add(off).ok_or(BufferTooSmall)?;
        let end = start.checked_add(bytes.len()).ok_or(BufferTooSmall)?;
        let dst = self.buf.get_mut(start..end).ok_or(BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        Ok(())
    }

    /// Takes the next `n` bytes, already written in place, as written.
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) -> Result<(), BufferTooSmall> {
        let end = self.len.checked_add(n).ok_or(BufferTooSmall)?;
        if end > self.buf.len() || end > self.cap {
            return Err(BufferTooSmall);
        }
        self.len = end;
        Ok(())
    }

    /// The bytes from `start` to `start + len` of the slice, written or not.
    #[inline]
    pub(crate) fn slice_mut(&mut self, start: usize, len: usize) -> Option<&mut [u8]> {
        let end = start.checked_add(len)?;
        self.buf.get_mut(start..end)
    }

    /// A writer for a part of at most `cap` bytes that follows what this one has written: the
    /// part's bytes land in this writer's free room (counted, not stored, past its end), and
    /// [`Writer::absorb`] then takes them as written here. An encoder with a limit of its own
    /// writes into the middle of a value this way, without a buffer of its own.
    #[inline]
    pub(crate) fn part(&mut self, cap: usize) -> Writer<'_> {
        let room = match self.buf.get_mut(self.len..) {
            Some(room) => room,
            None => &mut [],
        };
        Writer::with_capacity(room, cap)
    }

    /// The part's written length and the position of its first byte that was not stored
    /// (`usize::MAX`: none), for [`Writer::absorb`].
    #[inline]
    pub(crate) fn part_result(&self) -> (usize, usize) {
        (self.len, self.lost_from)
    }

    /// Takes the first `len` bytes written by a [`Writer::part`] as written (`lost_from`: where
    /// the part stopped storing bytes, from [`Writer::part_result`]). Fails, changing nothing,
    /// when they do not fit this writer's capacity.
    #[inline]
    pub(crate) fn absorb(&mut self, len: usize, lost_from: usize) -> Result<(), BufferTooSmall> {
        let end = self.len.checked_add(len).ok_or(BufferTooSmall)?;
        if end > self.cap {
            return Err(BufferTooSmall);
        }
        if lost_from < len {
            self.lost_from = self.lost_from.min(self.len.saturating_add(lost_from));
        }
        self.len = end;
        Ok(())
    }

    /// The written bytes.
    #[inline]
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Consumes the writer, returning the written bytes with the buffer's lifetime.
    #[inline]
    pub fn into_written(self) -> &'b [u8] {
        let Writer { buf, len, .. } = self;
        buf.get(..len).unwrap_or(&[])
    }
}

/// A fixed-capacity byte buffer on the stack.
#[derive(Clone, Copy)]
pub struct ArrayBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for ArrayBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ArrayBuf<N> {
    /// An empty buffer.
    #[inline]
    pub const fn new() -> Self {
        ArrayBuf {
            buf: [0; N],
            len: 0,
        }
    }

    /// Capacity in bytes.
    pub const CAPACITY: usize = N;

    pub(crate) const fn into_parts(self) -> ([u8; N], usize) {
        (self.buf, self.len)
    }

    pub(crate) const fn from_parts(buf: [u8; N], len: usize) -> Self {
        ArrayBuf { buf, len }
    }

    /// A [`Writer`] positioned at the end of the written bytes.
    #[inline]
    fn writer(&mut self) -> Writer<'_> {
        Writer {
            buf: &mut self.buf,
            len: self.len,
            cap: N,
            lost_from: usize::MAX,
        }
    }

    /// Appends `bytes`, all or nothing.
    #[inline]
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let mut w = self.writer();
        w.push(bytes)?;
        self.len = w.len;
        Ok(())
    }

    /// Appends one byte.
    #[inline]
    pub fn push_byte(&mut self, b: u8) -> Result<(), BufferTooSmall> {
        let mut w = self.writer();
        w.push_byte(b)?;
        self.len = w.len;
        Ok(())
    }

    /// Empties the buffer.
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Forgets everything after `len`.
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
        }
    }

    /// Bytes written.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The written bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The written bytes as text, if they are UTF-8 (everything tracewire writes is ASCII).
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes()).ok()
    }

    /// A [`Writer`] over the unused tail; call [`ArrayBuf::commit`] with its length afterwards.
    #[inline]
    pub fn spare(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.len..).unwrap_or(&mut [])
    }

    /// Marks `n` more bytes (written through [`ArrayBuf::spare`]) as used.
    #[inline]
    pub fn commit(&mut self, n: usize) {
        self.len = self.len.saturating_add(n).min(N);
    }
}

impl<const N: usize> core::fmt::Debug for ArrayBuf<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::wire::fmt_bytes(self.as_bytes(), f)
    }
}

impl<const N: usize> PartialEq for ArrayBuf<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl<const N: usize> Eq for ArrayBuf<N> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_is_all_or_nothing() {
        let mut b = [0u8; 4];
        let mut w = Writer::new(&mut b);
        w.push(b"abc").unwrap();
        assert_eq!(w.push(b"de"), Err(BufferTooSmall));
        assert_eq!(w.written(), b"abc");
        w.push_byte(b'd').unwrap();
        assert_eq!(w.push_byte(b'e'), Err(BufferTooSmall));
        w.truncate(1);
        assert_eq!(w.into_written(), b"a");
    }

    #[test]
    fn writer_with_a_larger_capacity_counts_what_it_cannot_store() {
        let mut b = [0u8; 4];
        let mut w = Writer::with_capacity(&mut b, 6);
        w.push(b"ab").unwrap();
        assert!(!w.overflowed());
        w.push(b"cde").unwrap(); // 2..5: past the slice, counted
        assert_eq!((w.len(), w.remaining(), w.overflowed()), (5, 1, true));
        assert_eq!(
            w.push(b"fg"),
            Err(BufferTooSmall),
            "the capacity still holds"
        );
        w.push_byte(b'f').unwrap();
        assert_eq!(w.push_byte(b'g'), Err(BufferTooSmall));
        w.truncate(3);
        assert!(w.overflowed(), "byte 2 was never stored");
        w.truncate(2);
        assert!(!w.overflowed());
        assert_eq!(w.written(), b"ab");
        w.push(b"cd").unwrap();
        assert_eq!((w.written(), w.overflowed()), (&b"abcd"[..], false));
    }

    #[test]
    fn a_part_lands_in_the_room_and_is_absorbed() {
        // Room for everything: the part's bytes are the writer's next bytes.
        let mut buf = [0u8; 16];
        let mut w = Writer::new(&mut buf);
        w.push(b"ab").unwrap();
        let (len, lost) = {
            let mut p = w.part(4);
            p.push(b"cde").unwrap();
            assert!(p.push(b"fg").is_err(), "the part's own cap");
            p.part_result()
        };
        w.absorb(len, lost).unwrap();
        w.push(b",z").unwrap();
        assert_eq!(w.written(), b"abcde,z");
        assert!(!w.overflowed());

        // Less room than the part's cap: counted, not stored, and the writer says so.
        let mut buf = [0u8; 4];
        let mut w = Writer::with_capacity(&mut buf, 10);
        w.push(b"ab").unwrap();
        let (len, lost) = {
            let mut p = w.part(6);
            p.push(b"cdef").unwrap();
            p.part_result()
        };
        w.absorb(len, lost).unwrap();
        assert_eq!(w.len(), 6);
        assert!(w.overflowed());
        // The part's one push did not fit its room whole, so none of it was stored: the
        // writer is whole again only below it.
        w.truncate(4);
        assert!(w.overflowed());
        w.truncate(2);
        assert!(!w.overflowed(), "the stored bytes are whole again");
        assert_eq!(w.written(), b"ab");

        // A part longer than what is left of the writer's capacity is refused.
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        w.push(b"abcdef").unwrap();
        let (len, lost) = {
            let mut p = w.part(4);
            p.push(b"wxyz").unwrap();
            p.part_result()
        };
        assert!(w.absorb(len, lost).is_err());
        assert_eq!(w.written(), b"abcdef");
    }

    #[test]
    fn array_buf_bounds() {
        let mut a = ArrayBuf::<3>::new();
        a.push(b"ab").unwrap();
        assert!(a.push(b"cd").is_err());
        assert_eq!(a.as_str(), Some("ab"));
    }
}
