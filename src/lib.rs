#![doc = include_str!("../README.md")]
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
pub use id::{DecisionMaker, SamplingPriority, SpanId, TraceFlags, TraceId};
