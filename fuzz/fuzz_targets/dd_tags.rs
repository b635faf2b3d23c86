#![no_main]
//! x-datadog-tags: the first byte picks the limit; what parses re-encodes within the limit, and
//! a one-line header reads the same when it arrives cut into two field lines at its first comma
//! (the one-line read may take the short path for the usual header; two lines always take the
//! pair reader).
use libfuzzer_sys::fuzz_target;
use tracewire::format::dd_tags::{self, Tid};
use tracewire::wire::buf::Writer;
use tracewire::wire::list::Fields;

fuzz_target!(|data: &[u8]| {
    let Some((&lim, rest)) = data.split_first() else { return };
    let max = usize::from(lim) * 4;
    let mut f = Fields::default();
    for line in rest.split(|&b| b == 0xff) {
        f.push(line);
    }
    if let ([line], Some(comma)) = (f.as_slice(), rest.iter().position(|&b| b == b',')) {
        let (a, b) = (&line[..comma], &line[comma + 1..]);
        let mut two = Fields::default();
        two.push(a);
        two.push(b);
        if two.as_slice().len() == 2 {
            let (one, two) = (dd_tags::parse(&f, max), dd_tags::parse(&two, max));
            match (&one, &two) {
                (Ok(x), Ok(y)) => {
                    assert_eq!(x.tid_raw(), y.tid_raw());
                    assert_eq!(x.dm(), y.dm());
                    assert_eq!(x.has_other_tags(), y.has_other_tags());
                    assert!(x.iter().eq(y.iter()));
                }
                (Err(_), Err(_)) => {}
                _ => panic!("one line {one:?}, two lines {two:?}"),
            }
        }
    }
    if let Ok(t) = dd_tags::parse(&f, max) {
        let high = match t.tid() {
            Tid::Valid(h) => h,
            _ => 0,
        };
        let dm = t.dm().and_then(Result::ok);
        let mut buf = [0u8; dd_tags::MAX_LEN];
        let mut w = Writer::new(&mut buf);
        if let Ok(n) = dd_tags::encode(dm, high, t.iter(), max, &mut w) {
            assert!(n <= max.min(dd_tags::MAX_LEN));
            let out = w.written();
            if !out.is_empty() {
                dd_tags::parse(&Fields::one(out), max).expect("own output parses");
            }
        }
    }
});
