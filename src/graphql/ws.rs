//! GraphQL over WebSocket on `/graphql`: an `Upgrade: websocket` GET on the HTTP path, with
//! the `graphql-transport-ws` sub-protocol (the `graphql-ws` npm package) or the older
//! `graphql-ws` one (Apollo's subscriptions-transport-ws). async-graphql-axum runs the
//! protocol; this module stands between it and the socket and adds what it leaves out:
//!
//! - the token from `connection_init`, checked as on HTTP (4403 when refused, and when it
//!   expires later), and a deadline for `connection_init` (4408);
//! - the protocol's close codes: 4400 for a malformed message, 4401 for a subscription
//!   before the handshake, 4409 for a subscription id already in use, 4429 for a second
//!   `connection_init`;
//! - bounds on what one client can grow: sockets per address, subscriptions per socket,
//!   message size, and messages waiting to be written (a client that does not read is
//!   dropped, not buffered for);
//! - the same document limits as HTTP, measured before anything walks the document, and
//!   subscriptions only: queries and mutations go over HTTP, where their cost is charged;
//! - pings, and a clean close (1001) when the server shuts down.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use async_graphql::futures_util::{Sink, SinkExt, StreamExt, stream};
use async_graphql::http::WebSocketProtocols;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

use super::RequestAuth;
use super::objects::RequestCache;
use crate::app::AppState;
use crate::config::LiveSettings;
use crate::content::Viewer;
use crate::guard::ClientIp;
use crate::rest::problem::Problem;

/// Close codes of `graphql-transport-ws`, and the WebSocket ones used here.
pub mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL: u16 = 1011;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
}

/// The open sockets of this process: counted per client address, and told to close when
/// the server stops.
pub struct Sockets {
    per_client: Mutex<HashMap<IpAddr, usize>>,
    open: AtomicUsize,
    none_open: Notify,
    closing: watch::Sender<bool>,
    /// Clients dropped for not reading what they subscribed to.
    dropped_slow: std::sync::atomic::AtomicU64,
}

impl Default for Sockets {
    fn default() -> Self {
        Sockets {
            per_client: Mutex::default(),
            open: AtomicUsize::new(0),
            none_open: Notify::new(),
            closing: watch::channel(false).0,
            dropped_slow: Default::default(),
        }
    }
}

impl Sockets {
    /// A place for one more socket from `ip`, unless it has `max` open already.
    fn admit(self: &Arc<Self>, ip: Option<IpAddr>, max: usize) -> Option<Slot> {
        if let Some(ip) = ip {
            let mut per_client = self.per_client.lock().unwrap_or_else(|e| e.into_inner());
            let n = per_client.entry(ip).or_default();
            if *n >= max {
                return None;
            }
            *n += 1;
        }
        self.open.fetch_add(1, Ordering::AcqRel);
        Some(Slot { sockets: self.clone(), ip })
    }

    /// Sockets open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// The Prometheus lines for `/metrics`.
    pub fn render(&self) -> String {
        format!(
            "# HELP colophon_websocket_connections GraphQL WebSocket connections open now.\n\
             # TYPE colophon_websocket_connections gauge\n\
             colophon_websocket_connections {}\n\
             # HELP colophon_websocket_dropped_total Clients dropped for not reading their subscriptions.\n\
             # TYPE colophon_websocket_dropped_total counter\n\
             colophon_websocket_dropped_total {}\n",
            self.open(),
            self.dropped_slow.load(Ordering::Relaxed)
        )
    }

    /// Closes every socket with 1001 (the server is going away), and refuses new ones.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Waits until every socket has closed.
    pub async fn closed(&self) {
        loop {
            let notified = self.none_open.notified();
            if self.open() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// One socket's place, given back when it closes.
struct Slot {
    sockets: Arc<Sockets>,
    ip: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(ip) = self.ip {
            let mut per_client = self.sockets.per_client.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = per_client.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    per_client.remove(&ip);
                }
            }
        }
        if self.sockets.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.sockets.none_open.notify_waiters();
        }
    }
}

