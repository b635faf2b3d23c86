//! Errors shared by every layer. Each format module has its own error enum naming what was wrong
//! with the input; they never carry the input bytes themselves, only kinds and positions.

use core::fmt;

/// An output buffer or carrier ran out of room. Nothing partial was handed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall;

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("output buffer too small")
    }
}

impl core::error::Error for BufferTooSmall {}
