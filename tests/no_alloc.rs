//! Zero allocations: a counting global allocator around extract and inject for every style on
//! every bench input (benches/inputs/), and around the format
//! parsers and encoders.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tracewire::carrier::Headers;
use tracewire::config::{Config, Style, StyleSet};
use tracewire::propagate::{self, BaggageOut};
use tracewire::SpanId;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCS.load(Ordering::SeqCst);
    let r = f();
    (r, ALLOCS.load(Ordering::SeqCst) - before)
}

fn inputs() -> Vec<(String, Vec<(String, String)>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/inputs");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let headers = text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        out.push((
            p.file_name().unwrap().to_string_lossy().into_owned(),
            headers,
        ));
    }
    out.sort();
    assert!(out.len() >= 8, "bench inputs present");
    out
}

// One test only: the counter is global, and tests in one binary run on parallel threads.
#[test]
fn extract_and_inject_never_allocate() {
    let mut configs = vec![("default", Config::new())];
    for s in [
        Style::Datadog,
        Style::TraceContext,
        Style::B3Single,
        Style::B3Multi,
        Style::XRay,
        Style::Baggage,
    ] {
        configs.push((s.name(), Config::new().with_styles(StyleSet::EMPTY.with(s))));
    }
    // The bench's X-Ray header is a genuine AWS root: accept it as a 128-bit id.
    configs[5].1 = configs[5].1.clone().with_xray_128bit_roots(true);
    let all = StyleSet::from_styles(&Style::ALL);
    configs.push((
        "all",
        Config::new().with_styles(all).with_xray_128bit_roots(true),
    ));
    let child = SpanId::new(0x2a).unwrap();
    for (file, headers) in inputs() {
        let carrier: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        for (name, cfg) in &configs {
            let mut out = Box::new(Headers::<16, 16384>::new());
            let ((found, written), n) = allocations(|| {
                let mut slots = propagate::Slots::new();
                let ex = propagate::extract(carrier.as_slice(), cfg, &mut slots);
                let ctx = ex.context.map(|c| c.child(child));
                let bag = ex
                    .baggage
                    .as_ref()
                    .map_or(BaggageOut::None, BaggageOut::Extracted);
                let r = propagate::inject(ctx.as_ref(), bag, cfg, out.as_mut());
                (ex.context.is_some(), r.map(|r| r.headers).unwrap_or(0))
            });
            assert_eq!(n, 0, "{file} under {name}: {n} allocations");
            // Each file carries one style's headers: that style (and "all") must find the trace.
            let own = match file.as_str() {
                "b3-multi.txt" => "b3multi",
                "b3-single.txt" => "b3",
                "default.txt" => "default",
                f => f.trim_end_matches(".txt"),
            };
            if (*name == own || *name == "all") && !matches!(own, "none" | "baggage") {
                assert!(found, "{file} under {name}: a context was expected");
                assert!(written > 0, "{file} under {name}: headers were expected");
            }
        }
    }
    // Strip and in-place continue, in a fixed carrier holding every bench input, and into a
    // second buffer for a raw header block; forward in place too.
    let mut bufs = Box::new(propagate::InjectBuffers::new());
    for (file, headers) in inputs() {
        let mut carrier = Box::new(Headers::<32, 16384>::new());
        let mut block = Vec::new();
        for (n, v) in &headers {
            if let Some(name) = tracewire::wire::name::ALL
                .iter()
                .find(|x| x.eq_ignore_ascii_case(n))
            {
                let _ = tracewire::carrier::Inject::set(carrier.as_mut(), name, v.as_bytes());
            }
            block.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        let mut out = vec![0u8; 32 * 1024];
        let cfg = Config::new();
        let strip = tracewire::carrier::StripSet::for_config(&cfg);
        let (r, n) = allocations(|| {
            let a =
                propagate::continue_in_place(bufs.as_mut(), carrier.as_mut(), &cfg, strip, |_| {
                    child
                });
            let b = propagate::continue_block(&block, &mut out, &cfg, strip, |_| child);
            let c =
                propagate::forward_in_place(bufs.as_mut(), carrier.as_mut(), child, &cfg, strip);
            (a.is_ok(), b.is_ok(), c.is_ok())
        });
        assert_eq!(n, 0, "{file}: {n} allocations in strip / in-place continue");
        assert_eq!(r, (true, true, true), "{file}");
    }
    // The format layer on its own.
    let (_, n) = allocations(|| {
        let tp = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let p = tracewire::format::traceparent::parse(tp).unwrap();
        let mut buf = [0u8; 55];
        p.encode(&mut tracewire::wire::buf::Writer::new(&mut buf))
            .unwrap();
        let f = tracewire::wire::list::Fields::one(b"user.id=amy,session.id=abc%20123");
        let b = tracewire::format::baggage::parse(&f, Default::default()).unwrap();
        let mut out = [0u8; 256];
        let mut w = tracewire::wire::buf::Writer::new(&mut out);
        for m in b.members() {
            m.decode_value(&mut w).unwrap();
        }
    });
    assert_eq!(n, 0);
}