pub fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// `GET /graphql` with `Upgrade: websocket`.
pub async fn upgrade(State(state): State<AppState>, req: Request) -> Response {
    let client = req.extensions().get::<ClientIp>().copied().unwrap_or(ClientIp(None));
    let (mut parts, _) = req.into_parts();
    let offered = parts.headers.get(header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !offered.split(',').any(|p| WebSocketProtocols::from_str(p.trim()).is_ok()) {
        return Problem::bad_request(
            "offer the WebSocket sub-protocol `graphql-transport-ws` (or the older `graphql-ws`) in \
             Sec-WebSocket-Protocol",
        )
        .into_response();
    }
    // The runner picks the first protocol offered that it knows; so does this.
    let legacy = offered.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        == Some(WebSocketProtocols::SubscriptionsTransportWS);
    let Ok(protocol) = GraphQLProtocol::from_request_parts(&mut parts, &state).await else {
        return Problem::bad_request("unknown WebSocket sub-protocol").into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let settings = state.guard.settings.live.clone();
    if *state.sockets.closing.borrow() {
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the server is shutting down")
            .into_response();
    }
    let Some(slot) = state.sockets.admit(client.0, settings.connections_per_client) else {
        let detail = format!(
            "this address has {} WebSocket connections open already; close one first",
            settings.connections_per_client
        );
        return Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", detail).into_response();
    };
    let chosen = if legacy { "graphql-ws" } else { "graphql-transport-ws" };
    upgrade
        // The one the runner speaks (the client's first it knows), not the server's first.
        .protocols([chosen])
        .max_message_size(settings.max_message_bytes)
        .max_frame_size(settings.max_message_bytes)
        // Buffers sized for the small messages clients send and the flush after each one
        // the server sends: the defaults (128 KiB each) made an idle socket cost ~150 KiB.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            Session::new(state, settings, protocol, legacy, client, slot).run(socket).await;
        })
}

/// How a session ended, on our side.
enum End {
    /// Say why with a close frame.
    Close(u16, String),
    /// Just drop the connection (it stopped reading, or stopped answering).
    Drop,
    /// The other side (or the protocol runner) ended it.
    Done,
    /// The socket's writer has ended (the socket failed, or a close frame went out).
    Written,
}

struct Session {
    state: AppState,
    settings: LiveSettings,
    protocol: GraphQLProtocol,
    legacy: bool,
    client: ClientIp,
    _slot: Slot,
    /// Set once `connection_init` was accepted.
    initialized: bool,
    /// When the token of `connection_init` expires.
    expires: Option<Instant>,
    /// Subscription ids the protocol runner holds (it frees ended ones).
    active: Arc<Mutex<Subscriptions>>,
}

/// The subscriptions of one socket, as the protocol runner holds them. A client's
/// `complete` is echoed by the runner once it has dropped the stream; until then the id may
/// already run again (the protocol lets a client reuse it), so the echo must free the old
/// one only. (The runner drops the old stream before it starts the new one: messages reach
/// it in order, so the ones completing need not count against the limit.)
#[derive(Default)]
struct Subscriptions {
    running: HashSet<String>,
    /// Ids the client completed whose echo has not come back yet, and how many.
    completing: HashMap<String, usize>,
}

impl Subscriptions {
    fn held(&self) -> usize {
        self.running.len()
    }

    /// The client completed `id`.
    fn completed_by_client(&mut self, id: &str) {
        if self.running.remove(id) {
            *self.completing.entry(id.to_string()).or_default() += 1;
        }
    }

    /// The runner says `id` ended: the one the client completed, if any, else the running one.
    fn ended(&mut self, id: &str) {
        match self.completing.get_mut(id) {
            Some(n) if *n > 1 => *n -= 1,
            Some(_) => {
                self.completing.remove(id);
            }
            None => {
                self.running.remove(id);
            }
        }
    }
}

