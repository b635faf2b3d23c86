//! Configuration as Datadog's tracers take it (docs/BEHAVIOUR.md §9, §5.6, §5.7, §1.6, §8.2, §8.5).
//!
//! [`Config`] is a plain value with `const fn` constructors. [`Config::from_lookup`] reads the
//! environment-style variables through a function the caller supplies, so firmware without an
//! environment can feed it from flash; the `std` feature adds `Config::from_env`.
//!
//! Variables and precedence (highest first), per direction:
//! 1. `DD_TRACE_PROPAGATION_STYLE_EXTRACT` / `DD_TRACE_PROPAGATION_STYLE_INJECT`
//! 2. `DD_TRACE_PROPAGATION_STYLE`
//! 3. the deprecated `DD_PROPAGATION_STYLE_EXTRACT` / `DD_PROPAGATION_STYLE_INJECT`
//! 4. `OTEL_PROPAGATORS`, only when none of the `DD_` style variables is set
//! 5. the default `datadog,tracecontext,baggage`
//!
//! An empty value counts as unset. A value whose every token is unknown falls through to the next
//! level (§12 #42). Unknown tokens are never dropped silently: each one is recorded in the
//! [`ConfigReport`]. Style lists split on `,`, trim ASCII whitespace and compare
//! case-insensitively, so `b3 single header` works (§12 #41); `b3` means the single header
//! (§12 #26); `none` alone disables a direction and is ignored next to other styles (§9.3).

use core::fmt;

use crate::wire::buf::ArrayBuf;
use crate::wire::dec;

/// A propagation style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Style {
    /// `x-datadog-*` headers.
    Datadog,
    /// W3C `traceparent` / `tracestate`.
    TraceContext,
    /// B3 single header `b3`.
    B3Single,
    /// B3 multi headers `x-b3-*`.
    B3Multi,
    /// AWS X-Ray `x-amzn-trace-id`.
    XRay,
    /// W3C `baggage`.
    Baggage,
    /// No propagation.
    None,
}

impl Style {
    /// Every style, in a fixed order.
    pub const ALL: [Style; 7] = [
        Style::Datadog,
        Style::TraceContext,
        Style::B3Single,
        Style::B3Multi,
        Style::XRay,
        Style::Baggage,
        Style::None,
    ];

    /// The canonical name, as Datadog's tracers write it in span links (`context_headers`).
    pub const fn name(self) -> &'static str {
        match self {
            Style::Datadog => "datadog",
            Style::TraceContext => "tracecontext",
            Style::B3Single => "b3",
            Style::B3Multi => "b3multi",
            Style::XRay => "xray",
            Style::Baggage => "baggage",
            Style::None => "none",
        }
    }

    /// True when this build reads and writes the style's headers. B3 (single and multi) needs
    /// the cargo feature `b3`, X-Ray the feature `xray` (both on by default); every other style
    /// is always built. A style that is not built is, to the configuration parser, a style it
    /// does not know ([`IssueKind::NotBuilt`]); in a [`Config`] assembled in code, extraction
    /// reports it as [`Status::NotBuilt`](crate::propagate::Status::NotBuilt) and injection
    /// writes nothing for it. A firmware build that only speaks the default styles leaves both
    /// features out and links about 8 KB less code (README, "Cargo features").
    #[inline(always)]
    // The arms are `cfg!` constants: with both features off they read as a `matches!`.
    #[allow(clippy::match_like_matches_macro)]
    pub const fn is_built(self) -> bool {
        match self {
            Style::B3Single | Style::B3Multi => cfg!(feature = "b3"),
            Style::XRay => cfg!(feature = "xray"),
            _ => true,
        }
    }

    /// The cargo feature that builds this style, when it has one (`b3`, `xray`).
    pub const fn feature(self) -> Option<&'static str> {
        match self {
            Style::B3Single | Style::B3Multi => Some("b3"),
            Style::XRay => Some("xray"),
            _ => None,
        }
    }

    /// Parses one style token, trimmed and ASCII-case-insensitive, with every alias the tracers
    /// accept: `datadog`; `tracecontext`, `w3c`; `b3`, `b3single`, `b3 single header`,
    /// `b3singleheader`, `b3_single_header`; `b3multi`, `b3 multi header`, `b3_multi_header`;
    /// `xray`, `aws-xray`, `awsxray`; `baggage`; `none`.
    ///
    /// ```
    /// use tracewire::config::Style;
    ///
    /// assert_eq!(Style::parse("B3 single header"), Some(Style::B3Single));
    /// assert_eq!(Style::parse("b3multi"), Some(Style::B3Multi));
    /// assert_eq!(Style::parse(" tracecontext "), Some(Style::TraceContext));
    /// assert_eq!(Style::parse("jaeger"), None);
    /// ```
    pub fn parse(token: &str) -> Option<Style> {
        let t = token.trim_matches(|c: char| c.is_ascii_whitespace());
        const TABLE: &[(&str, Style)] = &[
            ("datadog", Style::Datadog),
            ("tracecontext", Style::TraceContext),
            ("w3c", Style::TraceContext),
            ("b3", Style::B3Single),
            ("b3single", Style::B3Single),
            ("b3 single header", Style::B3Single),
            ("b3singleheader", Style::B3Single),
            ("b3_single_header", Style::B3Single),
            ("b3multi", Style::B3Multi),
            ("b3 multi header", Style::B3Multi),
            ("b3_multi_header", Style::B3Multi),
            ("xray", Style::XRay),
            ("aws-xray", Style::XRay),
            ("awsxray", Style::XRay),
            ("baggage", Style::Baggage),
            ("none", Style::None),
        ];
        TABLE
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map(|&(_, s)| s)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An ordered set of styles (each at most once). Extraction tries them in order; injection
/// writes all of them. `none` is never stored: a set holding only `none` is empty.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StyleSet {
    order: [Style; 6],
    len: u8,
    bits: u8,
}

