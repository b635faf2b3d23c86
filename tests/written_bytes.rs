//! The written-bytes oracle (`tests/oracle`) as a property test over generated header sets: near-valid
//! values of every format, hostile bytes (CR, LF, NUL, DEL, non-ASCII, edge spaces, commas) mixed
//! in, multi-style configurations in and out. The `oracle` fuzz target runs the same checks.

mod oracle;

use proptest::prelude::*;

fn name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
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
        "X-Datadog-Origin",
    ])
}

fn hostile() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " ",
        "\r",
        "\r\nx-evil: 1",
        "\0",
        "\x7f",
        "\u{e9}",
        ",",
        ";",
        "=",
        "~",
        " x ",
        "\t",
        "\"",
        "\\",
    ])
    .prop_map(str::to_string)
}

fn hex(n: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9a-f]{{1,{n}}}")).unwrap()
}

/// A near-valid header of each kind, under its own name.
fn header() -> impl Strategy<Value = (String, String)> {
    let h = |n: &str, v: BoxedStrategy<String>| {
        v.prop_map({
            let n = n.to_string();
            move |v| (n.clone(), v)
        })
    };
    prop_oneof![
        h(
            "traceparent",
            (
                hex(32),
                hex(16),
                prop::sample::select(vec!["00", "01", "03"]),
                any::<bool>()
            )
                .prop_map(|(t, s, f, low_zero)| {
                    // Sometimes a 128-bit id whose low half is zero, which no Datadog header
                    // can carry.
                    let t = if low_zero {
                        format!("{:0>16}0000000000000000", &t[..t.len().min(16)])
                    } else {
                        t
                    };
                    format!("00-{t:0>32}-{s:0>16}-{f}")
                })
                .boxed()
        ),
        h(
            "tracestate",
            (
                prop::sample::select(vec!["s:1", "s:2", "s:-1", "s:0", ""]),
                "[a-z ;]{0,6}",
                "[a-z. ]{0,5}",
                "[a-z~= ]{0,6}"
            )
                .prop_map(|(s, o, k, v)| format!(
                    "dd={s};o:{o};p:00f067aa0ba902b7;t.dm:-4;t.{k}:{v},congo=t61rcWkgMzE"
                ))
                .boxed()
        ),
        h("x-datadog-trace-id", "[0-9]{1,20}".boxed()),
        h("x-datadog-parent-id", "[0-9]{1,20}".boxed()),
        h("x-datadog-sampling-priority", "-?[0-2]".boxed()),
        h("x-datadog-origin", "[ -~]{0,12}".boxed()),
        h(
            "x-datadog-tags",
            ("[a-z.;:~]{1,6}", "[ -+--~]{0,8}", hex(16))
                .prop_map(|(k, v, t)| format!("_dd.p.dm=-3,_dd.p.{k}={v},_dd.p.tid={t:0>16}"))
                .boxed()
        ),
        h(
            "b3",
            (
                hex(32),
                hex(16),
                prop::sample::select(vec!["0", "1", "d", "true"])
            )
                .prop_map(|(t, s, d)| format!("{t}-{s}-{d}"))
                .boxed()
        ),
        h("x-b3-traceid", hex(32).boxed()),
        h("x-b3-spanid", hex(16).boxed()),
        h("x-b3-sampled", "[01]".boxed()),
        h("x-b3-flags", "[01]".boxed()),
        h(
            "x-amzn-trace-id",
            (hex(8), hex(24), hex(16), "[ -~]{0,8}")
                .prop_map(|(e, r, p, o)| format!(
                    "Root=1-{e:0>8}-{r:0>24};Parent={p:0>16};Sampled=1;_dd.origin={o}"
                ))
                .boxed()
        ),
        h(
            "baggage",
            ("[a-z%]{1,5}", "[A-Za-z0-9%]{1,8}")
                .prop_map(|(k, v)| format!("{k}={v},b=2;p"))
                .boxed()
        ),
        (name(), "[ -~]{0,40}").prop_map(|(n, v)| (n.to_string(), v)),
    ]
}

fn line() -> impl Strategy<Value = String> {
    (header(), hostile(), hostile(), 0u8..4).prop_map(|((n, v), a, b, mix)| match mix {
        0 => format!("{n}:{a}{v}{b}"),
        1 => {
            let mid = v.len() / 2;
            let cut = (0..=mid)
                .rev()
                .find(|&i| v.is_char_boundary(i))
                .unwrap_or(0);
            format!("{n}:{}{a}{}", &v[..cut], &v[cut..])
        }
        _ => format!("{n}:{v}"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, .. ProptestConfig::default() })]

    #[test]
    fn whatever_comes_in_what_goes_out_is_valid_and_carries_the_context(
        sel in any::<[u8; 3]>(),
        lines in prop::collection::vec(line(), 0..14),
    ) {
        let mut data = sel.to_vec();
        data.extend_from_slice(lines.join("\n").as_bytes());
        oracle::check(&data);
    }
}