impl Session {
    fn new(
        state: AppState,
        settings: LiveSettings,
        protocol: GraphQLProtocol,
        legacy: bool,
        client: ClientIp,
        slot: Slot,
    ) -> Self {
        Session {
            state,
            settings,
            protocol,
            legacy,
            client,
            _slot: slot,
            initialized: false,
            expires: None,
            active: Arc::default(),
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let (ws_tx, mut ws_rx) = socket.split();
        let (out_tx, out_rx) = mpsc::channel::<Message>(self.settings.queue);
        let (close_tx, close_rx) = mpsc::channel::<CloseFrame>(1);
        let queued = Arc::new(AtomicUsize::new(0));
        let mut writer = tokio::spawn(write(ws_tx, out_rx, queued.clone(), close_rx, self.settings.keepalive));
        let overflow = Arc::new(Notify::new());

        // The protocol runner reads what passed the checks here, and writes to the queue.
        let (in_tx, in_rx) = mpsc::channel::<Result<Message, axum::Error>>(16);
        let viewer: Arc<Mutex<Option<Viewer>>> = Arc::default();
        let init = {
            let viewer = viewer.clone();
            let client = self.client;
            move |_payload: Value| async move {
                let viewer = viewer.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default();
                let mut data = async_graphql::Data::default();
                data.insert(RequestAuth(Ok(viewer)));
                // Each change is answered afresh: nothing is memoised across them.
                data.insert(Arc::new(RequestCache::unmemoized()));
                data.insert(client);
                Ok(data)
            }
        };
        let sink = QueueSink {
            tx: out_tx.clone(),
            overflow: overflow.clone(),
            active: self.active.clone(),
            queued,
            max_bytes: self.settings.queue_bytes,
        };
        let input = stream::unfold(in_rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
        let mut runner = tokio::spawn(
            GraphQLWebSocket::new_with_pair(sink, input, self.state.schema.clone(), self.protocol)
                .on_connection_init(init)
                .serve(),
        );

        let mut closing = self.state.sockets.closing.subscribe();
        let init_deadline = Instant::now() + self.settings.init_timeout;
        let mut heard = Instant::now();
        let silence = self.settings.keepalive * 3;
        let end = loop {
            let expiry = self.expires;
            tokio::select! {
                biased;
                _ = closed(&mut closing) => break End::Close(close::GOING_AWAY, "the server is shutting down".into()),
                _ = overflow.notified() => {
                    tracing::info!(client = ?self.client.0, "live updates: dropped a client that stopped reading");
                    self.state.sockets.dropped_slow.fetch_add(1, Ordering::Relaxed);
                    break End::Drop;
                }
                _ = tokio::time::sleep_until(init_deadline), if !self.initialized => {
                    let secs = self.settings.init_timeout.as_secs_f64();
                    break End::Close(close::INIT_TIMEOUT, format!("connection_init did not arrive within {secs} s"));
                }
                _ = tokio::time::sleep_until(expiry.unwrap_or_else(Instant::now)), if expiry.is_some() => {
                    break End::Close(close::FORBIDDEN, "the token has expired; connect again with a new one".into());
                }
                _ = tokio::time::sleep_until(heard + silence) => break End::Drop,
                _ = &mut runner => break End::Done,
                _ = &mut writer => break End::Written,
                msg = ws_rx.next() => {
                    heard = Instant::now();
                    let msg = match msg {
                        None => break End::Done,
                        Some(Err(e)) => {
                            let big = e.to_string().to_ascii_lowercase().contains("too long")
                                || e.to_string().to_ascii_lowercase().contains("size");
                            if big {
                                let max = self.settings.max_message_bytes;
                                break End::Close(close::TOO_BIG, format!("a message may be at most {max} bytes"));
                            }
                            break End::Done;
                        }
                        Some(Ok(msg)) => msg,
                    };
                    match self.check(msg, &viewer, &out_tx, &overflow).await {
                        Ok(Some(msg)) => {
                            if in_tx.send(Ok(msg)).await.is_err() {
                                break End::Done;
                            }
                        }
                        Ok(None) => {}
                        Err(end) => break end,
                    }
                }
            }
        };
        runner.abort();
        match end {
            End::Close(code, reason) => {
                let frame = CloseFrame { code, reason: truncate(&reason, 120).into() };
                if close_tx.try_send(frame).is_ok() {
                    // A client that does not read cannot be told; it is dropped.
                    if tokio::time::timeout(Duration::from_secs(2), &mut writer).await.is_err() {
                        writer.abort();
                    }
                } else {
                    writer.abort();
                }
            }
            End::Drop => writer.abort(),
            End::Written => {}
            End::Done => {
                // Let what the runner queued (its close frame, say) be written.
                drop(out_tx);
                if tokio::time::timeout(Duration::from_secs(2), &mut writer).await.is_err() {
                    writer.abort();
                }
            }
        }
    }

    /// What to do with one message from the client: pass it to the protocol runner, answer
    /// it here, or end the session.
    async fn check(
        &mut self,
        msg: Message,
        viewer: &Mutex<Option<Viewer>>,
        out: &mpsc::Sender<Message>,
        overflow: &Notify,
    ) -> Result<Option<Message>, End> {
        let text = match &msg {
            Message::Text(text) => text.as_str(),
            Message::Binary(_) => return Err(bad("messages must be JSON text")),
            Message::Ping(_) | Message::Pong(_) => return Ok(None),
            Message::Close(_) => return Err(End::Done),
        };
        let parsed: Value = serde_json::from_str(text).map_err(|_| bad("a message must be a JSON object"))?;
        let kind = parsed.get("type").and_then(Value::as_str).ok_or_else(|| bad("a message needs a `type`"))?;
        let id = parsed.get("id");
        match (kind, self.legacy) {
            ("connection_init", _) => {
                if self.initialized {
                    return Err(End::Close(close::TOO_MANY_INITS, "Too many initialisation requests".into()));
                }
                let payload = parsed.get("payload").filter(|p| !p.is_null());
                if payload.is_some_and(|p| !p.is_object()) {
                    return Err(bad("the connection_init payload must be an object"));
                }
                let token = payload.and_then(token_of).transpose().map_err(bad)?;
                let authorization = token.map(|t| format!("Bearer {t}"));
                match self.state.viewer(authorization.as_deref()).await {
                    Ok(v) => {
                        // A token for years ahead (or one that says so) gets no timer.
                        self.expires =
                            token.and_then(crate::auth::expires_in).and_then(|left| Instant::now().checked_add(left));
                        *viewer.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
                        self.initialized = true;
                        Ok(Some(msg))
                    }
                    Err(e @ crate::content::ContentError::Unauthenticated(_)) => {
                        Err(End::Close(close::FORBIDDEN, format!("Forbidden: {e}")))
                    }
                    // The database, say: nothing wrong with the token; try again later.
                    Err(e) => {
                        tracing::warn!(error = %e, "live updates: cannot check a token");
                        Err(End::Close(close::INTERNAL, "the server could not check the token; try again".into()))
                    }
                }
            }
            ("subscribe", false) | ("start", true) => {
                let id = subscription_id(id)?;
                if !self.initialized {
                    return Err(End::Close(close::UNAUTHORIZED, "Unauthorized: send connection_init first".into()));
                }
                let payload = parsed
                    .get("payload")
                    .filter(|p| p.is_object())
                    .ok_or_else(|| bad("`payload` must be an object"))?;
                let query = payload
                    .get("query")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("`payload.query` must be a string"))?;
                if payload.get("variables").is_some_and(|v| !v.is_null() && !v.is_object()) {
                    return Err(bad("`payload.variables` must be an object"));
                }
                let operation = match payload.get("operationName") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(name)) => Some(name.clone()),
                    Some(_) => return Err(bad("`payload.operationName` must be a string")),
                };
                {
                    let active = self.active.lock().unwrap_or_else(|e| e.into_inner());
                    if active.running.contains(id) {
                        return Err(End::Close(close::DUPLICATE_ID, format!("Subscriber for {id} already exists")));
                    }
                    if active.held() >= self.settings.subscriptions_per_connection {
                        let max = self.settings.subscriptions_per_connection;
                        let message = format!("at most {max} subscriptions may run at once on one connection");
                        drop(active);
                        return self.refuse(out, overflow, id, &message, "TOO_MANY_SUBSCRIPTIONS");
                    }
                }
                if let Err((message, code)) = admit(query.to_string(), operation).await {
                    return self.refuse(out, overflow, id, &message, &code);
                }
                self.active.lock().unwrap_or_else(|e| e.into_inner()).running.insert(id.to_string());
                Ok(Some(msg))
            }
            ("complete", false) | ("stop", true) => {
                let id = subscription_id(id)?;
                self.active.lock().unwrap_or_else(|e| e.into_inner()).completed_by_client(id);
                Ok(Some(msg))
            }
            ("ping" | "pong", false) | ("connection_terminate", true) => Ok(Some(msg)),
            (other, _) => Err(bad(&format!("unknown message type `{}`", truncate(other, 40)))),
        }
    }

    /// Refuses one subscription with an `error` message; the connection stays.
    fn refuse(
        &self,
        out: &mpsc::Sender<Message>,
        overflow: &Notify,
        id: &str,
        message: &str,
        code: &str,
    ) -> Result<Option<Message>, End> {
        let error = json!({ "message": message, "extensions": { "code": code } });
        let payload = if self.legacy { error } else { json!([error]) };
        let text = json!({ "type": "error", "id": id, "payload": payload }).to_string();
        if let Err(mpsc::error::TrySendError::Full(_)) = out.try_send(Message::Text(text.into())) {
            overflow.notify_one();
        }
        Ok(None)
    }
}

