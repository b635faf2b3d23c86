//! tracewire: trace-context header codec (work in progress).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
