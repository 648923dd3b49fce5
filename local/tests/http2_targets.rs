//! HTTP/2 through the data plane: h2c clients (what gRPC clients speak to a plain-HTTP
//! listener) are served beside HTTP/1.1 on the same port; `HTTP2` and `GRPC` target groups are
//! reached over h2c whatever the client spoke; a gRPC call through lattice-local reaches a tonic
//! server and its status comes back, also a non-OK `grpc-status` sent in trailers; an idle
//! HTTP/2 connection is closed like an idle HTTP/1.1 one.

mod common;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{REGION, echo_upstream, get, send};
use http::uri::PathAndQuery;
use http::{Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tonic::{Code, Status};
use tonic_prost::ProstCodec;

const TEMPLATE: &str = r#"
Resources:
  Greeter:
    Type: AWS::VpcLattice::Service
    Properties: { Name: greeter }
  GrpcPods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 50051, Protocol: HTTP, ProtocolVersion: GRPC } }
  H2Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP, ProtocolVersion: HTTP2 } }
  H1Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP } }
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Greeter
      Protocol: HTTP
      Port: 80
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref GrpcPods } ] } }
  ToH2:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Greeter
      ListenerIdentifier: !Ref Listener
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /h2/ } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref H2Pods } ] } }
  ToH1:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Greeter
      ListenerIdentifier: !Ref Listener
      Priority: 2
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /h1/ } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref H1Pods } ] } }
"#;

/// The tiny protocol: `test.Greeter` with a prost message declared here (no `.proto`, no
/// build script).
#[derive(Clone, PartialEq, prost::Message)]
struct HelloRequest {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct HelloReply {
    #[prost(string, tag = "1")]
    message: String,
}

const SAY_HELLO: &str = "/test.Greeter/SayHello";
const SAY_HELLO_TWICE: &str = "/test.Greeter/SayHelloTwice";

/// `SayHello`: a greeting, or `INVALID_ARGUMENT` for an empty name.
async fn say_hello(
    request: tonic::Request<HelloRequest>,
) -> Result<tonic::Response<HelloReply>, Status> {
    let name = request.into_inner().name;
    if name.is_empty() {
        return Err(Status::invalid_argument("name is required"));
    }
    Ok(tonic::Response::new(HelloReply {
        message: format!("Hello {name}!"),
    }))
}

type Replies = futures_util::stream::Iter<std::vec::IntoIter<Result<HelloReply, Status>>>;

/// `SayHelloTwice`: one greeting, then `RESOURCE_EXHAUSTED` in the trailers.
async fn say_hello_twice(
    request: tonic::Request<HelloRequest>,
) -> Result<tonic::Response<Replies>, Status> {
    let name = request.into_inner().name;
    Ok(tonic::Response::new(futures_util::stream::iter(vec![
        Ok(HelloReply {
            message: format!("Hello {name}!"),
        }),
        Err(Status::resource_exhausted("one greeting per call")),
    ])))
}

/// A gRPC server (tonic's server-side protocol on hyper's HTTP/2 server, prior knowledge).
async fn grpc_upstream() -> SocketAddr {
    serve_h2(|request: Request<Incoming>| async move {
        let codec = ProstCodec::<HelloReply, HelloRequest>::default();
        let mut grpc = tonic::server::Grpc::new(codec);
        let response = match request.uri().path() {
            SAY_HELLO => grpc.unary(tower::service_fn(say_hello), request).await,
            SAY_HELLO_TWICE => {
                grpc.server_streaming(tower::service_fn(say_hello_twice), request)
                    .await
            }
            _ => Status::unimplemented("no such method").into_http(),
        };
        Ok::<_, Infallible>(response)
    })
    .await
}

/// An HTTP/2-only server that reports the version, path and `te` of each request.
async fn h2_only_upstream() -> SocketAddr {
    serve_h2(|request: Request<Incoming>| async move {
        let report = json!({
            "version": format!("{:?}", request.version()),
            "path": request.uri().path(),
            "te": request.headers().get("te").and_then(|v| v.to_str().ok()),
        });
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(report.to_string()))))
    })
    .await
}

/// Serves `handler` over HTTP/2 with prior knowledge only.
async fn serve_h2<F, Fut, B>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service_fn(handler))
                    .await;
            });
        }
    });
    addr
}

/// `greeter` with `GrpcPods`, `H2Pods` and `H1Pods` on their upstreams.
async fn start() -> Stack {
    let topology =
        Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template reads");
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, Arc::default()));
    options.upstreams = BTreeMap::from([
        (
            "GrpcPods".to_owned(),
            format!("http://{}", grpc_upstream().await),
        ),
        (
            "H2Pods".to_owned(),
            format!("http://{}", h2_only_upstream().await),
        ),
        (
            "H1Pods".to_owned(),
            format!("http://{}", echo_upstream("h1").await),
        ),
    ]);
    Stack::start(&topology, options, |name| {
        panic!("no functions, asked for {name}")
    })
    .await
    .expect("stack starts")
}

fn greeter(stack: &Stack) -> SocketAddr {
    stack.data_plane.endpoint("greeter").expect("greeter").addr
}

