//! Sending: the final header set ([`prepare`]), one signed attempt, and the retry loop of
//! [`LatticeClient::send`] within the invocation's deadline.

use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{ACCEPT, CONTENT_LENGTH, HOST, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::builder::LatticeClient;
use super::error::{ClientError, cause_chain};
use super::request::{self, CallContext, ServiceRequest, ServiceResponse, TRACE_ID_HEADER};
use super::retry::{Budget, is_idempotent, is_retryable_status};

/// How one attempt failed.
enum AttemptError {
    /// Connect, reset, closed connection, broken body: worth retrying when idempotent.
    Transport(String),
    /// The attempt's timeout elapsed.
    TimedOut,
    /// Body over the limit: retrying would read the same oversized body again.
    TooLarge,
    /// The request cannot be signed.
    Signing(String),
    /// The request cannot be sent as built.
    Invalid(String),
}

/// The request as it goes on the wire, minus the signature headers added per attempt.
struct PreparedRequest {
    method: Method,
    url: Url,
    uri: http::Uri,
    headers: HeaderMap,
    body: Bytes,
    host: String,
}

impl LatticeClient {
    /// Refuses a destination this client must not send to: a signed request to an `http://`
    /// URL that the environment's `HTTP_PROXY`/`ALL_PROXY` (minus `NO_PROXY`) routes through
    /// a proxy, which would read the signature and session token in clear. [`send`](Self::send)
    /// checks every request; call it at init to fail early on a configured URL.
    pub fn check_destination(&self, url: &Url) -> Result<(), ClientError> {
        if self.signer.is_none() || url.scheme() != "http" {
            return Ok(());
        }
        let Ok(uri) = url.as_str().parse::<http::Uri>() else {
            return Ok(()); // `send` refuses such a URL with its own error
        };
        if self.proxy.proxies(&uri) {
            return Err(ClientError::SignedPlainHttpThroughProxy {
                host: host_label(url)?,
            });
        }
        Ok(())
    }

    /// Sends `request`, retrying where safe, and reads the whole response.
    ///
    /// Any HTTP status is a response; only transport failures, timeouts and the deadline are
    /// errors.
    pub async fn send(
        &self,
        request: &ServiceRequest,
        context: &CallContext,
    ) -> Result<ServiceResponse, ClientError> {
        let prepared = prepare(request, context)?;
        let host = prepared.host.as_str();
        self.check_destination(&prepared.url)?;
        let budget = Budget::new(context.deadline, self.retry.deadline_margin);
        let max_attempts = if is_idempotent(&prepared.method) {
            self.retry.max_retries.saturating_add(1)
        } else {
            1
        };

        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if budget.is_spent() {
                return Err(ClientError::DeadlineExceeded {
                    host: host.to_owned(),
                    next_attempt: attempt,
                });
            }
            let attempt_timeout = budget.attempt_timeout(self.timeout);
            let outcome = self.attempt(&prepared, attempt_timeout).await;

            let retryable = match &outcome {
                Ok(response) => is_retryable_status(response.status),
                Err(AttemptError::Transport(_) | AttemptError::TimedOut) => true,
                Err(
                    AttemptError::TooLarge | AttemptError::Signing(_) | AttemptError::Invalid(_),
                ) => false,
            };
            if retryable && attempt < max_attempts {
                let delay = self.retry.backoff(attempt);
                if budget.allows_wait(delay) {
                    match &outcome {
                        Ok(response) => tracing::warn!(
                            host,
                            attempt,
                            status = response.status.as_u16(),
                            ?delay,
                            "upstream answered with a gateway error; retrying"
                        ),
                        Err(AttemptError::Transport(cause)) => tracing::warn!(
                            host,
                            attempt,
                            cause = cause.as_str(),
                            ?delay,
                            "upstream transport failure; retrying"
                        ),
                        Err(_) => tracing::warn!(
                            host, attempt, timeout = ?attempt_timeout, ?delay,
                            "upstream attempt timed out; retrying"
                        ),
                    }
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }

            return match outcome {
                Ok(mut response) => {
                    response.attempts = attempt;
                    Ok(response)
                }
                Err(AttemptError::Transport(cause)) => Err(ClientError::Unavailable {
                    host: host.to_owned(),
                    attempts: attempt,
                    cause,
                }),
                Err(AttemptError::TimedOut) => Err(ClientError::Timeout {
                    host: host.to_owned(),
                    attempts: attempt,
                    waited: attempt_timeout,
                    cause: if attempt_timeout < self.timeout {
                        "the invocation deadline (minus its margin) was reached".to_owned()
                    } else {
                        format!(
                            "the attempt timeout of {} ms elapsed",
                            self.timeout.as_millis()
                        )
                    },
                }),
                Err(AttemptError::TooLarge) => Err(ClientError::ResponseTooLarge {
                    host: host.to_owned(),
                    limit: self.max_response_bytes,
                }),
                Err(AttemptError::Signing(reason)) => Err(ClientError::Signing {
                    host: host.to_owned(),
                    reason,
                }),
                Err(AttemptError::Invalid(reason)) => Err(ClientError::InvalidRequest(format!(
                    "request to {host}: {reason}"
                ))),
            };
        }
    }

    /// One attempt: sign (fresh `x-amz-date`), send, read the body, all within `timeout`.
    async fn attempt(
        &self,
        prepared: &PreparedRequest,
        timeout: Duration,
    ) -> Result<ServiceResponse, AttemptError> {
        let mut headers = prepared.headers.clone();
        if let Some(signer) = &self.signer {
            let mut signable = http::Request::new(());
            *signable.method_mut() = prepared.method.clone();
            *signable.uri_mut() = prepared.uri.clone();
            *signable.headers_mut() = headers;
            signer
                .sign(&mut signable, SystemTime::now())
                .map_err(|e| AttemptError::Signing(e.to_string()))?;
            headers = signable.into_parts().0.headers;
        }

        let mut request = reqwest::Request::new(prepared.method.clone(), prepared.url.clone());
        *request.headers_mut() = headers;
        if !prepared.body.is_empty() {
            *request.body_mut() = Some(prepared.body.clone().into());
        }

        let exchange = async {
            let mut response = self.http.execute(request).await.map_err(transport_error)?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let body = read_body(&mut response, self.max_response_bytes).await?;
            Ok(ServiceResponse {
                status,
                headers,
                body,
                attempts: 0,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_elapsed) => Err(AttemptError::TimedOut),
        }
    }
}

fn transport_error(error: reqwest::Error) -> AttemptError {
    // The URL is dropped from the message: the host is named by the caller's error already.
    let error = error.without_url();
    if error.is_builder() {
        return AttemptError::Invalid(cause_chain(&error));
    }
    if error.is_timeout() {
        // reqwest's connect timeout: the host did not complete a handshake in time.
        return AttemptError::TimedOut;
    }
    AttemptError::Transport(cause_chain(&error))
}

/// Reads the body up to `limit` bytes.
async fn read_body(response: &mut reqwest::Response, limit: usize) -> Result<Bytes, AttemptError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(AttemptError::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > limit {
            return Err(AttemptError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Builds the final header set of a request, so that what is signed is what is sent.
fn prepare(
    request: &ServiceRequest,
    context: &CallContext,
) -> Result<PreparedRequest, ClientError> {
    let mut url = request.url().clone();
    request::canonicalize_query(&mut url);
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::InvalidRequest(format!(
            "unsupported URL scheme {:?}: expected http or https",
            url.scheme()
        )));
    }
    let host = host_label(&url)?;
    let uri: http::Uri = url.as_str().parse().map_err(|e| {
        ClientError::InvalidRequest(format!("URL for {host} is not a valid URI: {e}"))
    })?;

    let mut headers = request.headers().clone();
    // Set what reqwest/hyper would otherwise add after signing, so the signature covers it.
    headers.insert(
        HOST,
        HeaderValue::from_str(&host).map_err(|_| {
            ClientError::InvalidRequest(format!("host {host:?} is not a valid header value"))
        })?,
    );
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    let body = request.body().clone();
    if !body.is_empty()
        || matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH
        )
    {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    } else {
        headers.remove(CONTENT_LENGTH);
    }
    if let Some(trace_id) = &context.trace_id {
        match HeaderValue::from_str(trace_id) {
            Ok(value) => {
                headers.insert(HeaderName::from_static(TRACE_ID_HEADER), value);
            }
            Err(_) => tracing::warn!("X-Ray trace id is not a valid header value; not forwarded"),
        }
    }

    Ok(PreparedRequest {
        method: request.method().clone(),
        url,
        uri,
        headers,
        body,
        host,
    })
}

/// `host[:port]` as the `Host` header carries it (port only when not the scheme's default).
fn host_label(url: &Url) -> Result<String, ClientError> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ClientError::InvalidRequest(format!("URL {url} has no host")))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}
