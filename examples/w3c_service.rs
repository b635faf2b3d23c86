//! The service the W3C trace-context test harness drives (`w3c/trace-context`, folder `test/`).
//!
//! `cargo run --release --example w3c_service -- 127.0.0.1:5000` listens there. For each
//! `POST` it reads a JSON list of `{"url": …, "arguments": …}`; for each element it POSTs
//! `arguments` to `url`, carrying the incoming trace context continued by a new child span
//! (tracecontext style, a fresh span id per call, a new trace when nothing valid arrived), and
//! answers `200` with a JSON body. Plain `std::net` and HTTP/1.1 with `Connection: close`; the
//! request headers are read in place through `tracewire::carrier::HeaderBlock`.
//!
//! Running the harness: see the README section "W3C test harness".

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tracewire::carrier::{HeaderBlock, Headers};
use tracewire::config::{Config, Style, StyleSet};
use tracewire::context::SpanContext;
use tracewire::propagate::{self, BaggageOut};
use tracewire::{SamplingPriority, SpanId, TraceId};

static RNG: AtomicU64 = AtomicU64::new(0);

/// A non-cryptographic id source (xorshift64*), seeded from the clock and the process id.
fn next_u64() -> u64 {
    let mut x = RNG.load(Ordering::Relaxed);
    if x == 0 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        x = t ^ (u64::from(std::process::id()) << 32) | 1;
    }
    loop {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let prev = RNG.swap(x, Ordering::Relaxed);
        let _ = prev;
        let v = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        if v != 0 {
            return v;
        }
    }
}

/// Reads one request: the header block and the body (by `Content-Length`).
fn read_request(stream: &mut TcpStream) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut r = BufReader::new(stream.try_clone()?);
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 || line == b"\r\n" || line == b"\n" {
            break;
        }
        head.extend_from_slice(&line);
        if head.len() > 64 * 1024 {
            return Err(std::io::Error::other("header block too large"));
        }
    }
    let mut len = 0usize;
    HeaderBlock(&head).for_each_header_simple(|n, v| {
        if n.eq_ignore_ascii_case(b"content-length") {
            len = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
        }
    });
    let mut body = vec![0u8; len.min(1 << 20)];
    r.read_exact(&mut body)?;
    Ok((head, body))
}

trait Simple {
    fn for_each_header_simple(&self, f: impl FnMut(&[u8], &[u8]));
}

impl Simple for HeaderBlock<'_> {
    fn for_each_header_simple(&self, f: impl FnMut(&[u8], &[u8])) {
        use tracewire::carrier::Extract;
        // Skip the request line.
        let block = self.0.splitn(2, |&b| b == b'\n').nth(1).unwrap_or(&[]);
        HeaderBlock(block).for_each_header(f);
    }
}

/// POSTs `body` to `url` (`http://host:port/path`) with `headers`; returns the status.
fn post(url: &str, headers: &[(String, String)], body: &[u8]) -> std::io::Result<u16> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("http only"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut s = TcpStream::connect(authority)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut req = format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let status = resp
        .split(|&b| b == b' ')
        .nth(1)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok(status)
}

fn handle(mut stream: TcpStream, cfg: &Config) -> std::io::Result<()> {
    let (head, body) = read_request(&mut stream)?;
    let block = head
        .splitn(2, |&b| b == b'\n')
        .nth(1)
        .unwrap_or(&[])
        .to_vec();
    let carrier = HeaderBlock(&block);
    let mut slots = propagate::Slots::new();
    let extracted = propagate::extract(&carrier, cfg, &mut slots);
    let actions: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    for action in actions.as_array().into_iter().flatten() {
        let Some(url) = action["url"].as_str() else {
            continue;
        };
        let span = SpanId::new(next_u64()).unwrap_or(SpanId::new(1).unwrap());
        let ctx = match extracted.context {
            Some(c) => c.child(span),
            None => {
                let trace = TraceId::from_halves(next_u64(), next_u64())
                    .unwrap_or(TraceId::new(1).unwrap());
                let mut c = SpanContext::new(trace, Some(span));
                c.sampling_priority = Some(SamplingPriority::AUTO_REJECT);
                c
            }
        };
        let mut out = Headers::<8, 8192>::new();
        let _ = propagate::inject(Some(&ctx), BaggageOut::None, cfg, &mut out);
        let hs: Vec<(String, String)> = out
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        let args = serde_json::to_vec(&action["arguments"]).unwrap_or_else(|_| b"[]".to_vec());
        let _ = post(url, &hs, &args);
    }
    let reply = b"{}";
    write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", reply.len())?;
    stream.write_all(reply)?;
    stream.flush()
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".to_string());
    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("w3c_service: cannot listen on {addr}: {e}");
        std::process::exit(2)
    });
    println!("w3c_service listening on http://{addr}/test");
    let cfg = Config::new().with_styles(StyleSet::EMPTY.with(Style::TraceContext));
    for stream in listener.incoming().flatten() {
        let cfg = cfg.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &cfg);
        });
    }
}
