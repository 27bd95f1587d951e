//! The Segment tracking API contract, against a real server on port 0 with a real websocket
//! viewer: every endpoint, keys, encodings, batch merging, clock skew, and every refusal both
//! answered and published as a `rejected` frame.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn every_endpoint_and_short_path_delivers_to_a_subscriber() {
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let singles = [
        ("track", "track"),
        ("identify", "identify"),
        ("page", "page"),
        ("screen", "screen"),
        ("group", "group"),
        ("alias", "alias"),
        ("t", "track"),
        ("i", "identify"),
        ("p", "page"),
        ("s", "screen"),
        ("g", "group"),
        ("a", "alias"),
    ];
    let auth = basic(WRITE_KEY);
    let mut last_seq = 0;
    for (path, expected_type) in singles {
        let body = json!({"userId": "u1", "event": "Tested", "groupId": "g", "previousId": "p",
                          "properties": {"path": path}});
        let (status, answer) = post(
            &server,
            &format!("/v1/{path}"),
            body.to_string(),
            &[("Authorization", &auth)],
        )
        .await;
        assert_eq!(
            (status, &answer),
            (200, &json!({"success": true})),
            "{path}"
        );
        let frame = viewer.next().await;
        assert_eq!(frame["type"], "event", "{path}: {frame}");
        let seq = frame["seq"].as_u64().unwrap();
        assert!(seq > last_seq, "seqs increase");
        last_seq = seq;
        assert!(frame["receivedAt"].as_str().unwrap().ends_with('Z'));
        assert_eq!(frame["source"]["path"], format!("/v1/{path}"));
        assert_eq!(frame["source"]["writeKey"], "wk_t…cdef");
        assert_eq!(frame["message"]["type"], expected_type, "{path}");
        assert_eq!(frame["message"]["properties"]["path"], path);
    }
    for path in ["batch", "import", "b"] {
        let body = json!({"batch": [
            {"type": "track", "event": "One", "userId": "u"},
            {"type": "page", "name": "Two", "anonymousId": "a"},
        ]});
        let (status, _) = post(
            &server,
            &format!("/v1/{path}"),
            body.to_string(),
            &[("Authorization", &auth)],
        )
        .await;
        assert_eq!(status, 200, "{path}");
        let frames = viewer.take(2).await;
        assert_eq!(frames[0]["message"]["event"], "One");
        assert_eq!(frames[1]["message"]["name"], "Two");
        assert_eq!(frames[1]["seq"], frames[0]["seq"].as_u64().unwrap() + 1);
        assert_eq!(frames[0]["source"]["path"], format!("/v1/{path}"));
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn write_keys_come_from_basic_auth_or_the_body_and_the_allow_list_refuses_others() {
    let mut config = config();
    config.write_keys = vec![WRITE_KEY.to_string()];
    let server = start(config).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let message = json!({"type": "track", "event": "A", "userId": "u"});

    let (status, _) = post(
        &server,
        "/v1/track",
        message.to_string(),
        &[("Authorization", &basic(WRITE_KEY))],
    )
    .await;
    assert_eq!(status, 200);
    let frame = viewer.next().await;
    assert_eq!(frame["source"]["keyFrom"], "basic");

    let mut with_key = message.clone();
    with_key["writeKey"] = json!(WRITE_KEY);
    let (status, _) = post(&server, "/v1/track", with_key.to_string(), &[]).await;
    assert_eq!(status, 200);
    let frame = viewer.next().await;
    assert_eq!(frame["source"]["keyFrom"], "body");
    assert_eq!(frame["source"]["writeKey"], "wk_t…cdef");
    assert_eq!(
        frame["message"]["writeKey"], "wk_t…cdef",
        "masked in the message too"
    );

    let wrong = "wk_wrong_0123456789abcdef";
    let (status, answer) = post(
        &server,
        "/v1/track",
        message.to_string(),
        &[("Authorization", &basic(wrong))],
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("invalid_write_key"))
    );
    assert_eq!(answer["success"], false);
    let frame = viewer.next().await;
    assert_eq!(frame["type"], "rejected");
    assert_eq!(frame["status"], 401);
    assert_eq!(frame["source"]["writeKey"], "wk_w…cdef");

    let mut body_wrong = message.clone();
    body_wrong["writeKey"] = json!(wrong);
    let (status, _) = post(&server, "/v1/track", body_wrong.to_string(), &[]).await;
    assert_eq!(status, 401);
    let frame = viewer.next().await;
    assert_eq!(frame["code"], "invalid_write_key");
    let preview = frame["body"].as_str().unwrap();
    assert!(
        preview.contains("wk_w…cdef") && !preview.contains(wrong),
        "{preview}"
    );

    let (status, answer) = post(&server, "/v1/track", message.to_string(), &[]).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("missing_write_key"))
    );
    assert_eq!(viewer.next().await["code"], "missing_write_key");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn text_plain_gzip_and_deflate_bodies_are_accepted() {
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let message = json!({"type": "track", "event": "Plain", "anonymousId": "a"}).to_string();
    let (status, _) = post(
        &server,
        "/v1/t",
        message.clone(),
        &[("Content-Type", "text/plain;charset=UTF-8")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(viewer.next().await["message"]["event"], "Plain");

    let batch = batch_of(&fixture_messages()[..50]);
    let (status, _) = post(
        &server,
        "/v1/batch",
        gzip(batch.as_bytes()),
        &[
            ("Content-Encoding", "gzip"),
            ("Content-Type", "application/json"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let frames = viewer.take(50).await;
    let first: Value = serde_json::from_str(&fixture_messages()[0]).unwrap();
    assert_eq!(frames[0]["message"]["messageId"], first["messageId"]);

    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut deflate, message.as_bytes()).unwrap();
    let (status, _) = post(
        &server,
        "/v1/track",
        deflate.finish().unwrap(),
        &[("Content-Encoding", "deflate")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(viewer.next().await["message"]["event"], "Plain");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn batch_context_and_integrations_merge_into_items_and_ids_are_generated() {
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let body = json!({
        "batch": [
            {"type": "track", "event": "A", "userId": "u", "context": {"ip": "10.0.0.1"}},
            {"type": "track", "event": "B", "userId": "u", "messageId": "kept",
             "context": {"library": {"name": "item-lib"}}},
        ],
        "context": {"library": {"name": "batch-lib", "version": "1.2.3"}, "locale": "de-DE"},
        "integrations": {"Amplitude": false},
    });
    let (status, _) = post(&server, "/v1/batch", body.to_string(), &[]).await;
    assert_eq!(status, 200);
    let frames = viewer.take(2).await;
    let (a, b) = (&frames[0], &frames[1]);
    assert_eq!(a["message"]["context"]["ip"], "10.0.0.1");
    assert_eq!(a["message"]["context"]["library"]["name"], "batch-lib");
    assert_eq!(a["message"]["context"]["locale"], "de-DE");
    assert_eq!(a["message"]["integrations"]["Amplitude"], false);
    assert_eq!(
        b["message"]["context"]["library"]["name"], "item-lib",
        "items win"
    );
    assert_eq!(b["message"]["context"]["library"]["version"], "1.2.3");
    assert_eq!(
        a["adjusted"]["mergedFromBatch"],
        json!(["context", "integrations"])
    );
    assert_eq!(a["adjusted"]["messageIdGenerated"], true);
    assert!(
        a["message"]["messageId"]
            .as_str()
            .unwrap()
            .starts_with("es-")
    );
    assert_eq!(b["message"]["messageId"], "kept");
    assert!(b["adjusted"].get("messageIdGenerated").is_none());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn timestamp_is_corrected_for_the_device_clock_from_sent_at() {
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    // The device clock runs two hours behind; the call was made 1.5 s before sending.
    let body = json!({
        "batch": [{"type": "track", "event": "Skewed", "userId": "u",
                   "timestamp": "2020-01-01T10:00:00.000Z"}],
        "sentAt": "2020-01-01T10:00:01.500Z",
    });
    let (status, _) = post(&server, "/v1/batch", body.to_string(), &[]).await;
    assert_eq!(status, 200);
    let frame = viewer.next().await;
    let message = &frame["message"];
    let received =
        chrono::DateTime::parse_from_rfc3339(message["receivedAt"].as_str().unwrap()).unwrap();
    let timestamp =
        chrono::DateTime::parse_from_rfc3339(message["timestamp"].as_str().unwrap()).unwrap();
    assert_eq!((received - timestamp).num_milliseconds(), 1500);
    assert_eq!(message["originalTimestamp"], "2020-01-01T10:00:00.000Z");
    assert_eq!(message["sentAt"], "2020-01-01T10:00:01.500Z");
    let adjustment = &frame["adjusted"]["timestamp"];
    assert_eq!(adjustment["how"], "corrected");
    assert_eq!(adjustment["original"], "2020-01-01T10:00:00.000Z");
    assert!(adjustment["skewMs"].as_i64().unwrap() < 0, "{adjustment}");
    server.stop().await.unwrap();
}

/// One refused request: what is sent, and the status and code it must get.
struct Refusal {
    name: &'static str,
    path: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, &'static str)>,
    status: u16,
    code: &'static str,
}

fn refusals() -> Vec<Refusal> {
    let plain = |name, path, body: String, status, code| Refusal {
        name,
        path,
        body: body.into_bytes(),
        headers: vec![],
        status,
        code,
    };
    let big_message = json!({"type": "track", "event": "Big", "userId": "u",
                             "properties": {"blob": "x".repeat(40 * 1024)}})
    .to_string();
    let fixtures = fixture_messages();
    let big_batch = batch_of(
        &fixtures
            .iter()
            .cycle()
            .take(560)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let many = format!(
        r#"{{"batch":[{}]}}"#,
        vec![r#"{"type":"track"}"#; 2501].join(",")
    );
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    vec![
        plain(
            "invalid JSON",
            "/v1/track",
            "{\"event\": ".into(),
            400,
            "invalid_json",
        ),
        plain(
            "not an object",
            "/v1/track",
            "[1, 2]".into(),
            400,
            "not_an_object",
        ),
        plain(
            "batch not an array",
            "/v1/batch",
            r#"{"batch": {"type": "track"}}"#.into(),
            400,
            "batch_not_array",
        ),
        plain(
            "batch item not an object",
            "/v1/batch",
            r#"{"batch": ["track"]}"#.into(),
            400,
            "not_an_object",
        ),
        plain(
            "message over 32 KB",
            "/v1/track",
            big_message.clone(),
            413,
            "message_too_large",
        ),
        plain(
            "batch item over 32 KB",
            "/v1/batch",
            format!(r#"{{"batch":[{big_message}]}}"#),
            413,
            "message_too_large",
        ),
        plain(
            "batch over 500 KB",
            "/v1/batch",
            big_batch,
            413,
            "batch_too_large",
        ),
        plain(
            "batch over 2500 messages",
            "/v1/batch",
            many,
            413,
            "batch_too_many_messages",
        ),
        plain(
            "unknown endpoint",
            "/v1/v1/batch",
            "{}".into(),
            404,
            "unknown_endpoint",
        ),
        Refusal {
            name: "unknown encoding",
            path: "/v1/track",
            body: b"\x00\x01binary".to_vec(),
            headers: vec![("Content-Encoding", "br")],
            status: 415,
            code: "unsupported_encoding",
        },
        Refusal {
            name: "gzip bomb",
            path: "/v1/batch",
            body: bomb,
            headers: vec![("Content-Encoding", "gzip")],
            status: 413,
            code: "decompressed_too_large",
        },
        Refusal {
            name: "corrupt gzip",
            path: "/v1/track",
            body: b"\x1f\x8bnot really gzip".to_vec(),
            headers: vec![("Content-Encoding", "gzip")],
            status: 400,
            code: "bad_compression",
        },
    ]
}

#[tokio::test]
async fn refused_requests_get_a_json_error_and_a_rejected_frame_and_serving_goes_on() {
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    for refusal in refusals() {
        let body_len = refusal.body.len();
        let (status, answer) = post(&server, refusal.path, refusal.body, &refusal.headers).await;
        let name = refusal.name;
        assert_eq!(status, refusal.status, "{name}: {answer}");
        assert_eq!(answer["success"], false, "{name}");
        assert_eq!(answer["code"], refusal.code, "{name}: {answer}");
        assert!(!answer["message"].as_str().unwrap().is_empty(), "{name}");

        let frame = viewer.next().await;
        assert_eq!(frame["type"], "rejected", "{name}: {frame}");
        assert_eq!(frame["status"], refusal.status, "{name}");
        assert_eq!(frame["code"], refusal.code, "{name}");
        assert_eq!(frame["message"], answer["message"], "{name}");
        assert_eq!(frame["source"]["path"], refusal.path, "{name}");
        let preview = frame["body"].as_str().unwrap();
        assert!(preview.len() <= 4096 + 3, "{name}: preview is capped");
        assert!(frame["bodyBytes"].as_u64().unwrap() > 0, "{name}");
        if refusal.headers.is_empty() {
            assert_eq!(
                frame["bodyBytes"].as_u64().unwrap() as usize,
                body_len,
                "{name}"
            );
        }
    }
    let (status, _) = post(
        &server,
        "/v1/track",
        json!({"event": "Still here", "userId": "u"}).to_string(),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(viewer.next().await["message"]["event"], "Still here");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_body_over_the_wire_cap_is_refused_without_reading_it_all() {
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let body = vec![b'x'; 3 * 1024 * 1024];
    let (status, answer) = post(&server, "/v1/batch", body, &[]).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (413, Some("body_too_large"))
    );
    let frame = viewer.next().await;
    assert_eq!(frame["code"], "body_too_large");
    assert_eq!(frame["body"].as_str().unwrap().len(), 4096);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn browsers_get_cors_answers() {
    let server = start_default().await;
    let response = client()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/t", server.http_url()),
        )
        .header("Origin", "https://shop.example.com")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://shop.example.com"
    );
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let response = client()
        .post(format!("{}/v1/t", server.http_url()))
        .header("Origin", "https://shop.example.com")
        .body(r#"{"event":"A","anonymousId":"a"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn health_counts_requests_events_and_rejections() {
    let server = start_default().await;
    post(
        &server,
        "/v1/batch",
        batch_of(&fixture_messages()[..10]),
        &[],
    )
    .await;
    post(&server, "/v1/track", "nope", &[]).await;
    let health = health(&server.addr.to_string()).await;
    assert_eq!(health["ok"], true);
    assert_eq!(health["requests"], 2);
    assert_eq!(health["events"], 10);
    assert_eq!(health["rejected"], 1);
    assert_eq!(health["lastSeq"], 11);
    assert_eq!(health["retained"], 11);
    assert!(
        health["server"]
            .as_str()
            .unwrap()
            .starts_with("eventscope/")
    );
    server.stop().await.unwrap();
}

/// analytics-next posts its counters to `{apiHost}/m` every 30 s: answered like Segment does,
/// counted in `/health`, and neither an event nor a rejection (it was a `rejected 404` row).
#[tokio::test]
async fn sdk_metrics_posts_are_answered_and_counted_but_never_published() {
    let mut config = config();
    // Telemetry carries no write key: an allow-list does not refuse it.
    config.write_keys = vec![WRITE_KEY.to_string()];
    config.limits.max_body_bytes = 4096;
    let server = start(config).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let metrics = json!({"series": [{"type": "Counter", "metric": "analytics_js.invoke",
        "value": 1, "tags": {"type": "track", "library": "analytics.js",
        "library_version": "npm:next-1.84.3"}}]});
    let text_plain = [("Content-Type", "text/plain")];
    let (status, answer) = post(&server, "/v1/m", metrics.to_string(), &text_plain).await;
    assert_eq!((status, answer), (200, json!({"success": true})));
    // Not judged: a body that is not JSON is telemetry the SDK never reads the answer to.
    let (status, _) = post(&server, "/v1/m", "not json", &text_plain).await;
    assert_eq!(status, 200);

    // The next frame is the next event: the metrics posts published nothing.
    let track = json!({"type": "track", "event": "After metrics", "userId": "u"});
    let auth = basic(WRITE_KEY);
    let (status, _) = post(
        &server,
        "/v1/t",
        track.to_string(),
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(status, 200);
    let frame = viewer.next().await;
    assert_eq!(frame["type"], "event", "{frame}");
    assert_eq!(frame["message"]["event"], "After metrics", "{frame}");

    let report = health(&server.addr.to_string()).await;
    assert_eq!(report["metrics"], 2, "{report}");
    assert_eq!(report["events"], 1, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");

    // Bounded like every route: an oversized body is refused (and shown), and GET is no post.
    let (status, answer) = post(&server, "/v1/m", "x".repeat(5000), &text_plain).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (413, Some("body_too_large"))
    );
    assert_eq!(viewer.next().await["type"], "rejected");
    let response = client()
        .get(format!("{}/v1/m", server.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(health(&server.addr.to_string()).await["metrics"], 2);
    server.stop().await.unwrap();
}

/// RudderStack's beacon transport: `text/plain` to `/beacon/v1/batch?writeKey=K`, no
/// Authorization header, from another origin. Served like `/v1/batch`, the key taken from the
/// query (`keyFrom: "query"`), checked against `--write-key`, and masked in every frame.
#[tokio::test]
async fn beacon_batches_take_the_write_key_from_the_query_and_mask_it() {
    let mut config = config();
    config.write_keys = vec![WRITE_KEY.to_string()];
    let server = start(config).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let page_url = format!("https://shop.example.com/?writeKey={WRITE_KEY}");
    let body = json!({"sentAt": "2026-01-01T00:00:00.000Z", "batch": [
        {"type": "page", "name": "Home", "anonymousId": "a1", "properties": {"url": page_url},
         "originalTimestamp": "2026-01-01T00:00:00.000Z"},
        {"type": "track", "event": "Clicked", "anonymousId": "a1"},
    ]});
    let response = client()
        .post(format!(
            "{}/beacon/v1/batch?writeKey={WRITE_KEY}",
            server.http_url()
        ))
        .header("Content-Type", "text/plain;charset=UTF-8")
        .header("Origin", "https://shop.example.com")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    for (frame, name) in viewer.take(2).await.iter().zip(["page", "track"]) {
        assert_eq!(frame["type"], "event", "{frame}");
        assert_eq!(frame["message"]["type"], name, "{frame}");
        assert_eq!(frame["source"]["path"], "/beacon/v1/batch", "{frame}");
        assert_eq!(frame["source"]["keyFrom"], "query", "{frame}");
        assert_eq!(frame["source"]["writeKey"], "wk_t…cdef", "{frame}");
        assert!(
            !frame.to_string().contains(WRITE_KEY),
            "key leaked: {frame}"
        );
    }

    // The other beacon paths are the tracking API's; a wrong key is refused, masked.
    let track = json!({"type": "track", "event": "Single", "anonymousId": "a1"});
    let (status, _) = post(
        &server,
        &format!("/beacon/v1/track?writeKey={WRITE_KEY}"),
        track.to_string(),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let frame = viewer.next().await;
    assert_eq!(
        (&frame["message"]["event"], &frame["source"]["keyFrom"]),
        (&json!("Single"), &json!("query"))
    );
    let wrong = "wk_wrong_0123456789abcdef";
    let (status, answer) = post(
        &server,
        &format!("/beacon/v1/batch?writeKey={wrong}"),
        body.to_string(),
        &[],
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("invalid_write_key"))
    );
    let frame = viewer.next().await;
    assert_eq!(frame["type"], "rejected", "{frame}");
    assert_eq!(frame["source"]["writeKey"], "wk_w…cdef", "{frame}");
    assert_eq!(frame["source"]["keyFrom"], "query", "{frame}");
    assert!(!frame.to_string().contains(wrong), "key leaked: {frame}");
    assert!(!answer.to_string().contains(wrong), "key leaked: {answer}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn mangled_bodies_never_break_the_server() {
    let server = start_default().await;
    let fixtures = fixture_messages();
    let paths = ["/v1/track", "/v1/batch", "/v1/i", "/v1/b", "/v1/import"];
    // A small deterministic generator: flips, truncations and splices of real messages.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..400 {
        let source = &fixtures[(next() % fixtures.len() as u64) as usize];
        let mut body = if round % 3 == 0 {
            batch_of(&[source.clone(), source.clone()]).into_bytes()
        } else {
            source.clone().into_bytes()
        };
        match next() % 4 {
            0 => {
                let at = (next() % body.len() as u64) as usize;
                body.truncate(at);
            }
            1 => {
                for _ in 0..4 {
                    let at = (next() % body.len() as u64) as usize;
                    body[at] = (next() % 256) as u8;
                }
            }
            2 => {
                let at = (next() % body.len() as u64) as usize;
                let junk = [
                    "\"timestamp\":\"+262142-12-31T23:59:59\",",
                    "{",
                    "]",
                    "\\u0000",
                    "\u{feff}",
                ];
                let piece = junk[(next() % junk.len() as u64) as usize];
                body.splice(at..at, piece.bytes());
            }
            _ => {}
        }
        let path = paths[(next() % paths.len() as u64) as usize];
        let (status, answer) = post(&server, path, body, &[]).await;
        assert!(
            matches!(status, 200 | 400 | 413),
            "round {round}: {status} {answer}"
        );
        assert!(
            answer.is_object(),
            "round {round}: a JSON answer, got {answer}"
        );
    }
    let health = health(&server.addr.to_string()).await;
    assert_eq!(health["requests"], 400);
    server.stop().await.unwrap();
}
