//! The firmware shape: an IoT gateway that forwards HTTP requests from a serial link upstream,
//! continuing the trace. No heap and no `std` in the loop: the request's header block is read
//! into a fixed buffer from an `embedded-io` byte source, extracted in place, and the outgoing
//! header block is written into another fixed buffer; an `embedded-hal` pin blinks per request.
//!
//! On the host it runs against an in-memory serial port:
//! `cargo run --example gateway` (and `cargo test --example gateway`).

use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
use embedded_io::{ErrorType, Read, Write};

use tracewire::carrier::{HeaderBlock, HeaderBlockWriter};
use tracewire::config::Config;
use tracewire::propagate::{self, BaggageOut};
use tracewire::SpanId;

/// Largest request header block the gateway accepts.
pub const HEAD_MAX: usize = 2048;
/// Room for the trace headers added to the forwarded request.
pub const OUT_MAX: usize = 2048;

/// What went wrong with one request.
#[derive(Debug, PartialEq, Eq)]
pub enum GatewayError<E> {
    /// The serial link failed.
    Io(E),
    /// The header block did not end within [`HEAD_MAX`] bytes.
    HeadTooLarge,
    /// The link closed before a complete header block.
    Truncated,
    /// The outgoing headers did not fit in [`OUT_MAX`] bytes.
    OutputFull,
}

/// A tiny non-cryptographic span-id source (a real device would use its hardware RNG).
pub struct Ids(u64);

impl Ids {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Ids(seed | 1)
    }
    fn next(&mut self) -> SpanId {
        loop {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            if let Some(id) = SpanId::new(self.0) {
                return id;
            }
        }
    }
}

/// Reads one header block (up to and including the blank line) into `buf`; returns its length.
fn read_head<R: Read>(
    rx: &mut R,
    buf: &mut [u8; HEAD_MAX],
) -> Result<usize, GatewayError<R::Error>> {
    let mut len = 0;
    loop {
        if len >= 4 && &buf[len - 4..len] == b"\r\n\r\n" {
            return Ok(len);
        }
        let Some(slot) = buf.get_mut(len..len + 1) else {
            return Err(GatewayError::HeadTooLarge);
        };
        match rx.read(slot).map_err(GatewayError::Io)? {
            0 => return Err(GatewayError::Truncated),
            n => len += n,
        }
    }
}

/// Handles one request: reads its head from `rx`, writes the trace headers for the upstream hop
/// to `tx` (one `name: value` line each, then a blank line), blinks `led`.
pub fn forward_one<R: Read, W: Write<Error = R::Error>, P: OutputPin>(
    rx: &mut R,
    tx: &mut W,
    led: &mut P,
    ids: &mut Ids,
    config: &Config,
) -> Result<usize, GatewayError<R::Error>> {
    let mut head = [0u8; HEAD_MAX];
    let n = read_head(rx, &mut head)?;
    let _ = led.set_high();
    // Skip the request line; the rest is `Name: value` lines.
    let block = head[..n].splitn(2, |&b| b == b'\n').nth(1).unwrap_or(&[]);
    let carrier = HeaderBlock(block);
    let mut slots = propagate::Slots::new();
    let extracted = propagate::extract(&carrier, config, &mut slots);

    let mut out = [0u8; OUT_MAX];
    let mut w = HeaderBlockWriter::new(&mut out);
    let span = ids.next();
    let child = extracted.context.map(|c| c.child(span));
    let baggage = extracted
        .baggage
        .as_ref()
        .map_or(BaggageOut::None, BaggageOut::Extracted);
    propagate::inject(child.as_ref(), baggage, config, &mut w)
        .map_err(|_| GatewayError::OutputFull)?;
    let written = w.into_written();
    tx.write_all(written).map_err(GatewayError::Io)?;
    tx.write_all(b"\r\n").map_err(GatewayError::Io)?;
    let _ = led.set_low();
    Ok(written.len())
}

