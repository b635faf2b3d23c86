//! The differential check: random header sets through an earlier tracewire (`old`) and this one
//! (`new`), every result compared as text, for changes meant to keep behaviour (a refactor for
//! speed or stack). Run by `bash .ci/differential/run.sh [REV [SETS]]`.
//!
//! Each set is up to eight trace headers, each with a value usually meant for its name (valid,
//! broken, empty) and otherwise any of the others, under a random style order, behaviour and
//! extract-first setting. Compared for each set: the `Extracted` (its `Debug` text); injection
//! of the child span and of the extracted context itself into a carrier that takes whole
//! values, and into `Headers` with room for everything and with room that runs out; forward mode into both kinds of carrier; and, every
//! fiftieth set, injection with 3,000 bytes of baggage (the staged path's fallback). Exits 1 at
//! the first difference, printing the input.

use std::fmt::Debug;

const NAMES: [&str; 15] = [
    "traceparent",
    "tracestate",
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "x-datadog-origin",
    "x-datadog-tags",
    "b3",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-sampled",
    "x-b3-flags",
    "x-amzn-trace-id",
    "baggage",
    "host",
];

const VALUES: [&str; 33] = [
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    "00-00000000000000000000000000000001-0000000000000002-01",
    "dd=s:2;o:rum;p:00f067aa0ba902b7;t.dm:-4;t.tid:4bf92f3577b34da6,foo=bar",
    "foo=bar,dd=s:-1;t.tid:xyz",
    "5764164587297474550",
    "1",
    "2",
    "-1",
    "0",
    "rum",
    "synthetics",
    "_dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6",
    "_dd.p.tid=zz",
    "_dd.p.dm=x,_dd.p.usr=1",
    "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
    "0",
    "d",
    "80f198ee56343ba864fe8b2a57d3eff7",
    "e457b5a2e4d86bd1",
    "true",
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "k=v,k2=v2;p",
    "user.id=amy,session.id=abc%20123,account.id=42;prop=1",
    " k = v ; p = 1 ,k2=v2",
    "k=v,",
    "k=v\u{e9},k2=a b",
    "a=1,,b=2",
    "k=v;p;q=2=3,k2=\"x\"",
    "",
    " ",
    ",",
    "a,b",
];

/// The `tracestate` values: the two of [`VALUES`] and lists that take the member-by-member
/// encoder and the selection (more than 32 members, more than 4,096 bytes, repeated keys,
/// white space and invalid items).
fn tracestates() -> &'static [&'static str] {
    static POOL: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let many: Vec<String> = (0..40).map(|i| format!("k{i}=v{i}")).collect();
        let long: Vec<String> = (0..20)
            .map(|i| format!("l{i}={}", "x".repeat(200 + i)))
            .collect();
        vec![
            VALUES[3],
            VALUES[4],
            leak(many.join(",")),
            leak(format!(
                "dd=s:1;p:0000000000000001,{},short=1",
                long.join(",")
            )),
            leak(" a=1 ,,a=2, bad key=3 ,b=2,dd=s:2 , c=3,b=4".to_string()),
            leak(format!("{},dd=s:0", many[..20].join(" , "))),
        ]
    })
}

/// The values usually given to header `i` of [`NAMES`].
fn pool(i: usize) -> &'static [&'static str] {
    let r = match i {
        0 => 0..3,
        1 => return tracestates(),
        2 | 3 => 5..7,
        4 => 6..10,
        5 => 10..12,
        6 => 12..15,
        7 => 15..18,
        8 => 18..19,
        9 => 19..20,
        10 => 16..21,
        11 => 6..7,
        12 => 21..22,
        13 => 22..29,
        _ => 29..33,
    };
    &VALUES[r]
}

const STYLES: [&str; 9] = [
    "datadog,tracecontext,baggage",
    "tracecontext,datadog",
    "b3,datadog,tracecontext",
    "b3multi",
    "xray,datadog",
    "tracecontext",
    "datadog",
    "b3multi,b3,xray,tracecontext,datadog",
    "none",
];

const BEHAVIOURS: [&str; 3] = ["continue", "restart", "ignore"];

/// Fails the run when the two sides differ.
fn same(what: &str, input: &dyn Debug, old: String, new: String) {
    if old != new {
        println!("{what} differs on {input:?}\nold: {old}\nnew: {new}");
        std::process::exit(1);
    }
}

