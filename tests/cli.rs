//! The command line as users and scripts meet it: the real binary as a child process.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::sync::{Arc, Mutex};

use common::binary::*;
use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[tokio::test]
async fn serve_prints_the_chosen_address_first_and_stops_cleanly_on_sigterm() {
    let (child, _lines, addr) = serve(&["--listen", "127.0.0.1:0"]).await;
    assert!(!addr.ends_with(":0"), "a real port was chosen: {addr}");
    let health = health(&addr).await;
    assert_eq!(health["ok"], true);
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, stderr) = finish(child).await;
    assert_eq!(code, Some(0), "{stderr}");
}

#[tokio::test]
async fn serve_refuses_to_listen_beyond_loopback_without_a_token() {
    let child = eventscope()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .spawn()
        .unwrap();
    let (code, stderr) = finish(child).await;
    assert_eq!(code, Some(2));
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("--token"), "{stderr}");

    let (_child, _lines, addr) = serve(&["--listen", "0.0.0.0:0", "--token", "t0k3n"]).await;
    assert!(addr.starts_with("0.0.0.0:"));
}

#[tokio::test]
async fn bad_flags_and_files_get_a_one_line_error_and_a_non_zero_exit() {
    let cases: [(&[&str], i32, &str); 7] = [
        (&["serve", "--buffer", "0"], 2, "--buffer"),
        (
            &["serve", "--buffer-bytes", "12XB"],
            2,
            "`12XB` is not a size",
        ),
        (&["serve", "--buffer-bytes", "0"], 2, "at least one byte"),
        (
            &["open", "x.ndjson", "--buffer-bytes", "lots"],
            2,
            "--buffer-bytes",
        ),
        (&["serve", "--listen", "nowhere"], 2, "nowhere"),
        (
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--record",
                "/nonexistent/dir/x.ndjson",
            ],
            1,
            "/nonexistent/dir/x.ndjson",
        ),
        (&["tail", "ftp://example"], 2, "ftp"),
    ];
    for (args, expected, mention) in cases {
        let child = eventscope().args(args).spawn().unwrap();
        let (code, stderr) = finish(child).await;
        assert_eq!(code, Some(expected), "{args:?}: {stderr}");
        assert!(stderr.contains(mention), "{args:?}: {stderr}");
        let error_lines = stderr
            .lines()
            .filter(|l| l.contains("error") || l.starts_with("eventscope"))
            .count();
        assert_eq!(error_lines, 1, "{args:?}: {stderr}");
    }
}

