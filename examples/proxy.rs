//! A reverse-proxy hop on hyper: continue the incoming trace in the request's own
//! `http::HeaderMap` (feature `http`) and forward the same request upstream. One call does it,
//! with no clone of the map: [`propagate::continue_in_place`] extracts, lets the proxy pick the
//! hop's span id, strips every header that would go stale (a `b3` of another trace, a rejected
//! `x-datadog-tags`), and injects the child context. With `--forward`,
//! [`propagate::forward_in_place`] rewrites each valid incoming style with only its parent id
//! replaced.
//!
//! `cargo run -p tracewire-integration --example proxy -- 127.0.0.1:8080 127.0.0.1:9000 [--forward]`
//! (listen address, upstream address). `cargo test -p tracewire-integration --example proxy` drives it
//! over loopback against a small upstream that echoes the headers it received.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use tracewire::carrier::StripSet;
use tracewire::config::Config;
use tracewire::propagate::{self, InjectBuffers, STAGE_LEN};
use tracewire::SpanId;

struct Proxy {
    upstream: SocketAddr,
    config: Config,
    forward_mode: bool,
    next_id: AtomicU64,
}

impl Proxy {
    fn span_id(&self) -> SpanId {
        let n = self
            .next_id
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        SpanId::new(n | 1).unwrap_or(SpanId::MIN)
    }

    /// Continues the trace in the request's own headers: stale trace headers go, the hop's
    /// headers come. On an error (a header the map cannot take) the headers are left as they
    /// arrived.
    fn continue_trace(&self, headers: &mut http::HeaderMap) {
        // The encoding buffers live on the heap here, not on the task's stack: `STAGE_LEN`
        // (about 13 KiB) holds every header at its limit, kilobytes of baggage included (the
        // default, 1 KiB, holds an ordinary request's).
        let mut bufs = Box::new(InjectBuffers::<STAGE_LEN>::with_capacity());
        let strip = StripSet::for_config(&self.config);
        let span = self.span_id();
        let r = if self.forward_mode {
            propagate::forward_in_place(&mut bufs, headers, span, &self.config, strip).map(|_| ())
        } else {
            propagate::continue_in_place(&mut bufs, headers, &self.config, strip, |_| span)
                .map(|_| ())
        };
        if let Err(e) = r {
            eprintln!("trace context not continued: {e}");
        }
    }

    async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let (mut parts, body) = req.into_parts();
        self.continue_trace(&mut parts.headers);
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let mut up = Request::builder()
            .method(parts.method)
            .uri(parts.uri)
            .body(Full::new(body))
            .expect("request");
        *up.headers_mut() = parts.headers;
        let result = async {
            let stream = TcpStream::connect(self.upstream).await?;
            let (mut send, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let resp = send.send_request(up).await?;
            let (p, b) = resp.into_parts();
            let bytes = b.collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Response::from_parts(
                p,
                Full::new(bytes),
            ))
        }
        .await;
        Ok(result.unwrap_or_else(|e| {
            let mut r = Response::new(Full::new(Bytes::from(format!("upstream error: {e}"))));
            *r.status_mut() = http::StatusCode::BAD_GATEWAY;
            r
        }))
    }
}

