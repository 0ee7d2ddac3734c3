//! Live updates: GraphQL subscriptions over WebSocket on `/graphql`, against the real
//! binary on 127.0.0.1, on SQLite and on PostgreSQL. Writes go through one instance and are
//! heard on another; every close code and bound the README names is exercised.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::server::{Server, start};
use crate::support::{Backend, fresh_database};

const SECRET: &str = "live-updates-secret-live-updates-secret";
/// Long enough for any event on a loaded machine; a test only waits this long when it fails.
const PATIENCE: Duration = Duration::from_secs(20);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn jwt() -> colophon::auth::Jwt {
    colophon::auth::Jwt::hs256(SECRET.as_bytes(), None, None)
}

fn token(subject: &str, role: colophon::content::Role) -> String {
    jwt().issue(subject, role, Duration::from_secs(600))
}

/// A database both instances share (a SQLite file, or a fresh PostgreSQL database), and a
/// working directory for them.
async fn database(backend: Backend) -> Option<(String, tempfile::TempDir, crate::support::Scratch)> {
    let dir = tempfile::tempdir().unwrap();
    let (url, keep) = fresh_database(backend).await?;
    Some((url, dir, keep))
}

fn serve(url: &str, dir: &tempfile::TempDir, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![("COLOPHON_JWT_SECRET", SECRET), ("COLOPHON_WS_POLL_MS", "50")];
    env.extend_from_slice(extra);
    start(&["--database-url", url], &env, dir.path())
}

struct Ws {
    socket: Socket,
}

async fn connect(base: &str, protocol: &str) -> Ws {
    let url = format!("{}/graphql", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (socket, res) = tokio_tungstenite::connect_async(req).await.expect("websocket handshake");
    assert_eq!(res.headers()["sec-websocket-protocol"], protocol);
    Ws { socket }
}

impl Ws {
    async fn send(&mut self, v: Value) {
        self.socket.send(Message::Text(v.to_string().into())).await.unwrap();
    }

    /// The next GraphQL message (pings are answered by the client library).
    async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.socket.next()).await.expect("a message in time");
            match msg {
                Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// Reads until the server closes; its close code and reason.
    async fn closed(&mut self) -> (u16, String) {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.socket.next()).await.expect("the close in time");
            match msg {
                Some(Ok(Message::Close(Some(frame)))) => return (frame.code.into(), frame.reason.to_string()),
                Some(Ok(Message::Close(None))) | None => return (1005, String::new()),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("the connection failed instead of closing: {e}"),
            }
        }
    }

    async fn init(&mut self, token: Option<&str>) {
        let payload = token.map_or(json!({}), |t| json!({ "token": t }));
        self.send(json!({ "type": "connection_init", "payload": payload })).await;
        assert_eq!(self.next().await["type"], "connection_ack");
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next `next` payload's data for subscription `id`.
    async fn data(&mut self, id: &str) -> Value {
        let msg = self.next().await;
        assert_eq!((msg["type"].as_str(), msg["id"].as_str()), (Some("next"), Some(id)), "{msg}");
        assert!(msg["payload"]["errors"].is_null(), "{msg}");
        msg["payload"]["data"].clone()
    }
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    fn new(server: &Server) -> Self {
        Api { base: server.base.clone(), client: reqwest::Client::new() }
    }

    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req =
            self.client.post(format!("{}/graphql", self.base)).json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let v = self.gql(Some(token), query, variables).await;
        assert!(v["errors"].is_null(), "{v}");
        v["data"].clone()
    }

    async fn create(&self, token: &str, title: &str) -> String {
        let v = self
            .ok(
                token,
                "mutation($t: String!) { createArticle(input: { title: $t, body: \"First.\" }) { id } }",
                json!({ "t": title }),
            )
            .await;
        v["createArticle"]["id"].as_str().unwrap().to_string()
    }

    async fn edit(&self, token: &str, id: &str, body: &str) {
        self.ok(
            token,
            "mutation($id: ID!, $b: String) { updateArticle(id: $id, input: { body: $b }) { id } }",
            json!({ "id": id, "b": body }),
        )
        .await;
    }

    async fn publish(&self, token: &str, id: &str) {
        self.ok(token, "mutation($id: ID!) { publishArticle(id: $id) { id } }", json!({ "id": id })).await;
    }

    async fn metric(&self, name: &str) -> u64 {
        let text = self.client.get(format!("{}/metrics", self.base)).send().await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /metrics"))
    }
}

