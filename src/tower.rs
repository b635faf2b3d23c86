//! Tower middleware (feature `tower`): the way Rust services and proxies built on hyper, axum or
//! tonic plug propagation in.
//!
//! - [`ExtractLayer`] (server side) reads the trace context of every incoming request and stores
//!   it in the request's extensions as an [`Incoming`]: the continued trace's ids and decision,
//!   the per-style [`Report`], and an owned copy of the trace headers, from which
//!   [`Incoming::extract`] gives the full context again.
//! - [`InjectLayer`] (client side) injects into every outgoing request that carries an
//!   [`Outgoing`] extension (made with [`Incoming::child`], or [`Outgoing::new`] for a context of
//!   your own): stale trace headers of the request are stripped ([`StripSet::for_config`]) and
//!   the child context is written, all or nothing.
//!
//! ```
//! use tracewire::config::Config;
//! use tracewire::tower::{ExtractLayer, Incoming, InjectLayer};
//! use tower_layer::Layer;
//!
//! # #[derive(Clone)] struct Svc;
//! # impl tower_service::Service<http::Request<()>> for Svc {
//! #     type Response = Option<Incoming>;
//! #     type Error = std::convert::Infallible;
//! #     type Future = std::future::Ready<Result<Option<Incoming>, std::convert::Infallible>>;
//! #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> { std::task::Poll::Ready(Ok(())) }
//! #     fn call(&mut self, req: http::Request<()>) -> Self::Future {
//! #         std::future::ready(Ok(req.extensions().get::<Incoming>().cloned()))
//! #     }
//! # }
//! let server = ExtractLayer::new(Config::new()).layer(Svc);
//! let client = InjectLayer::new(Config::new()).layer(Svc);
//! # let _ = (server, client);
//! ```

use std::boxed::Box;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::carrier::StripSet;
use crate::config::{Config, Style};
use crate::id::{SamplingPriority, SpanId, TraceId};
use crate::propagate::{self, BaggageOut, Extracted, InjectBuffers, Report, Slots};

/// The trace context of an incoming request, stored in its extensions by [`ExtractService`].
#[derive(Clone, Debug)]
pub struct Incoming {
    /// The continued trace (`None`: a new trace starts here).
    pub trace_id: Option<TraceId>,
    /// The remote parent span.
    pub parent_id: Option<SpanId>,
    /// The incoming sampling decision.
    pub sampling_priority: Option<SamplingPriority>,
    /// The style the context came from.
    pub style: Option<Style>,
    /// What each style found.
    pub report: Report,
    headers: http::HeaderMap,
    config: Arc<Config>,
}

impl Incoming {
    /// Reads `headers` under `config`.
    pub fn from_headers(headers: &http::HeaderMap, config: Arc<Config>) -> Self {
        let mut slots = Slots::new();
        let ex = propagate::extract(headers, &config, &mut slots);
        // Only the headers tracewire reads are kept: the full context is extracted from them
        // again when needed.
        let mut kept = http::HeaderMap::new();
        for (n, v) in headers {
            if StripSet::ALL.contains(n.as_str()) {
                kept.append(n.clone(), v.clone());
            }
        }
        Incoming {
            trace_id: ex.context.map(|c| c.trace_id),
            parent_id: ex.context.and_then(|c| c.span_id),
            sampling_priority: ex.context.and_then(|c| c.sampling_priority),
            style: ex.style,
            report: ex.report,
            headers: kept,
            config,
        }
    }

    /// The full extraction (tags, tracestate, baggage, links), borrowing this value and
    /// `slots` (see [`propagate::extract`](fn@propagate::extract)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tracewire::config::Config;
    /// use tracewire::propagate::Slots;
    /// use tracewire::tower::Incoming;
    ///
    /// let mut h = http::HeaderMap::new();
    /// h.insert("baggage", "user.id=amy".parse().unwrap());
    /// let inc = Incoming::from_headers(&h, Arc::new(Config::new()));
    /// let mut slots = Slots::new();
    /// assert_eq!(inc.extract(&mut slots).baggage.map(|b| b.len()), Some(1));
    /// ```
    pub fn extract<'h: 's, 's>(&'h self, slots: &'s mut Slots<'h>) -> Extracted<'s> {
        propagate::extract(&self.headers, &self.config, slots)
    }

    /// What an outgoing request of this trace carries: the context continued with `span` as the
    /// next hop's parent, and the incoming baggage.
    pub fn child(&self, span: SpanId) -> Outgoing {
        Outgoing {
            incoming: Some(self.headers.clone()),
            root: None,
            span,
        }
    }
}