async fn serve(listener: TcpListener, proxy: Arc<Proxy>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| proxy.clone().handle(req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listen = args
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let upstream: SocketAddr = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| "127.0.0.1:9000".parse().expect("addr"));
    let proxy = Arc::new(Proxy {
        upstream,
        config: tracewire::config::Config::from_env().0,
        forward_mode: args.iter().any(|a| a == "--forward"),
        next_id: AtomicU64::new(0x5eed),
    });
    let listener = TcpListener::bind(&listen).await.expect("listen");
    println!("proxy on http://{listen} -> http://{upstream}");
    serve(listener, proxy).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that answers with the trace headers it received, one `name: value` a line.
    async fn echo_upstream() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let svc = service_fn(|req: Request<Incoming>| async move {
                        let mut text = String::new();
                        for (n, v) in req.headers() {
                            if StripSet::ALL.contains(n.as_str()) {
                                text.push_str(&format!("{}: {}\n", n, v.to_str().unwrap_or("?")));
                            }
                        }
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        addr
    }

    async fn through_proxy(forward_mode: bool, headers: &[(&str, &str)]) -> String {
        let upstream = echo_upstream().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let proxy = Arc::new(Proxy {
            upstream,
            config: Config::new(),
            forward_mode,
            next_id: AtomicU64::new(0x1000),
        });
        tokio::spawn(serve(listener, proxy));
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut req = Request::builder().uri("/orders").header("host", "example");
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let resp = send
            .send_request(req.body(Full::new(Bytes::new())).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        String::from_utf8(
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap()
    }

    const IN: [(&str, &str); 7] = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        ("tracestate", "dd=s:2;o:rum,congo=t61rcWkgMzE"),
        ("x-datadog-trace-id", "11803532876627986230"),
        ("x-datadog-parent-id", "67667974448284343"),
        ("x-datadog-sampling-priority", "2"),
        ("x-datadog-tags", "_dd.p.tid=4bf92f3577b34da6"),
        ("baggage", "user.id=amy"),
    ];

    #[tokio::test]
    async fn continues_the_trace_with_a_new_parent() {
        let seen = through_proxy(false, &IN).await;
        assert!(
            seen.contains("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{seen}"
        );
        assert!(
            !seen.contains("00f067aa0ba902b7-01"),
            "the proxy hop is the new parent: {seen}"
        );
        assert!(
            seen.contains("x-datadog-trace-id: 11803532876627986230"),
            "{seen}"
        );
        assert!(seen.contains(",congo=t61rcWkgMzE"), "{seen}");
        assert!(seen.contains("baggage: user.id=amy"), "{seen}");
        assert_eq!(
            seen.matches("traceparent:").count(),
            1,
            "replaced, never duplicated: {seen}"
        );
    }

    /// A valid traceparent, a `b3` of another trace and an `x-datadog-tags` over its limit.
    const STALE: [(&str, &str); 4] = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        ("tracestate", "congo=t61rcWkgMzE"),
        ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),
        ("x-datadog-tags", TAGS_622),
    ];
    const TAGS_622: &str = concat!(
        "_dd.p.a=0123456789012345678901234567890123456789012345678901234567890123456789,",
        "_dd.p.b=0123456789012345678901234567890123456789012345678901234567890123456789,",
        "_dd.p.c=0123456789012345678901234567890123456789012345678901234567890123456789,",
        "_dd.p.d=0123456789012345678901234567890123456789012345678901234567890123456789,",
        "_dd.p.e=0123456789012345678901234567890123456789012345678901234567890123456789,",
        "_dd.p.f=0123456789012345678901234567890123456789012345678901234567890123456789,",
        "_dd.p.g=0123456789012345678901234567890123456789012345678901234567890123456789,",
        "_dd.p.h=0123456789012345678901234567890123456789012345678901234567890123456789",
    );

    fn lines(seen: &str) -> Vec<&str> {
        let mut l: Vec<&str> = seen.lines().collect();
        l.sort_unstable();
        l
    }

    #[tokio::test]
    async fn stale_headers_never_reach_upstream() {
        assert!(TAGS_622.len() > 512, "over the x-datadog-tags limit");
        // The first span id the proxy picks: 0x1000 | 1.
        let seen = through_proxy(false, &STALE).await;
        assert_eq!(
            lines(&seen),
            [
                "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000001001-01",
                "tracestate: dd=s:1;p:0000000000001001;t.dm:-0,congo=t61rcWkgMzE",
                "x-datadog-parent-id: 4097",
                "x-datadog-sampling-priority: 1",
                "x-datadog-tags: _dd.p.dm=-0,_dd.p.tid=4bf92f3577b34da6",
                "x-datadog-trace-id: 11803532876627986230",
            ],
            "exactly the continued trace, no b3 of the other trace, no rejected tags"
        );
        let seen = through_proxy(true, &STALE).await;
        assert_eq!(
            lines(&seen),
            [
                "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000001001-01",
                "tracestate: congo=t61rcWkgMzE",
            ],
            "forward mode: the valid style rewritten, the stale headers gone"
        );
    }

    #[tokio::test]
    async fn forward_mode_rewrites_only_the_parent() {
        let seen = through_proxy(true, &IN).await;
        assert!(
            seen.contains("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{seen}"
        );
        assert!(
            seen.contains("tracestate: dd=s:2;o:rum,congo=t61rcWkgMzE"),
            "passed through: {seen}"
        );
        assert!(!seen.contains("00f067aa0ba902b7-01"), "{seen}");
    }
}