const CHANGES: &str = "subscription($kinds: [ChangeKind!]) { contentChanged(kinds: $kinds) { kind articleId slug syncToken at article { title body } } }";
const CHANGES_AFTER: &str = "subscription($after: String) { contentChanged(after: $after) { kind articleId slug syncToken article { title } } }";
const EDITS: &str = "subscription($id: ID!) { articleEdited(id: $id) { articleId version editor fields trashed } }";

impl Ws {
    /// The next `contentChanged` on either protocol, skipping those about `skip`.
    async fn change(&mut self, skip: &str) -> Value {
        loop {
            let msg = self.next().await;
            assert!(matches!(msg["type"].as_str(), Some("next" | "data")), "{msg}");
            assert!(msg["payload"]["errors"].is_null(), "{msg}");
            let change = msg["payload"]["data"]["contentChanged"].clone();
            if change["articleId"] != skip {
                return change;
            }
        }
    }

    /// Waits for one message, or `None` after `wait` (used only to retry, never asserted on).
    async fn within(&mut self, wait: Duration) -> Option<Value> {
        tokio::time::timeout(wait, self.next()).await.ok()
    }
}

/// A subscription is live once the server has run its resolver, which the protocol does not
/// acknowledge: publish `primer` again until every subscriber has heard of it.
async fn prime(api: &Api, editor: &str, primer: &str, subscribers: &mut [&mut Ws]) {
    let mut heard = vec![false; subscribers.len()];
    for _ in 0..30 {
        api.ok(editor, "mutation($id: ID!) { unpublishArticle(id: $id) { id } }", json!({ "id": primer })).await;
        api.publish(editor, primer).await;
        for (ws, heard) in subscribers.iter_mut().zip(heard.iter_mut()) {
            while !*heard {
                let Some(msg) = ws.within(Duration::from_millis(500)).await else { break };
                let change = &msg["payload"]["data"]["contentChanged"];
                *heard = change["articleId"] == primer && change["kind"] == "PUBLISHED";
            }
        }
        if heard.iter().all(|h| *h) {
            return;
        }
    }
    panic!("the subscriptions never started");
}

/// Saves `id` until `ws` hears it; then reads up to the version the article is at, which is
/// returned.
async fn prime_edits(api: &Api, editor: &str, id: &str, ws: &mut Ws) -> i64 {
    for n in 0..30 {
        api.edit(editor, id, &format!("Priming {n}.")).await;
        let Some(first) = ws.within(Duration::from_millis(500)).await else { continue };
        let latest = api
            .ok(editor, "query($id: ID!) { article(id: $id) { version } }", json!({ "id": id }))
            .await["article"]["version"]
            .as_i64()
            .unwrap();
        // Saves made while it started may still come: read up to the latest.
        let mut heard = first;
        while heard["payload"]["data"]["articleEdited"]["version"].as_i64() != Some(latest) {
            heard = ws.next().await;
        }
        return latest;
    }
    panic!("the edit subscription never started");
}

/// A published primer article, and an anonymous subscriber of every change that has heard it.
async fn listening(api: &Api, editor: &str, base: &str) -> (String, Ws) {
    let primer = api.create(editor, "Primer").await;
    api.publish(editor, &primer).await;
    let mut ws = connect(base, "graphql-transport-ws").await;
    ws.init(None).await;
    ws.subscribe("c", CHANGES, json!({})).await;
    prime(api, editor, &primer, &mut [&mut ws]).await;
    (primer, ws)
}

