#![no_main]
//! Forward mode from every carrier into every carrier: the same headers come out whatever the
//! source carrier, every value is a valid field value, and an error leaves the target as it was.
use libfuzzer_sys::fuzz_target;
use tracewire::carrier::{HeaderBlock, HeaderBlockWriter, Headers, Inject, StripSet};
use tracewire::config::{Config, Style, StyleSet};
use tracewire::propagate::{self, InjectBuffers, STAGE_LEN};
use tracewire::transport::sqs::{JsonObject, JsonObjectWriter};
use tracewire::SpanId;

fn field_value_ok(v: &[u8]) -> bool {
    !v.is_empty()
        && !matches!(v[0], b' ' | b'\t')
        && !matches!(v[v.len() - 1], b' ' | b'\t')
        && v.iter().all(|&b| (0x20..=0x7e).contains(&b) || b == b'\t')
}

fuzz_target!(|data: &[u8]| {
    let [sel, size, rest @ ..] = data else { return };
    let mut styles = StyleSet::EMPTY;
    for (i, s) in Style::ALL.iter().enumerate() {
        if sel & (1 << i) != 0 {
            styles = styles.with(*s);
        }
    }
    let cfg = Config::new().with_styles(styles);
    let span = SpanId::new(0x2a).unwrap();
    let pairs: Vec<(&[u8], &[u8])> = rest
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let i = l.iter().position(|&b| b == b':')?;
            Some((&l[..i], &l[i + 1..]))
        })
        .collect();

    // From a slice of pairs: the reference output.
    let mut want = Headers::<16, 16384>::new();
    let r = propagate::forward(pairs.as_slice(), span, &cfg, &mut want).expect("room enough");
    assert_eq!(r.inject.refused, 0);
    for (n, v) in want.iter() {
        assert!(field_value_ok(v), "{n}: {v:?}");
    }
    let want: Vec<(&str, Vec<u8>)> = want.iter().map(|(n, v)| (n, v.to_vec())).collect();

    // The same pairs as a raw header block (only when each line is one the block reads as is).
    let block_ok = pairs.iter().all(|(n, v)| {
        !n.is_empty()
            && n.iter().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
            && !v.iter().any(|&b| b == b'\r' || b == b'\n')
            && v.first().is_none_or(|&b| b != b' ' && b != b'\t')
            && v.last().is_none_or(|&b| b != b' ' && b != b'\t')
    });
    if block_ok {
        let mut text = Vec::new();
        for (n, v) in &pairs {
            text.extend_from_slice(n);
            text.extend_from_slice(b": ");
            text.extend_from_slice(v);
            text.extend_from_slice(b"\r\n");
        }
        let mut got = Headers::<16, 16384>::new();
        propagate::forward(&HeaderBlock(&text), span, &cfg, &mut got).expect("room enough");
        let got: Vec<(&str, Vec<u8>)> = got.iter().map(|(n, v)| (n, v.to_vec())).collect();
        assert_eq!(got, want, "header block");
    }

    // heapless and arrayvec sources.
    if pairs.len() <= 16 {
        let hv: heapless::Vec<(&[u8], &[u8]), 16> = heapless::Vec::from_slice(&pairs).unwrap();
        let mut got = Headers::<16, 16384>::new();
        propagate::forward(&hv, span, &cfg, &mut got).expect("room enough");
        assert_eq!(got.iter().count(), want.len());
        let av: arrayvec::ArrayVec<(&[u8], &[u8]), 16> = pairs.iter().copied().collect();
        let mut got = Headers::<16, 16384>::new();
        propagate::forward(&av, span, &cfg, &mut got).expect("room enough");
        assert_eq!(got.iter().count(), want.len());
    }

    // Into every carrier: all or nothing, and the same headers when it fits.
    let cap = usize::from(*size) * 8;
    let mut buf = vec![0u8; cap];
    let mut w = HeaderBlockWriter::new(&mut buf);
    match propagate::forward(pairs.as_slice(), span, &cfg, &mut w) {
        Ok(r) => assert_eq!(r.headers, want.len()),
        Err(_) => assert!(w.written().is_empty(), "partial header block"),
    }
    let mut buf = vec![0u8; cap];
    let mut j = JsonObjectWriter::new(&mut buf);
    let ok = propagate::forward(pairs.as_slice(), span, &cfg, &mut j).is_ok();
    match j.finish() {
        Some(json) if ok => {
            assert!(std::str::from_utf8(json).is_ok());
            let mut back = Headers::<16, 16384>::new();
            propagate::forward(&JsonObject(json), span, &cfg, &mut back).expect("room enough");
        }
        Some(json) => assert_eq!(json, b"{}", "partial JSON object"),
        None => assert!(!ok || want.is_empty()),
    }
    let mut hv: heapless::Vec<(&'static str, heapless::Vec<u8, 64>), 4> = heapless::Vec::new();
    if propagate::forward(pairs.as_slice(), span, &cfg, &mut hv).is_err() {
        assert!(hv.is_empty(), "partial heapless vec");
    }
    let mut av: arrayvec::ArrayVec<(&'static str, arrayvec::ArrayVec<u8, 64>), 4> =
        arrayvec::ArrayVec::new();
    if propagate::forward(pairs.as_slice(), span, &cfg, &mut av).is_err() {
        assert!(av.is_empty(), "partial arrayvec");
    }
    let mut map = http::HeaderMap::new();
    propagate::forward(pairs.as_slice(), span, &cfg, &mut map).expect("a HeaderMap takes every valid value");
    assert_eq!(map.len(), want.len());
    // In place: the request's own headers, stripped and rewritten; and a raw block rewritten.
    let mut req = Headers::<16, 16384>::new();
    for (n, v) in &pairs {
        if let Some(name) = tracewire::wire::name::ALL.iter().find(|x| x.as_bytes().eq_ignore_ascii_case(n)) {
            let _ = req.set(name, v);
        }
    }
    // Room for every header at its limit, so that forwarding in place succeeds whenever the
    // carrier takes the headers (the default 1 KiB would make long inputs `Full`).
    let mut bufs = Box::new(InjectBuffers::<STAGE_LEN>::with_capacity());
    let strip = StripSet::for_config(&cfg);
    let before: Vec<(&str, Vec<u8>)> = req.iter().map(|(n, v)| (n, v.to_vec())).collect();
    match propagate::forward_in_place(&mut bufs, &mut req, span, &cfg, strip) {
        Ok(_) => {
            for (n, v) in req.iter() {
                assert!(field_value_ok(v) || !strip.contains(n), "{n}: {v:?}");
            }
        }
        Err(_) => {
            let after: Vec<(&str, Vec<u8>)> = req.iter().map(|(n, v)| (n, v.to_vec())).collect();
            assert_eq!(after, before, "an error leaves the request as it was");
        }
    }
    if propagate::continue_in_place(&mut bufs, &mut req, &cfg, strip, |_| span).is_ok() {
        for (n, v) in req.iter() {
            assert!(field_value_ok(v) || !strip.contains(n), "{n}: {v:?}");
        }
    }
    let mut text = Vec::new();
    for (n, v) in &pairs {
        text.extend_from_slice(n);
        text.extend_from_slice(b": ");
        text.extend_from_slice(v);
        text.extend_from_slice(b"\r\n");
    }
    let mut out = vec![0u8; cap * 4];
    if let Ok((n, _)) = propagate::continue_block(&text, &mut out, &cfg, strip, |_| span) {
        assert!(n <= out.len());
    }

    let mut small = Headers::<4, 256>::new();
    if propagate::forward(pairs.as_slice(), span, &cfg, &mut small).is_err() {
        assert!(small.is_empty(), "partial Headers");
    }
});
