//! Signing cost per request, and client overhead against a bare `reqwest` call.
//!
//! - `sign`: build the request the client sends (method, URI, final headers) unsigned — the
//!   baseline — then the same plus SigV4, plus SigV4A. The difference is the signing cost;
//!   tests/py/bench_botocore_sign.py measures botocore's `SigV4Auth.add_auth` on the same
//!   request for the ratio.
//! - `client_get`: one GET to a keep-alive upstream on 127.0.0.1, through a bare
//!   `reqwest::Client` and through an unsigned `LatticeClient` on the same runtime.
//!
//! Run: `cargo bench -p lattice-lambda --features client,sigv4a --bench sign`

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use lattice_lambda::client::{
    CallContext, Credentials, LatticeClient, RequestSigner, ServiceRequest, Url,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const URI: &str = "https://eks-app-default-0a1b2c3d4e5f.7d67968.vpc-lattice-svcs.us-west-2.on.aws/app/orders?status=open&page=2";
const HOST: &str = "eks-app-default-0a1b2c3d4e5f.7d67968.vpc-lattice-svcs.us-west-2.on.aws";

/// The request as the client has it just before signing.
fn request() -> http::Request<()> {
    http::Request::get(URI)
        .header("host", HOST)
        .header("accept", "*/*")
        .header("content-type", "application/json")
        .header(
            "x-amzn-trace-id",
            "Root=1-67891233-abcdef012345678912345678",
        )
        .body(())
        .expect("static request is valid")
}

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("IQoJb3JpZ2luX2VjEXAMPLETOKEN".to_owned()),
    )
}

fn sign(c: &mut Criterion) {
    let sigv4 = RequestSigner::sigv4(credentials(), "us-west-2");
    let mut group = c.benchmark_group("sign");
    group.bench_function("unsigned_baseline", |b| b.iter(|| black_box(request())));
    group.bench_function("sigv4", |b| {
        b.iter(|| {
            let mut req = request();
            sigv4.sign(&mut req, SystemTime::now()).expect("signs");
            black_box(req)
        })
    });
    #[cfg(feature = "sigv4a")]
    {
        let sigv4a = RequestSigner::sigv4a(credentials(), "*");
        group.bench_function("sigv4a", |b| {
            b.iter(|| {
                let mut req = request();
                sigv4a.sign(&mut req, SystemTime::now()).expect("signs");
                black_box(req)
            })
        });
    }
    group.finish();
}

/// A minimal keep-alive HTTP/1.1 upstream answering every request with a fixed body.
async fn upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    // Bench requests are GETs without a body: the head is the whole request.
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
                    buf.drain(..end);
                    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 19\r\n\r\nHello Bar EKS Pod!!";
                    if stream.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/app")
}

fn client_get(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = rt.block_on(upstream());
    let bare = reqwest::Client::new();
    let lattice = LatticeClient::builder().build().expect("client");
    let request = ServiceRequest::get(Url::parse(&url).expect("url"));
    let context = CallContext::new();

    let mut group = c.benchmark_group("client_get");
    group.bench_function("bare_reqwest", |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = bare.get(&url).send().await.expect("send");
                black_box(response.bytes().await.expect("body"))
            })
        })
    });
    group.bench_function("lattice_client_unsigned", |b| {
        b.iter(|| {
            rt.block_on(async { black_box(lattice.send(&request, &context).await.expect("send")) })
        })
    });
    group.finish();
}

criterion_group!(benches, sign, client_get);
criterion_main!(benches);