/// A publish on one instance reaches a subscriber of another; a draft never reaches the
/// public; editors hear every save; a client that drops catches up through `syncToken`.
async fn changes_reach_every_instance(backend: Backend) {
    let Some((url, dir, _keep)) = database(backend).await else { return };
    let a = serve(&url, &dir, &[]);
    let b = serve(&url, &dir, &[]);
    let (api, editor) = (Api::new(&b), token("live-editor", colophon::content::Role::Editor));
    let primer = api.create(&editor, "Primer").await;
    api.publish(&editor, &primer).await;
    let id = api.create(&editor, "Heard everywhere").await;

    let mut public = connect(&a.base, "graphql-transport-ws").await;
    public.init(None).await;
    public.subscribe("changes", CHANGES, json!({})).await;
    let mut published_only = connect(&a.base, "graphql-ws").await; // the older protocol
    published_only.init(None).await;
    published_only
        .send(json!({ "id": "p", "type": "start", "payload": { "query": CHANGES, "variables": { "kinds": ["PUBLISHED"] } } }))
        .await;
    prime(&api, &editor, &primer, &mut [&mut public, &mut published_only]).await;
    let mut editing = connect(&a.base, "graphql-transport-ws").await;
    editing.init(Some(&editor)).await;
    editing.subscribe("edits", EDITS, json!({ "id": id })).await;
    let version = prime_edits(&api, &editor, &id, &mut editing).await;

    // A draft's save: the editor hears it, the public does not.
    api.edit(&editor, &id, "Still a draft.").await;
    let edit = editing.data("edits").await["articleEdited"].clone();
    assert_eq!(edit["articleId"], id.as_str());
    assert_eq!(edit["version"], version + 1);
    assert_eq!(edit["editor"], "live-editor");
    assert_eq!(edit["fields"], json!(["body"]));
    assert_eq!(edit["trashed"], false);

    api.publish(&editor, &id).await;
    let first = public.change(&primer).await;
    assert_eq!(first["kind"], "PUBLISHED", "the draft's saves were never announced: {first}");
    assert_eq!(first["articleId"], id.as_str());
    assert_eq!(first["slug"], "heard-everywhere");
    assert_eq!(first["article"]["body"], "Still a draft.");
    let legacy = published_only.next().await;
    assert_eq!((legacy["type"].as_str(), legacy["id"].as_str()), (Some("data"), Some("p")), "{legacy}");
    assert_eq!(legacy["payload"]["data"]["contentChanged"]["articleId"], id.as_str());
    let published = editing.data("edits").await["articleEdited"].clone();
    assert_eq!(published["version"], version + 2);
    assert!(published["fields"].as_array().unwrap().contains(&json!("status")), "{published}");

    // An update while public is announced to all; not to those who asked for publications.
    api.edit(&editor, &id, "Public now.").await;
    let updated = public.change(&primer).await;
    assert_eq!(updated["kind"], "UPDATED");
    assert_eq!(updated["article"]["body"], "Public now.");

    // The public client drops; what happens meanwhile is caught up through its syncToken.
    let resume = updated["syncToken"].as_str().unwrap().to_string();
    drop(public);
    let other = api.create(&editor, "Written while away").await;
    api.publish(&editor, &other).await;
    api.ok(&editor, "mutation($id: ID!) { unpublishArticle(id: $id) { id } }", json!({ "id": id })).await;
    let page =
        api.gql(None, "query($t: String) { sync(token: $t) { items { id } deleted } }", json!({ "t": resume })).await;
    assert_eq!(page["data"]["sync"]["items"], json!([{ "id": other }]), "{page}");
    assert_eq!(page["data"]["sync"]["deleted"], json!([id]), "{page}");
    // The subscriber that stayed heard the publication only: then comes the next one.
    let marker = api.create(&editor, "Marker").await;
    api.publish(&editor, &marker).await;
    let mut heard = Vec::new();
    for _ in 0..2 {
        heard.push(published_only.change(&primer).await["articleId"].clone());
    }
    assert_eq!(heard, vec![json!(other), json!(marker)]);

    // While it is a draft its slug changes: that is not the public's to learn.
    api.ok(
        &editor,
        "mutation($id: ID!) { updateArticle(id: $id, input: { slug: \"secret-draft-slug\" }) { id } }",
        json!({ "id": id }),
    )
    .await;
    // Or the client resumes the subscription itself from its syncToken: what it missed comes
    // first, in order, then the live changes, none twice and none lost.
    let mut resumed = connect(&a.base, "graphql-transport-ws").await;
    resumed.init(None).await;
    resumed.subscribe("again", CHANGES_AFTER, json!({ "after": resume })).await;
    let missed: Vec<Value> = [resumed.change("").await, resumed.change("").await, resumed.change("").await].into();
    let seen: Vec<(&str, &str)> =
        missed.iter().map(|c| (c["kind"].as_str().unwrap(), c["articleId"].as_str().unwrap())).collect();
    assert_eq!(seen, vec![("PUBLISHED", other.as_str()), ("UNPUBLISHED", id.as_str()), ("PUBLISHED", marker.as_str())]);
    assert!(missed[1]["slug"].is_null(), "the draft's slug was told: {}", missed[1]);
    assert!(missed[1]["article"].is_null());
    assert!(!missed.iter().any(|c| c.to_string().contains("secret-draft-slug")));
    api.edit(&editor, &other, "Live again.").await;
    let live = resumed.change(&primer).await;
    assert_eq!((live["kind"].as_str(), live["articleId"].as_str()), (Some("UPDATED"), Some(other.as_str())), "{live}");
    // A token that is none of ours is refused, and names the argument.
    let mut refused = connect(&a.base, "graphql-transport-ws").await;
    refused.init(None).await;
    refused.subscribe("bad", CHANGES_AFTER, json!({ "after": "nonsense" })).await;
    let msg = refused.next().await;
    assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{msg}");

    // Moved to the trash: its editors are told.
    api.ok(&editor, "mutation($id: ID!) { deleteArticle(id: $id) }", json!({ "id": id })).await;
    let mut trashed = editing.data("edits").await["articleEdited"].clone();
    while trashed["fields"] != json!(["trashed"]) {
        trashed = editing.data("edits").await["articleEdited"].clone(); // the unpublish came first
    }
    assert_eq!(trashed["trashed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_every_instance_on_sqlite() {
    changes_reach_every_instance(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_every_instance_on_postgres() {
    changes_reach_every_instance(Backend::Postgres).await;
}

/// `articleEdited` is for those who may edit the article, as their account is now.
async fn edits_are_for_editors(backend: Backend) {
    let Some((url, dir, _keep)) = database(backend).await else { return };
    let server = serve(&url, &dir, &[]);
    let api = Api::new(&server);
    let admin = token("live-admin", colophon::content::Role::Admin);
    let mut accounts = Vec::new();
    for (email, role) in [("writer@example.com", "AUTHOR"), ("chief@example.com", "EDITOR")] {
        let made = api
            .ok(
                &admin,
                "mutation($e: String!, $r: Role!) { createUser(input: { email: $e, name: $e, role: $r, password: \"long enough password\" }) { id } }",
                json!({ "e": email, "r": role }),
            )
            .await;
        let login = api
            .ok(
                &admin,
                "mutation($e: String!) { login(email: $e, password: \"long enough password\") { accessToken } }",
                json!({ "e": email }),
            )
            .await;
        accounts.push((
            made["createUser"]["id"].as_str().unwrap().to_string(),
            login["login"]["accessToken"].as_str().unwrap().to_string(),
        ));
    }
    let [(_, author), (chief_id, chief)] = [accounts[0].clone(), accounts[1].clone()];
    let theirs = api.create(&admin, "Someone else's").await;
    let own = api.create(&author, "The author's own").await;

    let refused = |who: Option<String>, id: String| {
        let base = server.base.clone();
        async move {
            let mut ws = connect(&base, "graphql-transport-ws").await;
            ws.init(who.as_deref()).await;
            ws.subscribe("e", EDITS, json!({ "id": id })).await;
            let msg = ws.next().await;
            assert_eq!(msg["type"], "next", "{msg}");
            let code = msg["payload"]["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_string();
            assert_eq!(ws.next().await["type"], "complete");
            code
        }
    };
    assert_eq!(refused(None, own.clone()).await, "UNAUTHENTICATED");
    assert_eq!(refused(Some(author.clone()), theirs.clone()).await, "FORBIDDEN");
    assert_eq!(refused(Some(chief.clone()), "999999".into()).await, "NOT_FOUND");

    // The author follows their own draft.
    let mut writer = connect(&server.base, "graphql-transport-ws").await;
    writer.init(Some(&author)).await;
    writer.subscribe("own", EDITS, json!({ "id": own })).await;
    prime_edits(&api, &author, &own, &mut writer).await;

    // An editor follows another's; demoted to author, the next save ends it with the reason.
    let mut following = connect(&server.base, "graphql-transport-ws").await;
    following.init(Some(&chief)).await;
    following.subscribe("theirs", EDITS, json!({ "id": theirs })).await;
    prime_edits(&api, &admin, &theirs, &mut following).await;
    api.ok(
        &admin,
        "mutation($id: ID!) { updateUser(id: $id, input: { role: AUTHOR }) { id } }",
        json!({ "id": chief_id }),
    )
    .await;
    api.edit(&admin, &theirs, "After the demotion.").await;
    let msg = following.next().await;
    assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{msg}");
    assert!(msg["payload"]["data"].is_null() || msg["payload"]["data"]["articleEdited"].is_null(), "{msg}");
    assert_eq!(following.next().await["type"], "complete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_for_editors_on_sqlite() {
    edits_are_for_editors(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_for_editors_on_postgres() {
    edits_are_for_editors(Backend::Postgres).await;
}

/// The close codes of `graphql-transport-ws`, and every bound a client could push on.
async fn the_protocol_and_its_bounds(backend: Backend) {
    let Some((url, dir, _keep)) = database(backend).await else { return };
    let limits = [
        ("COLOPHON_WS_INIT_TIMEOUT", "1"),
        ("COLOPHON_WS_MAX_SUBSCRIPTIONS", "2"),
        ("COLOPHON_WS_MAX_CONNECTIONS_PER_CLIENT", "12"),
        ("COLOPHON_WS_MAX_MESSAGE_BYTES", "8192"),
    ];
    let server = serve(&url, &dir, &limits);
    let base = server.base.clone();
    let editor = token("live-editor", colophon::content::Role::Editor);
    let sub = |id: &str| json!({ "id": id, "type": "subscribe", "payload": { "query": CHANGES } });

    // 4401: a subscription before the handshake.
    let mut ws = connect(&base, "graphql-transport-ws").await;
    ws.send(sub("1")).await;
    assert_eq!(ws.closed().await.0, 4401);
    // 4403: a forged token, and one that expires while connected.
    let mut ws = connect(&base, "graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init", "payload": { "token": "not.a.token" } })).await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 4403, "{reason}");
    let short = jwt().issue("live-editor", colophon::content::Role::Editor, Duration::from_secs(2));
    let mut ws = connect(&base, "graphql-transport-ws").await;
    ws.init(Some(&short)).await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 4403, "{reason}");
    assert!(reason.contains("expired"), "{reason}");
    // 4408: no connection_init.
    let mut ws = connect(&base, "graphql-transport-ws").await;
    assert_eq!(ws.closed().await.0, 4408);
    // 4400: malformed messages, each on its own connection.
    for bad in [
        json!("not an object").to_string(),
        "{".into(),
        json!({ "type": "launch" }).to_string(),
        json!({ "type": "subscribe", "id": 7 }).to_string(),
    ] {
        let mut ws = connect(&base, "graphql-transport-ws").await;
        ws.init(None).await;
        ws.socket.send(Message::Text(bad.clone().into())).await.unwrap();
        assert_eq!(ws.closed().await.0, 4400, "{bad}");
    }
    // 4429: a second connection_init.
    let mut ws = connect(&base, "graphql-transport-ws").await;
    ws.init(None).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.closed().await.0, 4429);
    // 1009: a message over the size limit.
    let mut ws = connect(&base, "graphql-transport-ws").await;
    ws.init(None).await;
    ws.send(json!({ "type": "ping", "payload": { "pad": "x".repeat(10_000) } })).await;
    assert_eq!(ws.closed().await.0, 1009);

    // On one connection: the subscription limit, queries refused, the document limits, and
    // 4409 for an id in use.
    let mut ws = connect(&base, "graphql-transport-ws").await;
    ws.init(Some(&editor)).await;
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.next().await["type"], "pong");
    ws.send(sub("a")).await;
    ws.send(sub("b")).await;
    ws.send(sub("c")).await;
    let refused = ws.next().await;
    assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some("c")), "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    ws.send(json!({ "id": "b", "type": "complete" })).await;
    let done = ws.next().await;
    assert_eq!((done["type"].as_str(), done["id"].as_str()), (Some("complete"), Some("b")), "{done}");
    // 17 levels, one more than the depth limit.
    let deep = format!(
        "subscription {{ contentChanged {{ article {{ {} id {} }} }} }}",
        "related { ".repeat(14),
        "} ".repeat(14)
    );
    let refusals = [("{ site { title } }", "OPERATION_NOT_SUPPORTED"), (deep.as_str(), "QUERY_TOO_DEEP")];
    for (n, (query, code)) in refusals.iter().enumerate() {
        let id = format!("r{n}");
        ws.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } })).await;
        let msg = ws.next().await;
        assert_eq!(msg["id"], id.as_str(), "{msg}");
        let got = msg["payload"][0]["extensions"]["code"]
            .as_str()
            .or(msg["payload"]["errors"][0]["extensions"]["code"].as_str());
        assert_eq!(got, Some(*code), "{msg}");
        if msg["type"] == "next" {
            assert_eq!(ws.next().await["type"], "complete");
        }
    }
    // The exponential fragment document of the hardening round: refused at once, measured.
    let mut bomb = String::from("fragment F0 on ContentChange { kind }\n");
    for i in 1..=25 {
        bomb.push_str(&format!("fragment F{i} on ContentChange {{ ...F{} ...F{} }}\n", i - 1, i - 1));
    }
    bomb.push_str("subscription { contentChanged { ...F25 } }");
    ws.send(json!({ "id": "bomb", "type": "subscribe", "payload": { "query": bomb } })).await;
    let msg = ws.next().await;
    assert_eq!(msg["payload"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{msg}");
    // b was completed, so its id is free again. Completing a and taking its id back at once,
    // before the server has said it completed, keeps the count: a and b are held, so a
    // third is still refused, however fast ids are reused.
    ws.send(sub("b")).await;
    for _ in 0..20 {
        ws.send(json!({ "id": "a", "type": "complete" })).await;
        ws.send(sub("a")).await;
    }
    ws.send(sub("d")).await;
    let mut refused_d = None;
    while refused_d.is_none() {
        let msg = ws.next().await;
        if msg["id"] == "d" {
            refused_d = Some(msg);
        }
    }
    assert_eq!(refused_d.unwrap()["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    ws.send(sub("b")).await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 4409, "{reason}");

    // Sockets per address: the limit is reached, and the next is refused before upgrading.
    let mut open = Vec::new();
    for _ in 0..12 {
        open.push(connect(&base, "graphql-transport-ws").await);
    }
    let url = format!("{}/graphql", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        other => panic!("the 13th socket was not refused: {:?}", other.map(|(_, r)| r.status())),
    }
    drop(open);
    // No sub-protocol offered: a clear 400.
    let res = reqwest::Client::new()
        .get(format!("{base}/graphql"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("graphql-transport-ws"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_and_its_bounds_on_sqlite() {
    the_protocol_and_its_bounds(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_and_its_bounds_on_postgres() {
    the_protocol_and_its_bounds(Backend::Postgres).await;
}

/// A client that stops reading is dropped once its queue is full, not buffered for; the
/// others go on hearing.
async fn a_slow_consumer_is_dropped(backend: Backend) {
    let Some((url, dir, _keep)) = database(backend).await else { return };
    let server = serve(&url, &dir, &[("COLOPHON_WS_QUEUE", "4")]);
    let (api, editor) = (Api::new(&server), token("live-editor", colophon::content::Role::Editor));
    let primer = api.create(&editor, "Primer").await;
    api.publish(&editor, &primer).await;
    let id = api.create(&editor, "Large").await;
    api.publish(&editor, &id).await;
    let query = "subscription { contentChanged { kind articleId article { body html } } }";
    let mut slow = connect(&server.base, "graphql-transport-ws").await;
    slow.init(None).await;
    slow.subscribe("s", query, json!({})).await;
    let mut fast = connect(&server.base, "graphql-transport-ws").await;
    fast.init(None).await;
    fast.subscribe("f", query, json!({})).await;
    prime(&api, &editor, &primer, &mut [&mut slow, &mut fast]).await;
    assert_eq!(api.metric("colophon_websocket_connections").await, 2);

    // Large articles, so the socket's buffers fill after a few; `slow` reads nothing more.
    let paragraph = "A paragraph of a long technical article, written out in full. ".repeat(40);
    let mut dropped = false;
    for n in 0..200 {
        let body = format!("{n}\n\n{}", format!("{paragraph}\n\n").repeat(60));
        api.edit(&editor, &id, &body).await;
        let heard = fast.change(&primer).await;
        assert!(heard["article"]["body"].as_str().unwrap().starts_with(&format!("{n}\n")), "in order");
        if api.metric("colophon_websocket_dropped_total").await == 1 {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the client that stopped reading was never dropped");
    assert_eq!(api.metric("colophon_websocket_connections").await, 1, "the reader is still connected");
    // What `slow` finds when it reads again: what was buffered, then the end.
    let ends = loop {
        match tokio::time::timeout(PATIENCE, slow.socket.next()).await {
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break true,
            Ok(Some(Ok(_))) => continue,
            Err(_) => break false,
        }
    };
    assert!(ends, "the dropped connection ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_dropped_on_sqlite() {
    a_slow_consumer_is_dropped(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_dropped_on_postgres() {
    a_slow_consumer_is_dropped(Backend::Postgres).await;
}

/// A scheduled article is announced when it falls due; SIGTERM closes sockets with 1001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_articles_are_announced_and_sigterm_says_going_away() {
    let Some((url, dir, _keep)) = database(Backend::Sqlite).await else { return };
    let mut server = serve(&url, &dir, &[("COLOPHON_SCHEDULER_INTERVAL", "1")]);
    let (api, editor) = (Api::new(&server), token("live-editor", colophon::content::Role::Editor));
    let (primer, mut ws) = listening(&api, &editor, &server.base).await;
    let id = api.create(&editor, "Due soon").await;
    let due = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    api.ok(
        &editor,
        "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, publishedAt: $at) { status } }",
        json!({ "id": id, "at": due }),
    )
    .await;
    let change = ws.change(&primer).await;
    assert_eq!(
        (change["kind"].as_str(), change["articleId"].as_str()),
        (Some("PUBLISHED"), Some(id.as_str())),
        "{change}"
    );
    assert_eq!(change["article"]["title"], "Due soon");

    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 1001, "{reason}");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}: {:?}", server.log.lock().unwrap());
}

/// `colophon import` writing to the same SQLite file beside the server is heard (from the
/// log, not through the server); a client that stops answering pings is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_beside_the_server_is_heard_and_silent_clients_are_dropped() {
    let Some((url, dir, _keep)) = database(Backend::Sqlite).await else { return };
    let server = serve(&url, &dir, &[("COLOPHON_WS_KEEPALIVE", "1"), ("COLOPHON_WS_INIT_TIMEOUT", "300")]);
    let (api, editor) = (Api::new(&server), token("live-editor", colophon::content::Role::Editor));
    let (primer, mut ws) = listening(&api, &editor, &server.base).await;

    let files = dir.path().join("import");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("imported.md"), "---\ntitle: Imported beside\ndate: 2024-01-15\n---\nFrom files.\n")
        .unwrap();
    let out = crate::server::colophon()
        .args(["import", files.to_str().unwrap(), "--database-url", &url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let change = ws.change(&primer).await;
    assert_eq!((change["kind"].as_str(), change["slug"].as_str()), (Some("PUBLISHED"), Some("imported")), "{change}");

    // A client that stops reading stops answering the server's pings: it is dropped after
    // three intervals of silence (read the gauge until it says so; nothing is timed here).
    ws.socket.close(None).await.unwrap();
    drop(ws);
    let mut quiet = connect(&server.base, "graphql-transport-ws").await;
    quiet.init(None).await;
    let mut open = 1;
    for _ in 0..300 {
        open = api.metric("colophon_websocket_connections").await;
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open, 0, "the silent client was never dropped");
}