impl StyleSet {
    /// No styles (propagation disabled in that direction).
    pub const EMPTY: StyleSet = StyleSet {
        order: [Style::None; 6],
        len: 0,
        bits: 0,
    };

    /// Datadog's default: `datadog,tracecontext,baggage`.
    pub const DEFAULT: StyleSet = StyleSet::EMPTY
        .with(Style::Datadog)
        .with(Style::TraceContext)
        .with(Style::Baggage);

    /// The set of `styles` in order, duplicates and `none` skipped.
    pub const fn from_styles(styles: &[Style]) -> StyleSet {
        let mut s = StyleSet::EMPTY;
        let mut i = 0;
        while i < styles.len() {
            s = s.with(styles[i]);
            i += 1;
        }
        s
    }

    /// This set with `style` appended (unchanged if already present or `none`).
    pub const fn with(mut self, style: Style) -> StyleSet {
        if matches!(style, Style::None) || self.bits & style.bit() != 0 || self.len as usize >= 6 {
            return self;
        }
        self.order[self.len as usize] = style;
        self.len = self.len.wrapping_add(1);
        self.bits |= style.bit();
        self
    }

    /// True when `style` is in the set.
    pub const fn contains(&self, style: Style) -> bool {
        self.bits & style.bit() != 0
    }

    /// The styles in order.
    pub fn as_slice(&self) -> &[Style] {
        // `get`: a set built by hand (or read from memory the optimiser cannot see) never makes
        // this panic.
        self.order
            .get(..usize::from(self.len))
            .unwrap_or(&self.order)
    }

    /// Number of styles.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// True when propagation is disabled in this direction.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The set without `baggage` (the trace-context styles, §8.6).
    pub fn without_baggage(&self) -> StyleSet {
        let mut s = StyleSet::EMPTY;
        for &st in self.as_slice() {
            if st != Style::Baggage {
                s = s.with(st);
            }
        }
        s
    }
}

impl Default for StyleSet {
    fn default() -> Self {
        StyleSet::DEFAULT
    }
}

impl fmt::Debug for StyleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl fmt::Display for StyleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, s) in self.as_slice().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(s.name())?;
        }
        Ok(())
    }
}

/// `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT` (§5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Behavior {
    /// Continue the incoming trace (default).
    #[default]
    Continue,
    /// Start a new trace linked to the incoming context; baggage is kept.
    Restart,
    /// Behave as if no trace headers (and no baggage) arrived.
    Ignore,
}

impl Behavior {
    /// Parses `continue`, `restart` or `ignore` (trimmed, ASCII-case-insensitive); empty means
    /// `continue`.
    pub fn parse(v: &str) -> Option<Behavior> {
        let t = v.trim_matches(|c: char| c.is_ascii_whitespace());
        if t.is_empty() || t.eq_ignore_ascii_case("continue") {
            Some(Behavior::Continue)
        } else if t.eq_ignore_ascii_case("restart") {
            Some(Behavior::Restart)
        } else if t.eq_ignore_ascii_case("ignore") {
            Some(Behavior::Ignore)
        } else {
            None
        }
    }

    /// The configuration spelling.
    pub const fn name(self) -> &'static str {
        match self {
            Behavior::Continue => "continue",
            Behavior::Restart => "restart",
            Behavior::Ignore => "ignore",
        }
    }
}

/// Size limits (all bounded by the buffers tracewire encodes into).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// `DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH`: 0..=512, default 512; 0 disables `x-datadog-tags`.
    pub x_datadog_tags_max_len: usize,
    /// `DD_TRACE_BAGGAGE_MAX_ITEMS`: default 64.
    pub baggage_max_items: usize,
    /// `DD_TRACE_BAGGAGE_MAX_BYTES`: default and ceiling 8192 (a larger value set here is read
    /// as 8192 by extraction, injection and forward mode alike).
    pub baggage_max_bytes: usize,
}