/// Resolves once the server has begun to shut down.
async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|c| *c).await;
}

fn bad(why: &str) -> End {
    End::Close(close::BAD_REQUEST, format!("Invalid message: {why}"))
}

fn subscription_id(id: Option<&Value>) -> Result<&str, End> {
    match id.and_then(Value::as_str) {
        Some(id) if !id.is_empty() && id.len() <= 128 => Ok(id),
        _ => Err(bad("`id` must be a string of 1 to 128 characters")),
    }
}

/// The token of a `connection_init` payload: `token`, or `authorization` /
/// `Authorization` as `Bearer <token>`.
fn token_of(payload: &Value) -> Option<Result<&str, &'static str>> {
    if let Some(token) = payload.get("token") {
        return Some(token.as_str().map(str::trim).filter(|t| !t.is_empty()).ok_or("`token` must be a string"));
    }
    let header = payload.get("authorization").or_else(|| payload.get("Authorization"))?;
    Some(
        header
            .as_str()
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, t)| scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty())
            .map(|(_, t)| t.trim())
            .ok_or("`authorization` must be `Bearer <token>`"),
    )
}

/// The HTTP limits on a document (size, then its cost with fragments spread, before
/// anything walks it), and that it is a subscription.
async fn admit(query: String, operation: Option<String>) -> Result<(), (String, String)> {
    if query.len() > super::limits::MAX_QUERY_BYTES {
        return Err((super::limits::too_large(query.len()), "QUERY_TOO_LARGE".into()));
    }
    let len = query.len();
    let check = move || -> Result<(), (String, String)> {
        let first = |errors: Vec<async_graphql::ServerError>| {
            let e = errors.into_iter().next();
            let code = e
                .as_ref()
                .and_then(|e| e.extensions.as_ref()?.get("code").cloned())
                .and_then(|c| match c {
                    async_graphql::Value::String(s) => Some(s),
                    _ => None,
                })
                .unwrap_or_else(|| "GRAPHQL_PARSE_FAILED".into());
            (e.map_or_else(|| "the query is refused".into(), |e| e.message), code)
        };
        let doc = async_graphql::parser::parse_query(&query)
            .map_err(|e| (e.to_string(), "GRAPHQL_PARSE_FAILED".to_string()))?;
        super::limits::check_cost(&doc).map_err(first)?;
        match super::http::operation_type(&doc, operation.as_deref()) {
            Some(OperationType::Subscription) | None => Ok(()), // no operation: validation says so
            Some(_) => Err((
                "only subscriptions are served over WebSocket; send queries and mutations over HTTP".into(),
                "OPERATION_NOT_SUPPORTED".into(),
            )),
        }
    };
    super::limits::measured(len, check)
        .await
        .unwrap_or_else(|| Err(("the server is shutting down".into(), "INTERNAL_SERVER_ERROR".into())))
}

