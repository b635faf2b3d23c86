//! Bench inputs: the request header samples in `benches/inputs/`,
//! embedded at compile time, and the configurations each one is measured under.
#![allow(dead_code)]

use tracewire::config::{Config, Style, StyleSet};

/// `(file stem, contents)` of every input.
pub const INPUTS: [(&str, &str); 8] = [
    ("default", include_str!("../inputs/default.txt")),
    ("none", include_str!("../inputs/none.txt")),
    ("tracecontext", include_str!("../inputs/tracecontext.txt")),
    ("datadog", include_str!("../inputs/datadog.txt")),
    ("b3-single", include_str!("../inputs/b3-single.txt")),
    ("b3-multi", include_str!("../inputs/b3-multi.txt")),
    ("xray", include_str!("../inputs/xray.txt")),
    ("baggage", include_str!("../inputs/baggage.txt")),
];

/// The headers of one input as borrowed `(name, value)` pairs (what a server framework hands
/// over), parsed once outside the measurement.
pub fn headers(text: &'static str) -> Vec<(&'static str, &'static str)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim_matches([' ', '\t'])))
        .collect()
}

/// The input text by stem.
pub fn input(stem: &str) -> &'static str {
    INPUTS
        .iter()
        .find(|(s, _)| *s == stem)
        .map(|(_, t)| *t)
        .expect("known input")
}

/// The configuration an input is measured under: the default for `default` and `none`, the
/// single matching style otherwise.
pub fn config(stem: &str) -> Config {
    let one = |s: Style| Config::new().with_styles(StyleSet::EMPTY.with(s));
    match stem {
        "default" | "none" => Config::new(),
        "tracecontext" => one(Style::TraceContext),
        "datadog" => one(Style::Datadog),
        "b3-single" => one(Style::B3Single),
        "b3-multi" => one(Style::B3Multi),
        "xray" => one(Style::XRay).with_xray_128bit_roots(true),
        "baggage" => one(Style::Baggage),
        _ => panic!("unknown input {stem}"),
    }
}
