//! `--redact`: secrets masked in frames before they are published or recorded, the verdicts
//! still reporting them; without it, messages are kept as sent. The real binary, a real
//! websocket viewer, real files.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use common::*;
use eventscope::inspect::pii::mask;
use eventscope::inspect::redact::{RedactMode, Redactor};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
const STRIPE: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
/// Red by the custom matcher of the test's eventscope.toml only.
const INTERNAL: &str = "itk_0123456789ab";

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A directory of its own: the child's working directory (its eventscope.toml) and HOME.
fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-redact-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("eventscope.toml"),
        "[[pii.matcher]]\nname = \"internal-token\"\nclass = \"red\"\npattern = \"itk_[0-9a-f]{12}\"\n",
    )
    .unwrap();
    dir
}

/// `eventscope serve --listen 127.0.0.1:0 ARGS` in `dir`; the child and its address.
async fn serve(dir: &Path, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("EVENTSCOPE_REDACT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .expect("a line within the deadline")
        .unwrap()
        .expect("stdout open");
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line names the address: {first}"))
        .to_string();
    (child, addr)
}

async fn stop(child: Child) {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .expect("exits within the deadline")
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The stream's next `n` text frames after its hello, as received.
async fn stream_frames(addr: &str, n: usize) -> Vec<String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/stream?since=0"))
        .await
        .expect("connect");
    let mut frames = Vec::new();
    while frames.len() < n + 1 {
        let message = tokio::time::timeout(DEADLINE, ws.next())
            .await
            .expect("a frame within the deadline")
            .expect("stream open")
            .expect("no websocket error");
        if let Message::Text(text) = message {
            frames.push(text.to_string());
        }
    }
    assert!(frames[0].contains("\"hello\""), "{}", frames[0]);
    frames.split_off(1)
}

/// A batch: one message holding an AWS key, a Stripe key (inside free text) and an internal
/// token, and a clean one.
fn batch() -> String {
    json!({"batch": [
        {"type": "track", "event": "Deploy Started", "userId": "u1",
         "properties": {"aws_access_key_id": AWS, "note": format!("stripe {STRIPE} (live)"),
                        "internal": INTERNAL, "region": "eu-west-1", "count": 3}},
        {"type": "track", "event": "Page Viewed", "userId": "u1", "properties": {"plan": "pro"}},
    ]})
    .to_string()
}

async fn post_batch(addr: &str) {
    install_crypto();
    let response = client()
        .post(format!("http://{addr}/v1/batch"))
        .body(batch())
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status().as_u16(), 200);
}

fn assert_no_raw_secret(text: &str, what: &str) {
    for secret in [AWS, STRIPE, INTERNAL] {
        assert!(!text.contains(secret), "{what} holds {secret}: {text}");
    }
}

