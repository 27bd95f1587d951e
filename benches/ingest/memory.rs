//! Memory of the real binary: `eventscope serve` (release) before and after its ring is
//! filled, from `/proc/PID/status`, with what `/health` says it retains.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::client::{Conn, get_request, post_request, throughput_bodies};
use crate::common::{BATCH_MESSAGES, status_kib};

const MEMORY_MESSAGES: usize = 100_000;
pub const MEMORY_CONNS: usize = 4;

/// Kills the child when dropped, so a panic cannot leave it running.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy, Default)]
pub struct ProcMemory {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

fn proc_memory(pid: u32) -> ProcMemory {
    let pid = pid.to_string();
    ProcMemory {
        rss_kb: status_kib(&pid, "VmRSS:"),
        hwm_kb: status_kib(&pid, "VmHWM:"),
    }
}

pub struct MemoryResult {
    pub baseline: ProcMemory,
    pub loaded: ProcMemory,
    pub posted: u64,
    pub errors: u64,
    pub health: serde_json::Value,
}

pub fn run_memory(client_rt: &Runtime) -> MemoryResult {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("EVENTSCOPE_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the eventscope binary");
    let stdout = child.stdout.take().expect("child stdout");
    let child = ChildGuard(child);
    let pid = child.0.id();
    let mut first_line = String::new();
    let mut reader = BufReader::new(stdout);
    reader
        .read_line(&mut first_line)
        .expect("read the first line");
    let addr: SocketAddr = first_line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"));
    std::thread::sleep(Duration::from_millis(300));
    let baseline = proc_memory(pid);

    let bodies = throughput_bodies();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        bodies
            .iter()
            .map(|body| post_request(addr, "/v1/batch", body))
            .collect(),
    );
    let total_requests = MEMORY_MESSAGES / BATCH_MESSAGES;
    let (posted, errors, health) = client_rt.block_on(async {
        let workers: Vec<JoinHandle<(u64, u64)>> = (0..MEMORY_CONNS)
            .map(|k| {
                let requests = Arc::clone(&requests);
                tokio::spawn(async move {
                    let mut conn = Conn::connect(addr).await.expect("connect");
                    let (mut posted, mut errors) = (0, 0);
                    for i in (k..total_requests).step_by(MEMORY_CONNS) {
                        match conn.round_trip(&requests[i % requests.len()]).await {
                            Ok(200) => posted += BATCH_MESSAGES as u64,
                            _ => errors += 1,
                        }
                    }
                    (posted, errors)
                })
            })
            .collect();
        let (mut posted, mut errors) = (0, 0);
        for worker in workers {
            let (p, e) = worker.await.expect("memory worker");
            posted += p;
            errors += e;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut conn = Conn::connect(addr).await.expect("connect");
        let status = conn
            .round_trip(&get_request(addr, "/health"))
            .await
            .expect("GET /health");
        let health = if status == 200 {
            serde_json::from_slice(conn.body()).unwrap_or_default()
        } else {
            serde_json::Value::Null
        };
        (posted, errors, health)
    });
    let loaded = proc_memory(pid);
    drop(reader);
    drop(child);
    MemoryResult {
        baseline,
        loaded,
        posted,
        errors,
        health,
    }
}
