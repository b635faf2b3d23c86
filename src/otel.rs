//! An OpenTelemetry Rust `TextMapPropagator` backed by tracewire (feature `opentelemetry`).
//!
//! [`TracewirePropagator`] gives an OpenTelemetry application Datadog, W3C, B3, X-Ray and baggage
//! propagation with Datadog's semantics (style order, span links aside, `continue`/`restart`/
//! `ignore`) without datadog-opentelemetry. OpenTelemetry's `SpanContext` only holds ids, flags
//! and a `TraceState`; the Datadog state (exact sampling priority, decision maker, origin,
//! `_dd.p.*` tags) travels in that `TraceState` as the `dd=` member, exactly as tracewire writes
//! it on the wire, so it survives from extraction to injection. Baggage goes to and from
//! OpenTelemetry's `Baggage` in the `Context`.
//!
//! Allocation happens only where OpenTelemetry's traits force it: its `Extractor` returns
//! `Vec`s of keys and values, its `Injector` takes `String`s, and its `TraceState` and `Baggage`
//! are owned.

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::sync::OnceLock;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext as OtelSpanContext, TraceContextExt, TraceFlags as OtelFlags, TraceState,
};
use opentelemetry::{Context, KeyValue};

use crate::carrier::Headers;
use crate::config::{Config, Style, StyleSet};
use crate::propagate::{self, BaggageOut};
use crate::wire::name;
use crate::{SpanId, TraceId};

/// A `TextMapPropagator` that extracts and injects with tracewire under a [`Config`].
#[derive(Clone, Debug, Default)]
pub struct TracewirePropagator {
    config: Config,
}

impl TracewirePropagator {
    /// A propagator for `config` (for example `Config::from_env().0`).
    pub fn new(config: Config) -> Self {
        TracewirePropagator { config }
    }
}

fn w3c_only() -> Config {
    Config::new().with_styles(StyleSet::EMPTY.with(Style::TraceContext))
}

impl TextMapPropagator for TracewirePropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        // Rebuild tracewire's context from the W3C view: traceparent + the TraceState with our
        // dd= member give back the exact Datadog state.
        let tp;
        let ts = sc.trace_state().header();
        let ctx_headers;
        let mut slots = propagate::Slots::new();
        let extracted = if sc.is_valid() {
            let t = crate::format::traceparent::Traceparent {
                version: 0,
                trace_id: TraceId::from_bytes(sc.trace_id().to_bytes()).unwrap_or(TraceId::MIN),
                parent_id: SpanId::from_bytes(sc.span_id().to_bytes()).unwrap_or(SpanId::MIN),
                flags: crate::TraceFlags(sc.trace_flags().to_u8()),
            };
            tp = t.to_bytes();
            ctx_headers = [
                (name::TRACEPARENT, tp.as_slice()),
                (name::TRACESTATE, ts.as_bytes()),
            ];
            Some(propagate::extract(
                ctx_headers.as_slice(),
                &w3c_only(),
                &mut slots,
            ))
        } else {
            None
        };
        let ctx = extracted.as_ref().and_then(|e| e.context);
        let bag: Vec<(String, String)> = cx
            .baggage()
            .iter()
            .map(|(k, (v, _))| (k.to_string(), v.to_string()))
            .collect();
        let pairs: Vec<(&str, &str)> = bag.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut out = Headers::<16, 16384>::new();
        if propagate::inject(
            ctx.as_ref(),
            BaggageOut::Pairs(&pairs),
            &self.config,
            &mut out,
        )
        .is_ok()
        {
            for (n, v) in out.iter() {
                injector.set(n, String::from_utf8_lossy(v).into_owned());
            }
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let keys = extractor.keys();
        let mut headers: Vec<(&str, &str)> = Vec::new();
        for k in keys {
            for v in extractor.get_all(k).unwrap_or_default() {
                headers.push((k, v));
            }
        }
        let mut slots = propagate::Slots::new();
        let ex = propagate::extract(headers.as_slice(), &self.config, &mut slots);
        let mut cx = cx.clone();
        if let Some(b) = &ex.baggage {
            let mut kvs = Vec::new();
            for m in b.members() {
                let mut kb = alloc::vec![0u8; m.key.len() * 3 + 4];
                let mut vb = alloc::vec![0u8; m.value.len() * 3 + 4];
                let mut kw = crate::wire::buf::Writer::new(&mut kb);
                let mut vw = crate::wire::buf::Writer::new(&mut vb);
                if m.decode_key(&mut kw).is_ok() && m.decode_value(&mut vw).is_ok() {
                    kvs.push(KeyValue::new(
                        String::from_utf8_lossy(kw.written()).into_owned(),
                        String::from_utf8_lossy(vw.written()).into_owned(),
                    ));
                }
            }
            cx = cx.with_baggage(kvs);
        }
        let Some(c) = ex.context else { return cx };
        let Some(span) = c.span_id else { return cx };
        // The W3C form of the context carries the Datadog state in its dd= member.
        let mut ts = String::new();
        let mut w3c = Headers::<4, 8192>::new();
        if propagate::inject(Some(&c), BaggageOut::None, &w3c_only(), &mut w3c).is_ok() {
            if let Some(v) = w3c.get(name::TRACESTATE) {
                ts = String::from_utf8_lossy(v).into_owned();
            }
        }
        let state: TraceState = ts.parse().unwrap_or_default();
        let flags = if c.is_sampled() {
            OtelFlags::SAMPLED
        } else {
            OtelFlags::default()
        };
        let sc = OtelSpanContext::new(
            opentelemetry::trace::TraceId::from_bytes(c.trace_id.to_bytes()),
            opentelemetry::trace::SpanId::from_bytes(span.to_bytes()),
            flags,
            true,
            state,
        );
        cx.with_remote_span_context(sc)
    }

    fn fields(&self) -> FieldIter<'_> {
        static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
        FieldIter::new(FIELDS.get_or_init(|| name::ALL.iter().map(|f| f.to_string()).collect()))
    }
}