/// Extracts `hs` with both libraries and compares the results (see [`old_text`], [`new_text`]).
fn extract_both<'a>(
    what: &str,
    input: &dyn Debug,
    hs: &'a [(&'a str, &'a str)],
    (co, cn): (&old::config::Config, &new::config::Config),
    slots: &'a mut new::propagate::Slots<'a>,
) -> (old::propagate::Extracted<'a>, new::propagate::Extracted<'a>) {
    let eo = old::propagate::extract(hs, co);
    let en = new::propagate::extract(hs, cn, slots);
    same(what, input, old_text(format!("{eo:?}")), new_text(&en));
    (eo, en)
}

fn pairs<'h>(it: impl Iterator<Item = (&'static str, &'h [u8])>) -> Vec<(String, Vec<u8>)> {
    it.map(|(n, v)| (n.to_string(), v.to_vec())).collect()
}

/// The old `Extracted`'s `Debug` text as the context that borrows its `Slots` prints the same
/// state: a `dd=` member's tags as `MemberTags` (the member without the positions of `s`, `o`,
/// `p` and `t.dm`, which were read into the context). Commits before the lean context only.
fn old_text(text: String) -> String {
    const OPEN: &str = "DdMember(DdMember { raw: ";
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i + OPEN.len()..];
        let raw_end = after.find(", s: At {").expect("member raw");
        let tid_at = after.find(", tid: ").expect("member tid");
        let other_at = after.find(", other_tags: ").expect("member other_tags");
        let close = after.find(" })").expect("member end");
        out.push_str("DdMember(MemberTags { raw: ");
        out.push_str(&after[..raw_end]);
        out.push_str(&after[tid_at..other_at]);
        out.push_str(&after[other_at..close]);
        out.push_str(" })");
        rest = &after[close + 3..];
    }
    out.push_str(rest);
    out
}

/// The new `Extracted`'s `Debug` text with the propagation error as the old one printed it: the
/// error with its value (which the lean context reads from its tags).
fn new_text(ex: &new::propagate::Extracted<'_>) -> String {
    let text = format!("{ex:?}");
    match ex.context {
        Some(c) if c.propagation_error.is_some() => text.replacen(
            &format!("propagation_error: {:?}", c.propagation_error),
            &format!("propagation_error: {:?}", c.propagation_error_tag()),
            1,
        ),
        _ => text,
    }
}