/// A TCP proxy whose connections can be cut, to play a network blip.
struct Proxy {
    addr: std::net::SocketAddr,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    _accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: std::net::SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let tracked = Arc::clone(&connections);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().unwrap().push(task);
            }
        });
        Proxy {
            addr,
            connections,
            _accept: accept,
        }
    }

    /// Drops every open connection; new ones are still accepted.
    fn cut(&self) {
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_the_recording_and_resumes_after_a_lost_connection_without_duplicates() {
    let dir = std::env::temp_dir().join(format!("eventscope-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = dir.join("rec.ndjson");
    let mut config = config();
    config.record = Some(record.clone());
    let server = start(config).await;
    let proxy = Proxy::start(server.addr).await;

    let mut tail = eventscope()
        .args(["tail", &format!("http://{}", proxy.addr), "--since", "0"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(tail.stdout.take().unwrap()).lines();
    let track = |n: usize| json!({"type": "track", "event": format!("E{n}"), "userId": "u"});
    for n in 0..3 {
        post(&server, "/v1/track", track(n).to_string(), &[]).await;
    }
    let mut printed = Vec::new();
    for _ in 0..3 {
        printed.push(next_line(&mut lines).await);
    }

    proxy.cut();
    for n in 3..6 {
        post(&server, "/v1/track", track(n).to_string(), &[]).await;
    }
    post(&server, "/v1/identify", "{not json", &[]).await;
    for _ in 0..4 {
        printed.push(next_line(&mut lines).await);
    }
    let seqs: Vec<u64> = printed
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        seqs,
        [1, 2, 3, 4, 5, 6, 7],
        "resumed, in order, no duplicates"
    );

    server.stop().await.unwrap();
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        printed,
        "tail prints the recording"
    );
    tail.kill().await.unwrap();
    let (_, stderr) = finish(tail).await;
    assert!(stderr.contains("reconnecting"), "{stderr}");
}

#[tokio::test]
async fn tail_exits_2_with_a_clear_error_when_the_token_is_refused() {
    let mut config = config();
    config.token = Some("right-token".into());
    let server = start(config).await;
    for extra in [vec![], vec!["--token", "wrong-token"]] {
        let child = eventscope()
            .args(["tail", &server.http_url()])
            .args(&extra)
            .env_remove("EVENTSCOPE_TOKEN")
            .spawn()
            .unwrap();
        let (code, stderr) = finish(child).await;
        assert_eq!(code, Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("401") && stderr.contains("--token"),
            "{stderr}"
        );
    }
    server.stop().await.unwrap();
}

/// Collects a child's stderr lines as they come.
fn collect_lines(stderr: tokio::process::ChildStderr) -> Arc<Mutex<Vec<String>>> {
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&lines);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Waits until `lines` satisfy `check`; panics with them after the deadline.
async fn wait_for_lines(
    lines: &Arc<Mutex<Vec<String>>>,
    what: &str,
    check: impl Fn(&[String]) -> bool,
) {
    let start = std::time::Instant::now();
    loop {
        if check(&lines.lock().unwrap()) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "waiting for {what}: {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The wait in a `… reconnecting in 0.2s` line, in seconds.
fn retry_in(line: &str) -> Option<f64> {
    line.split("reconnecting in ")
        .nth(1)?
        .trim_end_matches('s')
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_starts_its_backoff_over_after_each_connection_that_delivered_frames() {
    let mut server = start(config()).await;
    let addr = server.addr;
    let mut tail = eventscope()
        .args(["tail", &format!("http://{addr}"), "--since", "0"])
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(tail.stdout.take().unwrap()).lines();
    let stderr = collect_lines(tail.stderr.take().unwrap());
    let track = json!({"type": "track", "event": "E", "userId": "u"}).to_string();
    post(&server, "/v1/track", track.clone(), &[]).await;
    next_line(&mut stdout).await;

    // Restarted twice, each time down long enough for failed attempts to grow the backoff.
    for _ in 0..2 {
        let before = stderr.lock().unwrap().len();
        server.stop().await.unwrap();
        wait_for_lines(&stderr, "three reconnection attempts", |lines| {
            lines[before..]
                .iter()
                .filter(|l| l.contains("reconnecting in"))
                .count()
                >= 3
        })
        .await;
        let mut config = config();
        config.listen = addr;
        server = start(config).await;
        post(&server, "/v1/track", track.clone(), &[]).await;
        let frame: Value = serde_json::from_str(&next_line(&mut stdout).await).unwrap();
        assert_eq!(frame["seq"], 1, "the new instance's frames: {frame}");
    }
    let before = stderr.lock().unwrap().len();
    server.stop().await.unwrap();
    wait_for_lines(&stderr, "the last disconnection", |lines| {
        lines[before..]
            .iter()
            .any(|l| l.contains("reconnecting in"))
    })
    .await;
    tail.kill().await.unwrap();

    let lines = stderr.lock().unwrap().clone();
    let mut waits = Vec::new();
    let mut grown = Vec::new();
    let mut after_connect = false;
    for line in &lines {
        if line.contains("connected to") {
            after_connect = true;
        } else if let Some(wait) = retry_in(line) {
            if after_connect {
                waits.push(wait);
            } else {
                grown.push(wait);
            }
            after_connect = false;
        }
    }
    assert_eq!(waits.len(), 3, "three connections ended: {lines:?}");
    assert!(
        waits.iter().all(|w| *w <= 0.3),
        "after a connection that delivered frames the backoff starts over (0.25 s ± 20 %): \
         {waits:?}\n{lines:?}"
    );
    assert!(
        grown.iter().any(|w| *w >= 0.8),
        "failed attempts still back off: {grown:?}\n{lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("the server restarted"))
            .count(),
        2,
        "{lines:?}"
    );
}

#[tokio::test]
async fn tail_resuming_ahead_of_a_restarted_server_prints_the_gap_then_every_retained_frame() {
    let server = start(config()).await;
    let track = |n: usize| json!({"type": "track", "event": format!("E{n}"), "userId": "u"});
    for n in 0..3 {
        post(&server, "/v1/track", track(n).to_string(), &[]).await;
    }
    let mut tail = eventscope()
        .args(["tail", &server.http_url(), "--since", "3000"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(tail.stdout.take().unwrap()).lines();
    let gap: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap();
    assert_eq!(
        (
            gap["type"].as_str(),
            gap["from"].as_u64(),
            gap["to"].as_u64()
        ),
        (Some("gap"), Some(4), Some(3000)),
        "{gap}"
    );
    assert!(
        gap["reason"].as_str().unwrap().contains("restarted"),
        "{gap}"
    );
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let frame: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap();
        seqs.push(frame["seq"].as_u64().unwrap());
    }
    assert_eq!(
        seqs,
        [1, 2, 3],
        "the retained frames are printed, not taken for duplicates"
    );
    post(&server, "/v1/track", track(3).to_string(), &[]).await;
    let live: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap();
    assert_eq!(live["seq"], 4, "then live: {live}");
    tail.kill().await.unwrap();
    let (_, stderr) = finish(tail).await;
    assert!(stderr.contains("the server restarted"), "{stderr}");
    server.stop().await.unwrap();
}

fn run_eventscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("spawn eventscope")
}

#[test]
fn completions_cover_the_subcommands_in_each_shell() {
    let bash = run_eventscope(&["completions", "bash"]);
    assert!(bash.status.success(), "{bash:?}");
    let bash = String::from_utf8_lossy(&bash.stdout);
    for sub in [
        "open",
        "connect",
        "serve",
        "tail",
        "check",
        "replay",
        "completions",
        "man",
    ] {
        assert!(bash.contains(sub), "bash completion lacks `{sub}`");
    }
    assert!(
        bash.contains("--listen") && bash.contains("--record"),
        "and the flags"
    );
    assert!(
        !bash.contains(eventscope::filter::jq_worker::WORKER_SUBCOMMAND),
        "the internal worker is not offered"
    );
    for (shell, marker) in [
        ("zsh", "#compdef eventscope"),
        ("fish", "complete -c eventscope"),
    ] {
        let out = run_eventscope(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(marker) && text.contains("replay"),
            "{shell}: {text}"
        );
    }
    let bad = run_eventscope(&["completions", "tcsh"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_man_page_documents_the_flags_of_the_command_and_its_subcommands() {
    let out = run_eventscope(&["man"]);
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH eventscope"),
        "roff: {page}"
    );
    // roff writes `-` as `\-`.
    for flag in [
        r"\-\-listen",
        r"\-\-record",
        r"\-\-theme",
        r"\-\-jq\-budget",
    ] {
        assert!(page.contains(flag), "the main options: {flag}");
    }
    for section in [
        "EVENTSCOPE OPEN OPTIONS",
        "EVENTSCOPE CHECK OPTIONS",
        "EVENTSCOPE REPLAY OPTIONS",
    ] {
        assert!(page.contains(section), "{section}");
    }
    for flag in [r"\-\-max\-line", r"\-\-since", r"\-\-fail\-on"] {
        assert!(page.contains(flag), "subcommand flags: {flag}");
    }
}