/// An in-memory serial port: reads from a script, writes into a log.
pub struct MemSerial<'a> {
    input: &'a [u8],
    /// Everything written.
    pub output: Vec<u8>,
}

impl ErrorType for MemSerial<'_> {
    type Error = core::convert::Infallible;
}

impl Read for MemSerial<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for MemSerial<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A pin that counts its rising edges.
#[derive(Default)]
pub struct Led {
    /// How many times it was switched on.
    pub blinks: u32,
}

impl PinErrorType for Led {
    type Error = core::convert::Infallible;
}

impl OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.blinks += 1;
        Ok(())
    }
}

const SCRIPT: &[u8] = b"GET /telemetry HTTP/1.1\r\n\
Host: gateway.local\r\n\
traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\
tracestate: dd=s:1;o:rum,congo=t61rcWkgMzE\r\n\
baggage: device.id=sensor-7\r\n\
\r\n\
GET /status HTTP/1.1\r\n\
Host: gateway.local\r\n\
\r\n";

fn main() {
    let (mut rx, mut tx) = (
        MemSerial {
            input: SCRIPT,
            output: Vec::new(),
        },
        MemSerial {
            input: &[],
            output: Vec::new(),
        },
    );
    let mut led = Led::default();
    let mut ids = Ids::new(0x5eed);
    let config = Config::new();
    loop {
        match forward_one(&mut rx, &mut tx, &mut led, &mut ids, &config) {
            Ok(n) => println!("forwarded a request with {n} bytes of trace headers"),
            Err(GatewayError::Truncated) => break,
            Err(e) => {
                println!("request rejected: {e:?}");
                break;
            }
        }
    }
    println!(
        "--- upstream link ---\n{}",
        String::from_utf8_lossy(&tx.output)
    );
    println!("led blinked {} times", led.blinks);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continues_the_trace_over_the_serial_link() {
        let mut rx = MemSerial {
            input: SCRIPT,
            output: Vec::new(),
        };
        let mut tx = MemSerial {
            input: &[],
            output: Vec::new(),
        };
        let mut led = Led::default();
        let mut ids = Ids::new(7);
        let cfg = Config::new();
        forward_one(&mut rx, &mut tx, &mut led, &mut ids, &cfg).unwrap();
        let out = String::from_utf8(tx.output.clone()).unwrap();
        assert!(
            out.contains("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{out}"
        );
        assert!(
            !out.contains("00f067aa0ba902b7-01"),
            "the parent id must be the gateway's span: {out}"
        );
        assert!(
            out.contains("x-datadog-trace-id: 11803532876627986230\r\n"),
            "{out}"
        );
        assert!(out.contains(",congo=t61rcWkgMzE"), "{out}");
        assert!(out.contains("baggage: device.id=sensor-7\r\n"), "{out}");
        // Second request: no trace headers, so nothing but (empty) baggage is forwarded.
        tx.output.clear();
        forward_one(&mut rx, &mut tx, &mut led, &mut ids, &cfg).unwrap();
        assert_eq!(tx.output, b"\r\n");
        assert_eq!(led.blinks, 2);
        assert_eq!(
            forward_one(&mut rx, &mut tx, &mut led, &mut ids, &cfg),
            Err(GatewayError::Truncated)
        );
    }

    #[test]
    fn oversized_head_is_rejected_without_output() {
        let big = vec![b'a'; HEAD_MAX + 10];
        let mut rx = MemSerial {
            input: &big,
            output: Vec::new(),
        };
        let mut tx = MemSerial {
            input: &[],
            output: Vec::new(),
        };
        let r = forward_one(
            &mut rx,
            &mut tx,
            &mut Led::default(),
            &mut Ids::new(1),
            &Config::new(),
        );
        assert_eq!(r, Err(GatewayError::HeadTooLarge));
        assert!(tx.output.is_empty());
    }
}
