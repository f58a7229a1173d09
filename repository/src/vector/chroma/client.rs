//! HTTP to one Chroma server: URLs, bounded calls, and Chroma's answers mapped to this crate's
//! errors (never with a secret: the URL is shown redacted, transport errors without their URL).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::wire::ErrorBody;
use crate::{Error, Result};

/// What went wrong with one call: the server's refusal (status and message) or any other error.
#[derive(Debug)]
pub(super) enum Failure {
    /// The server answered with this status and message.
    Status(StatusCode, String),
    /// The call did not get an answer, or the answer could not be read.
    Other(Error),
}

impl Failure {
    /// This failure as an error, `NotFound` naming `entity` and `key` for a 404.
    pub fn into_error(self, entity: &'static str, key: &str) -> Error {
        match self {
            Self::Status(StatusCode::NOT_FOUND, _) => Error::NotFound {
                entity,
                key: key.to_owned(),
            },
            Self::Status(StatusCode::CONFLICT, message) => Error::Conflict(message),
            Self::Status(status, message) => {
                Error::Vector(format!("Chroma refused the request ({status}): {message}"))
            }
            Self::Other(error) => error,
        }
    }

    /// Whether the server said the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Status(StatusCode::NOT_FOUND, _))
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        failure.into_error("resource", "")
    }
}

/// One Chroma server's HTTP client.
#[derive(Debug, Clone)]
pub(super) struct Client {
    http: reqwest::Client,
    base: Url,
    /// The server's URL, redacted, for messages.
    shown: String,
}

/// The longest server message kept in an error.
const MAX_MESSAGE: usize = 400;

impl Client {
    /// A client for the server at `base`, connecting within `connect_timeout`, sending `token` (if
    /// any) as `x-chroma-token` on every call.
    pub fn new(
        base: Url,
        shown: String,
        connect_timeout: Duration,
        token: Option<&str>,
    ) -> Result<Self> {
        let mut headers = HeaderMap::new();
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(token).map_err(|_| {
                Error::Config("the Chroma token is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            headers.insert("x-chroma-token", value);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .default_headers(headers)
            .user_agent(concat!("dal-repository/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the Chroma client: {}", cause(&e))))?;
        Ok(Self { http, base, shown })
    }

    /// The server's URL, redacted.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The URL of `/api/v2/<segments…>`, each segment percent-encoded.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "v2"]).extend(segments);
        }
        url
    }

    /// Send one request and read its JSON answer, all within `timeout`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + Sync)>,
        timeout: Duration,
        what: &'static str,
    ) -> Result<T, Failure> {
        let bytes = self.send(method, url, body, timeout, what).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Other(Error::Vector(format!(
                "Chroma at {} answered {what} with unexpected JSON: {e}",
                self.shown
            )))
        })
    }

    /// Send one request and read its body, all within `timeout`; a non-2xx status is a
    /// [`Failure::Status`].
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + Sync)>,
        timeout: Duration,
        what: &'static str,
    ) -> Result<bytes::Bytes, Failure> {
        let mut request = self.http.request(method, url).timeout(timeout);
        if let Some(body) = body {
            let json = serde_json::to_vec(body).map_err(|e| {
                Failure::Other(Error::Vector(format!(
                    "cannot encode {what} for Chroma: {e}"
                )))
            })?;
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(json);
        }
        let transport = |e: reqwest::Error| Failure::Other(self.transport_error(&e, what, timeout));
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok(bytes);
        }
        let message = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| b.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
        Err(Failure::Status(status, truncate(message)))
    }

    /// A transport error as [`Error::Vector`]: the redacted server, the call, and the cause.
    fn transport_error(&self, error: &reqwest::Error, what: &str, timeout: Duration) -> Error {
        let shown = &self.shown;
        if error.is_timeout() {
            Error::Vector(format!(
                "Chroma at {shown} did not answer {what} within {timeout:?}"
            ))
        } else if error.is_connect() {
            Error::Vector(format!(
                "cannot connect to Chroma at {shown} for {what}: {}",
                cause(error)
            ))
        } else {
            Error::Vector(format!("Chroma at {shown} failed {what}: {}", cause(error)))
        }
    }
}

/// The innermost cause of `error` (the most specific text, e.g. "Connection refused"), without
/// any URL.
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost: &(dyn std::error::Error + 'static) = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    if let Some(e) = innermost.downcast_ref::<reqwest::Error>() {
        // A reqwest error that is its own root prints its URL: print it without.
        let mut text = e.to_string();
        if let Some(url) = e.url() {
            text = text.replace(url.as_str(), "<url>");
        }
        return text;
    }
    innermost.to_string()
}

fn truncate(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}
