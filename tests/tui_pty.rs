//! The real binary in a pseudo-terminal: post to its embedded collector, read the screen, type
//! a filter, quit — and find the terminal restored.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::DEADLINE;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::json;

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Everything the program wrote, to check the restoring sequences.
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Screen {
    fn spawn(args: &[&str]) -> Screen {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 140,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_eventscope"));
        command.args(args);
        command.env("TERM", "xterm-256color");
        command.env_remove("NO_COLOR");
        command.cwd(env!("CARGO_MANIFEST_DIR"));
        let child = pty.slave.spawn_command(command).expect("spawn");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(40).unwrap(),
            std::num::NonZeroU16::new(140).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (parser_in, raw_in) = (Arc::clone(&parser), Arc::clone(&raw));
        std::thread::spawn(move || {
            let _master = pty.master; // keep the pty open while reading
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                parser_in.lock().unwrap().process(&buf[..n]);
                raw_in.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Screen {
            parser,
            raw,
            writer,
            child,
        }
    }

    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `check`; panics with the screen otherwise.
    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if check(&text) {
                return text;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_text(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "did not exit; screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn address_on(screen: &str) -> String {
    let start = screen
        .find("http://127.0.0.1:")
        .expect("the address is on screen");
    screen[start + "http://".len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect()
}

#[test]
fn the_viewer_shows_posted_messages_filters_them_and_quits_cleanly() {
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0"]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let batch = json!({"batch": [
            {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"revenue": 10}},
            {"type": "identify", "userId": "jane", "traits": {"email": "jane@example.com"}},
            {"type": "track", "event": "Product Viewed", "userId": "u1"},
            {"type": "identify", "userId": "joe", "traits": {"name": "Joe"}},
            {"type": "page", "name": "Pricing", "anonymousId": "a1"},
        ]});
        let response = client
            .post(format!("http://{addr}/v1/batch"))
            .body(batch.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    });
    let text = screen.wait_for("five rows", |s| s.contains("Messages 5/5"));
    assert!(text.contains("Order Completed") && text.contains("Pricing"));

    screen.type_text("/type:identify\r");
    let text = screen.wait_for("the filtered view", |s| s.contains("Messages 2/5"));
    let list: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" 10:") || l.contains("identify ") || l.contains("track "))
        .collect();
    assert!(text.contains("jane") && text.contains("joe"), "{text}");
    assert!(
        !text.contains("Product Viewed") && !text.contains("Pricing"),
        "{list:?}"
    );

    screen.type_text("q");
    let status = screen.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let raw = screen.raw.lock().unwrap().clone();
    let raw = String::from_utf8_lossy(&raw);
    let left_alternate = raw.rfind("\x1b[?1049l").expect("left the alternate screen");
    let entered_alternate = raw
        .rfind("\x1b[?1049h")
        .expect("entered the alternate screen");
    assert!(left_alternate > entered_alternate);
    assert!(!screen.parser.lock().unwrap().screen().alternate_screen());
}

#[test]
fn open_shows_every_message_of_a_recording() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    let text = screen.wait_for("the whole file", |s| {
        s.contains("600 events") && s.contains("Messages 600/600")
    });
    assert!(text.contains("0 rejected"), "{text}");
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    let pid = screen.child.process_id().expect("a pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    assert!(screen.wait_exit().success());
    let raw = String::from_utf8_lossy(&screen.raw.lock().unwrap()).into_owned();
    assert!(
        raw.rfind("\x1b[?1049l") > raw.rfind("\x1b[?1049h"),
        "left the alternate screen"
    );
    assert!(!screen.parser.lock().unwrap().screen().alternate_screen());
}
