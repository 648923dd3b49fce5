//! [`LatticeRequest`] -> [`http::Request`], and typed access to the Lattice
//! parts of that request.

use crate::{
    AuthType, Body, EventError, EventVersion, Identity, LatticeRequest, QueryParameters,
    RequestContext,
};

impl LatticeRequest {
    /// Converts into an [`http::Request`] any `tower` service can serve. The
    /// request context, query parameters and event version travel as request
    /// extensions; read them with [`RequestExt`].
    ///
    /// ```
    /// use lattice_lambda::{LatticeRequest, RequestExt};
    /// let event = br#"{"version":"2.0","path":"/","method":"GET","headers":{},"queryStringParameters":{"a":["1","2"]},
    ///   "isBase64Encoded":false,"requestContext":{"serviceNetworkArn":"arn:sn","serviceArn":"arn:svc",
    ///   "targetGroupArn":"arn:tg","region":"us-west-2","timeEpoch":"1690497599177430","identity":{"type":"NONE"}}}"#;
    /// let request = LatticeRequest::from_slice(event).unwrap().into_http().unwrap();
    /// assert_eq!(request.uri(), "/?a=1&a=2");
    /// assert_eq!(request.query_parameters().all("a").collect::<Vec<_>>(), ["1", "2"]);
    /// assert_eq!(request.lattice_context().unwrap().service_arn(), Some("arn:svc"));
    /// ```
    pub fn into_http(self) -> Result<http::Request<Body>, EventError> {
        let uri = self.uri()?;
        let mut request = http::Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers;
        let extensions = request.extensions_mut();
        extensions.insert(self.version);
        extensions.insert(self.query);
        if let Some(context) = self.context {
            extensions.insert(context);
        }
        Ok(request)
    }
}

/// Typed access to what Lattice told the function about a request.
///
/// Implemented for [`http::Request`] of any body type, so it works inside an
/// axum handler or any `tower` service fed by [`crate::run`].
pub trait RequestExt {
    /// The request context (service, target group, region, time, caller).
    fn lattice_context(&self) -> Option<&RequestContext>;

    /// The caller's identity, if Lattice said anything about it.
    fn caller_identity(&self) -> Option<&Identity> {
        self.lattice_context().map(RequestContext::identity)
    }

    /// How the caller authenticated (`AWS_IAM` or `NONE`).
    fn auth_type(&self) -> Option<&AuthType> {
        self.caller_identity().and_then(Identity::auth_type)
    }

    /// Query parameters with every value; empty when there are none.
    fn query_parameters(&self) -> &QueryParameters;

    /// The event structure the request arrived in.
    fn event_version(&self) -> Option<EventVersion>;

    /// The Lambda invocation context (request id, deadline, trace id), when
    /// the request came through [`crate::run`].
    #[cfg(feature = "runtime")]
    fn lambda_context(&self) -> Option<&lambda_runtime::Context>;
}

static NO_QUERY: QueryParameters = QueryParameters::new_const();

impl<B> RequestExt for http::Request<B> {
    fn lattice_context(&self) -> Option<&RequestContext> {
        self.extensions().get()
    }

    fn query_parameters(&self) -> &QueryParameters {
        self.extensions().get().unwrap_or(&NO_QUERY)
    }

    fn event_version(&self) -> Option<EventVersion> {
        self.extensions().get().copied()
    }

    #[cfg(feature = "runtime")]
    fn lambda_context(&self) -> Option<&lambda_runtime::Context> {
        self.extensions().get()
    }
}
