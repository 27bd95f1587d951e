//! A real three-node JetStream cluster on loopback for the cluster test and bench: three
//! `nats-server` processes (n1..n3) with config files in a temp dir, client, monitor and route
//! ports chosen free at start, a store dir each, routes to all three; ready once the meta
//! leader is elected. A node can be killed by its PID and restarted on its ports and store;
//! all are killed when dropped. Without `nats-server` it says `SKIPPED` (fails under `CI`), as
//! [`NatsServer::start`](super::nats::NatsServer::start) does.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::DEADLINE;
use super::binary::temp_dir;
use super::nats::installed;

/// Servers in the cluster.
pub const NODES: usize = 3;
const CLUSTER: &str = "evs";

pub struct NatsCluster {
    nodes: Vec<Node>,
    dir: PathBuf,
    program: PathBuf,
}

struct Node {
    /// `n1`..`n3`, the server_name JetStream reports leaders by.
    name: String,
    client_port: u16,
    monitor_port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl NatsCluster {
    /// Starts three clustered servers and waits until they have elected a meta leader; `None`
    /// (after saying `SKIPPED`) when `nats-server` is not installed, a panic under `CI`.
    pub fn start(test: &str) -> Option<NatsCluster> {
        let program = installed(test)?;
        let dir = temp_dir("nats-cluster");
        let ports = free_ports(NODES * 3);
        let route_ports = &ports[NODES * 2..];
        let routes = route_ports
            .iter()
            .map(|p| format!("nats-route://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(", ");
        let nodes = (0..NODES)
            .map(|i| {
                let name = format!("n{}", i + 1);
                let (client_port, monitor_port) = (ports[i], ports[NODES + i]);
                let store = dir.join(&name);
                let config = dir.join(format!("{name}.conf"));
                let text = format!(
                    "server_name: {name}\nlisten: 127.0.0.1:{client_port}\n\
                     http: 127.0.0.1:{monitor_port}\n\
                     jetstream {{ store_dir: {store:?}, max_file_store: 8GB }}\n\
                     cluster {{ name: {CLUSTER}, listen: 127.0.0.1:{route}, routes: [{routes}] }}\n",
                    route = route_ports[i],
                );
                std::fs::write(&config, text).expect("a node's config");
                Node {
                    log: dir.join(format!("{name}.log")),
                    name,
                    client_port,
                    monitor_port,
                    config,
                    child: None,
                }
            })
            .collect();
        let mut cluster = NatsCluster {
            nodes,
            dir,
            program,
        };
        for node in 0..NODES {
            cluster.spawn(node);
        }
        cluster.wait_for_meta_leader();
        Some(cluster)
    }

    /// `nats://127.0.0.1:PORT` of every node, n1 first.
    pub fn urls(&self) -> Vec<String> {
        (0..NODES).map(|node| self.url(node)).collect()
    }

    pub fn url(&self, node: usize) -> String {
        format!("nats://127.0.0.1:{}", self.nodes[node].client_port)
    }

    /// The PID of a running node.
    pub fn pid(&self, node: usize) -> Option<u32> {
        self.nodes[node].child.as_ref().map(Child::id)
    }

    pub fn is_running(&self, node: usize) -> bool {
        self.nodes[node].child.is_some()
    }

    /// The node (0..3) that leads `stream`, as a running node reports it; waits (up to the
    /// deadline) while none does (an election under way).
    pub fn stream_leader(&self, stream: &str) -> usize {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let leader = (0..NODES)
                .filter(|&node| self.is_running(node))
                .filter_map(|node| self.stream_detail(node, stream))
                .find_map(|detail| {
                    let name = detail["cluster"]["leader"].as_str()?.to_string();
                    self.nodes.iter().position(|n| n.name == name)
                })
                .filter(|&node| self.is_running(node));
            if let Some(node) = leader {
                return node;
            }
            assert!(
                Instant::now() < deadline,
                "no node leads stream {stream}; logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last sequence of `stream` in `node`'s own store (its monitor port), `None` while it
    /// does not answer or holds no such stream.
    pub fn last_seq(&self, node: usize, stream: &str) -> Option<u64> {
        self.stream_detail(node, stream)?["state"]["last_seq"].as_u64()
    }

    /// Kills `node` by its PID (SIGKILL, no goodbye to its peers) and waits for it to exit;
    /// its store stays.
    pub fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts `node` again on its ports with its store.
    pub fn restart(&mut self, node: usize) {
        self.kill(node);
        self.spawn(node);
    }

    /// Every node's log (for failure messages).
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|node| {
                let log = std::fs::read_to_string(&node.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {} (last 40 lines)\n{}\n", node.name, tail.join("\n"))
            })
            .collect()
    }

    /// A JetStream client of `node`.
    pub async fn jetstream(&self, node: usize) -> async_nats::jetstream::Context {
        let client = async_nats::connect(self.url(node)).await.expect("connects");
        async_nats::jetstream::new(client)
    }

    fn spawn(&mut self, node: usize) {
        let node = &mut self.nodes[node];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .expect("a log file");
        let child = Command::new(&self.program)
            .arg("-c")
            .arg(&node.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        node.child = Some(child);
        let deadline = Instant::now() + DEADLINE;
        while TcpStream::connect(("127.0.0.1", node.client_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{} never accepted on {}; its log:\n{}",
                node.name,
                node.client_port,
                std::fs::read_to_string(&node.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls every node's `/jsz` until each reports the cluster's meta leader.
    fn wait_for_meta_leader(&self) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let ready = (0..NODES).all(|node| {
                monitor(self.nodes[node].monitor_port, "/jsz").is_some_and(|jsz| {
                    jsz["meta_cluster"]["leader"]
                        .as_str()
                        .is_some_and(|l| !l.is_empty())
                })
            });
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster elected no meta leader; logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `stream`'s entry in `node`'s `/jsz?streams=true`.
    fn stream_detail(&self, node: usize, stream: &str) -> Option<Value> {
        let jsz = monitor(
            self.nodes[node].monitor_port,
            "/jsz?accounts=true&streams=true",
        )?;
        jsz["account_details"]
            .as_array()?
            .iter()
            .filter_map(|account| account["stream_detail"].as_array())
            .flatten()
            .find(|detail| detail["name"] == stream)
            .cloned()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for node in 0..NODES {
            self.kill(node);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `count` distinct free ports on 127.0.0.1 (all held until all are chosen).
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("an address").port())
        .collect()
}

/// `GET path` on a monitor port as JSON; `None` when it does not answer (a node down or
/// starting).
fn monitor(port: u16, path: &str) -> Option<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8(response).ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}
