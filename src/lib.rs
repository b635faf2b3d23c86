//! Reads and writes distributed-tracing context headers with no heap, no `std` and no copies:
//! Datadog (`x-datadog-*`), W3C Trace Context (`traceparent`, `tracestate` with Datadog's `dd=`
//! member), B3 single and multi, AWS X-Ray and W3C Baggage, byte-compatible with Datadog's
//! tracers and configured the way they are (`DD_TRACE_PROPAGATION_STYLE`, `OTEL_PROPAGATORS`,
//! ...).
//!
//! # Extract, continue, inject
//!
//! ```
//! use tracewire::carrier::Headers;
//! use tracewire::config::Config;
//! use tracewire::propagate::{self, Slots};
//! use tracewire::SpanId;
//!
//! let incoming = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
//! let config = Config::new(); // datadog,tracecontext,baggage: Datadog's default
//! let mut slots = Slots::new(); // the headers' raw values and lines: the result points into it
//! let ex = propagate::extract(&incoming, &config, &mut slots);
//! let child = ex.context.unwrap().child(SpanId::new(0x2a).unwrap()); // your span id
//! let mut out = Headers::<16, 2048>::new();
//! propagate::inject(Some(&child), ex.baggage_out(), &config, &mut out).unwrap();
//! assert_eq!(out.get("traceparent"),
//!     Some(&b"00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000002a-01"[..]));
//! ```
//!
//! When `ex.context` is `None` (nothing valid arrived, or the behaviour is `restart` or
//! `ignore`), a new trace starts with you: make its ids with your own random source
//! ([`TraceId::new`], [`SpanId::new`]; a 128-bit id that Datadog's tracers recognise puts the
//! Unix time in seconds in its top 32 bits and zeros in the next 32), build
//! [`SpanContext::new`](context::SpanContext::new), set `sampling_priority` from your sampler
//! ([`SamplingPriority::new`], [`SamplingPriority::AUTO_KEEP`], ...) and inject it. Under
//! `restart`, [`propagate::Extracted::links`] holds the link to the incoming trace for your new
//! root span, and the baggage is kept.
//!
//! # Where headers come from and go
//!
//! A carrier implements [`carrier::Extract`] (read) and [`carrier::Inject`] (write):
//! slices and arrays of `(name, value)` pairs, a raw HTTP/1.1 block
//! ([`carrier::HeaderBlock`], [`carrier::HeaderBlockWriter`]), the fixed-capacity
//! [`carrier::Headers`], a closure ([`carrier::FnInjector`]), SQS's `_datadog` attribute
//! ([`transport::sqs`]), and with features `heapless`/`arrayvec` vectors, `http` the
//! `HeaderMap`, `std` maps and vectors of `String`s. Injection is all or nothing: a carrier
//! that cannot take every header gets none.
//!
//! Proxies continue a request's trace in the request itself, stale headers stripped:
//! [`propagate::continue_in_place`], [`propagate::forward_in_place`],
//! [`propagate::continue_block`].
//!
//! # Features
//!
//! | feature | adds |
//! |---|---|
//! | (none) | everything above; `no_std`, no `alloc`, no dependencies |
//! | `heapless`, `arrayvec` | carriers over their vectors |
//! | `std` | `Config::from_env`, carriers over `HashMap`/`BTreeMap`/`Vec` of `String`s |
//! | `http` | `http::HeaderMap` as a carrier |
//! | `tower` | the `tower` module: layers that extract into a request extension and inject into outgoing requests |
//! | `opentelemetry` | the `otel` module: an OpenTelemetry `TextMapPropagator` with Datadog's semantics |
//! | `defmt` | `defmt::Format` on ids, errors and configuration |
//!
//! # Where to go next
//!
//! - [`propagate`]: extraction across styles, span links, behaviours, injection, forward mode.
//! - [`config`]: styles and their names, the environment variables, limits.
//! - [`format`]: one module per wire format, each saying the rules it follows.
//! - `docs/BEHAVIOUR.md` in the repository: every rule tracewire follows, and for each point
//!   where Datadog's tracers disagree, what tracewire does and why.
//! - The repository's README: the demo (`cargo run --example inspect`), tests, fuzzing,
//!   benchmarks.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

pub mod carrier;
pub mod config;
pub mod context;
pub mod error;
pub mod format;
pub mod id;
#[cfg(feature = "opentelemetry")]
pub mod otel;
pub mod propagate;
#[cfg(feature = "tower")]
pub mod tower;
pub mod transport;
pub mod wire;

pub use error::BufferTooSmall;

/// The README's code runs as a doctest too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub use id::{DecisionMaker, SamplingPriority, SpanId, TraceFlags, TraceId};