fn main() {
    let sets: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut seed: u64 = 0x1234_5678_9abc_def1;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut contexts, mut links, mut merged) = (0usize, 0usize, 0usize);
    let big = "v".repeat(3000);
    // Sixty members of about 50 bytes: one canonical line of about 3 KB.
    let big_line = (0..60)
        .map(|i| format!("key{i}={}", "w".repeat(44)))
        .collect::<Vec<_>>()
        .join(",");
    for n in 0..sets {
        let mut hs: Vec<(&str, &str)> = Vec::new();
        for _ in 0..rnd(9) {
            let i = rnd(NAMES.len());
            let v = if rnd(10) < 7 {
                let p = pool(i);
                p[rnd(p.len())]
            } else {
                VALUES[rnd(VALUES.len())]
            };
            hs.push((NAMES[i], v));
        }
        let styles = STYLES[rnd(STYLES.len())];
        let behaviour = BEHAVIOURS[rnd(BEHAVIOURS.len())];
        let first = if rnd(2) == 0 { "true" } else { "false" };
        let env = |key: &str| match key {
            "DD_TRACE_PROPAGATION_STYLE" => Some(styles),
            "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT" => Some(behaviour),
            "DD_TRACE_PROPAGATION_EXTRACT_FIRST" => Some(first),
            _ => None,
        };
        let input = (&hs, styles, behaviour, first);
        let co = old::config::Config::from_lookup(env).0;
        let cn = new::config::Config::from_lookup(env).0;

        let mut slots = new::propagate::Slots::new();
        let (eo, en) = extract_both("extract", &input, &hs, (&co, &cn), &mut slots);
        contexts += usize::from(en.context.is_some());
        links += usize::from(en.links.len() > 0);
        merged += usize::from(en.context.is_some_and(|c| c.last_parent_id.is_some()));

        let so = old::SpanId::new(42).unwrap();
        let sn = new::SpanId::new(42).unwrap();
        let xo = eo.context.map(|c| c.child(so));
        let xn = en.context.map(|c| c.child(sn));

        // A carrier that takes whole values (staged): the child span, and the extracted context
        // itself (which keeps `_dd.parent_id`, so the `dd=` member's `p:` comes from it).
        for (c_o, c_n) in [
            (xo.as_ref(), xn.as_ref()),
            (eo.context.as_ref(), en.context.as_ref()),
        ] {
            let (mut vo, mut vn): (Vec<(String, String)>, Vec<(String, String)>) = (vec![], vec![]);
            let ro = old::propagate::inject(c_o, eo.baggage_out(), &co, &mut vo);
            let rn = new::propagate::inject(c_n, en.baggage_out(), &cn, &mut vn);
            same(
                "inject (whole values)",
                &input,
                format!("{ro:?}{vo:?}"),
                format!("{rn:?}{vn:?}"),
            );
        }

        // `Headers` (written directly), with room for everything and with room that runs out.
        for fill in [4096usize, 120] {
            let b = "b".repeat(fill);
            let items = [("k", b.as_str())];
            let mut ho = old::carrier::Headers::<16, 4096>::new();
            let mut hn = new::carrier::Headers::<16, 4096>::new();
            let bo = old::propagate::BaggageOut::Pairs(&items);
            let bn = new::propagate::BaggageOut::Pairs(&items);
            // The extracted context itself on the small carrier, the child on the large one.
            let (c_o, c_n) = if fill == 120 {
                (eo.context.as_ref(), en.context.as_ref())
            } else {
                (xo.as_ref(), xn.as_ref())
            };
            let ro = old::propagate::inject(c_o, bo, &co, &mut ho);
            let rn = new::propagate::inject(c_n, bn, &cn, &mut hn);
            same(
                "inject (in place)",
                &input,
                format!("{ro:?}{:?}", pairs(ho.iter())),
                format!("{rn:?}{:?}", pairs(hn.iter())),
            );
        }

        // Forward mode, into both kinds of carrier.
        let (mut vo, mut vn): (Vec<(String, String)>, Vec<(String, String)>) = (vec![], vec![]);
        let ro = old::propagate::forward(hs.as_slice(), so, &co, &mut vo);
        let rn = new::propagate::forward(hs.as_slice(), sn, &cn, &mut vn);
        same(
            "forward (whole values)",
            &input,
            format!("{ro:?}{vo:?}"),
            format!("{rn:?}{vn:?}"),
        );
        let mut ho = old::carrier::Headers::<16, 4096>::new();
        let mut hn = new::carrier::Headers::<16, 4096>::new();
        let ro = old::propagate::forward(hs.as_slice(), so, &co, &mut ho);
        let rn = new::propagate::forward(hs.as_slice(), sn, &cn, &mut hn);
        same(
            "forward (in place)",
            &input,
            format!("{ro:?}{:?}", pairs(ho.iter())),
            format!("{rn:?}{:?}", pairs(hn.iter())),
        );

        // Kilobytes of baggage through the staged path.
        if n % 50 == 0 {
            let items = [("k", big.as_str())];
            let (mut vo, mut vn): (Vec<(String, String)>, Vec<(String, String)>) = (vec![], vec![]);
            let bo = old::propagate::BaggageOut::Pairs(&items);
            let bn = new::propagate::BaggageOut::Pairs(&items);
            let ro = old::propagate::inject(xo.as_ref(), bo, &co, &mut vo);
            let rn = new::propagate::inject(xn.as_ref(), bn, &cn, &mut vn);
            same(
                "inject (3,000 B of baggage)",
                &input,
                format!("{ro:?}{vo:?}"),
                format!("{rn:?}{vn:?}"),
            );
            // The same set with kilobytes of received baggage on two more lines (the second
            // one not canonical), extracted and re-sent through the staged path and forwarded.
            let mut hb = hs.clone();
            hb.push(("baggage", big_line.as_str()));
            hb.push(("baggage", " k2 = v2 ;p"));
            let mut slots = new::propagate::Slots::new();
            let (eo, en) =
                extract_both("extract (big baggage)", &input, &hb, (&co, &cn), &mut slots);
            let (mut vo, mut vn): (Vec<(String, String)>, Vec<(String, String)>) = (vec![], vec![]);
            let ro = old::propagate::inject(xo.as_ref(), eo.baggage_out(), &co, &mut vo);
            let rn = new::propagate::inject(xn.as_ref(), en.baggage_out(), &cn, &mut vn);
            same(
                "inject (received big baggage, whole values)",
                &input,
                format!("{ro:?}{vo:?}"),
                format!("{rn:?}{vn:?}"),
            );
            let (mut vo, mut vn): (Vec<(String, String)>, Vec<(String, String)>) = (vec![], vec![]);
            let ro = old::propagate::forward(hb.as_slice(), so, &co, &mut vo);
            let rn = new::propagate::forward(hb.as_slice(), sn, &cn, &mut vn);
            same(
                "forward (received big baggage, whole values)",
                &input,
                format!("{ro:?}{vo:?}"),
                format!("{rn:?}{vn:?}"),
            );
        }
    }
    println!(
        "{sets} header sets ({contexts} with a context, {links} with span links, {merged} with \
         _dd.parent_id): extraction, injection and forward mode identical"
    );
}
