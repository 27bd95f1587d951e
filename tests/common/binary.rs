//! The real binary as a child process: started with piped output and killed when dropped.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use super::DEADLINE;

/// `eventscope` with its output piped, no stdin, no token from the environment.
pub fn eventscope() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventscope"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("EVENTSCOPE_TOKEN")
        .kill_on_drop(true);
    command
}

pub async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .expect("a line within the deadline")
        .expect("stdout readable")
        .expect("stdout open")
}

/// The address from `serve`'s first line, `listening on http://ADDR`.
pub async fn listening_address(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    let first = next_line(lines).await;
    first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line names the address: {first}"))
        .to_string()
}

/// Starts `eventscope serve ARGS`; the child, its stdout and the address it listens on.
pub async fn serve(args: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>, String) {
    let mut child = eventscope().arg("serve").args(args).spawn().expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let addr = listening_address(&mut lines).await;
    (child, lines, addr)
}

/// Waits for the child to exit; returns its code and stderr.
pub async fn finish(child: Child) -> (Option<i32>, String) {
    let output = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .expect("exits within the deadline")
        .expect("waitable");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A fresh directory under the system's temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}
