//! HTTP to Consul's agents: the client and its TLS, the ACL token (only
//! ever in the `X-Consul-Token` header), failover from agent to agent within
//! the timeout, and what a refusal means.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode};

use crate::store::failover::{self, Attempt};
use crate::store::{Cause, Options, Said, StoreError, TlsFiles};

/// What stays as it is in a key's path segment: RFC 3986's unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `/v1/kv/` and the Consul key, each segment percent-escaped on its own,
/// then `query` (`""` or `?...`).
pub(super) fn kv_path(consul_key: &str, query: &str) -> String {
    let segments: Vec<String> = consul_key.split('/').map(|s| utf8_percent_encode(s, SEGMENT).to_string()).collect();
    format!("/v1/kv/{}{query}", segments.join("/"))
}

/// One request, sent to whichever agent answers.
pub(super) struct Call {
    method: Method,
    /// Path and query, escaped; never a secret.
    path: String,
    body: Option<Bytes>,
}

impl Call {
    pub(super) fn new(method: Method, path: String) -> Call {
        Call { method, path, body: None }
    }

    pub(super) fn json(method: Method, path: String, body: Vec<u8>) -> Call {
        Call { method, path, body: Some(Bytes::from(body)) }
    }
}

/// An answer read whole.
pub(super) struct Answer {
    pub status: StatusCode,
    /// `X-Consul-Index`, where the endpoint gives one.
    pub index: Option<u64>,
    pub body: Bytes,
}

/// An answer whose body is still to be read, a chunk at a time.
pub(super) struct Opened {
    pub status: StatusCode,
    pub index: Option<u64>,
    /// `X-Consul-Results-Filtered-By-ACLs: true`: the token may not see
    /// everything that was asked for.
    pub filtered: bool,
    pub response: Response,
}

pub(super) struct Http {
    pub rt: &'static tokio::runtime::Runtime,
    client: reqwest::Client,
    /// `http[s]://host:port` per agent, in URL order.
    agents: Vec<String>,
    token: Option<HeaderValue>,
    /// The token's text, hidden in anything quoted from a server.
    secret: Option<String>,
    pub timeout: Duration,
    /// The agent that answered last.
    current: AtomicUsize,
    pub describe: String,
}

