//! The Extensions API (`/2020-01-01/extension/*`): registration and the event long-poll.
//!
//! `lambda_runtime`'s `graceful-shutdown` feature registers a no-op internal extension and
//! parks on `/event/next`; real Lambda only sends SIGTERM to runtimes that have an extension.
//! Here every registered extension's `/event/next` stays parked until the instance shuts
//! down and then receives one `SHUTDOWN` event. `INVOKE` events are not delivered.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};

use super::body::{BodyError, read_limited};
use super::extension_registry::{NameTaken, RegisteredExtension};
use super::reply::{self, Body};
use super::state::{Phase, Shared};

const NAME_HEADER: &str = "lambda-extension-name";
const ID_HEADER: &str = "lambda-extension-identifier";
const ACCEPT_FEATURE_HEADER: &str = "lambda-extension-accept-feature";
const REGISTER_BODY_LIMIT: usize = 64 * 1024;

#[derive(Deserialize)]
struct RegisterRequest {
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegisterResponse<'a> {
    function_name: &'a str,
    function_version: &'a str,
    handler: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShutdownEvent {
    event_type: &'static str,
    shutdown_reason: &'static str,
    deadline_ms: u64,
}

fn forbidden(error_type: &str, message: impl Into<String>) -> Response<Body> {
    reply::error(StatusCode::FORBIDDEN, error_type, message)
}

/// `POST /2020-01-01/extension/register`.
pub(crate) async fn register(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    let name = request
        .headers()
        .get(NAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return forbidden("Extension.InvalidExtensionName", "Empty extension name");
    }
    let wants_account_id = request
        .headers()
        .get(ACCEPT_FEATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|features| features.split(',').any(|f| f.trim() == "accountId"));
    let body = match read_limited(request.into_body(), REGISTER_BODY_LIMIT).await {
        Ok(body) => body.bytes,
        Err(BodyError::TooLarge) => return reply::too_large(REGISTER_BODY_LIMIT),
        Err(BodyError::Broken) => return forbidden("InvalidRequestFormat", "unreadable body"),
    };
    let events = match serde_json::from_slice::<RegisterRequest>(&body) {
        Ok(parsed) => parsed.events,
        Err(error) => return forbidden("InvalidRequestFormat", error.to_string()),
    };
    if let Some(bad) = events
        .iter()
        .find(|e| !matches!(e.as_str(), "INVOKE" | "SHUTDOWN"))
    {
        return forbidden(
            "Extension.InvalidEventType",
            format!("{bad}: invalid event type"),
        );
    }
    if !matches!(*shared.phase.borrow(), Phase::Initializing) {
        return forbidden(
            "Extension.RegistrationClosed",
            "Extension registration closed already",
        );
    }

    let id = super::ids::new_uuid();
    let registered = shared.extensions().register(RegisteredExtension {
        id: id.clone(),
        name,
        events,
    });
    if registered == Err(NameTaken) {
        return forbidden(
            "Extension.InvalidExtensionState",
            "Extension with this name already registered",
        );
    }

    let identity = &shared.identity;
    let body = serde_json::to_vec(&RegisterResponse {
        function_name: &identity.name,
        function_version: &identity.version,
        handler: &identity.handler,
        account_id: wants_account_id.then_some(identity.account_id.as_str()),
    })
    .map(Bytes::from)
    .unwrap_or_default();
    let mut response = reply::json(StatusCode::OK, body);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(ID_HEADER, value);
    }
    response
}

/// `GET /2020-01-01/extension/event/next`: parks until the instance shuts down.
pub(crate) async fn next_event(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    let Some(id) = request.headers().get(ID_HEADER) else {
        return forbidden(
            "Extension.MissingExtensionIdentifier",
            "Missing Lambda-Extension-Identifier header",
        );
    };
    let Ok(id) = id.to_str().map(str::to_owned) else {
        return forbidden(
            "Extension.InvalidExtensionIdentifier",
            "Invalid Lambda-Extension-Identifier",
        );
    };
    if !shared.extensions().contains(&id) {
        return forbidden(
            "Extension.UnknownExtensionIdentifier",
            format!("Unknown extension {id}"),
        );
    }

    let mut shutdown = shared.shutdown.subscribe();
    let event = match shutdown.wait_for(Option::is_some).await {
        Ok(event) => *event,
        // The server is going away; nothing more will be delivered.
        Err(_) => None,
    };
    let first_delivery = shared.extensions().first_shutdown_delivery(&id);
    let Some(event) = event.filter(|_| first_delivery) else {
        // Like the real API after SHUTDOWN: nothing more comes; the instance is about to stop.
        return std::future::pending().await;
    };
    let body = serde_json::to_vec(&ShutdownEvent {
        event_type: "SHUTDOWN",
        shutdown_reason: event.reason.as_str(),
        deadline_ms: event.deadline_ms,
    })
    .map(Bytes::from)
    .unwrap_or_default();
    let mut response = reply::json(StatusCode::OK, body);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(ID_HEADER, value);
    }
    response
}