/// Writes the queue to the socket, with a ping every `keepalive`; a close frame, when
/// one comes, is written next and ends it.
async fn write(
    mut ws: async_graphql::futures_util::stream::SplitSink<WebSocket, Message>,
    mut queue: mpsc::Receiver<Message>,
    queued: Arc<AtomicUsize>,
    mut close: mpsc::Receiver<CloseFrame>,
    keepalive: Duration,
) {
    let mut ping = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
    loop {
        let msg = tokio::select! {
            biased;
            Some(frame) = close.recv() => {
                let _ = ws.send(Message::Close(Some(frame))).await;
                let _ = ws.close().await;
                return;
            }
            msg = queue.recv() => match msg {
                Some(msg) => msg,
                None => {
                    let _ = ws.close().await;
                    return;
                }
            },
            _ = ping.tick() => Message::Ping(Default::default()),
        };
        let last = matches!(msg, Message::Close(_));
        let size = message_bytes(&msg);
        let sent = ws.send(msg).await;
        queued.fetch_sub(size.min(queued.load(Ordering::Acquire)), Ordering::AcqRel);
        if sent.is_err() || last {
            return;
        }
    }
}

/// The protocol runner's way out: the queue, never waited on. A full queue means the client
/// stopped reading: the session drops it.
struct QueueSink {
    tx: mpsc::Sender<Message>,
    overflow: Arc<Notify>,
    active: Arc<Mutex<Subscriptions>>,
    /// Bytes waiting in the queue (the writer takes off what it has written).
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
}

