#![no_main]
//! baggage: field lines split at 0xff; the first byte scales the limits. Work stays bounded,
//! members decode, re-encoding what was read gives baggage that reads back, and a single line
//! reads as the same list cut into two field lines (the short path against the general reader).
use libfuzzer_sys::fuzz_target;
use tracewire::format::baggage::{self, Limits};
use tracewire::wire::buf::Writer;
use tracewire::wire::list::Fields;

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else { return };
    let limits = Limits { max_items: usize::from(k % 80), max_bytes: usize::from(k) * 40 };
    let mut f = Fields::default();
    for line in rest.split(|&b| b == 0xff) {
        f.push(line);
    }
    let parsed = baggage::parse(&f, limits);
    // One line against the same list as two field lines, cut at its first `,`: the combined
    // list is the same, but only a single line can take the short path, so this compares it
    // with the general reader.
    if let [line] = f.as_slice() {
        let at = line.iter().position(|&b| b == b',');
        if let Some(at) = at.filter(|_| line.len() <= baggage::MAX_LINE_LEN) {
            let mut two = Fields::default();
            two.push(&line[..at]);
            two.push(&line[at + 1..]);
            let by_two = baggage::parse(&two, limits);
            match (&parsed, &by_two) {
                (Ok(a), Ok(b)) => {
                    assert_eq!((a.len(), a.truncated()), (b.len(), b.truncated()));
                    assert!(a.members().eq(b.members()), "one line and two read differently");
                    // And re-send the same bytes (the view's canonical flag decides whether the
                    // lines are copied or the members written again).
                    let (mut x, mut y) = ([0u8; 255 * 40], [0u8; 255 * 40]);
                    let (mut wx, mut wy) = (Writer::new(&mut x), Writer::new(&mut y));
                    assert_eq!(
                        baggage::encode_raw(a, limits, &mut wx),
                        baggage::encode_raw(b, limits, &mut wy)
                    );
                    assert_eq!(wx.written(), wy.written(), "one line and two re-send differently");
                }
                (a, b) => assert_eq!(a.as_ref().err(), b.as_ref().err(), "{a:?} / {b:?}"),
            }
        }
    }
    if let Ok(b) = parsed {
        assert!(b.len() <= limits.max_items);
        let mut dec = [0u8; 3 * 8192];
        for m in b.members() {
            let mut w = Writer::new(&mut dec);
            m.decode_key(&mut w).unwrap();
            m.decode_value(&mut w).unwrap();
            let _ = m.properties().count();
        }
        // Room for the largest byte limit this target sets (255 * 40), not just the library's
        // 8,192-byte ceiling: `encode_raw` is checked against the limits it is given.
        let mut out = [0u8; 255 * 40];
        let mut w = Writer::new(&mut out);
        let dropped = baggage::encode_raw(&b, limits, &mut w);
        assert_eq!(dropped, Ok(0), "what was accepted under the limits re-encodes under them");
        let written = w.written();
        let lines = Fields::one(written);
        let again = baggage::parse(&lines, limits).expect("own output parses");
        assert_eq!(again.len(), b.len());
    }
});