impl Limits {
    /// Ceiling of `x_datadog_tags_max_len` (and its default).
    pub const X_DATADOG_TAGS_MAX: usize = 512;
    /// Ceiling of `baggage_max_items`.
    pub const BAGGAGE_ITEMS_MAX: usize = 180;
    /// Ceiling of `baggage_max_bytes` (and its default): the size of the baggage encode buffer.
    pub const BAGGAGE_BYTES_MAX: usize = 8192;

    /// The defaults: 512, 64 items, 8192 bytes.
    pub const DEFAULT: Limits = Limits {
        x_datadog_tags_max_len: 512,
        baggage_max_items: 64,
        baggage_max_bytes: 8192,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Longest `DD_TRACE_BAGGAGE_TAG_KEYS` value kept.
pub const BAGGAGE_TAG_KEYS_MAX: usize = 256;

/// The propagator configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Extraction styles, in order.
    pub extract: StyleSet,
    /// Injection styles.
    pub inject: StyleSet,
    /// `DD_TRACE_PROPAGATION_EXTRACT_FIRST`: stop at the first style that yields a valid
    /// context (§5.6, §12 #25).
    pub extract_first: bool,
    /// `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`.
    pub behavior: Behavior,
    /// Size limits.
    pub limits: Limits,
    /// Accept any AWS X-Ray root as a 128-bit trace id (`epoch << 96 | id`, as OpenTelemetry's
    /// X-Ray propagator does) instead of only Datadog-shaped roots (dd-trace-java's rule, the
    /// default; docs/BEHAVIOUR.md §12 #32).
    pub xray_128bit_roots: bool,
    baggage_tag_keys: ArrayBuf<BAGGAGE_TAG_KEYS_MAX>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// The default value of `DD_TRACE_BAGGAGE_TAG_KEYS`.
pub const DEFAULT_BAGGAGE_TAG_KEYS: &str = "user.id,session.id,account.id";

const fn default_tag_keys() -> ArrayBuf<BAGGAGE_TAG_KEYS_MAX> {
    let src = DEFAULT_BAGGAGE_TAG_KEYS.as_bytes();
    let mut b = ArrayBuf::new();
    b = b.const_extend(src);
    b
}

impl<const N: usize> ArrayBuf<N> {
    /// `const` append used for compile-time defaults; bytes past the capacity are not copied.
    pub(crate) const fn const_extend(self, src: &[u8]) -> Self {
        let (mut buf, mut len) = self.into_parts();
        let mut i = 0;
        while i < src.len() && len < N {
            buf[len] = src[i];
            len += 1;
            i += 1;
        }
        ArrayBuf::from_parts(buf, len)
    }
}

impl Config {
    /// Datadog's defaults: `datadog,tracecontext,baggage` both ways, continue, not
    /// extract-first, default limits and baggage tag keys.
    ///
    /// ```
    /// use tracewire::config::{Behavior, Config, Style};
    ///
    /// let c = Config::new();
    /// assert_eq!(c.extract.as_slice(), [Style::Datadog, Style::TraceContext, Style::Baggage]);
    /// assert_eq!(c.behavior, Behavior::Continue);
    /// assert!(!c.extract_first);
    /// assert_eq!(c.x_datadog_tags_max_len(), 512);
    /// ```
    pub const fn new() -> Config {
        Config {
            extract: StyleSet::DEFAULT,
            inject: StyleSet::DEFAULT,
            extract_first: false,
            behavior: Behavior::Continue,
            limits: Limits::DEFAULT,
            xray_128bit_roots: false,
            baggage_tag_keys: default_tag_keys(),
        }
    }

    /// The same styles in both directions.
    pub const fn with_styles(mut self, styles: StyleSet) -> Config {
        self.extract = styles;
        self.inject = styles;
        self
    }

    /// Sets the extraction styles.
    pub const fn with_extract(mut self, styles: StyleSet) -> Config {
        self.extract = styles;
        self
    }

    /// Sets the injection styles.
    pub const fn with_inject(mut self, styles: StyleSet) -> Config {
        self.inject = styles;
        self
    }

    /// Sets the extraction behaviour.
    ///
    /// ```
    /// use tracewire::config::{Behavior, Config};
    /// use tracewire::propagate;
    ///
    /// let h = [("x-datadog-trace-id", "1"), ("x-datadog-parent-id", "2"), ("baggage", "k=v")];
    /// // restart: a new trace, linked to the incoming one; the baggage is kept.
    /// let mut slots = propagate::Slots::new();
    /// let ex = propagate::extract(&h, &Config::new().with_behavior(Behavior::Restart), &mut slots);
    /// assert!(ex.context.is_none() && ex.links.len() == 1 && ex.baggage.is_some());
    /// // ignore: nothing at all.
    /// let mut slots = propagate::Slots::new();
    /// let ex = propagate::extract(&h, &Config::new().with_behavior(Behavior::Ignore), &mut slots);
    /// assert!(ex.context.is_none() && ex.links.is_empty() && ex.baggage.is_none());
    /// ```
    pub const fn with_behavior(mut self, b: Behavior) -> Config {
        self.behavior = b;
        self
    }

    /// Sets extract-first.
    pub const fn with_extract_first(mut self, on: bool) -> Config {
        self.extract_first = on;
        self
    }

    /// Accepts any X-Ray root as a 128-bit trace id (see [`Config::xray_128bit_roots`]).
    pub const fn with_xray_128bit_roots(mut self, on: bool) -> Config {
        self.xray_128bit_roots = on;
        self
    }

    /// Sets the limits (values above the ceilings are clamped when used).
    pub const fn with_limits(mut self, limits: Limits) -> Config {
        self.limits = limits;
        self
    }

    /// Sets `DD_TRACE_BAGGAGE_TAG_KEYS` (comma-separated keys, `*` for all, empty for none).
    /// Fails (config unchanged) when longer than [`BAGGAGE_TAG_KEYS_MAX`].
    pub fn set_baggage_tag_keys(&mut self, keys: &str) -> Result<(), crate::BufferTooSmall> {
        let mut b = ArrayBuf::new();
        b.push(keys.as_bytes())?;
        self.baggage_tag_keys = b;
        Ok(())
    }

    /// The configured `DD_TRACE_BAGGAGE_TAG_KEYS` value.
    pub fn baggage_tag_keys(&self) -> &str {
        self.baggage_tag_keys.as_str().unwrap_or("")
    }

    /// The tags limit clamped to its ceiling.
    pub fn x_datadog_tags_max_len(&self) -> usize {
        self.limits
            .x_datadog_tags_max_len
            .min(Limits::X_DATADOG_TAGS_MAX)
    }

    /// Reads the configuration from `lookup` (a variable name to its value), following the
    /// precedence in the module docs. Problems are recorded in the returned report; the
    /// configuration is always usable.
    ///
    /// ```
    /// use tracewire::config::{Behavior, Config, Style};
    ///
    /// let env = [
    ///     ("DD_TRACE_PROPAGATION_STYLE_EXTRACT", "b3 single header,tracecontext"),
    ///     ("OTEL_PROPAGATORS", "b3multi"), // ignored: a DD_ style variable is set
    ///     ("DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT", "Restart"),
    /// ];
    /// let (c, report) = Config::from_lookup(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| *v));
    /// assert_eq!(c.extract.as_slice(), [Style::B3Single, Style::TraceContext]);
    /// assert_eq!(c.inject.as_slice(), [Style::Datadog, Style::TraceContext, Style::Baggage]);
    /// assert_eq!(c.behavior, Behavior::Restart);
    /// assert_eq!(report.issues().next().unwrap().to_string(),
    ///     "OTEL_PROPAGATORS: \"b3multi\" ignored because a DD_ style variable is set");
    /// ```
    pub fn from_lookup<'v, F: Fn(&str) -> Option<&'v str>>(lookup: F) -> (Config, ConfigReport) {
        let mut report = ConfigReport::default();
        let mut cfg = Config::new();
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let dd_any = [
            vars::STYLE,
            vars::STYLE_EXTRACT,
            vars::STYLE_INJECT,
            vars::LEGACY_STYLE_EXTRACT,
            vars::LEGACY_STYLE_INJECT,
        ]
        .iter()
        .any(|v| get(v).is_some());

        for (dir_var, legacy_var, target) in [
            (vars::STYLE_EXTRACT, vars::LEGACY_STYLE_EXTRACT, 0),
            (vars::STYLE_INJECT, vars::LEGACY_STYLE_INJECT, 1),
        ] {
            let mut chosen = None;
            let mut levels = [
                (dir_var, false),
                (vars::STYLE, false),
                (legacy_var, false),
                (vars::OTEL_PROPAGATORS, true),
            ];
            if dd_any {
                levels[3].0 = "";
            }
            for (var, otel) in levels {
                if var.is_empty() {
                    continue;
                }
                if let Some(v) = get(var) {
                    if let Some(set) = parse_styles(v, var, otel, &mut report) {
                        chosen = Some(set);
                        break;
                    }
                }
            }
            let set = chosen.unwrap_or(StyleSet::DEFAULT);
            if target == 0 {
                cfg.extract = set;
            } else {
                cfg.inject = set;
            }
        }
        if dd_any && get(vars::OTEL_PROPAGATORS).is_some() {
            report.push(ConfigIssue {
                var: vars::OTEL_PROPAGATORS,
                kind: IssueKind::Overridden,
                text: Snippet::of(get(vars::OTEL_PROPAGATORS).unwrap_or("")),
            });
        }

        if let Some(v) = get(vars::EXTRACT_FIRST) {
            match parse_bool(v) {
                Some(b) => cfg.extract_first = b,
                None => report.push(ConfigIssue {
                    var: vars::EXTRACT_FIRST,
                    kind: IssueKind::Invalid,
                    text: Snippet::of(v),
                }),
            }
        }
        if let Some(v) = lookup(vars::BEHAVIOR_EXTRACT) {
            match Behavior::parse(v) {
                Some(b) => cfg.behavior = b,
                None => report.push(ConfigIssue {
                    var: vars::BEHAVIOR_EXTRACT,
                    kind: IssueKind::Invalid,
                    text: Snippet::of(v),
                }),
            }
        }
        for (var, slot, max) in [
            (
                vars::TAGS_MAX_LENGTH,
                &mut cfg.limits.x_datadog_tags_max_len,
                Limits::X_DATADOG_TAGS_MAX,
            ),
            (
                vars::BAGGAGE_MAX_ITEMS,
                &mut cfg.limits.baggage_max_items,
                Limits::BAGGAGE_ITEMS_MAX,
            ),
            (
                vars::BAGGAGE_MAX_BYTES,
                &mut cfg.limits.baggage_max_bytes,
                Limits::BAGGAGE_BYTES_MAX,
            ),
        ] {
            if let Some(v) = get(var) {
                match parse_limit(v) {
                    Some(n) if n > max => {
                        *slot = max;
                        report.push(ConfigIssue {
                            var,
                            kind: IssueKind::Clamped,
                            text: Snippet::of(v),
                        });
                    }
                    Some(n) => *slot = n,
                    None => report.push(ConfigIssue {
                        var,
                        kind: IssueKind::Invalid,
                        text: Snippet::of(v),
                    }),
                }
            }
        }
        if let Some(v) = lookup(vars::BAGGAGE_TAG_KEYS) {
            if cfg.set_baggage_tag_keys(v).is_err() {
                report.push(ConfigIssue {
                    var: vars::BAGGAGE_TAG_KEYS,
                    kind: IssueKind::TooLong,
                    text: Snippet::of(v),
                });
            }
        }
        (cfg, report)
    }
}

#[cfg(feature = "std")]
impl Config {
    /// Reads the configuration from the process environment (see [`Config::from_lookup`]).
    pub fn from_env() -> (Config, ConfigReport) {
        let values: [Option<std::string::String>; 12] = vars::ALL.map(|k| std::env::var(k).ok());
        Config::from_lookup(|name| {
            vars::ALL
                .iter()
                .position(|k| *k == name)
                .and_then(|i| values[i].as_deref())
        })
    }
}

/// A signed decimal limit: negative values mean 0 (as dd-trace-py does); garbage is `None`.
fn parse_limit(v: &str) -> Option<usize> {
    let t = v.trim().as_bytes();
    match t.split_first() {
        Some((b'-', digits)) => dec::parse_u64(digits).map(|_| 0),
        _ => dec::parse_u64(t).map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    let t = v.trim();
    if t.eq_ignore_ascii_case("true") || t == "1" {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") || t == "0" {
        Some(false)
    } else {
        None
    }
}

/// Parses a style list. `None` when no token is known (the caller falls through to the next
/// precedence level). `none` alone gives the empty set.
fn parse_styles(
    v: &str,
    var: &'static str,
    otel: bool,
    report: &mut ConfigReport,
) -> Option<StyleSet> {
    let mut set = StyleSet::EMPTY;
    let mut known = 0usize;
    let mut offset = 0usize;
    for token in v.split(',') {
        let start = offset;
        offset = offset.saturating_add(token.len()).saturating_add(1);
        if token.trim().is_empty() {
            continue;
        }
        // OpenTelemetry's `b3` is the single header too; its other names are Datadog's.
        match Style::parse(token) {
            Some(s) if s.is_built() => {
                known = known.saturating_add(1);
                set = set.with(s);
            }
            // Known to the tracers, but this build leaves its code out: treated as unknown,
            // with an issue that says why.
            Some(s) => report.push(ConfigIssue {
                var,
                kind: IssueKind::NotBuilt { style: s },
                text: Snippet::of(token.trim()),
            }),
            None => report.push(ConfigIssue {
                var,
                kind: IssueKind::UnknownToken {
                    offset: start,
                    len: token.len(),
                },
                text: Snippet::of(token.trim()),
            }),
        }
    }
    let _ = otel;
    if known == 0 {
        report.push(ConfigIssue {
            var,
            kind: IssueKind::NoKnownStyle,
            text: Snippet::of(v),
        });
        return None;
    }
    Some(set)
}

/// Environment variable names.
pub mod vars {
    /// Both directions.
    pub const STYLE: &str = "DD_TRACE_PROPAGATION_STYLE";
    /// Extraction styles.
    pub const STYLE_EXTRACT: &str = "DD_TRACE_PROPAGATION_STYLE_EXTRACT";
    /// Injection styles.
    pub const STYLE_INJECT: &str = "DD_TRACE_PROPAGATION_STYLE_INJECT";
    /// Deprecated extraction styles (Java, C++).
    pub const LEGACY_STYLE_EXTRACT: &str = "DD_PROPAGATION_STYLE_EXTRACT";
    /// Deprecated injection styles (Java, C++).
    pub const LEGACY_STYLE_INJECT: &str = "DD_PROPAGATION_STYLE_INJECT";
    /// OpenTelemetry's propagator list.
    pub const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";
    /// Extract-first.
    pub const EXTRACT_FIRST: &str = "DD_TRACE_PROPAGATION_EXTRACT_FIRST";
    /// continue / restart / ignore.
    pub const BEHAVIOR_EXTRACT: &str = "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT";
    /// `x-datadog-tags` maximum length.
    pub const TAGS_MAX_LENGTH: &str = "DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH";
    /// Baggage item limit.
    pub const BAGGAGE_MAX_ITEMS: &str = "DD_TRACE_BAGGAGE_MAX_ITEMS";
    /// Baggage byte limit.
    pub const BAGGAGE_MAX_BYTES: &str = "DD_TRACE_BAGGAGE_MAX_BYTES";
    /// Baggage keys copied to span tags.
    pub const BAGGAGE_TAG_KEYS: &str = "DD_TRACE_BAGGAGE_TAG_KEYS";
    /// Every variable [`super::Config::from_lookup`] reads.
    pub const ALL: [&str; 12] = [
        STYLE,
        STYLE_EXTRACT,
        STYLE_INJECT,
        LEGACY_STYLE_EXTRACT,
        LEGACY_STYLE_INJECT,
        OTEL_PROPAGATORS,
        EXTRACT_FIRST,
        BEHAVIOR_EXTRACT,
        TAGS_MAX_LENGTH,
        BAGGAGE_MAX_ITEMS,
        BAGGAGE_MAX_BYTES,
        BAGGAGE_TAG_KEYS,
    ];
}

/// What was wrong with one variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IssueKind {
    /// A style token no tracer knows, at this byte range of the value (ignored).
    UnknownToken {
        /// Byte offset of the token in the value.
        offset: usize,
        /// Token length.
        len: usize,
    },
    /// A style the tracers know, whose code this build leaves out (its cargo feature,
    /// [`Style::feature`], is off): ignored like an unknown token.
    NotBuilt {
        /// The style.
        style: Style,
    },
    /// No token was known: the next precedence level (or the default) applies.
    NoKnownStyle,
    /// The value is not valid for this variable; the default applies.
    Invalid,
    /// The value was above the ceiling and was clamped.
    Clamped,
    /// The value is longer than tracewire stores; the default applies.
    TooLong,
    /// `OTEL_PROPAGATORS` was ignored because a `DD_` style variable is set.
    Overridden,
}

/// One configuration problem. `Display` names the variable and the offending text:
/// `DD_TRACE_PROPAGATION_STYLE: unknown style "jaegr" (ignored)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConfigIssue {
    /// The variable.
    pub var: &'static str,
    /// The problem.
    pub kind: IssueKind,
    /// The text it is about (the unknown token, the invalid value).
    pub text: Snippet,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (var, t) = (self.var, &self.text);
        match self.kind {
            IssueKind::UnknownToken { .. } => write!(f, "{var}: unknown style {t} (ignored)"),
            IssueKind::NotBuilt { style } => write!(
                f,
                "{var}: style {t} is not built in (cargo feature `{}`; ignored)",
                style.feature().unwrap_or("?")
            ),
            IssueKind::NoKnownStyle => write!(
                f,
                "{var}: no known style in {t}; the next setting or the default applies"
            ),
            IssueKind::Invalid => write!(f, "{var}: invalid value {t}; the default applies"),
            IssueKind::Clamped => write!(f, "{var}: {t} is above the ceiling; clamped"),
            IssueKind::TooLong => {
                write!(
                    f,
                    "{var}: {t} is longer than tracewire stores; the default applies"
                )
            }
            IssueKind::Overridden => {
                write!(f, "{var}: {t} ignored because a DD_ style variable is set")
            }
        }
    }
}