impl Http {
    pub(super) fn new(
        endpoints: &[String],
        https: bool,
        options: &Options,
        describe: &str,
    ) -> Result<Http, StoreError> {
        let bad = |message: String| StoreError::BadOption { store: describe.to_string(), message };
        let env = Environment::read().map_err(bad)?;
        let tls = https || options.tls.any() || env.https;
        let rt = super::super::runtime::shared(describe)?;
        let client = client(options, &env, tls).map_err(bad)?;
        let token = match &env.token {
            Some(text) => {
                let mut value = HeaderValue::from_str(text)
                    .map_err(|_| bad("the Consul token holds characters that cannot go in an HTTP header".into()))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let scheme = if tls { "https" } else { "http" };
        Ok(Http {
            rt,
            client,
            agents: endpoints.iter().map(|e| format!("{scheme}://{e}")).collect(),
            token,
            secret: env.token,
            timeout: options.timeout,
            current: AtomicUsize::new(0),
            describe: describe.to_string(),
        })
    }

    /// Send `call` and read the whole answer.
    pub(super) fn call(&self, call: &Call) -> Result<Answer, StoreError> {
        self.exchange(call, |response| async move {
            let (status, index, _) = meta(&response);
            let body = response.bytes().await?;
            Ok(Answer { status, index, body })
        })
    }

    /// Send `call` and hand back the answer before its body is read.
    pub(super) fn open(&self, call: &Call) -> Result<Opened, StoreError> {
        self.exchange(call, |response| async move {
            let (status, index, filtered) = meta(&response);
            Ok(Opened { status, index, filtered, response })
        })
    }

    /// The longest `?wait=` a blocking query may ask for: Consul adds up to
    /// a 16th to it, and the answer must come within an agent's share of
    /// the timeout, with room to spare.
    pub(super) fn longest_wait(&self) -> Duration {
        self.timeout / self.agents.len() as u32 / 2
    }

    /// The agent that answered last.
    pub(super) fn agent(&self) -> String {
        self.agents[self.current.load(Ordering::Relaxed)].clone()
    }

    /// The rest of an opened answer, read whole (within the timeout).
    pub(super) fn finish(&self, opened: Opened) -> Result<Answer, StoreError> {
        let body = self.rt.block_on(async { tokio::time::timeout(self.timeout, opened.response.bytes()).await });
        let body = match body {
            Ok(Ok(body)) => body,
            Ok(Err(e)) => {
                return Err(StoreError::Unreachable {
                    store: self.describe.clone(),
                    endpoint: self.agent(),
                    source: cause(e),
                })
            }
            Err(_) => {
                return Err(StoreError::Timeout {
                    store: self.describe.clone(),
                    after: self.timeout,
                    during: "reading an answer".into(),
                    source: None,
                })
            }
        };
        Ok(Answer { status: opened.status, index: opened.index, body })
    }

    /// Run `call` against the first agent that answers, starting with the
    /// one that answered last; the whole call is bounded by the timeout, and
    /// no agent may use more than its share of what is left.
    fn exchange<T, F, Fut>(&self, call: &Call, read: F) -> Result<T, StoreError>
    where
        F: Fn(Response) -> Fut,
        Fut: Future<Output = Result<T, reqwest::Error>>,
    {
        let start = self.current.load(Ordering::Relaxed);
        let attempt = |index: usize| {
            let (agent, read) = (&self.agents[index], &read);
            let unreachable = move |source| {
                Attempt::Failed(StoreError::Unreachable {
                    store: self.describe.clone(),
                    endpoint: agent.clone(),
                    source,
                })
            };
            // A request ovs could not build is no agent's fault: no other is tried.
            let failed = move |e: reqwest::Error| match e.is_builder() {
                true => Attempt::Failed(StoreError::failed(&self.describe, "", cause(e))),
                false => unreachable(cause(e)),
            };
            async move {
                tracing::debug!(method = %call.method, path = %call.path, agent = %agent, "consul request");
                let response = match self.request(agent, call).send().await {
                    Ok(response) => response,
                    Err(e) => return failed(e),
                };
                let status = response.status();
                if !status.is_server_error() {
                    return match read(response).await {
                        Ok(answer) => Attempt::Answered(answer),
                        Err(e) => failed(e),
                    };
                }
                match response.bytes().await.map(|body| self.quote(&body)) {
                    Ok(text) if unavailable(status, &text) => unreachable(Said::cause(format!("{status}: {text}"))),
                    Ok(text) => Attempt::Failed(StoreError::Backend {
                        store: self.describe.clone(),
                        message: format!("Consul answered {status}: {text}"),
                    }),
                    Err(e) => failed(e),
                }
            }
        };
        let first = failover::first_answer(&self.describe, self.timeout, &self.agents, start, attempt, |_| {});
        let (index, answer) = self.rt.block_on(first)?;
        self.current.store(index, Ordering::Relaxed);
        Ok(answer)
    }

    fn request(&self, agent: &str, call: &Call) -> reqwest::RequestBuilder {
        let mut request = self.client.request(call.method.clone(), format!("{agent}{}", call.path));
        if let Some(token) = &self.token {
            request = request.header("X-Consul-Token", token.clone());
        }
        if let Some(body) = &call.body {
            request = request.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        request
    }

    /// A server's text for a message: one line, not too long, the token
    /// hidden should a server ever echo it.
    pub(super) fn quote(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(secret) = &self.secret {
            line = line.replace(secret.as_str(), "***");
        }
        if line.chars().count() > 300 {
            line = line.chars().take(300).chain("...".chars()).collect();
        }
        line
    }

    /// What an answer that is not the one asked for means.
    pub(super) fn refused(&self, answer: &Answer) -> StoreError {
        let text = self.quote(&answer.body);
        match answer.status {
            // 401 from a proxy in front of the agent; Consul itself says 403.
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => self.access_denied(&text),
            status => StoreError::Backend {
                store: self.describe.clone(),
                message: format!("Consul answered {status}: {text}"),
            },
        }
    }

    /// Consul's ACLs refused (`text`: what it said), and what to do about it.
    pub(super) fn access_denied(&self, text: &str) -> StoreError {
        let hint = if self.token.is_some() {
            "the token from $CONSUL_HTTP_TOKEN or $CONSUL_HTTP_TOKEN_FILE lacks the permission"
        } else {
            "no ACL token was given: set $CONSUL_HTTP_TOKEN or $CONSUL_HTTP_TOKEN_FILE"
        };
        StoreError::Denied {
            store: self.describe.clone(),
            what: String::new(),
            source: Said::cause(format!("{text} ({hint})")),
        }
    }
}

/// Status, `X-Consul-Index` and the ACL filter flag of an answer.
fn meta(response: &Response) -> (StatusCode, Option<u64>, bool) {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
    let index = header("X-Consul-Index").and_then(|v| v.parse().ok());
    let filtered = header("X-Consul-Results-Filtered-By-ACLs") == Some("true");
    (response.status(), index, filtered)
}

/// Server errors that mean "this agent cannot serve now, ask another": a
/// proxy in front of it failed, or it has no cluster leader.
fn unavailable(status: StatusCode, text: &str) -> bool {
    matches!(status, StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT)
        || ["No cluster leader", "No known Consul servers", "No path to datacenter"].iter().any(|t| text.contains(t))
}

/// A transport error as a cause, worded by its innermost cause
/// ("Connection refused", not reqwest's "error sending request for url
/// (...)"), the whole chain kept below it.
fn cause(e: reqwest::Error) -> Cause {
    Said::over(innermost(&e), e)
}

/// The words of an error's innermost cause.
fn innermost(e: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

/// Consul's own environment, read the way its CLI reads it.
struct Environment {
    token: Option<String>,
    /// `$CONSUL_HTTP_SSL` is true.
    https: bool,
    tls: TlsFiles,
    /// `$CONSUL_HTTP_SSL_VERIFY` is not false.
    verify: bool,
}

impl Environment {
    fn read() -> Result<Environment, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let flag =
            |name: &str| var(name).map(|v| go_bool(&v).ok_or_else(|| format!("${name} {v:?}: expected true or false")));
        // As in Consul's client, a token file wins over the token itself.
        let from_file = match var("CONSUL_HTTP_TOKEN_FILE") {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read $CONSUL_HTTP_TOKEN_FILE {path}: {e}"))?;
                Some(text.trim().to_string()).filter(|t| !t.is_empty())
            }
            None => None,
        };
        let path = |name: &str| var(name).map(PathBuf::from);
        Ok(Environment {
            token: from_file.or_else(|| var("CONSUL_HTTP_TOKEN")),
            https: flag("CONSUL_HTTP_SSL").transpose()?.unwrap_or(false),
            tls: TlsFiles {
                ca: path("CONSUL_CACERT"),
                cert: path("CONSUL_CLIENT_CERT"),
                key: path("CONSUL_CLIENT_KEY"),
            },
            verify: flag("CONSUL_HTTP_SSL_VERIFY").transpose()?.unwrap_or(true),
        })
    }
}

/// Go's `strconv.ParseBool`, which Consul's CLI reads its flags with.
fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The HTTP client: HTTP/1.1, no proxy (as for the other stores), no
/// redirects (they would carry the token's header elsewhere), and for TLS
/// the CA and client certificate from the flags, else from Consul's
/// variables (checked as the flags are), else the system's roots.
fn client(options: &Options, env: &Environment, tls: bool) -> Result<reqwest::Client, String> {
    // No idle connections are kept: one connection a request. The fake agent
    // the tests run against (tiny_http) loses a reused connection now and
    // then under concurrent clients, and a command makes few requests. A
    // known cost for bulk work over HTTPS (a handshake a transaction).
    let builder = reqwest::Client::builder()
        .use_rustls_tls()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0);
    if !tls {
        // Plain HTTP: no need to load the system's certificates.
        return builder.tls_built_in_root_certs(false).build().map_err(|e| innermost(&e));
    }
    let files = TlsFiles {
        ca: options.tls.ca.clone().or_else(|| env.tls.ca.clone()),
        cert: options.tls.cert.clone().or_else(|| env.tls.cert.clone()),
        key: options.tls.key.clone().or_else(|| env.tls.key.clone()),
    };
    let from_env = TlsFiles {
        ca: env.tls.ca.clone().filter(|_| options.tls.ca.is_none()),
        cert: env.tls.cert.clone().filter(|_| options.tls.cert.is_none()),
        key: env.tls.key.clone().filter(|_| options.tls.key.is_none()),
    };
    from_env.check_as(["$CONSUL_CACERT", "$CONSUL_CLIENT_CERT", "$CONSUL_CLIENT_KEY"])?;
    let read = |path: &PathBuf| std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    let mut builder = builder.danger_accept_invalid_certs(!env.verify);
    if let Some(ca) = &files.ca {
        builder = builder.tls_built_in_root_certs(false);
        for cert in reqwest::Certificate::from_pem_bundle(&read(ca)?).map_err(|e| innermost(&e))? {
            builder = builder.add_root_certificate(cert);
        }
    }
    match (&files.cert, &files.key) {
        (Some(cert), Some(key)) => {
            let pem = [read(cert)?, b"\n".to_vec(), read(key)?].concat();
            builder = builder.identity(reqwest::Identity::from_pem(&pem).map_err(|e| innermost(&e))?);
        }
        (None, None) => {}
        _ => return Err("a client certificate needs its key, and a key its certificate (--cert and --key)".into()),
    }
    builder.build().map_err(|e| innermost(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_segment_is_escaped_on_its_own() {
        assert_eq!(kv_path("a/b c/ü?#%", ""), "/v1/kv/a/b%20c/%C3%BC%3F%23%25");
        assert_eq!(kv_path("a/b/", "?keys"), "/v1/kv/a/b/?keys");
        assert_eq!(kv_path("", "?keys"), "/v1/kv/?keys");
        assert_eq!(kv_path("x-y.z_~", ""), "/v1/kv/x-y.z_~");
    }

    #[test]
    fn go_booleans() {
        assert_eq!(go_bool("false"), Some(false));
        assert_eq!(go_bool("1"), Some(true));
        assert_eq!(go_bool("yes"), None);
    }
}