/// An HTTP/2 client with prior knowledge (h2c).
fn h2c_client<B>() -> Client<hyper_util::client::legacy::connect::HttpConnector, B>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

#[tokio::test]
async fn grpc_calls_reach_a_grpc_upstream_and_their_statuses_come_back() {
    let stack = start().await;
    let origin = format!("http://{}", greeter(&stack)).parse().unwrap();
    let mut grpc = tonic::client::Grpc::with_origin(h2c_client::<tonic::body::Body>(), origin);
    let codec = || ProstCodec::<HelloRequest, HelloReply>::default();
    let hello = |name: &str| {
        tonic::Request::new(HelloRequest {
            name: name.to_owned(),
        })
    };

    grpc.ready().await.expect("client ready");
    let reply = grpc
        .unary(
            hello("Lattice"),
            PathAndQuery::from_static(SAY_HELLO),
            codec(),
        )
        .await
        .expect("unary OK");
    assert_eq!(reply.into_inner().message, "Hello Lattice!");

    grpc.ready().await.expect("client ready");
    let status = grpc
        .unary(hello(""), PathAndQuery::from_static(SAY_HELLO), codec())
        .await
        .expect_err("an empty name is refused");
    assert_eq!(
        (status.code(), status.message()),
        (Code::InvalidArgument, "name is required")
    );

    // A message, then a non-OK grpc-status in the trailers.
    grpc.ready().await.expect("client ready");
    let mut replies = grpc
        .server_streaming(
            hello("twice"),
            PathAndQuery::from_static(SAY_HELLO_TWICE),
            codec(),
        )
        .await
        .expect("stream opens")
        .into_inner();
    let first = replies.message().await.expect("first message");
    assert_eq!(first.map(|r| r.message).as_deref(), Some("Hello twice!"));
    let status = replies
        .message()
        .await
        .expect_err("trailers carry the status");
    assert_eq!(
        (status.code(), status.message()),
        (Code::ResourceExhausted, "one greeting per call")
    );
}

#[tokio::test]
async fn http2_target_groups_are_reached_over_h2c_whatever_the_client_speaks() {
    let stack = start().await;
    let addr = greeter(&stack);
    // HTTP/1.1 in, HTTP/2 out.
    let reply = send(get(addr, "greeter", "/h2/one")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["version"], "HTTP/2.0");
    assert_eq!(reply.json()["path"], "/h2/one");
    // HTTP/2 in and out; `te: trailers` (what gRPC sends) passes, it is HTTP/2's one TE value.
    let request = Request::get(format!("http://{addr}/h2/two"))
        .header("te", "trailers")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = h2c_client().request(request).await.expect("h2c request");
    assert_eq!(response.version(), Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (&report["version"], &report["path"], &report["te"]),
        (&json!("HTTP/2.0"), &json!("/h2/two"), &json!("trailers"))
    );
}

#[tokio::test]
async fn h2c_clients_reach_http1_targets_with_the_authority_as_host() {
    let stack = start().await;
    let addr = greeter(&stack);
    let request = Request::get(format!("http://{addr}/h1/x?y=1"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = h2c_client().request(request).await.expect("h2c request");
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(report["upstream"], "h1");
    assert_eq!(report["path"], "/h1/x?y=1");
    // HTTP/2's :authority became the Host an HTTP/1.1 target reads.
    assert_eq!(report["headers"]["host"][0], addr.to_string());
}

#[tokio::test(start_paused = true)]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let stack = start().await;
    let timeout = DataPlaneOptions::new(REGION, Arc::default()).header_read_timeout;
    let began = tokio::time::Instant::now();
    let stream = tokio::net::TcpStream::connect(greeter(&stack))
        .await
        .unwrap();
    // A real HTTP/2 client (it answers SETTINGS and PING) that never opens a stream.
    let (_sender, connection) = hyper::client::conn::http2::handshake::<_, _, Full<Bytes>>(
        TokioExecutor::new(),
        TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    // Paused time: the runtime skips ahead to the server's timer once nothing else can run.
    connection
        .await
        .expect("the server ends the connection with a GOAWAY");
    let waited = began.elapsed();
    assert!(
        waited >= timeout && waited < timeout + Duration::from_secs(5),
        "closed after {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_that_ignores_the_goodbye_is_cut_off_one_idle_period_later() {
    let stack = start().await;
    let timeout = DataPlaneOptions::new(REGION, Arc::default()).header_read_timeout;
    let began = tokio::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(greeter(&stack))
        .await
        .unwrap();
    // The client preface and an empty SETTINGS frame, then silence: no stream, no answer to
    // the server's SETTINGS or to the PING of its goodbye.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut frames = Vec::new();
    let read = stream.read_to_end(&mut frames).await;
    assert!(read.is_ok(), "the server closed the connection: {read:?}");
    let waited = began.elapsed();
    assert!(
        waited >= 2 * timeout && waited < 2 * timeout + Duration::from_secs(5),
        "closed after {waited:?}"
    );
    // The goodbye was offered first: a GOAWAY frame (8-byte payload, type 7).
    assert!(
        frames.windows(4).any(|w| w == [0, 0, 8, 7]),
        "no GOAWAY in {frames:?}"
    );
}