/// Up to [`Snippet::CAPACITY`] bytes of the text a [`ConfigIssue`] is about; a longer text is
/// cut at a character boundary and shows `…` where it was cut.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Snippet {
    buf: [u8; Snippet::CAPACITY],
    len: u8,
    cut: bool,
}

impl Snippet {
    /// Bytes kept.
    pub const CAPACITY: usize = 32;

    fn of(s: &str) -> Snippet {
        let mut n = s.len().min(Snippet::CAPACITY);
        while !s.is_char_boundary(n) {
            n = n.saturating_sub(1);
        }
        let mut buf = [0u8; Snippet::CAPACITY];
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), s.as_bytes().get(..n)) {
            dst.copy_from_slice(src);
        }
        Snippet {
            buf,
            len: u8::try_from(n).unwrap_or(0),
            cut: n < s.len(),
        }
    }

    /// The text kept.
    pub fn as_str(&self) -> &str {
        let b = self.buf.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
    }

    /// True when the text was longer and was cut.
    pub fn is_cut(&self) -> bool {
        self.cut
    }
}

/// Quoted, with `…` when cut.
impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}{}\"",
            self.as_str(),
            if self.cut { "…" } else { "" }
        )
    }
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How many issues a [`ConfigReport`] keeps (later ones are counted only).
pub const MAX_ISSUES: usize = 16;

