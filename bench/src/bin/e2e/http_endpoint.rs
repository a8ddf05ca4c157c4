//! The HTTP endpoint of `kafka_to_http`: this binary re-run as `e2e http-endpoint
//! [--separator S]`, so it is a process of its own whose CPU is charged to neither sink.
//!
//! It listens on an ephemeral loopback port, prints the port as its first line of standard
//! output (how the driver finds it), and answers over HTTP/1.1 (hyper, through axum, on one
//! thread):
//!
//! - any POST, PUT or PATCH outside the paths below (the sinks post to `/ingest`): `200` with
//!   an empty body, after counting the records in the body. A body that is a JSON array counts
//!   its elements (what a sink sends with `batch.json.as.array=true`); any other body counts the
//!   items between `--separator`s (default `,`) outside JSON strings, objects and arrays. One
//!   scan of the bytes, no parsing into values: at ~150 B a record that is well under a
//!   millisecond per 500-record request, so the endpoint never sets the pace;
//! - `GET /count`: `{"records":…,"requests":…,"bytes":…,"max_batch":…,"malformed":…}` since the
//!   last reset (`malformed`: bodies whose brackets or strings do not close);
//! - `GET /sample`: the first body received since the last reset (`204` before any), for the
//!   driver's spot check;
//! - `POST /reset`: zeroes the counts and forgets the sample, between drains.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

/// `e2e http-endpoint [--separator S]`: serves until killed.
pub(crate) fn main(mut args: impl Iterator<Item = String>) -> Result<()> {
    let mut separator = ",".to_string();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--separator" => separator = args.next().context("--separator needs a value")?,
            other => bail!("unknown http-endpoint flag {other}"),
        }
    }
    // One thread: the work per request is a byte scan, and a second thread would only contend
    // with the sink being measured for the machine's two cores.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{}", listener.local_addr()?.port());
        use std::io::Write;
        std::io::stdout().flush()?;
        serve(listener, separator.into_bytes()).await
    })
}

/// Serves the endpoint on `listener` until the process ends.
pub(crate) async fn serve(listener: tokio::net::TcpListener, separator: Vec<u8>) -> Result<()> {
    let state = Arc::new(Endpoint {
        separator,
        ..Endpoint::default()
    });
    let app = Router::new()
        .route("/count", get(count))
        .route("/sample", get(sample))
        .route("/reset", post(reset))
        .fallback(ingest)
        // A batch of any size is accepted (axum's default limit is 2 MB).
        .layer(DefaultBodyLimit::disable())
        .with_state(state);
    axum::serve(listener, app).await?;
    Ok(())
}

#[derive(Default)]
struct Endpoint {
    separator: Vec<u8>,
    records: AtomicU64,
    requests: AtomicU64,
    bytes: AtomicU64,
    max_batch: AtomicU64,
    malformed: AtomicU64,
    sample: Mutex<Option<Bytes>>,
}

async fn ingest(State(ep): State<Arc<Endpoint>>, method: Method, body: Bytes) -> StatusCode {
    if !matches!(method, Method::POST | Method::PUT | Method::PATCH) {
        return StatusCode::NOT_FOUND;
    }
    match count_items(&body, &ep.separator) {
        Some(n) => {
            ep.records.fetch_add(n, Ordering::Relaxed);
            ep.max_batch.fetch_max(n, Ordering::Relaxed);
        }
        None => {
            ep.malformed.fetch_add(1, Ordering::Relaxed);
        }
    }
    ep.requests.fetch_add(1, Ordering::Relaxed);
    ep.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    let mut sample = ep.sample.lock().unwrap_or_else(|e| e.into_inner());
    if sample.is_none() {
        *sample = Some(body);
    }
    StatusCode::OK
}

async fn count(State(ep): State<Arc<Endpoint>>) -> Response {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    (
        [("content-type", "application/json")],
        format!(
            r#"{{"records":{},"requests":{},"bytes":{},"max_batch":{},"malformed":{}}}"#,
            get(&ep.records),
            get(&ep.requests),
            get(&ep.bytes),
            get(&ep.max_batch),
            get(&ep.malformed)
        ),
    )
        .into_response()
}