#[tokio::test]
async fn serve_redact_secrets_masks_stream_and_recording_and_check_still_reports_them() {
    let dir = temp_dir();
    let record = dir.join("rec.ndjson");
    let (child, addr) = serve(
        &dir,
        &["--redact", "secrets", "--record", record.to_str().unwrap()],
    )
    .await;
    post_batch(&addr).await;
    let frames = stream_frames(&addr, 2).await;
    for frame in &frames {
        assert_no_raw_secret(frame, "a stream frame");
    }

    let first: Value = serde_json::from_str(&frames[0]).unwrap();
    let properties = &first["message"]["properties"];
    assert_eq!(properties["aws_access_key_id"], mask(AWS));
    assert_eq!(properties["note"], mask(&format!("stripe {STRIPE} (live)")));
    assert_eq!(
        properties["internal"],
        mask(INTERNAL),
        "[pii] matchers apply"
    );
    assert_eq!(properties["region"], "eu-west-1");
    assert_eq!(properties["count"], 3);
    let redacted: Vec<(String, String, String)> = first["redacted"]
        .as_array()
        .expect("a `redacted` list")
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["rule"].as_str().unwrap().to_string(),
                r["class"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(redacted.contains(&(
        "properties.aws_access_key_id".into(),
        "pii/api-key".into(),
        "red".into()
    )));
    assert!(redacted.contains(&("properties.note".into(), "pii/api-key".into(), "red".into())));
    assert!(redacted.contains(&(
        "properties.internal".into(),
        "pii/custom:internal-token".into(),
        "red".into()
    )));
    // The contract's order: `redacted` right after `message`.
    let after_message = frames[0].find("\"redacted\":").unwrap();
    assert!(frames[0].find("\"message\":").unwrap() < after_message);

    let second: Value = serde_json::from_str(&frames[1]).unwrap();
    assert!(
        second.get("redacted").is_none(),
        "a clean message is untouched"
    );
    assert_eq!(second["message"]["properties"]["plan"], "pro");

    stop(child).await;
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert_no_raw_secret(&recorded, "the recording");
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        frames,
        "the recording holds the frames streamed"
    );

    // The verdicts over the masked recording still report the keys.
    let output = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["check", record.to_str().unwrap(), "--format", "ndjson"])
        .current_dir(&dir)
        .env("HOME", &dir)
        .env("XDG_CONFIG_HOME", &dir)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_no_raw_secret(&stdout, "check's report");
    let findings: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let found = |path: &str, rule: &str| {
        findings
            .iter()
            .any(|f| f["path"] == path && f["rule"] == rule && f["pii"] == "red")
    };
    assert!(
        found("properties.aws_access_key_id", "pii/api-key"),
        "{stdout}"
    );
    assert!(found("properties.note", "pii/api-key"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serve_without_redact_keeps_messages_as_sent() {
    let dir = temp_dir();
    let record = dir.join("rec.ndjson");
    let (child, addr) = serve(&dir, &["--record", record.to_str().unwrap()]).await;
    post_batch(&addr).await;
    let frames = stream_frames(&addr, 2).await;
    let first: Value = serde_json::from_str(&frames[0]).unwrap();
    assert_eq!(first["message"]["properties"]["aws_access_key_id"], AWS);
    assert!(first.get("redacted").is_none());
    stop(child).await;
    let recorded = std::fs::read_to_string(&record).unwrap();
    for secret in [AWS, STRIPE, INTERNAL] {
        assert!(recorded.contains(secret), "fidelity: {secret} kept");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serve_refuses_an_unknown_redact_mode() {
    let dir = temp_dir();
    let output = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["serve", "--listen", "127.0.0.1:0", "--redact", "everything"])
        .current_dir(&dir)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("secrets"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// In proxy mode the upstream gets the request as sent, and the delivery frame (its request
/// preview and the upstream's echo) shows the masked form.
#[tokio::test]
async fn the_proxys_delivery_frame_masks_what_the_event_frames_mask() {
    install_crypto();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let echo = Router::new().fallback(move |body: Bytes| {
        let seen = seen_tx.clone();
        async move {
            let _ = seen.send(body.clone());
            // An upstream that echoes what it got.
            (
                [("content-type", "application/json")],
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, echo).await });

    let redactor = Redactor::new(RedactMode::Secrets, &Default::default())
        .unwrap()
        .map(Arc::new);
    let server = start(eventscope::server::ServeConfig {
        upstream: Some(format!("http://{upstream}")),
        redactor,
        ..config()
    })
    .await;
    let (mut viewer, _) = Viewer::connect(&server, Some(0)).await;
    let (status, _) = post(&server, "/v1/batch", batch(), &[]).await;
    assert_eq!(status, 200);
    let received = tokio::time::timeout(DEADLINE, seen_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&received).contains(AWS),
        "the upstream gets the request as sent"
    );
    let mut delivery = None;
    for _ in 0..3 {
        let text = viewer.next_text().await;
        assert!(!text.contains(AWS) && !text.contains(STRIPE), "{text}");
        let frame: Value = serde_json::from_str(&text).unwrap();
        if frame["type"] == "delivery" {
            delivery = Some(frame);
        }
    }
    let delivery = delivery.expect("a delivery frame");
    assert_eq!(delivery["status"], 200);
    assert!(
        delivery["request"]["body"]
            .as_str()
            .unwrap()
            .contains("Deploy Started"),
        "{delivery}"
    );
    assert!(
        delivery["response"]["body"]
            .as_str()
            .unwrap()
            .contains("Deploy Started"),
        "{delivery}"
    );
    viewer.close().await;
    server.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The viewer: verdicts over masked messages, and the header's count.

mod viewer {
    use std::sync::Arc;
    use std::time::Instant;

    use eventscope::entry::EntryBuilder;
    use eventscope::inspect::Inspector;
    use eventscope::inspect::redact::{RedactMode, Redactor};
    use eventscope::model::{Frame, Incoming, parse_frame_text};
    use eventscope::tui::action::Action;
    use eventscope::tui::app::{App, Connection, SourceKind};
    use eventscope::tui::keys::KeyMap;
    use eventscope::tui::theme::{ColorMode, load_theme};
    use eventscope::tui::views;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::{AWS, STRIPE};

    fn frame(seq: u64, message: &str, redacted: Option<&str>) -> Frame {
        let redacted = redacted.map_or(String::new(), |r| format!(r#","redacted":{r}"#));
        let text = format!(
            r#"{{"type":"event","seq":{seq},"receivedAt":"2026-11-22T10:00:00.000Z","source":{{"path":"/v1/track"}},"message":{message}{redacted}}}"#
        );
        match parse_frame_text(&text).unwrap() {
            Incoming::Frame(frame) => frame,
            other => panic!("{other:?}"),
        }
    }

    /// A message masked by the collector, one that came unmasked (another collector), and a
    /// clean one, judged as the feeds judge them.
    fn app(redact: RedactMode) -> App {
        let original = format!(
            r#"{{"type":"track","event":"Deploy Started","userId":"u1","properties":{{"aws_access_key_id":"{AWS}"}}}}"#
        );
        let redactor = Redactor::new(RedactMode::Secrets, &Default::default())
            .unwrap()
            .unwrap();
        let masked = redactor.redact(&original).unwrap();
        let list = serde_json::to_string(&masked.masked).unwrap();
        let frames = vec![
            frame(1, &masked.json, Some(&list)),
            frame(
                2,
                &format!(
                    r#"{{"type":"track","event":"Charge","userId":"u1","properties":{{"key":"{STRIPE}"}}}}"#
                ),
                None,
            ),
            frame(
                3,
                r#"{"type":"track","event":"Page Viewed","userId":"u1"}"#,
                None,
            ),
        ];
        let theme = Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap());
        let source = SourceKind::Embedded {
            addr: "127.0.0.1:8707".into(),
            note: None,
        };
        let mut app = App::new(source, 1000, theme, KeyMap::default());
        app.connection = Connection::Live;
        app.redact = redact;
        let inspector = Arc::new(Inspector::default());
        app.inspector = Arc::clone(&inspector);
        let entries = EntryBuilder::judging(inspector).build_all(frames);
        app.ingest_entries(entries, Instant::now());
        app
    }

    fn screen(app: &App) -> String {
        let mut terminal = Terminal::new(TestBackend::new(160, 20)).unwrap();
        terminal
            .draw(|f| {
                views::draw(f, app, None);
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    }

    #[test]
    fn the_header_counts_secrets_seen_and_shows_the_redact_mode() {
        let app = app(RedactMode::Secrets);
        let header = screen(&app).lines().next().unwrap().to_string();
        assert!(header.contains("2 secrets seen"), "{header}");
        assert!(header.contains("redact: secrets"), "{header}");
        assert!(
            !screen(&app).contains(AWS),
            "the masked key is not on screen"
        );

        let app = self::app(RedactMode::None);
        let header = screen(&app).lines().next().unwrap().to_string();
        assert!(header.contains("2 secrets seen"), "{header}");
        assert!(!header.contains("redact:"), "{header}");
    }

    #[test]
    fn a_masked_message_still_matches_has_pii_and_lists_its_finding() {
        let mut app = app(RedactMode::Secrets);
        assert!(app.apply_filter("has:pii"));
        while !app.store.rescan_step(100) {}
        assert_eq!(app.store.visible().len(), 2, "both messages with keys");
        app.select_row(0);
        app.update(Action::ShowFindings);
        let finding = app
            .detail
            .findings
            .findings
            .iter()
            .find(|f| f.rule == "pii/api-key")
            .expect("the masked key is a finding");
        assert_eq!(finding.path, "properties.aws_access_key_id");
        assert!(finding.message.contains("redacted by the collector"));
        let shown = screen(&app);
        assert!(shown.contains("pii/api-key"), "{shown}");
        app.update(Action::ShowRaw);
        let shown = screen(&app);
        assert!(
            shown.contains("masked by the collector (--redact):")
                && shown.contains("properties.aws_access_key_id: pii/api-key (red)"),
            "{shown}"
        );
    }
}

/// The embedded viewer's feed (the hub's frames, the message located without a rescan) reads
/// the `redacted` list: its rows count the masked keys.
#[tokio::test]
async fn the_embedded_feed_judges_masked_messages_by_their_redacted_list() {
    use eventscope::filter::PII_RED;
    use eventscope::inspect::Inspector;
    use eventscope::tui::feed::{self, Feed};
    use eventscope::tui::rules;

    install_crypto();
    let redactor = Redactor::new(RedactMode::Secrets, &Default::default())
        .unwrap()
        .map(Arc::new);
    let server = start(eventscope::server::ServeConfig {
        redactor,
        ..config()
    })
    .await;
    let (status, _) = post(&server, "/v1/batch", batch(), &[]).await;
    assert_eq!(status, 200);
    let mut rx = feed::embedded(
        Arc::clone(&server.hub),
        rules::fixed(Arc::new(Inspector::default())),
    );
    let mut entries = Vec::new();
    while entries.len() < 2 {
        match tokio::time::timeout(DEADLINE, rx.recv()).await.unwrap() {
            Some(Feed::Entries(batch)) => entries.extend(batch),
            Some(_) => {}
            None => panic!("the feed stopped"),
        }
    }
    // (The internal token is Red only by the custom matcher of the binary tests' config.)
    assert!(!entries[0].text.contains(AWS) && !entries[0].text.contains(STRIPE));
    assert!(
        entries[0]
            .redacted()
            .iter()
            .any(|r| r.path == "properties.aws_access_key_id")
    );
    assert_ne!(
        entries[0].verdict.pii & PII_RED,
        0,
        "{:?}",
        entries[0].verdict
    );
    assert!(
        entries[0]
            .verdict
            .rules
            .as_deref()
            .unwrap_or("")
            .contains("pii/api-key")
    );
    assert!(entries[1].redacted().is_empty());
    server.stop().await.unwrap();
}