/// Problems found while reading the configuration.
#[derive(Clone, Debug, Default)]
pub struct ConfigReport {
    issues: [Option<ConfigIssue>; MAX_ISSUES],
    total: usize,
}

impl ConfigReport {
    fn push(&mut self, issue: ConfigIssue) {
        // A variable read for both directions (DD_TRACE_PROPAGATION_STYLE) reports once.
        if self.issues().any(|i| *i == issue) {
            return;
        }
        if let Some(slot) = self.issues.get_mut(self.total) {
            *slot = Some(issue);
        }
        self.total = self.total.saturating_add(1);
    }

    /// The recorded issues.
    pub fn issues(&self) -> impl Iterator<Item = &ConfigIssue> {
        self.issues.iter().flatten()
    }

    /// Number of issues found (including any past [`MAX_ISSUES`]).
    pub fn total(&self) -> usize {
        self.total
    }

    /// True when nothing was wrong.
    pub fn is_clean(&self) -> bool {
        self.total == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'v>(pairs: &'v [(&'v str, &'v str)]) -> impl Fn(&str) -> Option<&'v str> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
    }

    /// A style whose cargo feature is off is ignored by the parser like an unknown token, with
    /// an issue that names the feature; with the features on (the default) it is kept.
    #[test]
    fn styles_follow_the_build() {
        extern crate std;
        use std::string::ToString;
        use std::vec::Vec;
        let (c, r) = Config::from_lookup(env(&[(vars::STYLE, "datadog,b3multi,xray")]));
        let wanted = [Style::Datadog, Style::B3Multi, Style::XRay];
        let built: Vec<Style> = wanted.into_iter().filter(|s| s.is_built()).collect();
        assert_eq!(c.extract.as_slice(), built.as_slice());
        assert_eq!(c.inject.as_slice(), built.as_slice());
        let issues: Vec<_> = r.issues().map(|i| (i.kind, i.to_string())).collect();
        let expected: Vec<_> = wanted
            .into_iter()
            .filter(|s| !s.is_built())
            .map(|s| {
                let f = s.feature().unwrap();
                let msg = std::format!(
                    "DD_TRACE_PROPAGATION_STYLE: style \"{}\" is not built in (cargo feature `{f}`; ignored)",
                    s.name()
                );
                (IssueKind::NotBuilt { style: s }, msg)
            })
            .collect();
        assert_eq!(issues, expected);
        // Only unbuilt styles: no known style, the default applies.
        let (c, r) = Config::from_lookup(env(&[(vars::STYLE, "b3")]));
        if Style::B3Single.is_built() {
            assert_eq!(c.extract.as_slice(), [Style::B3Single]);
        } else {
            assert_eq!(c.extract, Config::new().extract);
            assert!(r.issues().any(|i| i.kind == IssueKind::NoKnownStyle));
        }
    }

    #[test]
    fn issues_name_the_offending_text_once() {
        extern crate std;
        use std::string::ToString;
        let (c, r) = Config::from_lookup(env(&[
            ("DD_TRACE_PROPAGATION_STYLE", "datadog, jaegr"),
            ("DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT", "resume"),
        ]));
        assert_eq!(c.extract.as_slice(), [Style::Datadog]);
        let msgs: std::vec::Vec<_> = r.issues().map(|i| i.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "DD_TRACE_PROPAGATION_STYLE: unknown style \"jaegr\" (ignored)",
                "DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT: invalid value \"resume\"; the default applies",
            ],
            "one issue for the style variable, though it sets both directions"
        );
        let long = "x".repeat(40);
        let (_, r) = Config::from_lookup(env(&[("DD_TRACE_PROPAGATION_STYLE", &long)]));
        let first = r.issues().next().unwrap();
        assert!(first.text.is_cut() && first.text.as_str().len() == Snippet::CAPACITY);
        assert!(first.to_string().ends_with("…\" (ignored)"));
    }

    #[test]
    fn default_is_datadog_tracecontext_baggage() {
        let (c, r) = Config::from_lookup(env(&[]));
        assert_eq!(c, Config::new());
        assert_eq!(
            c.extract.as_slice(),
            [Style::Datadog, Style::TraceContext, Style::Baggage]
        );
        assert!(r.is_clean());
        assert_eq!(c.baggage_tag_keys(), DEFAULT_BAGGAGE_TAG_KEYS);
    }

    #[test]
    fn aliases_and_case() {
        for (t, s) in [
            ("Datadog", Style::Datadog),
            (" tracecontext ", Style::TraceContext),
            ("B3", Style::B3Single),
            ("b3 single header", Style::B3Single),
            ("B3SingleHeader", Style::B3Single),
            ("b3multi", Style::B3Multi),
            ("XRAY", Style::XRay),
            ("baggage", Style::Baggage),
            ("none", Style::None),
        ] {
            assert_eq!(Style::parse(t), Some(s), "{t}");
        }
        assert_eq!(Style::parse("jaeger"), None);
    }

    // Names the B3 or X-Ray styles: needs the features that build them.
    #[cfg(all(feature = "b3", feature = "xray"))]
    #[test]
    fn precedence() {
        let (c, _) = Config::from_lookup(env(&[
            (vars::STYLE, "b3multi"),
            (vars::STYLE_EXTRACT, "tracecontext,datadog"),
            (vars::OTEL_PROPAGATORS, "b3"),
        ]));
        assert_eq!(c.extract.as_slice(), [Style::TraceContext, Style::Datadog]);
        assert_eq!(c.inject.as_slice(), [Style::B3Multi]);
        let (c, r) = Config::from_lookup(env(&[(vars::OTEL_PROPAGATORS, "b3,tracecontext")]));
        assert_eq!(c.inject.as_slice(), [Style::B3Single, Style::TraceContext]);
        assert!(r.is_clean());
        let (c, _) = Config::from_lookup(env(&[(vars::LEGACY_STYLE_INJECT, "b3multi")]));
        assert_eq!(c.inject.as_slice(), [Style::B3Multi]);
        assert_eq!(c.extract, StyleSet::DEFAULT);
    }

    // Names the B3 or X-Ray styles: needs the features that build them.
    #[cfg(all(feature = "b3", feature = "xray"))]
    #[test]
    fn unknown_tokens_are_reported_and_all_unknown_falls_through() {
        let (c, r) = Config::from_lookup(env(&[(vars::STYLE, "datadog,jaeger")]));
        assert_eq!(c.extract.as_slice(), [Style::Datadog]);
        assert_eq!(
            r.issues().next().map(|i| i.kind),
            Some(IssueKind::UnknownToken { offset: 8, len: 6 })
        );
        let (c, r) = Config::from_lookup(env(&[(vars::STYLE_EXTRACT, "foo"), (vars::STYLE, "b3")]));
        assert_eq!(c.extract.as_slice(), [Style::B3Single]);
        assert!(r.issues().any(|i| i.kind == IssueKind::NoKnownStyle));
    }

    #[test]
    fn none_disables_or_is_ignored() {
        let (c, _) = Config::from_lookup(env(&[(vars::STYLE, "none")]));
        assert!(c.extract.is_empty() && c.inject.is_empty());
        let (c, _) = Config::from_lookup(env(&[(vars::STYLE, "none,Datadog")]));
        assert_eq!(c.extract.as_slice(), [Style::Datadog]);
    }

    // Names the B3 or X-Ray styles: needs the features that build them.
    #[cfg(all(feature = "b3", feature = "xray"))]
    #[test]
    fn duplicates_collapse() {
        let (c, _) =
            Config::from_lookup(env(&[(vars::STYLE, "datadog,Datadog,b3,b3 single header")]));
        assert_eq!(c.extract.as_slice(), [Style::Datadog, Style::B3Single]);
    }

    #[test]
    fn behaviour_limits_and_flags() {
        let (c, r) = Config::from_lookup(env(&[
            (vars::BEHAVIOR_EXTRACT, " Restart "),
            (vars::EXTRACT_FIRST, "TRUE"),
            (vars::TAGS_MAX_LENGTH, "100000"),
            (vars::BAGGAGE_MAX_ITEMS, "-5"),
            (vars::BAGGAGE_MAX_BYTES, "lots"),
            (vars::BAGGAGE_TAG_KEYS, "*"),
        ]));
        assert_eq!(c.behavior, Behavior::Restart);
        assert!(c.extract_first);
        assert_eq!(c.limits.x_datadog_tags_max_len, 512);
        assert_eq!(c.limits.baggage_max_items, 0);
        assert_eq!(c.limits.baggage_max_bytes, 8192);
        assert_eq!(c.baggage_tag_keys(), "*");
        assert_eq!(r.total(), 2);
        let (c, r) = Config::from_lookup(env(&[(vars::BEHAVIOR_EXTRACT, "bogus")]));
        assert_eq!(c.behavior, Behavior::Continue);
        assert_eq!(r.issues().next().map(|i| i.kind), Some(IssueKind::Invalid));
    }
}