async fn sample(State(ep): State<Arc<Endpoint>>) -> Response {
    match ep.sample.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        Some(body) => body.into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn reset(State(ep): State<Arc<Endpoint>>) -> StatusCode {
    for c in [
        &ep.records,
        &ep.requests,
        &ep.bytes,
        &ep.max_batch,
        &ep.malformed,
    ] {
        c.store(0, Ordering::Relaxed);
    }
    *ep.sample.lock().unwrap_or_else(|e| e.into_inner()) = None;
    StatusCode::OK
}

/// Records in a request body: the elements of a top-level JSON array, or else the non-blank
/// items between `separator`s that lie outside JSON strings, objects and arrays (so a trailing
/// separator, as in JSON lines, adds none). None when a string, object or array does not close,
/// or an array is followed by more than whitespace.
pub(crate) fn count_items(body: &[u8], separator: &[u8]) -> Option<u64> {
    let Some(start) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Some(0);
    };
    let array = body[start] == b'[';
    let (mut depth, mut in_string, mut escaped) = (0u32, false, false);
    // Array mode: commas at depth 1, whether anything but whitespace lies inside the brackets,
    // whether they have closed. Separator mode: items ended so far, and whether the current one
    // holds anything.
    let (mut commas, mut content, mut closed) = (0u64, false, false);
    let (mut items, mut item_content) = (0u64, false);
    let mut i = start;
    while i < body.len() {
        let b = body[i];
        i += 1;
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if array {
            if closed {
                if !b.is_ascii_whitespace() {
                    return None;
                }
                continue;
            }
            if depth >= 1 && !b.is_ascii_whitespace() && !(depth == 1 && b == b']') {
                content = true;
            }
        } else if depth == 0 && !separator.is_empty() && body[i - 1..].starts_with(separator) {
            items += u64::from(item_content);
            item_content = false;
            i += separator.len() - 1;
            continue;
        } else if !b.is_ascii_whitespace() {
            item_content = true;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                closed = array && depth == 0;
            }
            b',' if array && depth == 1 => commas += 1,
            _ => {}
        }
    }
    if in_string || depth != 0 || (array && !closed) {
        return None;
    }
    Some(match array {
        true if content => commas + 1,
        true => 0,
        false => items + u64::from(item_content),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_json_array_elements() {
        let c = |s: &str| count_items(s.as_bytes(), b",");
        assert_eq!(c(r#"[{"a":1,"b":[1,2,3]},{"c":"x,y]}[{"}]"#), Some(2));
        assert_eq!(c(r#"[{"s":"quote \" and , inside"}]"#), Some(1));
        assert_eq!(c(r#"[{"s":"backslash \\"},{"t":2}]"#), Some(2));
        assert_eq!(c("[]"), Some(0));
        assert_eq!(c(" [ \n ] \n"), Some(0));
        assert_eq!(c("[1,2,3]"), Some(3));
        assert_eq!(c(r#"["a", "b"]"#), Some(2));
        assert_eq!(c("[[],[]]"), Some(2));
    }

    #[test]
    fn counts_separated_items() {
        let d1 = r#"{"id":1,"name":"a, b"}"#;
        let body = [d1, d1, d1].join(",");
        assert_eq!(count_items(body.as_bytes(), b","), Some(3));
        let lines = format!("{d1}\n{d1}\n");
        assert_eq!(count_items(lines.as_bytes(), b"\n"), Some(2));
        assert_eq!(count_items(b",a,,b,", b","), Some(2));
        assert_eq!(count_items(b"a|b|c", b"|"), Some(3));
        assert_eq!(count_items(b"one", b","), Some(1));
        assert_eq!(count_items(b"", b","), Some(0));
        assert_eq!(count_items(b"{\"x\":1}\r\n{\"y\":2}", b"\r\n"), Some(2));
    }

    #[test]
    fn malformed_bodies_are_not_counted() {
        for body in [
            r#"[{"a":1},{"b":2}"#,
            r#"[{"a":"open]"#,
            r#"[{"a":1}]]"#,
            r#"[1] [2]"#,
            r#"{"a":1}}"#,
        ] {
            assert_eq!(count_items(body.as_bytes(), b","), None, "{body}");
        }
    }

    #[test]
    fn counts_d1_batches() {
        let records: Vec<String> = strait_bench::d1_json_iter(500, 3).collect();
        let body = format!("[{}]", records.join(","));
        assert_eq!(count_items(body.as_bytes(), b","), Some(500));
        assert_eq!(count_items(records.join(",").as_bytes(), b","), Some(500));
    }

    #[test]
    fn serves_counts_samples_and_resets() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(serve(listener, b",".to_vec()));
            let http = reqwest::Client::new();
            let counts = || async {
                let body = http
                    .get(format!("{url}/count"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                serde_json::from_str::<serde_json::Value>(&body).unwrap()
            };
            let sample = http.get(format!("{url}/sample")).send().await.unwrap();
            assert_eq!(sample.status(), reqwest::StatusCode::NO_CONTENT);
            for body in [r#"[{"a":1},{"a":2}]"#, r#"[{"a":3}]"#, "[{"] {
                let resp = http
                    .post(format!("{url}/ingest"))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), reqwest::StatusCode::OK);
            }
            let c = counts().await;
            assert_eq!(c["records"], 3);
            assert_eq!(c["requests"], 3);
            assert_eq!(c["max_batch"], 2);
            assert_eq!(c["malformed"], 1);
            let sample = http.get(format!("{url}/sample")).send().await.unwrap();
            assert_eq!(sample.text().await.unwrap(), r#"[{"a":1},{"a":2}]"#);
            let resp = http.post(format!("{url}/reset")).send().await.unwrap();
            assert_eq!(resp.status(), reqwest::StatusCode::OK);
            let c = counts().await;
            assert_eq!(
                (c["records"].as_u64(), c["requests"].as_u64()),
                (Some(0), Some(0))
            );
            let other = http.get(format!("{url}/ingest")).send().await.unwrap();
            assert_eq!(other.status(), reqwest::StatusCode::NOT_FOUND);
        });
    }
}
