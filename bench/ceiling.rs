//! The benchmark's ceiling: a bare axum server answering each scenario with the exact bytes
//! Colophon answered, from memory, doing nothing else. Its throughput on the same machine in
//! the same run is the most any handler could reach; results are reported as ratios to it.
//!
//! Usage: bench-ceiling ADDR DIR — serves DIR/NAME.body at /s/NAME (GET or POST, any body),
//! with the content type in DIR/NAME.type.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

type Bodies = Arc<HashMap<String, (HeaderValue, Bytes)>>;

async fn serve(State(bodies): State<Bodies>, Path(name): Path<String>) -> Response {
    match bodies.get(&name) {
        Some((ty, body)) => ([(header::CONTENT_TYPE, ty.clone())], body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (addr, dir) = match args.as_slice() {
        [_, addr, dir] => (addr.clone(), dir.clone()),
        _ => {
            eprintln!("usage: bench-ceiling ADDR DIR");
            std::process::exit(2);
        }
    };
    let mut bodies = HashMap::new();
    for entry in std::fs::read_dir(&dir).expect("read DIR") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "body") {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let ty = std::fs::read_to_string(path.with_extension("type")).unwrap_or_else(|_| "application/json".into());
            let body = Bytes::from(std::fs::read(&path).expect("read body"));
            bodies.insert(name, (HeaderValue::from_str(ty.trim()).expect("content type"), body));
        }
    }
    let app = Router::new().route("/s/{name}", any(serve)).with_state(Arc::new(bodies));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