/// A context to inject into an outgoing request, put in its extensions for [`InjectService`].
#[derive(Clone, Debug)]
pub struct Outgoing {
    incoming: Option<http::HeaderMap>,
    root: Option<(TraceId, Option<SamplingPriority>)>,
    span: SpanId,
}

impl Outgoing {
    /// A new trace of your own (a root span): `trace_id`, the span `span`, a decision.
    pub fn new(trace_id: TraceId, span: SpanId, priority: Option<SamplingPriority>) -> Self {
        Outgoing {
            incoming: None,
            root: Some((trace_id, priority)),
            span,
        }
    }

    /// The span the next hop sees as its parent.
    pub fn span_id(&self) -> SpanId {
        self.span
    }

    /// Injects into `headers`, stripping the stale ones first; all or nothing.
    pub fn inject_into(
        &self,
        headers: &mut http::HeaderMap,
        config: &Config,
    ) -> Result<propagate::InjectReport, propagate::InjectError> {
        // Room for every header at its limit (a whole-value carrier stages all of them).
        let mut bufs = Box::new(InjectBuffers::<{ propagate::STAGE_LEN }>::with_capacity());
        let strip = StripSet::for_config(config);
        if let Some(inc) = &self.incoming {
            let mut slots = Slots::new();
            let ex = propagate::extract(inc, config, &mut slots);
            let child = ex.context.map(|c| c.child(self.span));
            let bag = ex
                .baggage
                .as_ref()
                .map_or(BaggageOut::None, BaggageOut::Extracted);
            return propagate::inject_replacing(
                &mut bufs,
                child.as_ref(),
                bag,
                config,
                strip,
                headers,
            );
        }
        let ctx = self.root.map(|(t, p)| {
            let mut c = crate::context::SpanContext::new(t, Some(self.span));
            c.sampling_priority = p;
            c
        });
        propagate::inject_replacing(
            &mut bufs,
            ctx.as_ref(),
            BaggageOut::None,
            config,
            strip,
            headers,
        )
    }
}

/// Server-side layer: stores each request's [`Incoming`] context in its extensions.
#[derive(Clone, Debug)]
pub struct ExtractLayer {
    config: Arc<Config>,
}

impl ExtractLayer {
    /// A layer reading under `config`.
    pub fn new(config: Config) -> Self {
        ExtractLayer {
            config: Arc::new(config),
        }
    }
}

impl<S> tower_layer::Layer<S> for ExtractLayer {
    type Service = ExtractService<S>;
    fn layer(&self, inner: S) -> ExtractService<S> {
        ExtractService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`ExtractLayer`] makes.
#[derive(Clone, Debug)]
pub struct ExtractService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S, B> tower_service::Service<http::Request<B>> for ExtractService<S>
where
    S: tower_service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> S::Future {
        let inc = Incoming::from_headers(req.headers(), self.config.clone());
        req.extensions_mut().insert(inc);
        self.inner.call(req)
    }
}

/// Client-side layer: injects the [`Outgoing`] context of each request that has one.
#[derive(Clone, Debug)]
pub struct InjectLayer {
    config: Arc<Config>,
}

impl InjectLayer {
    /// A layer writing under `config`.
    pub fn new(config: Config) -> Self {
        InjectLayer {
            config: Arc::new(config),
        }
    }
}

impl<S> tower_layer::Layer<S> for InjectLayer {
    type Service = InjectService<S>;
    fn layer(&self, inner: S) -> InjectService<S> {
        InjectService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`InjectLayer`] makes. A request without an [`Outgoing`] extension goes through
/// untouched; one whose headers cannot take the context (a value `http` refuses) goes without
/// it, its headers as they were.
#[derive(Clone, Debug)]
pub struct InjectService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S, B> tower_service::Service<http::Request<B>> for InjectService<S>
where
    S: tower_service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> S::Future {
        if let Some(out) = req.extensions_mut().remove::<Outgoing>() {
            let _ = out.inject_into(req.headers_mut(), &self.config);
        }
        self.inner.call(req)
    }
}
