//! Bounded writing: [`Writer`] over a caller's `&mut [u8]`, and [`ArrayBuf`], a const-generic
//! stack buffer. Running out of room is [`BufferTooSmall`], never a panic; a failed write leaves
//! the bytes written before it untouched and the length unchanged.

use crate::error::BufferTooSmall;

/// Appends into a borrowed byte slice.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    /// A writer at the start of `buf`.
    #[inline]
    pub const fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    /// Appends `bytes`, all or nothing.
    #[inline]
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let end = self.len.checked_add(bytes.len()).ok_or(BufferTooSmall)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// Appends one byte.
    #[inline]
    pub fn push_byte(&mut self, b: u8) -> Result<(), BufferTooSmall> {
        let slot = self.buf.get_mut(self.len).ok_or(BufferTooSmall)?;
        *slot = b;
        // Below the buffer's length, so no wrap: `wrapping_add` keeps the proof free of an
        // overflow check the optimiser cannot remove.
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
        self.buf.len().saturating_sub(self.len)
    }

    /// Forgets everything written after `len` (a rollback to an earlier [`Writer::len`]).
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
        }
    }

    /// The written bytes.
    #[inline]
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Consumes the writer, returning the written bytes with the buffer's lifetime.
    #[inline]
    pub fn into_written(self) -> &'b [u8] {
        let Writer { buf, len } = self;
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
    fn array_buf_bounds() {
        let mut a = ArrayBuf::<3>::new();
        a.push(b"ab").unwrap();
        assert!(a.push(b"cd").is_err());
        assert_eq!(a.as_str(), Some("ab"));
    }
}
