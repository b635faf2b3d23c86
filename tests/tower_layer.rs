//! The tower layers over a real hyper server and client on loopback: the client injects the
//! context it was given, stripping a stale `b3`; the server's layer hands the handler the
//! extracted context as a request extension.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming as Body;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tower_layer::Layer;
use tower_service::Service;
use tracewire::config::Config;
use tracewire::tower::{ExtractLayer, Incoming, InjectLayer, Outgoing};
use tracewire::{SamplingPriority, SpanId, TraceId};

/// The handler: answers with what the extract layer found, and the raw trace headers.
#[derive(Clone)]
struct Handler;

impl Service<http::Request<Body>> for Handler {
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let inc = req.extensions().get::<Incoming>().expect("the layer ran");
        let mut slots = tracewire::propagate::Slots::new();
        let mut text = format!(
            "trace={:032x} parent={:016x} priority={:?} style={:?} baggage={}\n",
            inc.trace_id.map_or(0, TraceId::get),
            inc.parent_id.map_or(0, SpanId::get),
            inc.sampling_priority.map(|p| p.0),
            inc.style.map(|s| s.name()),
            inc.extract(&mut slots).baggage.map_or(0, |b| b.len()),
        );
        for n in ["b3", "traceparent"] {
            text.push_str(&format!("{n}: {}\n", req.headers().contains_key(n)));
        }
        std::future::ready(Ok(http::Response::new(Full::new(Bytes::from(text)))))
    }
}

/// A hyper client connection as a tower service.
struct Client(hyper::client::conn::http1::SendRequest<Full<Bytes>>);

impl Service<http::Request<Full<Bytes>>> for Client {
    type Response = http::Response<Body>;
    type Error = hyper::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, hyper::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), hyper::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Full<Bytes>>) -> Self::Future {
        Box::pin(self.0.send_request(req))
    }
}

async fn server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let svc = TowerToHyperService::new(ExtractLayer::new(Config::new()).layer(Handler));
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

async fn send(addr: std::net::SocketAddr, req: http::Request<Full<Bytes>>) -> String {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut client = InjectLayer::new(Config::new()).layer(Client(send));
    std::future::poll_fn(|cx| client.poll_ready(cx))
        .await
        .unwrap();
    let resp = client.call(req).await.unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn client_injects_and_server_extracts_over_loopback() {
    let addr = server().await;

    // A hop continuing an incoming request's trace: the server sees the trace, the hop as its
    // parent, the decision and the baggage; the stale b3 of the request is gone.
    let mut incoming = http::HeaderMap::new();
    incoming.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    incoming.insert("baggage", "user.id=amy".parse().unwrap());
    let inc = Incoming::from_headers(&incoming, std::sync::Arc::new(Config::new()));
    let mut req = http::Request::builder()
        .uri("/")
        .header("host", "x")
        .header("b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1")
        .body(Full::new(Bytes::new()))
        .unwrap();
    req.extensions_mut()
        .insert(inc.child(SpanId::new(0x2a).unwrap()));
    let seen = send(addr, req).await;
    assert_eq!(
        seen,
        "trace=4bf92f3577b34da6a3ce929d0e0e4736 parent=000000000000002a priority=Some(1) \
         style=Some(\"datadog\") baggage=1\nb3: false\ntraceparent: true\n"
    );

    // A root of the client's own.
    let mut req = http::Request::builder()
        .uri("/")
        .header("host", "x")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let root = Outgoing::new(
        TraceId::new(7).unwrap(),
        SpanId::new(8).unwrap(),
        Some(SamplingPriority::USER_KEEP),
    );
    req.extensions_mut().insert(root);
    let seen = send(addr, req).await;
    assert!(
        seen.starts_with(
            "trace=00000000000000000000000000000007 parent=0000000000000008 priority=Some(2)"
        ),
        "{seen}"
    );

    // No Outgoing extension: nothing injected, nothing continued.
    let req = http::Request::builder()
        .uri("/")
        .header("host", "x")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let seen = send(addr, req).await;
    assert!(seen.starts_with("trace=00000000000000000000000000000000 parent=0000000000000000 priority=None style=None baggage=0"), "{seen}");
}