impl Sink<Message> for QueueSink {
    type Error = ();

    fn poll_ready(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<Result<(), ()>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: std::pin::Pin<&mut Self>, msg: Message) -> Result<(), ()> {
        if let Message::Text(text) = &msg
            && let Some(id) = completed(text.as_str())
        {
            self.active.lock().unwrap_or_else(|e| e.into_inner()).ended(&id);
        }
        let size = message_bytes(&msg);
        if self.queued.fetch_add(size, Ordering::AcqRel) + size > self.max_bytes {
            self.overflow.notify_one();
            return Err(());
        }
        self.tx.try_send(msg).map_err(|e| {
            if matches!(e, mpsc::error::TrySendError::Full(_)) {
                self.overflow.notify_one();
            }
        })
    }

    fn poll_flush(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<Result<(), ()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<Result<(), ()>> {
        Poll::Ready(Ok(()))
    }
}

/// What a queued message holds, for the queue's byte bound.
fn message_bytes(msg: &Message) -> usize {
    match msg {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        _ => 0,
    }
}

/// The id of a `complete` message the runner sends when a subscription ends.
fn completed(text: &str) -> Option<String> {
    if !text.starts_with(r#"{"type":"complete""#) {
        return None;
    }
    serde_json::from_str::<Value>(text).ok()?.get("id")?.as_str().map(str::to_string)
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_token_or_authorization() {
        assert_eq!(token_of(&json!({ "token": " abc " })), Some(Ok("abc")));
        assert_eq!(token_of(&json!({ "Authorization": "Bearer xyz" })), Some(Ok("xyz")));
        assert_eq!(token_of(&json!({})), None);
        assert!(matches!(token_of(&json!({ "token": 3 })), Some(Err(_))));
        assert!(matches!(token_of(&json!({ "authorization": "Basic a" })), Some(Err(_))));
    }

    #[test]
    fn completes_are_recognised_and_reasons_fit_a_close_frame() {
        assert_eq!(completed(r#"{"type":"complete","id":"7"}"#), Some("7".into()));
        assert_eq!(completed(r#"{"type":"next","id":"7","payload":{}}"#), None);
        assert_eq!(truncate("ééé", 3), "é");
    }
}
