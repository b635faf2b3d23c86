//! Stack painting shared by the probe's binaries (a CI-only measuring tool: `unsafe` here reads
//! this thread's own stack, never in the library).

use std::hint::black_box;

const PAINT: usize = 96 * 1024;

/// `ceiling` scaled by `FOOTPRINT_CEILING_PERCENT` (100 when unset).
pub fn ceiling_of<T: TryFrom<u128> + Into<u128> + Copy>(ceiling: T) -> T {
    let pct: u128 = std::env::var("FOOTPRINT_CEILING_PERCENT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    T::try_from(ceiling.into() * pct / 100).unwrap_or(ceiling)
}
const PATTERN: u8 = 0xa5;

/// Fills a frame of `PAINT` bytes with the pattern; returns its lowest address.
#[inline(never)]
fn paint() -> usize {
    let mut buf = [PATTERN; PAINT];
    black_box(&mut buf);
    buf.as_ptr() as usize
}

/// The deepest stack byte `f` wrote, in bytes below the caller's frame.
#[inline(never)]
pub fn peak(f: &dyn Fn()) -> usize {
    let marker = 0u8;
    let top = black_box(&marker) as *const u8 as usize;
    let low = paint();
    f();
    (low..top)
        .find(|&a| {
            // SAFETY: `low..top` is this thread's own stack between the painted frame's lowest
            // byte and this frame; it is mapped and nothing else writes it concurrently. The
            // bytes are read as plain `u8`s after the calls that wrote them returned.
            unsafe { std::ptr::read_volatile(a as *const u8) != PATTERN }
        })
        .map_or(0, |a| top - a)
}

/// The headers of a bench input (`name: value` lines).
pub fn headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}
